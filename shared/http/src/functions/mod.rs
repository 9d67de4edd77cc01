//! The function table's types: every Lambda of the system is one
//! [`Function`] — its name, what triggers it, who may call it, what it may
//! touch. The Lambda binaries, the dev server and the template checks are
//! all driven by the one table built from these.

use axum::http::Method;

use pc_platform::config::Secret;
use pc_platform::queue::QueueName;

use crate::socket_functions::{BusRuleFn, SocketFn, SocketRoute};

mod handlers;
mod macros;
mod permissions;
mod schedule;

pub use handlers::{HttpRouteFn, JobError, JobFn, JobReport, StreamFn, WorkerError, WorkerFn};
pub use permissions::{Access, Permissions, Ports};
pub use schedule::{Cadence, Schedule};

/// What starts a function.
#[derive(Clone, Copy)]
pub enum Trigger {
    /// A route of the HTTP API (method and path come from its OpenAPI annotation).
    Http(HttpRouteFn),
    /// A webhook on its own function URL (also served at its path locally).
    Webhook(HttpRouteFn),
    /// A queue worker.
    Queue(QueueName, WorkerFn),
    /// A schedule, also runnable on demand.
    Schedule(Schedule, JobFn),
    /// New items of one `entity` in the table (DynamoDB Streams, filtered
    /// to inserts of that entity); the handler gets each item's key.
    TableStream(&'static str, StreamFn),
    /// A route of the WebSocket API.
    Socket(SocketRoute, SocketFn),
    /// A rule on the system's event bus for events of these detail-types.
    BusRule(&'static [&'static str], BusRuleFn),
    /// A development-only route of the local server, never deployed.
    Dev(HttpRouteFn),
}

/// One Lambda function of the system.
#[derive(Clone, Copy)]
pub struct Function {
    pub name: &'static str,
    pub trigger: Trigger,
    pub access: Access,
    pub permissions: Permissions,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Whether users of a partner that is not active yet (awaiting email
    /// verification or an owner's approval) may call it: only what they
    /// need to set their partner up is open to them.
    pub open_to_pending_partners: bool,
    /// How a queue worker is fed, when not the default.
    pub scaling: Option<WorkerScaling>,
}

/// How many messages one invocation of a queue worker takes, and how many
/// invocations may run at once (Lambda's `MaximumConcurrency` for the
/// queue): what bounds the load a worker puts on a third party.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkerScaling {
    pub batch_size: u32,
    pub max_concurrency: u32,
}

impl WorkerScaling {
    /// Messages in progress at once, at most.
    pub fn messages_in_flight(&self) -> u32 {
        self.batch_size * self.max_concurrency
    }
}

/// How long a queue worker may take with one batch, in Lambda (the
/// function's timeout) and on the dev server alike.
pub const WORKER_TIMEOUT_SECONDS: u64 = 60;

/// Default request body limit for JSON endpoints.
pub const DEFAULT_BODY_LIMIT: usize = 256 * 1024;

impl Function {
    pub fn http(
        name: &'static str,
        access: Access,
        permissions: Permissions,
        route: HttpRouteFn,
    ) -> Self {
        Self {
            name,
            trigger: Trigger::Http(route),
            access,
            permissions,
            body_limit: DEFAULT_BODY_LIMIT,
            open_to_pending_partners: false,
            scaling: None,
        }
    }

    pub fn webhook(name: &'static str, permissions: Permissions, route: HttpRouteFn) -> Self {
        Self {
            trigger: Trigger::Webhook(route),
            ..Self::http(name, Access::Webhook, permissions, route)
        }
    }

    pub fn dev(name: &'static str, route: HttpRouteFn) -> Self {
        Self {
            trigger: Trigger::Dev(route),
            ..Self::http(name, Access::Public, Permissions::WRITE, route)
        }
    }

    pub fn worker(
        name: &'static str,
        queue: QueueName,
        permissions: Permissions,
        worker: WorkerFn,
    ) -> Self {
        Self {
            name,
            trigger: Trigger::Queue(queue, worker),
            access: Access::Public,
            permissions,
            body_limit: 0,
            open_to_pending_partners: false,
            scaling: None,
        }
    }

    pub fn schedule(
        name: &'static str,
        schedule: Schedule,
        permissions: Permissions,
        job: JobFn,
    ) -> Self {
        Self {
            name,
            trigger: Trigger::Schedule(schedule, job),
            access: Access::Owner,
            permissions,
            body_limit: 0,
            open_to_pending_partners: false,
            scaling: None,
        }
    }

