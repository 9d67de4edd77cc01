//! The benchmark's stand-in for a deployed function: `embedded-function
//! <name>` serves function `<name>` of the table on the Lambda runtime, like
//! its binary in `functions/`, but on the embedded adapters with the store
//! file under `PC_EMBEDDED_STORE_DIR` (settings read as the dev server reads
//! them). It lets the benchmark time handlers through the Runtime API over
//! a seeded store without AWS; deployed binaries never carry this path.

use std::path::PathBuf;
use std::sync::Arc;

use pc_host::{catalog, lambda};
use pc_platform::EmbeddedParts;
use pc_platform::config::{Config, Mode};
use pc_platform::store::embedded::EmbeddedStore;

/// The directory of the benchmark's store file.
const STORE_DIR: &str = "PC_EMBEDDED_STORE_DIR";

fn main() -> Result<(), lambda::Error> {
    pc_http::telemetry::init(true);
    let name = std::env::args()
        .nth(1)
        .ok_or("usage: embedded-function <name>")?;
    let function = *catalog::find(&name).ok_or_else(|| format!("no function named {name}"))?;
    let dir = PathBuf::from(std::env::var_os(STORE_DIR).ok_or("PC_EMBEDDED_STORE_DIR is not set")?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let path = dir.join("store.redb");
        let store = EmbeddedStore::open(&path)
            .map_err(|e| format!("opening the embedded store {}: {e}", path.display()))?;
        let ctx = EmbeddedParts::new(Arc::new(store), Config::from_env(Mode::Local, &[])?).context;
        lambda::serve(ctx, function).await
    })
}
