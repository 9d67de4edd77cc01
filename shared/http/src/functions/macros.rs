//! The macros that make a [`Function`](super::Function) of a handler:
//! `http!`, `webhook!`, `worker!` and `schedule!` (exported at the crate
//! root).

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
