//! Every key the notify capability writes, and the items under them. Store modules
//! build these keys only through the functions here.
//!
//! ## Email sends ([`crate::email_sends_store`])
//!
//! | item | pk | sk | gsi… |
//! |---|---|---|---|
//! | email send | `EMAILSENT#<jobId>` | `EMAILSENT` | |

use pc_platform::store::Key;

/// The claim and record of one email job's send.
pub fn email_send_key(job_id: &str) -> Key {
    Key::new(format!("EMAILSENT#{job_id}"), "EMAILSENT")
}
