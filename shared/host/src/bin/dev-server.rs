//! `cargo run -p pc-host --bin dev-server`: the whole system locally.

use pc_host::devserver::{Backend, DevServer, Options};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    pc_http::telemetry::init(false);
    let options = Options::from_env()?;
    let server = DevServer::start(options.clone()).await?;
    let base = format!("http://{}", server.addr);
    println!("Partner Connector dev server on {base}");
    println!("  health:   {base}/health");
    println!("  API docs: {base}/api/docs");
    println!("  mailbox:  {base}/dev/mailbox");
    println!(
        "  owner:    {} / {}",
        options.owner_email, options.owner_password
    );
    println!("  inbound webhook secrets (sign a webhook by hand with these):");
    for secret in pc_host::devserver::webhook_secrets::webhook_secrets(&server.context.config) {
        println!("    {} = {}", secret.name, secret.value);
        println!("      {}", secret.used_by);
    }
    match &options.backend {
        Backend::Embedded {
            data_dir: Some(dir),
        } => println!("  data:     {}", dir.display()),
        Backend::Embedded { data_dir: None } => println!("  data:     in memory"),
        Backend::Aws { endpoint, .. } => println!("  AWS:      {endpoint}"),
    }
    tokio::signal::ctrl_c().await?;
    println!("stopping");
    server.stop().await;
    Ok(())
}
