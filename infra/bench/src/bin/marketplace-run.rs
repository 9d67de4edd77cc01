//! The marketplace under load, through the whole HTTP stack (auth layer
//! included) over the embedded ports the dev server uses:
//! `marketplace-run [--listings 5000[,50000,100000]] [--partners 50] [--pages 50] [--racers 50]`.
//!
//! 1. The reservation race (first size only): `racers` admins of ten
//!    buying partners reserve one listed lead at once; exactly one must get
//!    a 2xx, the rest 409. Prints the reserve calls' p50/p99.
//! 2. For each number of listings, a fresh store: `listings` listed leads
//!    from `partners` sellers, counted and indexed by the browse index's
//!    own code (the buyer's index built as an ICP change builds it, timed);
//!    then a buyer with an ICP asks browse pages `pages` times each over
//!    HTTP (the dev server's router on a local port): the first page by
//!    match, a later page, one industry, and a filter the index does not
//!    answer; prints p50/p99 and the store round trips per page (the auth
//!    layer's one batch get included). Also the fan-out of one new listing.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use pc_accounts::partners_store::{PartnerRecord, partner_item};
use pc_accounts::users_store::create_user;
use pc_http::identity::{Role, UserRecord};
use pc_leads::deal_status::LeadSource;
use pc_leads::lead::{LeadEmail, LeadRecord};
use pc_leads::leads_store;
use pc_marketplace::browse_index::{IndexChange, industry_key, recount_writes};
use pc_marketplace::browse_index_worker::apply_all;
use pc_marketplace::listing_store::{
    ListedContact, ListingRecord, MarketplaceStatus, listing_item, quality_score,
};
use pc_platform::EmbeddedParts;
use pc_platform::config::Config;
use pc_platform::store::counting::CountingStore;
use pc_platform::store::embedded::EmbeddedStore;
use pc_platform::store::{Store, Write};

const PASSWORD: &str = "Bench-Password-1";

struct Options {
    listings: Vec<usize>,
    partners: usize,
    pages: usize,
    racers: usize,
}

fn options() -> anyhow::Result<Options> {
    let mut o = Options {
        listings: vec![5_000],
        partners: 50,
        pages: 50,
        racers: 50,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).map(String::as_str).unwrap_or_default();
        match pair[0].as_str() {
            "--listings" => {
                o.listings = value.split(',').map(str::parse).collect::<Result<_, _>>()?
            }
            "--partners" => o.partners = value.parse::<usize>()?.max(1),
            "--pages" => o.pages = value.parse::<usize>()?.max(1),
            "--racers" => o.racers = value.parse::<usize>()?.max(1),
            other => anyhow::bail!("unknown option {other}"),
        }
    }
    Ok(o)
}

const INDUSTRIES: [&str; 5] = ["Software", "Retail", "Healthcare", "Finance", "Logistics"];
const SIZES: [&str; 4] = ["1-10", "11-50", "51-200", "201-1000"];
const COUNTRIES: [&str; 4] = ["US", "DE", "GB", "CA"];

async fn partner(store: &dyn Store, id: &str, icp: &[(&str, &str)]) -> anyhow::Result<()> {
    let mut p = PartnerRecord::new_active(id, id, id, chrono::Utc::now());
    p.icp = icp
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect::<BTreeMap<_, _>>();
    store.put(partner_item(&p)?, None).await?;
    Ok(())
}

/// A signed-in admin of `partner_id`: its access token.
async fn admin(app: &Router, store: &dyn Store, partner_id: &str) -> anyhow::Result<String> {
    let now = chrono::Utc::now();
    let email = format!("admin@{}.example", partner_id.to_lowercase());
    let user = UserRecord {
        id: format!("user-{partner_id}"),
        email: email.clone(),
        name: "Admin".into(),
        role: Role::Admin,
        partner_id: Some(partner_id.to_owned()),
        is_active: true,
        is_partner_owner: false,
        password_hash: Some(pc_accounts::passwords::hash(PASSWORD)),
        tokens_valid_after: None,
        deleted_at: None,
        created_at: now,
        updated_at: now,
    };
    create_user(store, &user)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let request = Request::post("/auth/sign-in")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"email": email, "password": PASSWORD}).to_string(),
        ))?;
    let response = app.clone().oneshot(request).await?;
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find_map(|c| c.strip_prefix("accessToken="))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("sign-in of {email} set no access token"))
}

