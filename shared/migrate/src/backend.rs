//! The store the migration writes to: the one the dev server would use.
//! `AWS_ENDPOINT_URL` set: DynamoDB at that endpoint (the table
//! `TABLE_NAME` created when missing, as the dev server does); `--aws`:
//! DynamoDB of the environment's AWS account and region (the table must
//! exist); otherwise the embedded store under `DATA_DIR` (default
//! `./.data`), with the dev server stopped (the file is locked while open).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

use pc_platform::config::{Config, Mode};
use pc_platform::store::Store;
use pc_platform::store::embedded::EmbeddedStore;

/// The embedded store's page cache during a migration: bounded, so memory
/// stays flat however large the store grows.
pub const EMBEDDED_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// An opened target.
pub struct Target {
    pub store: Arc<dyn Store>,
    /// The embedded store, to make its last commits durable at the end.
    pub embedded: Option<Arc<EmbeddedStore>>,
    pub description: String,
}

impl Target {
    /// Makes everything written durable: one synced empty commit of the
    /// embedded store (its import commits are `Eventual`, which redb syncs
    /// on Linux but not everywhere; DynamoDB writes are durable already).
    pub fn sync(&self) -> anyhow::Result<()> {
        if let Some(store) = &self.embedded {
            store.sync().context("syncing the embedded store")?;
        }
        Ok(())
    }
}

/// The embedded store file under `data_dir`, opened for a bulk import.
pub fn embedded(data_dir: &std::path::Path) -> anyhow::Result<Target> {
    embedded_with_cache(data_dir, EMBEDDED_CACHE_BYTES)
}

/// [`embedded`] with a page cache of `cache_bytes` (the benchmark's trials).
pub fn embedded_with_cache(
    data_dir: &std::path::Path,
    cache_bytes: usize,
) -> anyhow::Result<Target> {
    let path = data_dir.join("store.redb");
    let store = Arc::new(
        EmbeddedStore::open_for_import(&path, cache_bytes)
            .with_context(|| format!("opening {} (is the dev server stopped?)", path.display()))?,
    );
    Ok(Target {
        store: store.clone(),
        embedded: Some(store),
        description: format!("embedded store {}", path.display()),
    })
}

/// DynamoDB table `table` with the SDK settings `sdk`.
pub fn dynamodb(sdk: &aws_config::SdkConfig, table: &str, endpoint: &str) -> Target {
    let client = aws_sdk_dynamodb::Client::new(sdk);
    Target {
        store: Arc::new(pc_aws::DynamoStore::new(client, table)),
        embedded: None,
        description: format!("DynamoDB table {table} at {endpoint}"),
    }
}

/// The target the environment names (see the module documentation).
pub async fn from_env(aws: bool) -> anyhow::Result<Target> {
    let config = Config::from_env(Mode::Local, &[]).context("reading the configuration")?;
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(endpoint) if !endpoint.is_empty() => {
            let sdk = pc_aws::local_sdk_config(&endpoint).await;
            let client = aws_sdk_dynamodb::Client::new(&sdk);
            pc_aws::bootstrap::ensure_table(&client, &config.table_name)
                .await
                .context("creating the table at the AWS endpoint")?;
            Ok(dynamodb(&sdk, &config.table_name, &endpoint))
        }
        _ if aws => {
            let sdk = pc_aws::load_sdk_config().await;
            Ok(dynamodb(&sdk, &config.table_name, "AWS"))
        }
        _ => {
            let dir: PathBuf = std::env::var("DATA_DIR")
                .unwrap_or_else(|_| "./.data".into())
                .into();
            embedded(&dir)
        }
    }
}
