//! The application context: every port a handler may use, built once per
//! process (per Lambda cold start) and shared by reference.

use std::sync::Arc;

use crate::bus::{EventBus, InProcessBus};
use crate::clock::{Clock, SettableClock, SystemClock};
use crate::config::Config;
use crate::crm::{CrmClient, fake::FakeHubspot};
use crate::email::{EmailSender, mailbox::Mailbox};
use crate::ids::{Ids, UlidIds};
use crate::not_granted::NotGranted;
use crate::objects::{ObjectStore, embedded::EmbeddedObjects};
use crate::outbox::RelayingStore;
use crate::payments::{PaymentGateway, fake::FakeStripe};
use crate::queue::faults::{FaultyQueue, QueueFaults};
use crate::queue::{Queue, embedded::EmbeddedQueue};
use crate::realtime::ConnectionPush;
use crate::store::{Store, embedded::EmbeddedStore};

pub struct AppContext {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn Queue>,
    pub email: Arc<dyn EmailSender>,
    pub bus: Arc<dyn EventBus>,
    pub objects: Arc<dyn ObjectStore>,
    pub payments: Arc<dyn PaymentGateway>,
    pub crm: Arc<dyn CrmClient>,
    /// Posts to open WebSocket connections (the broadcaster, presence).
    pub push: Arc<dyn ConnectionPush>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn Ids>,
    pub config: Arc<Config>,
}

impl AppContext {
    /// The context of a deployed function before any port is granted:
    /// store, queue, email, bus, uploads, payments and CRM refuse every
    /// call ([`NotGranted`]); the function's start-up replaces the ones its
    /// permissions grant (AWS clients, the Stripe and HubSpot clients).
    pub fn granting_nothing(config: Config) -> Self {
        Self {
            store: Arc::new(NotGranted),
            queue: Arc::new(NotGranted),
            email: Arc::new(NotGranted),
            bus: Arc::new(NotGranted),
            objects: Arc::new(NotGranted),
            payments: Arc::new(NotGranted),
            crm: Arc::new(NotGranted),
            push: Arc::new(NotGranted),
            clock: Arc::new(SystemClock),
            ids: Arc::new(UlidIds),
            config: Arc::new(config),
        }
    }
}

/// What handlers receive: the shared context.
pub type AppState = Arc<AppContext>;

/// The embedded defaults around one store, with the handles a local runner
/// or a test needs to drive them (queue runner, clock, fake Stripe, fake
/// HubSpot). The
/// context's store relays outbox items to the queue right after each commit.
pub struct EmbeddedParts {
    pub context: AppState,
    pub queue: Arc<EmbeddedQueue>,
    pub clock: Arc<SettableClock>,
    pub bus: Arc<InProcessBus>,
    pub objects: Arc<EmbeddedObjects>,
    /// The payments port: Stripe faked in the same store.
    pub stripe: Arc<FakeStripe>,
    /// The CRM port: HubSpot faked in the same store.
    pub hubspot: Arc<FakeHubspot>,
}

impl EmbeddedParts {
    /// Objects in memory.
    pub fn new(store: Arc<dyn Store>, config: Config) -> Self {
        Self::with_options(store, config, None, Arc::new(EmbeddedObjects::new(None)))
    }

    /// As [`EmbeddedParts::new`], with sends failing while `faults` says
    /// so, and uploads kept by `objects`.
    pub fn with_options(
        store: Arc<dyn Store>,
        config: Config,
        faults: Option<Arc<QueueFaults>>,
        objects: Arc<EmbeddedObjects>,
    ) -> Self {
        let queue =
            Arc::new(EmbeddedQueue::new(store.clone()).with_retry_delay(config.queue_retry_delay));
        let clock = Arc::new(SettableClock::default());
        let bus = Arc::new(InProcessBus::default());
        let stripe = Arc::new(FakeStripe::for_config(
            store.clone(),
            clock.clone(),
            &config,
        ));
        let hubspot = Arc::new(FakeHubspot::for_config(
            store.clone(),
            clock.clone(),
            &config,
        ));
        let sending: Arc<dyn Queue> = match faults {
            Some(faults) => Arc::new(FaultyQueue::new(queue.clone(), faults)),
            None => queue.clone(),
        };
        let context = Arc::new(AppContext {
            store: Arc::new(RelayingStore::new(store.clone(), sending.clone())),
            queue: sending,
            email: Arc::new(Mailbox::new(store)),
            bus: bus.clone(),
            objects: objects.clone(),
            payments: stripe.clone(),
            crm: hubspot.clone(),
            push: Arc::new(NotGranted),
            clock: clock.clone(),
            ids: Arc::new(UlidIds),
            config: Arc::new(config),
        });
        Self {
            context,
            queue,
            clock,
            bus,
            objects,
            stripe,
            hubspot,
        }
    }

    /// Everything embedded and in memory, with local defaults (unit tests).
    pub fn in_memory() -> Self {
        Self::new(
            Arc::new(EmbeddedStore::in_memory()),
            Config::local_defaults(),
        )
    }
}
