//! Migration from the original system: a `mongodump` made with the real
//! BSON encoding goes in with `pc-migrate`, on the embedded store and on
//! DynamoDB (moto), and the dev server then serves it over HTTP.

use std::path::{Path, PathBuf};

use pc_host::devserver::{self, DevServer, Options};
use pc_migrate::backend::{self, Target};
use pc_migrate::generate::{BASE_SECS, CollectionWriter, collection, date, decimal, oid};
use pc_migrate::migrate_to;
use pc_migrate::report::Report;
use pc_platform::store::{Index, Query, Store};
use pc_tests::reqwest::StatusCode;
use pc_tests::{Backend, TestApp, browser, expect_json, json};

use bson::{Bson, doc};

const PASSWORD: &str = "Legacy-Password-1";
const DAY: u32 = 86_400;

/// The ids of the fixture's records.
struct Ids;

impl Ids {
    fn partner(n: u64) -> String {
        oid(1, n, BASE_SECS).to_hex()
    }
    fn lead(n: u64) -> String {
        oid(3, n, BASE_SECS).to_hex()
    }
}

/// A dump covering every collection and every cleanup rule.
fn write_dump(dir: &Path) {
    let hash = bcrypt::hash(PASSWORD, 4).expect("bcrypt hashes");
    let p = |n| oid(1, n, BASE_SECS);
    let lead = |n| oid(3, n, BASE_SECS);
    collection(
        dir,
        "partners",
        &[
            doc! {"_id": p(1), "name": "Acme", "slug": "acme", "chiliMeetingTypes": ["Acme Intro"],
                  "icp": {"industry": "SaaS", "employees": 50}, "billing": oid(6, 1, BASE_SECS),
                  "stripeCustomerId": "cus_legacy1", "createdAt": date(BASE_SECS), "__v": 0},
            doc! {"_id": p(2), "name": "Globex", "slug": "globex", "createdAt": date(BASE_SECS), "__v": 3i64},
            doc! {"_id": p(3), "slug": "nameless"},
        ],
    )
    .expect("partners written");
    collection(
        dir,
        "users",
        &[
            doc! {"_id": oid(2, 1, BASE_SECS), "email": "Legacy.User@Acme.COM", "password": hash.clone(),
                  "name": "Legacy User", "role": "user", "partner": p(1), "isActive": true, "__v": 0},
            doc! {"_id": oid(2, 2, BASE_SECS), "email": "staff@partner-connector.local", "password": hash,
                  "role": "admin", "isActive": true},
            doc! {"_id": oid(2, 3, BASE_SECS), "email": "not-an-email", "role": "user"},
        ],
    )
    .expect("users written");
    let mut leads = CollectionWriter::create(dir, "leads").expect("leads file");
    for d in [
        // Newer of the duplicate pair, first in the dump.
        doc! {"_id": lead(1), "partner": p(1), "email": "dup@example.com", "firstName": "Newer",
        "dealStatus": "new", "source": "chilipiper", "createdAt": date(BASE_SECS + 10 * DAY),
        "notes": [{"_id": oid(4, 1, BASE_SECS), "text": "from the newer duplicate", "createdAt": date(BASE_SECS + 11 * DAY)}]},
        // The oldest: kept, gains the other's note and meeting.
        doc! {"_id": lead(2), "partner": p(1), "email": "DUP@Example.com", "firstName": "Older",
        "dealStatus": "Won", "dealAmount": decimal("19999.99"), "salesManager": "Sam",
        "createdAt": date(BASE_SECS + DAY), "updatedAt": date(BASE_SECS + 2 * DAY), "__v": 2,
        "notes": [{"text": "from the kept lead", "createdAt": date(BASE_SECS + 2 * DAY)}]},
        // Same email, another partner: not a duplicate here.
        doc! {"_id": lead(3), "partner": p(2), "email": "dup@example.com", "createdAt": date(BASE_SECS)},
        // No scheduledDate: backfilled from its latest meeting (a cancelled one).
        doc! {"_id": lead(4), "partner": p(1), "email": "backfill@example.com", "dealStatus": "in touch",
        "dealAmount": Bson::Int64(500), "createdAt": date(BASE_SECS), "scheduledDate": Bson::Null},
        // A second document with lead 4's `_id`: reported, never merged in.
        doc! {"_id": lead(4), "partner": p(1), "email": "second-copy@example.com", "firstName": "Copy"},
        doc! {"_id": lead(5), "partner": oid(1, 99, BASE_SECS), "email": "orphan@example.com"},
        doc! {"_id": lead(6), "partner": p(1), "email": "nope"},
        doc! {"_id": lead(7), "partner": p(1), "email": "odd@example.com", "dealStatus": "maybe"},
    ] {
        leads.write(&d).expect("lead written");
    }
    // The dump ends inside a document.
    let last = doc! {"_id": lead(8), "partner": p(1), "email": "cut@example.com", "company": "Cut Off Inc"};
    let bytes = last.to_vec().expect("encodes");
    leads
        .write_raw(&bytes[..bytes.len() / 2])
        .expect("half written");
    leads.finish().expect("leads flushed");

    let meetings = [
        doc! {"_id": oid(5, 1, BASE_SECS), "lead": lead(4), "meetingIdChili": "chili-1",
        "scheduledTime": date(BASE_SECS + 20 * DAY), "status": "Created", "type": "Acme Intro",
        "assigneeEmail": "Rep@Acme.com", "hostEmail": "host@acme.com"},
        doc! {"_id": oid(5, 2, BASE_SECS), "lead": lead(4), "meetingIdChili": "chili-2",
        "scheduledTime": date(BASE_SECS + 30 * DAY), "status": "Canceled", "type": "Acme Intro"},
        doc! {"_id": oid(5, 3, BASE_SECS), "lead": lead(1), "meetingIdChili": "chili-3",
        "scheduledTime": date(BASE_SECS + 12 * DAY), "status": "Created"},
        doc! {"_id": oid(5, 4, BASE_SECS), "lead": lead(5), "meetingIdChili": "chili-4",
        "scheduledTime": date(BASE_SECS + 12 * DAY)},
    ];
    // Meetings as a gzipped dump.
    {
        use std::io::Write as _;
        let file = std::fs::File::create(dir.join("meetings.bson.gz")).expect("gz file");
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        for m in &meetings {
            gz.write_all(&m.to_vec().expect("encodes"))
                .expect("gz written");
        }
        gz.finish().expect("gz finished");
    }
    collection(
        dir,
        "billings",
        &[
            doc! {"_id": oid(6, 1, BASE_SECS), "billingType": "qualified_lead", "createdAt": date(BASE_SECS),
                  "billingTerms": [{"startMonth": 1, "endMonth": 6, "value": 50}, {"startMonth": 7, "value": decimal("75.5")}]},
            doc! {"_id": oid(6, 2, BASE_SECS), "partner": p(2), "billingType": "percentage_of_deal",
                  "billingTerms": [{"startMonth": 1, "value": 10.0}], "createdAt": date(BASE_SECS)},
        ],
    )
    .expect("billings written");
    collection(
        dir,
        "invoices",
        &[
            doc! {"_id": oid(7, 1, BASE_SECS), "partner": p(1), "billingPeriod": "2024-01",
            "amount": decimal("100.00"), "stripeStatus": "paid", "stripeInvoiceId": "in_legacy1",
            "createdAt": date(BASE_SECS + 40 * DAY)},
            // A run the original never finished: Stripe made the draft,
            // it was never finalized here.
            doc! {"_id": oid(7, 2, BASE_SECS), "partner": p(2), "billingPeriod": "2024-01",
            "amount": decimal("30.00"), "stripeStatus": "draft", "stripeInvoiceId": "in_draft1",
            "createdAt": date(BASE_SECS + 40 * DAY)},
        ],
    )
    .expect("invoices written");
    collection(
        dir,
        "invoicelines",
        &[
            doc! {"_id": oid(8, 1, BASE_SECS), "invoice": oid(7, 1, BASE_SECS), "lead": lead(1),
            "billingPeriod": "2024-01", "amount": 50},
            doc! {"_id": oid(8, 2, BASE_SECS), "invoice": oid(7, 1, BASE_SECS), "lead": lead(4),
            "billingPeriod": "2024-01", "amount": decimal("50.00")},
            doc! {"_id": oid(8, 3, BASE_SECS), "invoice": oid(7, 2, BASE_SECS), "lead": lead(3),
            "billingPeriod": "2024-01", "amount": 30},
        ],
    )
    .expect("lines written");
    collection(
        dir,
        "events",
        &[
            doc! {"_id": oid(9, 1, BASE_SECS), "user": oid(2, 1, BASE_SECS), "action": "updated",
            "entity": "lead", "entityId": lead(1), "partner": p(1),
            "timestamp": date(BASE_SECS + 10 * DAY), "changes": {"dealStatus": "new"}},
        ],
    )
    .expect("events written");
}

