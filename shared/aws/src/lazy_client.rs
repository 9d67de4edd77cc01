//! An SDK client built at its first use rather than when its adapter is.
//!
//! A function's context builds every port its permissions grant, but its
//! cold start usually reaches one or two of them: `auth-me` reads
//! DynamoDB and never sends to SQS. Building an SDK client is pure CPU
//! (its configuration, runtime plugins and a validation pass, tenths of a
//! millisecond), so each adapter holds a [`LazyClient`] and the client is
//! built when the adapter first calls it.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, LazyLock};

use aws_config::SdkConfig;

type Build<C> = Box<dyn FnOnce() -> C + Send>;

/// An SDK client built once, at its first use; clones share it. Derefs to
/// the client, as `std::sync::LazyLock` does.
pub struct LazyClient<C> {
    client: Arc<LazyLock<C, Build<C>>>,
}

impl<C> LazyClient<C> {
    /// A client that `build` makes from `sdk` at its first use
    /// (`aws_sdk_sqs::Client::new`, or a closure that adjusts the
    /// service's configuration first).
    pub fn from_sdk(sdk: &SdkConfig, build: impl FnOnce(&SdkConfig) -> C + Send + 'static) -> Self {
        let sdk = sdk.clone();
        Self {
            client: Arc::new(LazyLock::new(Box::new(move || build(&sdk)))),
        }
    }
}

/// A client already built (tests, tools that share one client).
impl<C: Send + 'static> From<C> for LazyClient<C> {
    fn from(client: C) -> Self {
        Self {
            client: Arc::new(LazyLock::new(Box::new(move || client))),
        }
    }
}

impl<C> Deref for LazyClient<C> {
    type Target = C;

    fn deref(&self) -> &C {
        &self.client
    }
}

impl<C> Clone for LazyClient<C> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
        }
    }
}

impl<C: fmt::Debug> fmt::Debug for LazyClient<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.client, f)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    static BUILT: AtomicUsize = AtomicUsize::new(0);

    fn sdk() -> SdkConfig {
        SdkConfig::builder().build()
    }

    #[test]
    fn built_once_at_first_use_and_shared_by_clones() {
        let client = LazyClient::from_sdk(&sdk(), |_| BUILT.fetch_add(1, Ordering::SeqCst));
        let clone = client.clone();
        assert_eq!(
            BUILT.load(Ordering::SeqCst),
            0,
            "built before its first use"
        );
        assert_eq!(*clone, 0);
        assert_eq!(*client, 0);
        assert_eq!(BUILT.load(Ordering::SeqCst), 1);
    }
}