async fn call(
    app: &Router,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> anyhow::Result<(StatusCode, Value)> {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::COOKIE, format!("accessToken={token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))?;
    let response = app.clone().oneshot(request).await?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

fn listing(lead: usize, seller: &str) -> ListingRecord {
    let now = chrono::Utc::now() - chrono::Duration::seconds(lead as i64);
    let contact = ListedContact {
        email: format!("lead{lead}@prospect{}.example", lead % 97),
        phone: Some(format!("+1 (555) 100-{:04}", lead % 10_000)),
        company: Some(format!("Prospect {lead}")),
        title: Some(
            if lead.is_multiple_of(3) {
                "CTO"
            } else {
                "Buyer"
            }
            .into(),
        ),
        website: None,
        country: Some(COUNTRIES[lead % COUNTRIES.len()].into()),
        industry: Some(INDUSTRIES[lead % INDUSTRIES.len()].into()),
        company_size: Some(SIZES[lead % SIZES.len()].into()),
    };
    ListingRecord {
        lead_id: format!("bench-lead-{lead:06}"),
        seller_id: seller.to_owned(),
        buyer_id: None,
        marketplace_status: MarketplaceStatus::Listed,
        listing_price_cents: 1_000 + (lead as i64 % 500) * 100,
        view_count: 0,
        viewed_by: Vec::new(),
        quality_score: quality_score(&contact),
        suggested_price_cents: None,
        suggestion_reasons: Vec::new(),
        reservation_id: None,
        contact,
        listed_at: now,
        sold_at: None,
        delisted_by: None,
        version: 0,
        updated_at: now,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1_000.0)
}

/// A fresh store with `listings` listed leads of `partners` sellers, each
/// in the listed counts, and the browse buyer with its index built.
struct Market {
    counting: Arc<CountingStore>,
    store: Arc<dyn Store>,
    app: Router,
}

async fn market(o: &Options, listings: usize, icp: &[(&str, &str)]) -> anyhow::Result<Market> {
    let counting = Arc::new(CountingStore::new(Arc::new(EmbeddedStore::in_memory())));
    let store: Arc<dyn Store> = counting.clone();
    let ctx = EmbeddedParts::new(store.clone(), Config::local_defaults()).context;
    let app = pc_host::devserver::http_app(&ctx, false);
    let seeding = Instant::now();
    for p in 0..o.partners {
        partner(&*store, &format!("seller-{p:04}"), &[]).await?;
    }
    let mut writes = Vec::new();
    for lead in 0..listings {
        let seller = format!("seller-{:04}", lead % o.partners);
        let listing = listing(lead, &seller);
        writes.push(Write::put(listing_item(&listing)?));
        if writes.len() == 25 {
            store.transact(std::mem::take(&mut writes)).await?;
        }
        // In the listed counts, as the index worker counts a new listing.
        let industry = industry_key(listing.contact.industry.as_deref());
        if let Some(counts) = recount_writes(&listing.lead_id, None, Some((&seller, industry)))? {
            store.transact(counts).await?;
        }
    }
    if !writes.is_empty() {
        store.transact(writes).await?;
    }
    partner(&*store, "buyer-browse", icp).await?;
    println!(
        "seeded {listings} listings from {} sellers in {:.1} s",
        o.partners,
        seeding.elapsed().as_secs_f64()
    );
    // The buyer's index, built as an ICP change has it built.
    counting.take();
    let building = Instant::now();
    apply_all(&*store, IndexChange::buyer("buyer-browse")).await?;
    println!(
        "built the buyer's index of {listings} entries in {:.1} s, {} store calls",
        building.elapsed().as_secs_f64(),
        counting.take()
    );
    Ok(Market {
        counting,
        store,
        app,
    })
}

/// The reservation race: one listed lead, `racers` reservations at once.
async fn race(o: &Options, market: &Market, icp: &[(&str, &str)]) -> anyhow::Result<()> {
    let (app, store) = (&market.app, &*market.store);
    let mut racers = Vec::new();
    for b in 0..10 {
        let id = format!("buyer-{b:02}");
        partner(store, &id, icp).await?;
        racers.push(admin(app, store, &id).await?);
    }
    let target = "bench-lead-000000";
    // The lead itself: a reservation fixes what it sells from it.
    let mut lead = LeadRecord::new(
        target.into(),
        "seller-0000".into(),
        LeadEmail::parse("lead0@prospect0.example").map_err(|e| anyhow::anyhow!("{e:?}"))?,
        LeadSource::Manual,
        chrono::Utc::now(),
    );
    lead.contact.company = Some("Prospect 0".into());
    leads_store::create(store, &lead)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let calls = (0..o.racers).map(|n| {
        let (app, token) = (app.clone(), racers[n % racers.len()].clone());
        tokio::spawn(async move {
            let path = format!("/v1/marketplace/leads/{target}/reserve");
            let started = Instant::now();
            let (status, body) =
                call(&app, "POST", &path, &token, Some(json!({"days": 7}))).await?;
            if !status.is_success() && status != StatusCode::CONFLICT {
                eprintln!("reserve answered {status}: {body}");
            }
            anyhow::Ok((status, started.elapsed()))
        })
    });
    let mut took = Vec::new();
    let (mut won, mut conflicts) = (0, 0);
    for answer in futures::future::join_all(calls).await {
        let (status, elapsed) = answer??;
        took.push(elapsed);
        if status.is_success() {
            won += 1;
        } else if status == StatusCode::CONFLICT {
            conflicts += 1;
        }
    }
    took.sort();
    println!(
        "reserve race: {} calls, {won} 2xx, {conflicts} 409; p50 {} p99 {} max {}",
        o.racers,
        ms(percentile(&took, 50.0)),
        ms(percentile(&took, 99.0)),
        ms(*took.last().unwrap())
    );
    anyhow::ensure!(
        won == 1 && conflicts == o.racers - 1,
        "the race must have one winner"
    );
    // The reserved lead leaves the indexes (its message, applied here as
    // the worker applies it).
    apply_all(store, IndexChange::listing(target)).await?;
    Ok(())
}

/// Browse pages over HTTP: p50/p99 and round trips per page.
async fn browse_figures(o: &Options, market: &Market, listings: usize) -> anyhow::Result<()> {
    let browser = admin(&market.app, &*market.store, "buyer-browse").await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = market.app.clone();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    for (label, query) in [
        ("first page, by match", "?perPage=50"),
        ("page 10, by match", "?perPage=50&page=9"),
        ("industry=Software", "?perPage=50&industry=Software"),
        (
            "price 20-60 dollars, country US (not indexed)",
            "?perPage=50&minPrice=20&maxPrice=60&country=US",
        ),
    ] {
        let mut took = Vec::new();
        let mut trips = Vec::new();
        let mut total = Value::Null;
        let url = format!("http://{addr}/v1/marketplace/leads{query}");
        for _ in 0..o.pages {
            market.counting.take();
            let started = Instant::now();
            let response = client
                .get(&url)
                .header(header::COOKIE.as_str(), format!("accessToken={browser}"))
                .send()
                .await?;
            let status = response.status();
            let body: Value = response.json().await?;
            took.push(started.elapsed());
            trips.push(market.counting.take());
            anyhow::ensure!(status.is_success(), "browse answered {status}: {body}");
            total = body["meta"]["total"].clone();
        }
        took.sort();
        trips.sort();
        println!(
            "{listings} listings, browse {label}: total {total}; p50 {} p99 {}; store round trips per page {}{}",
            ms(percentile(&took, 50.0)),
            ms(percentile(&took, 99.0)),
            trips[0],
            if trips[0] == trips[trips.len() - 1] {
                String::new()
            } else {
                format!(" to {}", trips[trips.len() - 1])
            }
        );
    }
    server.abort();
    // One new listing's fan-out: an entry per active partner but the seller.
    let new = listing(listings, "seller-0000");
    market
        .store
        .transact(vec![Write::put(listing_item(&new)?)])
        .await?;
    market.counting.take();
    let started = Instant::now();
    apply_all(&*market.store, IndexChange::listing(&new.lead_id)).await?;
    println!(
        "{listings} listings, a new listing indexed for every active partner but its seller in {}, {} store calls",
        ms(started.elapsed()),
        market.counting.take()
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let o = options()?;
    let icp = [
        ("industry", "Software"),
        ("companySize", "11-200"),
        ("country", "US"),
        ("title", "CTO"),
    ];
    for (n, &listings) in o.listings.iter().enumerate() {
        let market = market(&o, listings, &icp).await?;
        if n == 0 && o.racers > 0 {
            race(&o, &market, &icp).await?;
        }
        browse_figures(&o, &market, listings).await?;
    }
    Ok(())
}