/// Where a test migrates to, and how the dev server opens the same data.
enum Place {
    Embedded(PathBuf),
    Aws { endpoint: String, table: String },
}

impl Place {
    async fn new(backend: Backend, dir: &Path) -> Self {
        match backend {
            Backend::Embedded => Place::Embedded(dir.join("data")),
            Backend::Aws => {
                let endpoint = tokio::task::block_in_place(pc_aws::moto::endpoint).to_owned();
                let table = format!("{}-table", pc_aws::moto::unique("migrate"));
                let sdk = pc_aws::moto::sdk_config().await;
                pc_aws::bootstrap::ensure_table(&aws_sdk_dynamodb::Client::new(&sdk), &table)
                    .await
                    .expect("table created");
                Place::Aws { endpoint, table }
            }
        }
    }

    async fn target(&self) -> Target {
        match self {
            Place::Embedded(dir) => backend::embedded(dir).expect("store opens"),
            Place::Aws { endpoint, table } => {
                backend::dynamodb(&pc_aws::moto::sdk_config().await, table, endpoint)
            }
        }
    }

    async fn run(&self, dump: &Path, dry_run: bool) -> Report {
        let target = self.target().await;
        let mut options = pc_migrate::Options::new(dump);
        options.dry_run = dry_run;
        let report = migrate_to(&target, &options)
            .await
            .expect("the migration runs");
        target.sync().expect("synced");
        report
    }

