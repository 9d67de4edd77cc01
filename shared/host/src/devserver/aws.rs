//! The dev server on the AWS adapters (DynamoDB, SQS, SES, EventBridge) of
//! an AWS-compatible endpoint such as moto's server. What it adds for local
//! use: the resources are created at start (bootstrap), every email sent
//! through SES is also copied to the store's mailbox (so `/dev/mailbox`
//! shows it), events also fan out in process (so on-demand job runs work
//! without EventBridge targets), outbox items are relayed in process right
//! after each commit (no stream trigger runs here), the clock can be
//! moved, and Stripe is the fake kept in the table, on that clock.

use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use aws_config::SdkConfig;

use pc_http::AppState;
use pc_platform::AppContext;
use pc_platform::bus::{BusError, BusEvent, EventBus, InProcessBus};
use pc_platform::clock::SettableClock;
use pc_platform::config::{Config, Keyring};
use pc_platform::crm::fake::FakeHubspot;
use pc_platform::email::mailbox::Mailbox;
use pc_platform::email::{EmailError, EmailSender, OutgoingEmail};
use pc_platform::outbox::RelayingStore;
use pc_platform::payments::fake::FakeStripe;
use pc_platform::queue::Queue;
use pc_platform::queue::faults::{FaultyQueue, QueueFaults};

/// Sends through the real sender, then keeps a copy in the mailbox.
struct CopyToMailbox {
    sender: Arc<dyn EmailSender>,
    mailbox: Mailbox,
}

#[async_trait]
impl EmailSender for CopyToMailbox {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, EmailError> {
        let id = self.sender.send(email).await?;
        if let Err(e) = self.mailbox.send(email).await {
            tracing::warn!(error = %e, "sent, but the mailbox copy failed");
        }
        Ok(id)
    }
}

/// Publishes to EventBridge and to in-process subscribers.
struct BothBuses {
    remote: Arc<dyn EventBus>,
    local: Arc<InProcessBus>,
}

#[async_trait]
impl EventBus for BothBuses {
    async fn publish(&self, events: &[BusEvent]) -> Result<(), BusError> {
        self.remote.publish(events).await?;
        self.local.publish(events).await
    }
}

/// What the dev server needs to run on AWS adapters.
pub struct AwsBackend {
    pub context: AppState,
    pub queue: Arc<pc_aws::SqsQueue>,
    pub local_bus: Arc<InProcessBus>,
}

/// Creates the resources of `config` (queues named with `queue_prefix`) and
/// builds the context on them.
pub async fn start(
    sdk: &SdkConfig,
    mut config: Config,
    queue_prefix: &str,
    queue_faults: Option<Arc<QueueFaults>>,
) -> anyhow::Result<AwsBackend> {
    config.queue_urls = pc_aws::bootstrap(sdk, &config, queue_prefix)
        .await
        .context("creating the table, queues, bus and sender on the AWS endpoint")?;
    // The secrets go to Secrets Manager and are read back from there, as a
    // deployed function reads them.
    let arns = pc_aws::secrets::store_local(sdk, queue_prefix, &config.secrets)
        .await
        .context("storing the secrets on the AWS endpoint")?;
    config.secrets = Keyring::to_load(config.secrets.held());
    pc_aws::secrets::SecretsManager::new(sdk, arns.clone())
        .load_into(&config.secrets)
        .await
        .context("reading the secrets from the AWS endpoint")?;
    config.secret_ids = arns;
    let parts = pc_aws::AwsParts::new(sdk, config);
    let aws = &parts.context;
    let local_bus = Arc::new(InProcessBus::default());
    let sending: Arc<dyn Queue> = match queue_faults {
        Some(faults) => Arc::new(FaultyQueue::new(aws.queue.clone(), faults)),
        None => aws.queue.clone(),
    };
    let clock = Arc::new(SettableClock::default());
    let stripe = Arc::new(FakeStripe::for_config(
        parts.store.clone(),
        clock.clone(),
        &aws.config,
    ));
    let hubspot = Arc::new(FakeHubspot::for_config(
        parts.store.clone(),
        clock.clone(),
        &aws.config,
    ));
    let context = Arc::new(AppContext {
        store: Arc::new(RelayingStore::new(aws.store.clone(), sending.clone())),
        queue: sending,
        email: Arc::new(CopyToMailbox {
            sender: aws.email.clone(),
            mailbox: Mailbox::new(aws.store.clone()),
        }),
        bus: Arc::new(BothBuses {
            remote: aws.bus.clone(),
            local: local_bus.clone(),
        }),
        objects: aws.objects.clone(),
        payments: stripe,
        crm: hubspot,
        push: aws.push.clone(),
        clock,
        ids: aws.ids.clone(),
        config: aws.config.clone(),
    });
    Ok(AwsBackend {
        context,
        queue: parts.queue,
        local_bus,
    })
}
