//! How DynamoDB failures become the store port's [`StoreError`]s: one mapping
//! for single calls and one for cancelled transactions, whose reasons come
//! per write. Kept apart from the calls so the error contract the contract
//! suite checks against the embedded adapter reads in one place.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use pc_platform::store::StoreError;

use crate::sdk_error::{Failure, THROTTLING_CODES, failure};

/// Maps a failed call that is not a transaction to a store error.
pub(super) fn store_error(failure: &Failure) -> StoreError {
    if failure.code_is(&["ConditionalCheckFailedException"]) {
        StoreError::ConditionFailed
    } else if failure.code_is(THROTTLING_CODES) {
        StoreError::Throttled
    } else if failure.code_is(&[
        "TransactionConflictException",
        "TransactionInProgressException",
    ]) {
        StoreError::TransactionConflict
    } else if failure.code_is(&["ValidationException"]) {
        StoreError::Invalid(failure.message.clone())
    } else {
        StoreError::Backend(failure.to_string())
    }
}

pub(super) fn sdk_store_error<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let failure = failure(&err);
    let error = store_error(&failure);
    if matches!(error, StoreError::Backend(_)) {
        tracing::warn!(error = %failure, "DynamoDB call failed");
    }
    error
}

/// Maps the cancellation reasons of a cancelled transaction (one per write,
/// in order) to a store error: failed conditions first, then conflicts.
pub fn cancellation_error<'a>(
    codes: impl IntoIterator<Item = &'a str>,
    message: &str,
) -> StoreError {
    let codes: Vec<&str> = codes.into_iter().collect();
    let failed: Vec<usize> = codes
        .iter()
        .enumerate()
        .filter(|(_, code)| **code == "ConditionalCheckFailed")
        .map(|(position, _)| position)
        .collect();
    if !failed.is_empty() {
        return StoreError::TransactionCancelled { failed };
    }
    let any = |wanted: &[&str]| codes.iter().any(|c| wanted.contains(c));
    if any(&["TransactionConflict"]) {
        StoreError::TransactionConflict
    } else if any(&[
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
        "RequestLimitExceeded",
    ]) {
        StoreError::Throttled
    } else if any(&["ValidationError"]) {
        StoreError::Invalid(message.to_owned())
    } else {
        StoreError::Backend(format!("transaction cancelled: {message}"))
    }
}

/// The reason codes DynamoDB lists in a cancellation message
/// (`... reasons [None, ConditionalCheckFailed]`), for when the response
/// carries no structured reasons.
fn codes_in_message(message: &str) -> Vec<&str> {
    let Some(start) = message.rfind('[') else {
        return Vec::new();
    };
    let end = message[start..]
        .find(']')
        .map_or(message.len(), |e| start + e);
    message[start + 1..end].split(',').map(str::trim).collect()
}

pub(super) fn transaction_error<R: std::fmt::Debug>(
    err: SdkError<TransactWriteItemsError, R>,
) -> StoreError {
    if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
        err.as_service_error()
    {
        let message = cancelled.message().unwrap_or_default();
        let reasons = cancelled.cancellation_reasons();
        return if reasons.is_empty() {
            cancellation_error(codes_in_message(message), message)
        } else {
            cancellation_error(reasons.iter().map(|r| r.code().unwrap_or("None")), message)
        };
    }
    sdk_store_error(err)
}

pub(super) fn build_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("request not buildable: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancellation_reasons_map_to_store_errors() {
        let err = cancellation_error(["None", "ConditionalCheckFailed", "None"], "m");
        assert_eq!(err, StoreError::TransactionCancelled { failed: vec![1] });
        let err = cancellation_error(["TransactionConflict", "None"], "m");
        assert_eq!(err, StoreError::TransactionConflict);
        let err = cancellation_error(["ConditionalCheckFailed", "TransactionConflict"], "m");
        assert_eq!(err, StoreError::TransactionCancelled { failed: vec![0] });
        let err = cancellation_error(["ThrottlingError"], "m");
        assert_eq!(err, StoreError::Throttled);
        assert!(matches!(
            cancellation_error(["ValidationError"], "m"),
            StoreError::Invalid(_)
        ));
        assert!(matches!(
            cancellation_error(["Other"], "m"),
            StoreError::Backend(_)
        ));
    }

    #[test]
    fn reason_codes_are_read_from_the_message_when_missing() {
        let message = "Transaction cancelled, please refer cancellation reasons for specific \
                       reasons [None, ConditionalCheckFailed, None]";
        assert_eq!(
            codes_in_message(message),
            ["None", "ConditionalCheckFailed", "None"]
        );
        assert!(codes_in_message("no list").is_empty());
        assert_eq!(codes_in_message("broken [A, B"), ["A", "B"]);
    }
}
