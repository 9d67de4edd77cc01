//! Who may call a function and what it may touch: its [`Access`], the
//! [`Permissions`] its least-privilege role is built from, and the
//! [`Ports`] its binary builds at start.

use serde::Serialize;

use pc_platform::config::Secret;
use pc_platform::queue::QueueName;

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
    /// The secrets the handler itself reads.
    pub secrets: &'static [Secret],
    /// Verifies session tokens itself, outside the auth layer (a public
    /// route reading the session it ends): given the public keys, see
    /// [`Function::checks_sessions`](super::Function::checks_sessions).
    pub reads_sessions: bool,
    /// Reads, writes and removes objects of the uploads bucket.
    pub uploads: bool,
    /// Calls Stripe (with the secret key, added to [`Function::secrets`](super::Function::secrets)).
    pub payments: bool,
    /// Calls HubSpot (with the app's client id and secret and the token
    /// encryption key, added to [`Function::secrets`](super::Function::secrets)).
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
        reads_sessions: false,
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

    pub const fn reads_sessions(mut self) -> Self {
        self.reads_sessions = true;
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
