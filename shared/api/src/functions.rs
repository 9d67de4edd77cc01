//! The function table's types: every Lambda of the system is one
//! [`Function`] — its name, what triggers it, who may call it, what it may
//! touch. The Lambda binaries, the dev server and the template checks are
//! all driven by the one table built from these.

use axum::http::Method;
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa_axum::router::UtoipaMethodRouter;

use pc_platform::AppState;
use pc_platform::config::Secret;
use pc_platform::queue::{QueueMessage, QueueName};
use pc_platform::store::Key;

use crate::socket_functions::{BusRuleFn, SocketFn, SocketRoute};

/// Who may call an HTTP function; checked by the one auth layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Access {
    /// Anyone (sign-in, health, registration).
    Public,
    /// A webhook sender, proven by the handler's signature check.
    Webhook,
    /// Any signed-in, active user.
    SignedIn,
    /// Admins and owners, partner admins included (scoped by the handler).
    Admin,
    /// Platform staff: owners and admins without a partner.
    Staff,
    Owner,
    /// A partner's API token (`Authorization: Bearer pcp_…`) and nothing
    /// else: sessions and cookies never reach these routes (see
    /// [`crate::partner_tokens`]).
    PartnerToken,
}

impl Access {
    /// True when the auth layer verifies a credential before the handler
    /// (a session's access token, or a partner API token).
    pub fn is_authenticated(self) -> bool {
        !matches!(self, Access::Public | Access::Webhook)
    }

    /// True when the caller is a signed-in user with a session (a JWT
    /// access token in the cookie or a bearer header).
    pub fn uses_session(self) -> bool {
        self.is_authenticated() && self != Access::PartnerToken
    }
}

/// What the function may touch in AWS, for its least-privilege role.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Permissions {
    /// Reads the table (every function but the few that touch no data).
    pub table_read: bool,
    pub table_write: bool,
    pub sends_to: &'static [QueueName],
    pub sends_email: bool,
    pub publishes_events: bool,
    /// Lists and moves the dead letters of every queue.
    pub dead_letters: bool,
    /// The secrets the handler itself reads (the auth layer's token key is
    /// added for authenticated routes, see [`Function::secrets`]).
    pub secrets: &'static [Secret],
    /// Reads, writes and removes objects of the uploads bucket.
    pub uploads: bool,
    /// Calls Stripe (with the secret key, added to [`Function::secrets`]).
    pub payments: bool,
    /// Calls HubSpot (with the app's client id and secret and the token
    /// encryption key, added to [`Function::secrets`]).
    pub crm: bool,
    /// Posts to the WebSocket API's connections (its Management API).
    pub pushes: bool,
}

impl Permissions {
    /// Touches nothing in AWS (health, the API document).
    pub const NONE: Self = Self {
        table_read: false,
        table_write: false,
        sends_to: &[],
        sends_email: false,
        publishes_events: false,
        dead_letters: false,
        secrets: &[],
        uploads: false,
        payments: false,
        crm: false,
        pushes: false,
    };
    pub const READ: Self = Self {
        table_read: true,
        ..Self::NONE
    };
    pub const WRITE: Self = Self {
        table_write: true,
        ..Self::READ
    };

    pub const fn sends(mut self, queues: &'static [QueueName]) -> Self {
        self.sends_to = queues;
        self
    }

    pub const fn email(mut self) -> Self {
        self.sends_email = true;
        self
    }

    pub const fn uploads(mut self) -> Self {
        self.uploads = true;
        self
    }

    pub const fn payments(mut self) -> Self {
        self.payments = true;
        self
    }

    pub const fn crm(mut self) -> Self {
        self.crm = true;
        self
    }

    pub const fn pushes(mut self) -> Self {
        self.pushes = true;
        self
    }

    pub const fn events(mut self) -> Self {
        self.publishes_events = true;
        self
    }

    pub const fn dead_letters(mut self) -> Self {
        self.dead_letters = true;
        self
    }

    pub const fn secrets(mut self, secrets: &'static [Secret]) -> Self {
        self.secrets = secrets;
        self
    }
}

/// The AWS-backed ports a deployed function builds at start; the others
/// refuse every call. Its generated `main` builds exactly these, so the
/// clients of the rest are not linked into its binary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ports {
    pub store: bool,
    pub queue: bool,
    pub email: bool,
    pub bus: bool,
    pub objects: bool,
    pub payments: bool,
    pub crm: bool,
    pub push: bool,
}

