//! Every key the app (job runs) writes, and the items under them. Store modules
//! build these keys only through the functions here.
//!
//! ## Job runs ([`crate::jobs`])
//!
//! | item | pk | sk | gsi1 |
//! |---|---|---|---|
//! | job run | `JOBRUN#<id>` | `JOBRUN` | `JOBRUNS` / `<requestedAt>#<id>` |

use pc_platform::store::Key;

/// A run of a scheduled job.
pub fn run_key(id: &str) -> Key {
    Key::new(format!("JOBRUN#{id}"), "JOBRUN")
}

/// The gsi1 partition of every job run, by request time.
pub const RUNS_PARTITION: &str = "JOBRUNS";
