//! Trying a write again when it lost a race: one policy for every caller.
//!
//! A transaction DynamoDB cancels because another touched the same items
//! at once ([`StoreError::TransactionConflict`]), or a conditional write
//! whose item changed since it was read, is worth another try after a
//! short wait. The wait is "full jitter" exponential backoff (a random
//! wait up to 5 ms, 10 ms, 20 ms… capped at 100 ms), so competing writers
//! spread out instead of colliding again; [`CONFLICT_ATTEMPTS`] tries in
//! all (under half a second of waiting at worst).

use std::future::Future;
use std::time::Duration;

use rand::Rng;

use super::StoreError;

/// How many times [`retry_on_conflict`] runs an attempt, in all.
pub const CONFLICT_ATTEMPTS: u32 = 8;

const FIRST_WAIT_MS: u64 = 5;
const LONGEST_WAIT_MS: u64 = 100;

impl StoreError {
    /// True when another writer got there first: a transaction conflict.
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::TransactionConflict)
    }

    /// True when a write lost a race with another: a conflict, or a
    /// condition that no longer holds because the item changed since it
    /// was read.
    pub fn lost_race(&self) -> bool {
        self.is_conflict() || self.is_condition_failure()
    }
}

/// Runs `attempt` (given its number, from 0) until it answers `Ok(Some)`
/// or an error, waiting between attempts; `Ok(None)` from an attempt means
/// "lost a race, read again and retry" (the attempt decides which store
/// errors are such, usually with [`StoreError::is_conflict`] or
/// [`StoreError::lost_race`]). `Ok(None)` when every attempt lost.
pub async fn retry_on_conflict<T, E, F, Fut>(mut attempt: F) -> Result<Option<T>, E>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    for n in 0..CONFLICT_ATTEMPTS {
        if n > 0 {
            tokio::time::sleep(backoff(n)).await;
        }
        if let Some(done) = attempt(n).await? {
            return Ok(Some(done));
        }
    }
    Ok(None)
}

/// [`retry_on_conflict`] for callers whose answer, when every attempt
/// lost, is the conflict itself ([`StoreError::TransactionConflict`], which
/// the HTTP layer answers 503 and a queue worker leaves to redelivery).
pub async fn retry_until_won<T, E, F, Fut>(attempt: F) -> Result<T, E>
where
    E: From<StoreError>,
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    retry_on_conflict(attempt)
        .await?
        .ok_or_else(|| StoreError::TransactionConflict.into())
}

/// The wait before attempt `n` (from 1): random, up to an exponentially
/// growing ceiling.
fn backoff(n: u32) -> Duration {
    let ceiling = FIRST_WAIT_MS
        .saturating_mul(1 << (n - 1).min(16))
        .min(LONGEST_WAIT_MS);
    Duration::from_millis(rand::thread_rng().gen_range(0..=ceiling))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn retries_until_an_attempt_wins() {
        let mut seen = Vec::new();
        let won = retry_on_conflict(|n| {
            seen.push(n);
            async move { Ok::<_, StoreError>((n == 2).then_some("won")) }
        })
        .await;
        assert_eq!(won, Ok(Some("won")));
        assert_eq!(seen, [0, 1, 2]);
    }

    #[tokio::test]
    async fn gives_up_after_the_attempts_and_stops_at_an_error() {
        let mut tries = 0;
        let lost = retry_on_conflict(|_| {
            tries += 1;
            async { Ok::<Option<()>, StoreError>(None) }
        })
        .await;
        assert_eq!(lost, Ok(None));
        assert_eq!(tries, CONFLICT_ATTEMPTS);
        let failed = retry_on_conflict(|_| async { Err::<Option<()>, _>(StoreError::Throttled) });
        assert_eq!(failed.await, Err(StoreError::Throttled));
    }

    #[tokio::test]
    async fn every_attempt_lost_is_the_conflict() {
        let lost = retry_until_won(|_| async { Ok::<Option<()>, StoreError>(None) });
        assert_eq!(lost.await, Err(StoreError::TransactionConflict));
        let won = retry_until_won(|n| async move { Ok::<_, StoreError>((n == 1).then_some(n)) });
        assert_eq!(won.await, Ok(1));
    }

    #[test]
    fn waits_grow_but_stay_capped() {
        for n in 1..40 {
            assert!(backoff(n) <= Duration::from_millis(LONGEST_WAIT_MS));
        }
    }
}
