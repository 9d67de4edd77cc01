//! `partners` and `users`: into the accounts' own records, with the
//! guards their normal creation claims (slug, meeting types, email) and
//! the active-owner counter.

use std::collections::BTreeMap;

use bson::{Bson, Document};
use chrono::{DateTime, Utc};

use pc_accounts::partners_store::{
    PartnerRecord, PartnerStatus, claim_meeting_type, claim_slug, partner_item,
};
use pc_accounts::slug::Slug;
use pc_accounts::users_store::create_user_writes;
use pc_http::identity::{Role, UserRecord, partner_key, user_key};
use pc_leads::lead::LeadEmail;
use pc_platform::store::Write;

use crate::fields::{boolean, created_at, reference_field, strings, text, time};
use crate::sink::Unit;

/// A partner read from the dump, written after the meetings were read
/// (its last appointment is theirs).
pub fn partner(doc: &Document, now: DateTime<Utc>) -> Result<PartnerRecord, String> {
    let id = crate::fields::id_of(doc).ok_or("no usable `_id`")?;
    let name = text(doc, "name").ok_or("no `name`")?;
    let slug = match text(doc, "slug") {
        Some(s) => Slug::parse(&s.to_lowercase())
            .map_err(|e| format!("`slug` {s:?} {e}"))?
            .as_str()
            .to_owned(),
        None => Slug::from_name(&name).as_str().to_owned(),
    };
    let created = created_at(doc)?.unwrap_or(now);
    let updated = time(doc, "updatedAt")?.unwrap_or(created);
    let mut record = PartnerRecord::new_active(&id, &name, &slug, created);
    record.updated_at = updated;
    record.website = text(doc, "website");
    if boolean(doc, "isActive") == Some(false) {
        record.status = PartnerStatus::Inactive;
    }
    record.icp = icp(doc);
    let mut types = Vec::new();
    for name in strings(doc, "chiliMeetingTypes") {
        if !types.contains(&name) {
            types.push(name);
        }
    }
    record.chili_meeting_types = types;
    Ok(record)
}

/// The ICP map; values that are not text are written as their JSON.
fn icp(doc: &Document) -> BTreeMap<String, String> {
    let Some(Bson::Document(map)) = doc.get("icp") else {
        return BTreeMap::new();
    };
    map.iter()
        .filter_map(|(k, v)| {
            let value = match v {
                Bson::String(s) => s.clone(),
                Bson::Null => return None,
                other => other.clone().into_relaxed_extjson().to_string(),
            };
            Some((k.clone(), value))
        })
        .collect()
}

/// The partner with its slug and meeting-type guards.
pub fn partner_unit(record: &PartnerRecord) -> Result<Unit, String> {
    let mut writes = vec![
        Write::put_new(partner_item(record).map_err(|e| e.to_string())?),
        claim_slug(&record.slug, &record.id),
    ];
    writes.extend(
        record
            .chili_meeting_types
            .iter()
            .map(|t| claim_meeting_type(t, &record.id)),
    );
    if writes.len() > pc_platform::store::MAX_TRANSACTION_WRITES {
        return Err("more meeting types than one transaction holds".into());
    }
    Ok(Unit {
        collection: "partners",
        id: record.id.clone(),
        primary: partner_key(&record.id),
        writes,
        counts: true,
    })
}

/// The original roles: `owner` (also `superadmin`), `admin`, `user`
/// (also `partner`, the partner side's users).
fn role(doc: &Document) -> Result<Role, String> {
    let Some(text) = text(doc, "role") else {
        return Ok(Role::User);
    };
    match text.to_lowercase().replace(['-', ' '], "_").as_str() {
        "owner" | "superadmin" | "super_admin" => Ok(Role::Owner),
        "admin" => Ok(Role::Admin),
        "user" | "partner" | "partner_user" => Ok(Role::User),
        _ => Err(format!("unknown `role` {text:?}")),
    }
}

/// A user, the bcrypt hash kept (replaced by Argon2id at its next sign-in).
pub fn user(
    doc: &Document,
    partner_exists: impl Fn(&str) -> bool,
    now: DateTime<Utc>,
) -> Result<(UserRecord, Option<&'static str>), String> {
    let id = crate::fields::id_of(doc).ok_or("no usable `_id`")?;
    let email = text(doc, "email").ok_or("no `email`")?;
    let email = LeadEmail::parse(&email)
        .map_err(|e| format!("`email` {email:?} {e}"))?
        .into_string();
    let partner_id = reference_field(doc, "partner")?;
    if let Some(pid) = &partner_id
        && !partner_exists(pid)
    {
        return Err(format!(
            "its partner {pid} is not among the migrated partners"
        ));
    }
    let name = text(doc, "name")
        .or_else(|| {
            let full = [text(doc, "firstName"), text(doc, "lastName")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            (!full.is_empty()).then_some(full)
        })
        .unwrap_or_else(|| email.clone());
    let (password_hash, note) = match text(doc, "password") {
        Some(hash) if hash.starts_with("$2") => (Some(hash), None),
        Some(_) => (
            None,
            Some(
                "users whose `password` is not a bcrypt hash were migrated without a password: they sign in after a password reset",
            ),
        ),
        None => (
            None,
            Some(
                "users without a `password` were migrated without one: they sign in after a password reset",
            ),
        ),
    };
    let created = created_at(doc)?.unwrap_or(now);
    let record = UserRecord {
        id,
        email,
        name,
        role: role(doc)?,
        partner_id,
        is_active: boolean(doc, "isActive").unwrap_or(true),
        is_partner_owner: false,
        password_hash,
        tokens_valid_after: None,
        deleted_at: None,
        created_at: created,
        updated_at: time(doc, "updatedAt")?.unwrap_or(created),
    };
    Ok((record, note))
}

pub fn user_unit(record: &UserRecord) -> Result<Unit, String> {
    Ok(Unit {
        collection: "users",
        id: record.id.clone(),
        primary: user_key(&record.id),
        writes: create_user_writes(record).map_err(|e| e.to_string())?,
        counts: true,
    })
}
