//! The queue settings: each queue's URL from its `*_QUEUE_URL` variable and
//! the base delay between tries of a failed message. Separate because only
//! the queue adapters read them.

use std::collections::HashMap;

use super::{ConfigError, Settings};

/// Queue URLs by queue name; a queue without a URL is left out.
pub(super) fn queue_urls<F: Fn(&str) -> Option<String>>(
    s: &Settings<F>,
) -> HashMap<String, String> {
    crate::queue::QueueName::ALL
        .iter()
        .filter_map(|q| {
            (s.lookup)(&q.url_env())
                .filter(|v| !v.is_empty())
                .map(|url| (q.as_str().to_owned(), url))
        })
        .collect()
}

/// `QUEUE_RETRY_DELAY_MS`, 1000 when unset.
pub(super) fn retry_delay_ms<F: Fn(&str) -> Option<String>>(
    s: &Settings<F>,
) -> Result<u64, ConfigError> {
    Ok(match s.get("QUEUE_RETRY_DELAY_MS") {
        Some(text) => text.parse::<u64>().map_err(|_| ConfigError::Invalid {
            name: "QUEUE_RETRY_DELAY_MS",
            reason: format!("{text} is not a number of milliseconds"),
        })?,
        None => 1000,
    })
}
