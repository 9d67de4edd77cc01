//! The queue trigger: an SQS batch run through its worker, every message
//! at once, answering the ids that failed so SQS retries only them, and
//! poison messages sent to the dead-letter queue at once.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures::future::join_all;
use lambda_runtime::{LambdaEvent, service_fn};

use pc_http::AppState;
use pc_http::functions::{WorkerError, WorkerFn};
use pc_platform::queue::{QueueMessage, QueueName};

use super::Error;

/// SQS's attribute counting the deliveries of a message.
const RECEIVE_COUNT_ATTRIBUTE: &str = "ApproximateReceiveCount";

pub(super) async fn run_worker(
    ctx: AppState,
    name: &'static str,
    queue: QueueName,
    worker: WorkerFn,
) -> Result<(), Error> {
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let ctx = ctx.clone();
        async move { Ok::<_, Error>(handle_sqs(&ctx, name, queue, worker, event.payload).await) }
    }))
    .await
}

/// The worker's view of one SQS record; `None` without a message id.
pub fn queue_message(record: &SqsMessage) -> Option<QueueMessage> {
    Some(QueueMessage {
        id: record.message_id.clone()?,
        body: record.body.clone().unwrap_or_default(),
        receive_count: record
            .attributes
            .get(RECEIVE_COUNT_ATTRIBUTE)
            .and_then(|c| c.parse().ok())
            .unwrap_or(1),
    })
}

/// Runs `worker` on every message of the batch at once and answers the ids
/// of those that failed, so SQS retries only them (the event source mapping
/// has `ReportBatchItemFailures`). One message's failure never fails the
/// others. A poison message (see [`WorkerError`]) is sent to the dead-letter
/// queue of `queue` and acknowledged; if that send fails it is reported as
/// failed instead, so it is retried rather than lost.
pub async fn handle_sqs(
    ctx: &AppState,
    name: &str,
    queue: QueueName,
    worker: WorkerFn,
    event: SqsEvent,
) -> SqsBatchResponse {
    let outcomes = join_all(event.records.iter().map(|record| async move {
        let Some(message) = queue_message(record) else {
            tracing::error!(function = name, "SQS record without a message id");
            // An empty identifier makes Lambda retry the whole batch, the
            // only safe answer for a message that cannot be named.
            return Some(String::new());
        };
        match worker(ctx, &message).await {
            Ok(()) => None,
            Err(e) if e.is_poison() => dead_letter_poison(ctx, name, queue, &message, &e).await,
            Err(e) => {
                tracing::warn!(function = name, message_id = %message.id,
                    attempt = message.receive_count, error = %e, "worker failed");
                Some(message.id)
            }
        }
    }))
    .await;
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = outcomes
        .into_iter()
        .flatten()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}

/// Sends a poison message to its dead-letter queue; answers its id when
/// that fails, so SQS retries it. The body is never logged: it may hold
/// personal data.
async fn dead_letter_poison(
    ctx: &AppState,
    name: &str,
    queue: QueueName,
    message: &QueueMessage,
    error: &WorkerError,
) -> Option<String> {
    let reason = error.to_string();
    match ctx.queue.dead_letter(queue, &message.body, &reason).await {
        Ok(()) => {
            tracing::warn!(function = name, %queue, message_id = %message.id,
                reason, "poison message dead-lettered without retries");
            None
        }
        Err(e) => {
            tracing::error!(function = name, %queue, message_id = %message.id, reason,
                error = %e, "could not dead-letter a poison message; it will be retried");
            Some(message.id.clone())
        }
    }
}
