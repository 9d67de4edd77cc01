//! The HubSpot inventory benchmark: many closed-lost deals, each with its
//! contact, in the fake HubSpot; the platform seller turns its inventory
//! sync on (closed lost, auto-listed) and one `hubspot-inventory` backfill
//! takes them all, within the search API's own limit (4 searches a second
//! by default, on the real clock) and, optionally, a general limit of
//! requests per 10 seconds. Reports the wall time, the HubSpot requests
//! and the 429s, and checks that every deal became exactly one listed
//! lead; a second run must create nothing.
//!
//! `cargo run --release -p pc-bench --bin hubspot-inventory-run -- --deals 10000 [--limit 100]`

use std::sync::Arc;
use std::time::Instant;

use pc_accounts::partners_store::{PartnerKind, PartnerRecord, partner_item};
use pc_crm::connection::ConnectionRecord;
use pc_crm::inventory_backfill::backfill_partner;
use pc_crm::inventory_settings::{InventorySettings, get_settings, save_settings};
use pc_crm::token_cipher::TokenCipher;
use pc_platform::EmbeddedParts;
use pc_platform::config::Config;
use pc_platform::crm::{BATCH_LIMIT, CrmClient, DealContact, NewObject, ObjectType};
use pc_platform::store::Store;
use pc_platform::store::embedded::EmbeddedStore;

const REDIRECT: &str = "http://127.0.0.1:3000/v1/integrations/hubspot/callback";
const PARTNER: &str = "bench-platform";

struct Options {
    deals: usize,
    /// Requests per 10 s of every kind; none: only the search's own limit.
    limit: Option<i64>,
}

fn options() -> anyhow::Result<Options> {
    let mut o = Options {
        deals: 10_000,
        limit: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).map(String::as_str).unwrap_or_default();
        match pair[0].as_str() {
            "--deals" => o.deals = value.parse()?,
            "--limit" => o.limit = Some(value.parse()?),
            other => anyhow::bail!("unknown option {other}"),
        }
    }
    Ok(o)
}

fn object(pairs: &[(&str, String)]) -> NewObject {
    NewObject {
        properties: pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        trace_id: None,
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let o = options()?;
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory());
    let parts = EmbeddedParts::new(store, Config::local_defaults());
    let ctx = parts.context.clone();
    let now = ctx.clock.now();
    let mut seller = PartnerRecord::new_active(PARTNER, "Platform", PARTNER, now);
    seller.kind = PartnerKind::Platform;
    ctx.store.put(partner_item(&seller)?, None).await?;

    let hubspot = parts.hubspot.clone();
    let (portal, code) = hubspot.consent(REDIRECT, None).await?;
    let tokens = hubspot.exchange_code(&code, REDIRECT).await?;
    let token = &tokens.access_token;
    let cipher = TokenCipher::from_config(&ctx.config)?;
    let connection = ConnectionRecord::new(
        &cipher,
        PARTNER,
        portal.clone(),
        vec![],
        &tokens,
        "bench",
        now,
    );
    ctx.store.put(connection.item()?, None).await?;

    let seeding = Instant::now();
    for start in (0..o.deals).step_by(BATCH_LIMIT) {
        let end = (start + BATCH_LIMIT).min(o.deals);
        let contacts: Vec<NewObject> = (start..end)
            .map(|i| {
                object(&[
                    ("email", format!("lost{i}@deal.example")),
                    ("firstname", format!("First{i}")),
                    ("company", format!("Lost Co {i}")),
                    ("industry", "Software".into()),
                ])
            })
            .collect();
        let deals: Vec<NewObject> = (start..end)
            .map(|i| {
                object(&[
                    ("dealname", format!("Lost deal {i}")),
                    ("dealstage", "closedlost".into()),
                    ("amount", "5000".into()),
                ])
            })
            .collect();
        let contacts = hubspot
            .batch_create(token, ObjectType::Contacts, &contacts)
            .await?
            .results;
        let deals = hubspot
            .batch_create(token, ObjectType::Deals, &deals)
            .await?
            .results;
        anyhow::ensure!(contacts.len() == deals.len(), "seeding lost objects");
        let pairs: Vec<DealContact> = deals
            .iter()
            .zip(&contacts)
            .map(|(d, c)| DealContact {
                deal_id: d.id.clone(),
                contact_id: c.id.clone(),
            })
            .collect();
        hubspot.associate_deals_with_contacts(token, &pairs).await?;
    }
    println!(
        "seeded {} closed-lost deals with their contacts in {:.1} s",
        o.deals,
        seeding.elapsed().as_secs_f64()
    );
    hubspot.set_rate_limit(&portal, o.limit).await?;

    let settings = InventorySettings {
        partner_id: PARTNER.into(),
        enabled: true,
        stage_ids: vec!["closedlost".into()],
        auto_list: true,
        ..InventorySettings::default()
    };
    save_settings(&*ctx.store, &settings, true, now).await?;

    for round in ["first", "second"] {
        let settings = get_settings(&*ctx.store, PARTNER).await?;
        let before = hubspot.portal(&portal).await?.unwrap_or_default();
        let started = Instant::now();
        let run = backfill_partner(&ctx, &settings)
            .await?
            .ok_or_else(|| anyhow::anyhow!("not connected"))?;
        let wall = started.elapsed();
        let after = hubspot.portal(&portal).await?.unwrap_or_default();
        println!(
            "{round} backfill: wall {:.1} s, {} HubSpot requests ({} searches), {} answered 429, {} window splits; \
             {} deals seen, {} leads created, {} listed, {} already leads, {} without contact, {} without email",
            wall.as_secs_f64(),
            after.requests - before.requests,
            run.searches,
            after.rate_limited - before.rate_limited,
            run.splits,
            run.counts.deals,
            run.counts.created,
            run.counts.listed,
            run.counts.already,
            run.counts.no_contact,
            run.counts.no_email,
        );
        let expected = if round == "first" { o.deals as u64 } else { 0 };
        anyhow::ensure!(
            run.counts.created == expected && run.counts.listed == expected,
            "{round} run created {} and listed {} leads, not {expected}",
            run.counts.created,
            run.counts.listed
        );
    }
    Ok(())
}
