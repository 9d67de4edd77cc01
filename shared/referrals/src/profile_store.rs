//! A referral partner's payout profile in the single table.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! The bank account and tax id are stored sealed with the platform's field
//! cipher (`pc_platform::cipher`, AES-256-GCM bound to the partner and the
//! field), never in plain text; the API shows them masked. Each change is
//! conditional on the `version` read, so concurrent edits never lose one
//! another.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use pc_platform::cipher::{CipherError, FieldCipher, Sealed};
use pc_platform::store::{Condition, Item, Store, StoreError, Write, to_item};
use pc_platform::time::serde_millis;

pub use crate::keys::profile_key;

/// How a referrer wants to be paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    BankTransfer,
    Paypal,
    Check,
}

impl PaymentMethod {
    pub const NAMES: [&'static str; 3] = ["bank_transfer", "paypal", "check"];

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "bank_transfer" => Some(PaymentMethod::BankTransfer),
            "paypal" => Some(PaymentMethod::Paypal),
            "check" => Some(PaymentMethod::Check),
            _ => None,
        }
    }
}

/// The profile as stored (all optional until first set).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileRecord {
    pub partner_id: String,
    pub payment_email: Option<String>,
    pub payment_method: Option<PaymentMethod>,
    pub bank_account: Option<Sealed>,
    pub tax_id: Option<Sealed>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    pub country: Option<String>,
    pub notifications_enabled: bool,
    pub email_notifications: bool,
    pub monthly_reports: bool,
    pub version: i64,
    #[serde(default, with = "serde_millis::option")]
    pub updated_at: Option<DateTime<Utc>>,
}

impl ProfileRecord {
    /// The profile of a partner that never saved one: notifications on.
    pub fn empty(partner_id: &str) -> Self {
        Self {
            partner_id: partner_id.to_owned(),
            payment_email: None,
            payment_method: None,
            bank_account: None,
            tax_id: None,
            contact_name: None,
            contact_email: None,
            contact_phone: None,
            website: None,
            address: None,
            city: None,
            state: None,
            zip: None,
            country: None,
            notifications_enabled: true,
            email_notifications: true,
            monthly_reports: true,
            version: 0,
            updated_at: None,
        }
    }
}

/// The sealed fields, each bound to its partner and name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealedField {
    BankAccount,
    TaxId,
}

impl SealedField {
    fn context(self, partner_id: &str) -> String {
        let name = match self {
            SealedField::BankAccount => "bankAccount",
            SealedField::TaxId => "taxId",
        };
        format!("referral-profile:{partner_id}:{name}")
    }

    pub fn seal(self, cipher: &FieldCipher, partner_id: &str, plain: &str) -> Sealed {
        cipher.seal(plain, &self.context(partner_id))
    }

    pub fn open(
        self,
        cipher: &FieldCipher,
        partner_id: &str,
        sealed: &Sealed,
    ) -> Result<String, CipherError> {
        cipher.open(sealed, &self.context(partner_id))
    }
}

fn profile_item(profile: &ProfileRecord) -> Result<Item, StoreError> {
    let mut item = to_item(profile)?;
    let key = profile_key(&profile.partner_id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "referral_profile".into());
    Ok(item)
}

/// The partner's profile, or the empty one.
pub async fn get_profile(store: &dyn Store, partner_id: &str) -> Result<ProfileRecord, StoreError> {
    Ok(store
        .get_as(&profile_key(partner_id))
        .await?
        .unwrap_or_else(|| ProfileRecord::empty(partner_id)))
}

/// Stores `after` (version `before.version + 1`) if the stored profile is
/// still `before`; `Ok(false)` when it changed meanwhile.
pub async fn save_profile(
    store: &dyn Store,
    before: &ProfileRecord,
    after: &ProfileRecord,
) -> Result<bool, StoreError> {
    let condition = if before.version == 0 {
        Condition::NotExists
    } else {
        Condition::equals("version", before.version)
    };
    match store
        .transact(vec![Write::Put {
            item: profile_item(after)?,
            condition: Some(condition),
        }])
        .await
    {
        Ok(()) => Ok(true),
        Err(e) if e.lost_race() => Ok(false),
        Err(e) => Err(e),
    }
}
