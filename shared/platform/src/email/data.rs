//! The data of each email kind, as its templates read it
//! (`shared/notify/templates/<kind>.*.hbs`): one type per kind, which
//! names its kind, so a sender fills exactly the keys its template reads.
//! On the queue the data travels as the JSON object these serialize to.

use serde::Serialize;

use super::EmailKind;

/// The data of one kind of email.
pub trait EmailData: Serialize {
    /// The template this data fills.
    const KIND: EmailKind;
}

macro_rules! email_data {
    ($($data:ident => $kind:ident),* $(,)?) => {
        $(impl EmailData for $data {
            const KIND: EmailKind = EmailKind::$kind;
        })*
    };
}

email_data! {
    Invitation => Invitation,
    RegistrationVerification => RegistrationVerification,
    PasswordReset => PasswordReset,
    LeadReminder => LeadReminder,
    LostLeadAlert => LostLeadAlert,
    NewLeadNotice => NewLeadNotice,
    PaymentFailed => PaymentFailed,
    ReservationExpiring => ReservationExpiring,
    ReservationExpired => ReservationExpired,
    LeadSold => LeadSold,
    PurchaseConfirmed => PurchaseConfirmed,
    PurchaseRefunded => PurchaseRefunded,
    MarketplaceMatch => MarketplaceMatch,
    HubspotDisconnected => HubspotDisconnected,
    WebhookFailed => WebhookFailed,
}

/// An invitation to join (a partner, or the staff when `partner_name` is
/// `None`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    pub name: String,
    pub inviter_name: String,
    pub partner_name: Option<String>,
    pub link: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationVerification {
    pub name: String,
    pub company_name: String,
    pub link: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordReset {
    pub name: String,
    pub link: String,
}

/// The daily reminder of a partner's overdue leads.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadReminder {
    pub name: String,
    pub partner_name: String,
    /// The listed leads, each `{email, company, daysSinceUpdate}`.
    pub leads: Vec<serde_json::Value>,
    pub overdue_count: usize,
    pub magic_link: String,
}

/// A lead moved to a lost status, for the staff.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LostLeadAlert {
    pub lead: LostLead,
    pub partner_name: String,
    pub previous_status: Option<String>,
    pub new_status: String,
    pub changed_by: String,
    pub link: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LostLead {
    pub id: String,
    pub email: String,
    pub company: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// A new lead for the partner's users.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewLeadNotice {
    pub name: String,
    pub partner_name: String,
    pub lead: NewLead,
    pub meeting_start: Option<String>,
    pub link: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewLead {
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
}

/// An invoice's payment failed (to the partner's billing email and to the
/// staff's alert address).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentFailed {
    pub partner_name: String,
    pub invoice_id: String,
    /// Formatted money (`$12.50`).
    pub amount: String,
    pub period: String,
    pub link: String,
}

/// The company of the lead an email is about: all the marketplace emails
/// show of it before a purchase.
#[derive(Clone, Debug, Serialize)]
pub struct LeadCompany {
    pub company: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservationExpiring {
    pub name: String,
    pub lead: LeadCompany,
    pub expires_at: String,
    pub link: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservationExpired {
    pub name: String,
    pub lead: LeadCompany,
    pub link: String,
}

/// To the seller's admins.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadSold {
    pub name: String,
    pub partner_name: String,
    pub lead: LeadCompany,
    /// Formatted money.
    pub price: String,
    pub link: String,
}

/// To the buyer, who now sees the lead's email.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PurchaseConfirmed {
    pub name: String,
    pub lead: BoughtLead,
    /// Formatted money.
    pub price: String,
    pub link: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct BoughtLead {
    pub company: String,
    pub email: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PurchaseRefunded {
    pub name: String,
    pub lead: LeadCompany,
    /// Formatted money.
    pub price: String,
    pub reason: String,
    pub link: String,
}

/// A newly listed lead matching a buyer's ICP.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MarketplaceMatch {
    pub name: String,
    pub partner_name: String,
    pub lead: MatchedLead,
    pub icp_match: i64,
    /// Formatted money.
    pub price: String,
    pub link: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct MatchedLead {
    pub company: String,
    pub industry: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HubspotDisconnected {
    pub name: String,
    pub partner_name: String,
    pub link: String,
}

/// A webhook delivery given up after its retries.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookFailed {
    pub name: String,
    pub partner_name: String,
    pub event_type: String,
    pub event_id: String,
    pub url: String,
    pub attempts: u32,
    pub link: String,
}
