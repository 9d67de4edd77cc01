//! Rebuilds the analytics aggregates of a DynamoDB table from its records
//! (see `pc_marketplace::analytics_rebuild`): once, in a quiet window, after the
//! deployment that starts keeping analytics on a table that already holds
//! leads and sales.
//!
//! `TABLE_NAME=<table> AWS_REGION=<region> cargo run --release -p pc-marketplace --example analytics_rebuild`
//! (`AWS_ENDPOINT_URL` points it at moto or DynamoDB Local.)

use pc_platform::config::{Config, Mode};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Development defaults fill what a one-off command does not use (queues, secrets).
    let config = Config::from_env(Mode::Local, &[])?;
    let table = config.table_name.clone();
    let ctx = pc_aws::AwsPorts::load(config).await.store().context();
    let done = pc_marketplace::analytics_rebuild::rebuild(&*ctx.store).await?;
    println!(
        "{table}: {} leads, {} sales and {} listings counted; {} aggregate items written",
        done.leads, done.sales, done.listings, done.items_written
    );
    Ok(())
}