    pub fn table_stream(
        name: &'static str,
        entity: &'static str,
        permissions: Permissions,
        handler: StreamFn,
    ) -> Self {
        Self {
            name,
            trigger: Trigger::TableStream(entity, handler),
            access: Access::Public,
            permissions,
            body_limit: 0,
            open_to_pending_partners: false,
            scaling: None,
        }
    }

    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Feeds a queue worker `batch_size` messages per invocation, with at
    /// most `max_concurrency` invocations at once (at least 2, Lambda's
    /// floor).
    pub fn with_scaling(mut self, batch_size: u32, max_concurrency: u32) -> Self {
        self.scaling = Some(WorkerScaling {
            batch_size,
            max_concurrency,
        });
        self
    }

    /// Opens the function to users of a partner awaiting approval.
    pub fn open_to_pending_partners(mut self) -> Self {
        self.open_to_pending_partners = true;
        self
    }

    /// The route builder of an HTTP-served function.
    pub fn route(&self) -> Option<HttpRouteFn> {
        match self.trigger {
            Trigger::Http(r) | Trigger::Webhook(r) | Trigger::Dev(r) => Some(r),
            _ => None,
        }
    }

    /// Method and path of an HTTP-served function, from its annotation.
    pub fn method_and_path(&self) -> Option<(Method, String)> {
        let (_, paths, _) = self.route()?();
        let (path, item) = paths.paths.into_iter().next()?;
        let method = [
            (Method::GET, item.get.is_some()),
            (Method::POST, item.post.is_some()),
            (Method::PUT, item.put.is_some()),
            (Method::PATCH, item.patch.is_some()),
            (Method::DELETE, item.delete.is_some()),
        ]
        .into_iter()
        .find(|(_, present)| *present)?
        .0;
        Some((method, path))
    }

    /// The ports this function needs: those its permissions grant, the
    /// table for the auth layer of any non-public route (it reads the user
    /// and the session), the table for a schedule (its runs are recorded
    /// there), and the queue for a worker (it dead-letters poison messages).
    pub fn ports(&self) -> Ports {
        let p = self.permissions;
        let authenticated = !matches!(self.access, Access::Public | Access::Webhook);
        let schedule = matches!(self.trigger, Trigger::Schedule(..));
        let worker = matches!(self.trigger, Trigger::Queue(..));
        Ports {
            store: p.table_read || p.table_write || authenticated || schedule,
            queue: !p.sends_to.is_empty() || p.dead_letters || worker,
            email: p.sends_email,
            bus: p.publishes_events,
            objects: p.uploads,
            payments: p.payments,
            crm: p.crm,
            push: p.pushes,
        }
    }

    /// Whether the deployed function verifies session tokens, and so is
    /// given their public keys (`JWT_PUBLIC_KEYS`, never a secret): a
    /// route behind the auth layer, the WebSocket API's `$connect`, a
    /// public route that reads sessions itself, and the functions issuing
    /// sessions (which check that their signing key's public half is
    /// listed).
    pub fn checks_sessions(&self) -> bool {
        let behind_auth = match self.trigger {
            Trigger::Http(_) => self.access.uses_session(),
            // A socket is authenticated when it opens.
            Trigger::Socket(route, _) => route == SocketRoute::Connect,
            _ => false,
        };
        behind_auth
            || self.permissions.reads_sessions
            || self.permissions.secrets.contains(&Secret::JwtSigningKey)
    }

    /// Every secret the deployed function holds: what its handler declares,
    /// and the keys of the clients its permissions grant. Nothing else
    /// reaches its environment; checking sessions takes none.
    pub fn secrets(&self) -> Vec<Secret> {
        let mut secrets = self.permissions.secrets.to_vec();
        if self.permissions.payments {
            secrets.push(Secret::StripeSecretKey);
        }
        if self.permissions.crm {
            secrets.extend([
                Secret::HubspotClientId,
                Secret::HubspotClientSecret,
                Secret::Encryption,
            ]);
        }
        secrets.sort();
        secrets.dedup();
        secrets
    }

    /// The kind of function, as the benchmark and docs group them.
    pub fn kind(&self) -> &'static str {
        match self.trigger {
            Trigger::Http(_) => "api",
            Trigger::Webhook(_) => "webhook",
            Trigger::Queue(..) => "worker",
            Trigger::Schedule(..) => "schedule",
            Trigger::TableStream(..) => "stream",
            Trigger::Socket(..) => "socket",
            Trigger::BusRule(..) => "bus-rule",
            Trigger::Dev(_) => "dev",
        }
    }
}

/// The schedules among `functions`, by function name, in table order (what
/// each capability's schedule list must equal).
pub fn schedules_of(functions: &[Function]) -> Vec<(&'static str, Schedule)> {
    functions
        .iter()
        .filter_map(|f| match f.trigger {
            Trigger::Schedule(schedule, _) => Some((f.name, schedule)),
            _ => None,
        })
        .collect()
}