    async fn serve(&self, backend: Backend) -> TestApp {
        let mut options = Options::ephemeral();
        match self {
            Place::Embedded(dir) => {
                options.backend = devserver::Backend::Embedded {
                    data_dir: Some(dir.clone()),
                }
            }
            Place::Aws { endpoint, table } => {
                let name = pc_aws::moto::unique("migrated");
                options.config.table_name = table.clone();
                options.config.event_bus_name = format!("{name}-bus");
                options.backend = devserver::Backend::Aws {
                    endpoint: endpoint.clone(),
                    queue_prefix: format!("{name}-"),
                };
            }
        }
        let server = DevServer::start(options)
            .await
            .expect("the dev server starts");
        TestApp {
            base: format!("http://{}", server.addr),
            client: browser(),
            server,
            backend,
        }
    }
}

async fn partition(store: &dyn Store, index: Index, pk: &str) -> usize {
    store
        .query(&Query::partition(index, pk))
        .await
        .expect("queried")
        .items
        .len()
}

/// Nothing a normal change sends on was written: no outbox (queues,
/// emails, webhooks), no CRM change markers, no activities, no mail.
async fn assert_no_side_effects(store: &dyn Store) {
    assert_eq!(
        partition(store, Index::Gsi1, "OUTBOX").await,
        0,
        "outbox items"
    );
    for p in [1, 2] {
        let pid = Ids::partner(p);
        assert_eq!(
            partition(store, Index::Table, &format!("LEADCHANGED#{pid}")).await,
            0,
            "change markers"
        );
        assert_eq!(
            partition(store, Index::Table, &format!("ACTIVITIES#{pid}")).await,
            0,
            "activities"
        );
        assert_eq!(
            partition(store, Index::Table, &format!("REFERRER#{pid}")).await,
            0,
            "commissions"
        );
    }
    assert_eq!(partition(store, Index::Table, "MAILBOX").await, 0, "mail");
}