/// A worker's failure: the message is retried, then dead-lettered.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct WorkerError(pub String);

impl WorkerError {
    pub fn new(message: impl std::fmt::Display) -> Self {
        Self(message.to_string())
    }
}

/// A schedule run's failure.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct JobError(pub String);

impl JobError {
    pub fn new(message: impl std::fmt::Display) -> Self {
        Self(message.to_string())
    }
}

/// What a schedule run did: counts by name and a note for the log.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JobReport {
    pub counts: Map<String, Value>,
    pub note: Option<String>,
}

impl JobReport {
    pub fn count(mut self, name: &str, value: u64) -> Self {
        self.counts.insert(name.to_owned(), value.into());
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

pub type HttpRouteFn = fn() -> UtoipaMethodRouter<AppState>;
pub type WorkerFn =
    for<'a> fn(&'a AppState, &'a QueueMessage) -> BoxFuture<'a, Result<(), WorkerError>>;
pub type StreamFn = for<'a> fn(&'a AppState, &'a Key) -> BoxFuture<'a, Result<(), WorkerError>>;
pub type JobFn =
    for<'a> fn(&'a AppState, DateTime<Utc>) -> BoxFuture<'a, Result<JobReport, JobError>>;

/// When a schedule fires, in its own time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cadence {
    EveryMinutes(u32),
    Daily { hour: u32, minute: u32 },
    Monthly { day: u32, hour: u32, minute: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub cadence: Cadence,
    /// IANA zone, e.g. `America/Los_Angeles`; daylight saving never moves it.
    pub timezone: &'static str,
}

impl Schedule {
    /// The EventBridge Scheduler expression (`cron(0 9 * * ? *)`, `rate(5 minutes)`).
    pub fn expression(&self) -> String {
        match self.cadence {
            // EventBridge wants the singular unit for one.
            Cadence::EveryMinutes(1) => "rate(1 minute)".to_owned(),
            Cadence::EveryMinutes(m) => format!("rate({m} minutes)"),
            Cadence::Daily { hour, minute } => format!("cron({minute} {hour} * * ? *)"),
            Cadence::Monthly { day, hour, minute } => format!("cron({minute} {hour} {day} * ? *)"),
        }
    }

    /// The first firing strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> DateTime<Utc> {
        let tz: chrono_tz::Tz = self.timezone.parse().unwrap_or(chrono_tz::UTC);
        match self.cadence {
            Cadence::EveryMinutes(m) => {
                let step = i64::from(m.max(1)) * 60;
                let next = (after.timestamp() / step + 1) * step;
                DateTime::from_timestamp(next, 0).unwrap_or(after)
            }
            Cadence::Daily { hour, minute } => {
                let local = after.with_timezone(&tz).date_naive();
                (0..3)
                    .filter_map(|d| local.checked_add_signed(Duration::days(d)))
                    .filter_map(|date| date.and_hms_opt(hour, minute, 0))
                    .filter_map(|naive| tz.from_local_datetime(&naive).earliest())
                    .map(|t| t.with_timezone(&Utc))
                    .find(|t| *t > after)
                    .unwrap_or(after + Duration::days(1))
            }
            Cadence::Monthly { day, hour, minute } => {
                let local = after.with_timezone(&tz);
                let (mut year, mut month) = (local.year(), local.month());
                for _ in 0..3 {
                    let candidate = chrono::NaiveDate::from_ymd_opt(year, month, day)
                        .and_then(|d| d.and_hms_opt(hour, minute, 0))
                        .and_then(|n| tz.from_local_datetime(&n).earliest())
                        .map(|t| t.with_timezone(&Utc));
                    if let Some(t) = candidate.filter(|t| *t > after) {
                        return t;
                    }
                    (year, month) = if month == 12 {
                        (year + 1, 1)
                    } else {
                        (year, month + 1)
                    };
                }
                after + Duration::days(31)
            }
        }
    }
}

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
    /// and the session), and the table for a schedule (its runs are
    /// recorded there).
    pub fn ports(&self) -> Ports {
        let p = self.permissions;
        let authenticated = !matches!(self.access, Access::Public | Access::Webhook);
        let schedule = matches!(self.trigger, Trigger::Schedule(..));
        Ports {
            store: p.table_read || p.table_write || authenticated || schedule,
            queue: !p.sends_to.is_empty() || p.dead_letters,
            email: p.sends_email,
            bus: p.publishes_events,
            objects: p.uploads,
            payments: p.payments,
            crm: p.crm,
            push: p.pushes,
        }
    }

    /// Every secret the deployed function holds: what its handler declares,
    /// and the token key for a route behind the auth layer and for the
    /// WebSocket API's `$connect`. Nothing else reaches its environment.
    pub fn secrets(&self) -> Vec<Secret> {
        let mut secrets = self.permissions.secrets.to_vec();
        let checks_tokens = match self.trigger {
            Trigger::Http(_) => self.access.uses_session(),
            // A socket is authenticated when it opens.
            Trigger::Socket(route, _) => route == SocketRoute::Connect,
            _ => false,
        };
        if checks_tokens {
            secrets.push(Secret::Jwt);
        }
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

/// An HTTP function: `http!(name, access, permissions, handler)`.
#[macro_export]
macro_rules! http {
    ($name:expr, $access:expr, $perms:expr, $handler:path) => {
        $crate::functions::Function::http($name, $access, $perms, || $crate::routes!($handler))
    };
}

/// A webhook function: `webhook!(name, permissions, handler)`.
#[macro_export]
macro_rules! webhook {
    ($name:expr, $perms:expr, $handler:path) => {
        $crate::functions::Function::webhook($name, $perms, || $crate::routes!($handler))
    };
}

/// A queue worker: `worker!(name, queue, permissions, async fn(&AppState, &QueueMessage))`.
#[macro_export]
macro_rules! worker {
    ($name:expr, $queue:expr, $perms:expr, $handler:path) => {{
        fn run<'a>(
            ctx: &'a $crate::AppState,
            message: &'a $crate::QueueMessage,
        ) -> $crate::BoxFuture<'a, Result<(), $crate::functions::WorkerError>> {
            Box::pin($handler(ctx, message))
        }
        $crate::functions::Function::worker($name, $queue, $perms, run)
    }};
}

