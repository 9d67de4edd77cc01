//! Logging setup: structured JSON lines in Lambda (CloudWatch), readable
//! lines locally; the levels from `RUST_LOG` as `level` or
//! `target=level,...` directives (default `info`; a value that is not such
//! a list is ignored). Per-target levels without span or field filters:
//! `tracing_subscriber`'s `EnvFilter` would bring a regex engine (~0.3 MB)
//! into every Lambda binary for them.

use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

/// Installs the global subscriber once; later calls do nothing.
pub fn init(json: bool) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(Level::INFO));
    let layer = tracing_subscriber::fmt::layer().with_target(false);
    let registry = tracing_subscriber::registry();
    let _ = if json {
        let layer = layer.json().flatten_event(true).without_time();
        registry.with(layer.with_filter(filter)).try_init()
    } else {
        registry.with(layer.with_filter(filter)).try_init()
    };
}