fn counts(report: &Report, collection: &str) -> (u64, u64, u64, u64, u64) {
    let c = report.counts.get(collection).cloned().unwrap_or_default();
    (c.read, c.written, c.unchanged, c.merged, c.skipped)
}

fn skipped(report: &Report, collection: &str, id: &str) -> String {
    report
        .skips
        .iter()
        .find(|s| s.collection == collection && s.id == id)
        .map(|s| s.reason.clone())
        .unwrap_or_else(|| {
            panic!(
                "{collection} {id} is reported skipped:\n{}",
                report.render()
            )
        })
}

async fn the_dump_moves_in(backend: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    let dump = dir.path().join("dump");
    std::fs::create_dir_all(&dump).expect("dump dir");
    write_dump(&dump);
    let place = Place::new(backend, dir.path()).await;

    // A dry run writes nothing and reports what a run would do.
    let dry = place.run(&dump, true).await;
    assert!(dry.render().contains("DRY RUN"));
    {
        let target = place.target().await;
        assert!(
            target
                .store
                .get(&pc_leads::keys::lead_key(&Ids::lead(2)))
                .await
                .expect("read")
                .is_none()
        );
        assert!(
            target
                .store
                .get(&pc_http::identity::partner_key(&Ids::partner(1)))
                .await
                .expect("read")
                .is_none()
        );
    }

    let report = place.run(&dump, false).await;
    let text = report.render();
    assert_eq!(counts(&report, "partners"), (3, 2, 0, 0, 1), "{text}");
    assert_eq!(counts(&report, "users"), (3, 2, 0, 0, 1), "{text}");
    // 9 positions: 8 documents and the truncated last one.
    assert_eq!(counts(&report, "leads"), (9, 3, 0, 1, 5), "{text}");
    assert_eq!(counts(&report, "meetings"), (4, 3, 0, 0, 1), "{text}");
    assert_eq!(counts(&report, "billings"), (2, 2, 0, 0, 0), "{text}");
    assert_eq!(counts(&report, "invoices"), (2, 1, 0, 0, 1), "{text}");
    assert_eq!(counts(&report, "invoicelines"), (3, 2, 0, 0, 1), "{text}");
    assert_eq!(counts(&report, "events"), (1, 1, 0, 0, 0), "{text}");
    // The dry run said the same.
    for name in pc_migrate::report::COLLECTIONS {
        assert_eq!(
            counts(&dry, name),
            counts(&report, name),
            "dry run of {name}"
        );
    }
    assert!(skipped(&report, "leads", &Ids::lead(5)).contains("not among the migrated partners"));
    assert!(skipped(&report, "leads", &Ids::lead(6)).contains("email"));
    assert!(skipped(&report, "leads", &Ids::lead(7)).contains("dealStatus"));
    assert!(skipped(&report, "leads", "#8").contains("truncated"));
    assert!(skipped(&report, "leads", &Ids::lead(4)).contains("duplicate `_id`"));
    let draft = skipped(&report, "invoices", &oid(7, 2, BASE_SECS).to_hex());
    assert!(
        draft.contains("draft") && draft.contains("in_draft1"),
        "{draft}"
    );
    assert!(
        skipped(&report, "invoicelines", &oid(8, 3, BASE_SECS).to_hex()).contains("not migrated")
    );
    assert!(skipped(&report, "users", &oid(2, 3, BASE_SECS).to_hex()).contains("email"));
    assert!(skipped(&report, "partners", &oid(1, 3, BASE_SECS).to_hex()).contains("name"));
    assert!(skipped(&report, "meetings", &oid(5, 4, BASE_SECS).to_hex()).contains("not migrated"));
    assert!(report.verified_ok(), "{text}");
    assert_eq!(report.verified["leads"].checked, 3, "{text}");
    assert!(
        text.contains("dated term(s)"),
        "the billing mapping is reported: {text}"
    );
    assert!(text.ends_with("| events | 1 | 1 | 0 | 0 | 0 |\n"), "{text}");

    let kept_before = {
        let target = place.target().await;
        assert_no_side_effects(target.store.as_ref()).await;
        let partner = target
            .store
            .get(&pc_http::identity::partner_key(&Ids::partner(1)))
            .await
            .expect("read")
            .expect("partner");
        assert_eq!(
            partner["totalLeads"], 2,
            "two leads of Acme, the duplicate folded"
        );
        assert_eq!(partner["totalAppointments"], 3);
        target
            .store
            .get(&pc_leads::keys::lead_key(&Ids::lead(2)))
            .await
            .expect("read")
            .expect("kept lead")
    };

    // A second run changes nothing.
    let again = place.run(&dump, false).await;
    assert_eq!(
        counts(&again, "leads"),
        (9, 0, 3, 1, 5),
        "{}",
        again.render()
    );
    for name in pc_migrate::report::COLLECTIONS {
        assert_eq!(counts(&again, name).1, 0, "nothing of {name} written again");
    }
    assert!(again.verified_ok());
    {
        let target = place.target().await;
        let kept = target
            .store
            .get(&pc_leads::keys::lead_key(&Ids::lead(2)))
            .await
            .expect("read")
            .expect("kept lead");
        assert_eq!(kept, kept_before, "the second run left the lead as it was");
        let partner = target
            .store
            .get(&pc_http::identity::partner_key(&Ids::partner(1)))
            .await
            .expect("read")
            .expect("partner");
        assert_eq!(partner["totalLeads"], 2, "counted once");
    }

    let app = place.serve(backend).await;
    // The legacy user signs in with the old password (any letter case of the email).
    let legacy = browser();
    let signed_in = app
        .sign_in_as(&legacy, "legacy.user@acme.com", PASSWORD)
        .await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let me = expect_json(
        app.send(&legacy, pc_tests::reqwest::Method::GET, "/auth/me", None)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        me["user"]["id"].as_str().or(me["id"].as_str()),
        Some(oid(2, 1, BASE_SECS).to_hex().as_str()),
        "{me}"
    );
    // The bcrypt hash was replaced by an Argon2id one at this sign-in.
    let user = app
        .server
        .context
        .store
        .get(&pc_http::identity::user_key(&oid(2, 1, BASE_SECS).to_hex()))
        .await
        .expect("read")
        .expect("user");
    assert!(
        user["passwordHash"]
            .as_str()
            .is_some_and(|h| h.starts_with("$argon2id$")),
        "{user:?}"
    );
    let wrong = app
        .sign_in_as(&browser(), "legacy.user@acme.com", "not-the-password")
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    // The kept lead answers at its ObjectId, with both notes and the
    // duplicate's meeting; the duplicate is gone.
    let path = format!("/v1/leads/{}", Ids::lead(2));
    let kept = expect_json(
        app.send(&legacy, pc_tests::reqwest::Method::GET, &path, None)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(kept["email"], "dup@example.com");
    assert_eq!(kept["firstName"], "Older");
    assert_eq!(kept["dealStatus"], "won");
    assert_eq!(kept["dealAmount"], json!(19999.99));
    let notes: Vec<&str> = kept["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(|n| n["text"].as_str())
        .collect();
    assert_eq!(
        notes,
        vec!["from the newer duplicate", "from the kept lead"]
    );
    assert_eq!(
        kept["scheduledDate"], "2023-01-13T00:00:00.000Z",
        "from the duplicate's meeting"
    );
    let gone = app
        .send(
            &legacy,
            pc_tests::reqwest::Method::GET,
            &format!("/v1/leads/{}", Ids::lead(1)),
            None,
        )
        .await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    let meetings = expect_json(
        app.send(
            &legacy,
            pc_tests::reqwest::Method::GET,
            &format!("{path}/meetings"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(meetings.to_string().contains("chili-3"), "{meetings}");

    // scheduledDate backfilled from the latest meeting of any status.
    let backfilled = expect_json(
        app.send(
            &legacy,
            pc_tests::reqwest::Method::GET,
            &format!("/v1/leads/{}", Ids::lead(4)),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(backfilled["scheduledDate"], "2023-01-31T00:00:00.000Z");
    assert_eq!(backfilled["dealAmount"].as_f64(), Some(500.0));
    assert_eq!(backfilled["dealStatus"], "in_touch");
    assert_eq!(
        backfilled["email"], "backfill@example.com",
        "the first document with the `_id` is the one migrated"
    );

    // The lead list and its counters agree.
    let list = expect_json(
        app.send(&legacy, pc_tests::reqwest::Method::GET, "/v1/leads", None)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["list"].as_array().map(Vec::len), Some(2), "{list}");
    assert_eq!(list["meta"]["total"], 2, "{list}");

    // A change after the migration survives another run.
    app.sign_in_owner().await;
    let changed = app
        .patch(
            &format!("/v1/leads/{}", Ids::lead(4)),
            &json!({"salesManager": "Changed Later"}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    app.drain().await;
    let app_backend = app.backend;
    app.server.stop().await;
    let third = place.run(&dump, false).await;
    assert_eq!(counts(&third, "leads").1, 0);
    let app = place.serve(app_backend).await;
    let legacy = browser();
    assert_eq!(
        app.sign_in_as(&legacy, "legacy.user@acme.com", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    let after = expect_json(
        app.send(
            &legacy,
            pc_tests::reqwest::Method::GET,
            &format!("/v1/leads/{}", Ids::lead(4)),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(after["salesManager"], "Changed Later");
    app.server.stop().await;
}

async fn a_stopped_run_resumes_without_duplicates(backend: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    let dump = dir.path().join("dump");
    std::fs::create_dir_all(&dump).expect("dump dir");
    pc_migrate::generate::bench_dump(&dump, 300).expect("dump generated");
    let place = Place::new(backend, dir.path()).await;
    {
        let target = place.target().await;
        let mut options = pc_migrate::Options::new(&dump);
        // Partners and users go in, then the run dies among the leads; the
        // embedded store commits every ten records, so the run dies with
        // an open transaction after some commits among the leads.
        options.stop_after = Some(100 + 500 + 37);
        options.records_per_commit = 10;
        let stopped = migrate_to(&target, &options).await;
        assert!(
            matches!(
                stopped,
                Err(pc_migrate::MigrateError::Sink(
                    pc_migrate::sink::SinkError::Stopped(_)
                ))
            ),
            "the fault stops the run"
        );
        target.sync().expect("synced");
    }
    let kept = {
        let target = place.target().await;
        partition(target.store.as_ref(), Index::Table, "LEADS").await as u64
    };
    match backend {
        // Each transaction of DynamoDB stays once sent.
        Backend::Aws => assert!(kept >= 37, "{kept} leads kept"),
        // The open transaction is lost whole; the commits before it stay.
        Backend::Embedded => assert!(kept > 0 && kept < 37, "{kept} leads kept"),
    }
    let report = place.run(&dump, false).await;
    let (read, written, unchanged, merged, skipped) = counts(&report, "leads");
    assert_eq!((read, merged, skipped), (300, 3, 0), "{}", report.render());
    assert_eq!(
        (written, unchanged),
        (297 - kept, kept),
        "{}",
        report.render()
    );
    assert!(report.verified_ok());
    let target = place.target().await;
    let mut total = 0;
    for p in 0..100u64 {
        let partner = target
            .store
            .get(&pc_http::identity::partner_key(
                &oid(1, p, BASE_SECS).to_hex(),
            ))
            .await
            .expect("read")
            .expect("partner");
        total += partner["totalLeads"].as_i64().expect("a count");
    }
    assert_eq!(total, 297, "every lead counted exactly once");
    let counted: usize = partition(target.store.as_ref(), Index::Table, "LEADS").await;
    assert_eq!(counted, 297, "one staff copy per lead");
    assert_no_side_effects(target.store.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dump_moves_in_embedded() {
    the_dump_moves_in(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dump_moves_in_aws() {
    the_dump_moves_in(Backend::Aws).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_run_resumes_embedded() {
    a_stopped_run_resumes_without_duplicates(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_run_resumes_aws() {
    a_stopped_run_resumes_without_duplicates(Backend::Aws).await;
}
