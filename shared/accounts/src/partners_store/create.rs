//! Creating a partner with its guards in one transaction, trying slug
//! candidates until one is free.

use pc_platform::store::{Guard, Store, StoreError, Transaction, Write};

use super::guards::{MEETING_TYPE_GUARD, SLUG_GUARD, guard};
use super::{
    PartnerRecord, RegistrationExpiry, claim_meeting_type, claim_slug, partner_item, slug_guard_key,
};

/// Why a partner could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreatePartnerError {
    #[error("the slug is taken")]
    SlugTaken,
    #[error("a meeting type belongs to another partner")]
    MeetingTypeTaken,
    /// A write of the caller's failed its condition: the guard it was named
    /// with, or [`CALLER_WRITE`] (e.g. a user's email guard).
    #[error("the caller's write {0:?} failed its condition")]
    ExtraFailed(Guard),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The name of the caller's unnamed writes when one fails.
pub const CALLER_WRITE: Guard = Guard::new("caller_write");

/// Creates `partner` with its guards and the caller's `extra` writes in one
/// transaction. With `fixed_slug` the partner's slug must be free; otherwise
/// it is the base of candidates `slug`, `slug-2`, `slug-3`... and the first
/// free one is taken (each try is one conditional transaction).
pub async fn create_partner(
    store: &dyn Store,
    partner: &mut PartnerRecord,
    fixed_slug: bool,
    extra: impl Into<Transaction>,
) -> Result<(), CreatePartnerError> {
    create_partner_with(store, partner, fixed_slug, extra.into(), None).await
}

/// [`create_partner`] for a self-registration: the partner item and the
/// slug guard expire with `expiry` unless verified, and a slug held by an
/// expired registration is taken over.
pub async fn create_registered_partner(
    store: &dyn Store,
    partner: &mut PartnerRecord,
    extra: impl Into<Transaction>,
    expiry: RegistrationExpiry,
) -> Result<(), CreatePartnerError> {
    create_partner_with(store, partner, false, extra.into(), Some(expiry)).await
}

async fn create_partner_with(
    store: &dyn Store,
    partner: &mut PartnerRecord,
    fixed_slug: bool,
    extra: Transaction,
    expiry: Option<RegistrationExpiry>,
) -> Result<(), CreatePartnerError> {
    let base = crate::slug::Slug::from_name(&partner.slug);
    let base = crate::slug::Slug::parse(&partner.slug).unwrap_or(base);
    // Numbered candidates first, then random ones: the loop ends with a
    // free slug however many partners share a name.
    let tries = if fixed_slug {
        1
    } else {
        crate::slug::NUMBERED_CANDIDATES + 20
    };
    for n in 1..=tries {
        partner.slug = base.candidate(n).as_str().to_owned();
        let (slug_claim, partner_put) = match expiry {
            None => (
                claim_slug(&partner.slug, &partner.id),
                Write::put_new(partner_item(partner)?),
            ),
            Some(expiry) => {
                let mut guard_item =
                    guard(slug_guard_key(&partner.slug), "slug_guard", &partner.id);
                expiry.mark(&mut guard_item);
                let mut item = partner_item(partner)?;
                item.insert("ttl".into(), expiry.expires_at.into());
                (
                    Write::Put {
                        item: guard_item,
                        condition: Some(expiry.claim_condition()),
                    },
                    Write::put_new(item),
                )
            }
        };
        let mut writes = Transaction::new();
        writes.guarded(SLUG_GUARD, slug_claim);
        writes.push(partner_put);
        for t in &partner.chili_meeting_types {
            writes.guarded(MEETING_TYPE_GUARD, claim_meeting_type(t, &partner.id));
        }
        writes.append(extra.clone(), Some(CALLER_WRITE));
        // DynamoDB cancels transactions that race on the same items;
        // trying the same candidate again decides who won.
        match writes.commit_retrying(store).await {
            Ok(()) => return Ok(()),
            Err(e) if e.is_condition_failure() => {
                let ours = [SLUG_GUARD, MEETING_TYPE_GUARD];
                if let Some(theirs) = e.failed_guards().iter().find(|g| !ours.contains(g)) {
                    return Err(CreatePartnerError::ExtraFailed(*theirs));
                }
                if e.failed(MEETING_TYPE_GUARD) {
                    return Err(CreatePartnerError::MeetingTypeTaken);
                }
                if !e.failed(SLUG_GUARD) || fixed_slug {
                    return Err(CreatePartnerError::SlugTaken);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(CreatePartnerError::SlugTaken)
}