/// A schedule: `schedule!(name, schedule, permissions, async fn(&AppState, DateTime<Utc>))`.
#[macro_export]
macro_rules! schedule {
    ($name:expr, $schedule:expr, $perms:expr, $handler:path) => {{
        fn run<'a>(
            ctx: &'a $crate::AppState,
            at: $crate::DateTime<$crate::Utc>,
        ) -> $crate::BoxFuture<'a, Result<$crate::functions::JobReport, $crate::functions::JobError>> {
            Box::pin($handler(ctx, at))
        }
        $crate::functions::Function::schedule($name, $schedule, $perms, run)
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn nine_in_los_angeles_in_winter_and_summer() {
        let s = Schedule {
            cadence: Cadence::Daily { hour: 9, minute: 0 },
            timezone: "America/Los_Angeles",
        };
        assert_eq!(s.expression(), "cron(0 9 * * ? *)");
        // PST is UTC-8, PDT is UTC-7.
        assert_eq!(
            s.next_after(at("2024-01-15T12:00:00Z")),
            at("2024-01-15T17:00:00Z")
        );
        assert_eq!(
            s.next_after(at("2024-01-15T17:00:00Z")),
            at("2024-01-16T17:00:00Z")
        );
        assert_eq!(
            s.next_after(at("2024-07-15T12:00:00Z")),
            at("2024-07-15T16:00:00Z")
        );
        // Across the spring change (2024-03-10).
        assert_eq!(
            s.next_after(at("2024-03-09T18:00:00Z")),
            at("2024-03-10T16:00:00Z")
        );
    }

    #[test]
    fn monthly_and_rates() {
        let m = Schedule {
            cadence: Cadence::Monthly {
                day: 1,
                hour: 0,
                minute: 0,
            },
            timezone: "UTC",
        };
        assert_eq!(m.expression(), "cron(0 0 1 * ? *)");
        assert_eq!(
            m.next_after(at("2024-12-15T00:00:00Z")),
            at("2025-01-01T00:00:00Z")
        );
        assert_eq!(
            m.next_after(at("2025-01-01T00:00:00Z")),
            at("2025-02-01T00:00:00Z")
        );
        let r = Schedule {
            cadence: Cadence::EveryMinutes(15),
            timezone: "UTC",
        };
        assert_eq!(r.expression(), "rate(15 minutes)");
        let every_minute = Schedule {
            cadence: Cadence::EveryMinutes(1),
            timezone: "UTC",
        };
        assert_eq!(every_minute.expression(), "rate(1 minute)");
        assert_eq!(
            r.next_after(at("2024-01-01T00:07:00Z")),
            at("2024-01-01T00:15:00Z")
        );
    }
}
