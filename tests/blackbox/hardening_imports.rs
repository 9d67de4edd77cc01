//! Black-box scenarios of hostile and heavy imports: a workbook whose one
//! far-away cell would make a dense reader allocate hundreds of gigabytes,
//! a zip bomb, over-wide and over-long CSV cells (each refused naming the
//! cap, with the server still up), rows too large for one stored page, and
//! a page that fails on every delivery.

use std::time::{Duration, Instant};

use pc_http::identity::Role;
use pc_leads::import_store::{ImportTask, TaskStatus, task_item};
use pc_leads::keys::import_page_key;
use pc_platform::queue::QueueName;
use pc_platform::store::Item;
use pc_tests::imports_support::{upload, workbook};
use pc_tests::leads_support::{get_ok, seed_partner, signed_in_user};
use pc_tests::reqwest::{Client, StatusCode};
use pc_tests::{TestApp, expect_json, scenario};
use serde_json::Value;

/// Asserts a refusal with `status` that names `cap`.
async fn refused(response: pc_tests::reqwest::Response, status: StatusCode, cap: &str) {
    let body = expect_json(response, status).await;
    assert_eq!(body["error"]["code"], "file_cap_exceeded", "{body}");
    assert_eq!(body["error"]["details"][0]["field"], "file", "{body}");
    let detail = body["error"]["details"][0]["message"].as_str().unwrap();
    assert!(detail.starts_with(&format!("{cap}: ")), "{body}");
}

/// Polls the import until `accept` likes it (a worker run on the AWS
/// adapters waits out SQS visibility timeouts, so the deadline is long).
async fn poll_task(
    app: &TestApp,
    client: &Client,
    task_id: &str,
    accept: impl Fn(&Value) -> bool,
) -> Value {
    poll_task_within(app, client, task_id, accept, Duration::from_secs(90)).await
}

/// [`poll_task`] with a deadline of its own (a large import on moto's
/// one-at-a-time DynamoDB takes minutes).
async fn poll_task_within(
    app: &TestApp,
    client: &Client,
    task_id: &str,
    accept: impl Fn(&Value) -> bool,
    within: Duration,
) -> Value {
    let path = format!("/v1/leads/import/{task_id}");
    let deadline = Instant::now() + within;
    loop {
        let task = get_ok(app, client, &path).await;
        if accept(&task) {
            return task;
        }
        assert!(
            Instant::now() < deadline,
            "the import never got there: {task}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn started(response: pc_tests::reqwest::Response) -> String {
    expect_json(response, StatusCode::ACCEPTED).await["taskId"]
        .as_str()
        .expect("a task id")
        .to_owned()
}

scenario!(
    a_workbook_reaching_the_last_cell_is_refused_and_the_server_lives_on,
    |app| {
        let pid = seed_partner(app, "Hostile", &[]).await;
        let (admin, _) = signed_in_user(app, Some(&pid), Role::Admin).await;

        // Two cells, 2 KB: read as a dense range this is 2^34 cells.
        let corner = workbook(&[("A1", "email"), ("XFD1048576", "x")], &[]);
        assert!(corner.len() < 4096);
        let answer = upload(app, &admin, None, "corner.xlsx", corner).await;
        refused(answer, StatusCode::BAD_REQUEST, "maxColumns").await;

        let tall = workbook(&[("A1", "email"), ("A1048576", "a@x.example")], &[]);
        let answer = upload(app, &admin, None, "tall.xlsx", tall).await;
        refused(answer, StatusCode::PAYLOAD_TOO_LARGE, "maxRows").await;

        // The server is still up and imports a sound workbook.
        let health = app.get("/health").await;
        assert_eq!(health.status(), StatusCode::OK);
        let sound = workbook(
            &[
                ("A1", "Email"),
                ("B1", "Company"),
                ("A2", "ann@acme.example"),
                ("B2", "Acme"),
            ],
            &[],
        );
        let task_id = started(upload(app, &admin, None, "sound.xlsx", sound).await).await;
        let task = poll_task(app, &admin, &task_id, |t| t["status"] == "completed").await;
        assert_eq!(task["created"], 1, "{task}");
    }
);

scenario!(a_zip_bomb_is_refused_before_it_is_inflated, |app| {
    let pid = seed_partner(app, "Bomb", &[]).await;
    let (admin, _) = signed_in_user(app, Some(&pid), Role::Admin).await;
    let zeros = vec![0u8; 101 * 1024 * 1024];
    let bomb = workbook(
        &[("A1", "email"), ("A2", "a@x.example")],
        &[("xl/media/padding.bin", &zeros)],
    );
    assert!(bomb.len() < 1024 * 1024, "the bomb is {} bytes", bomb.len());
    let answer = upload(app, &admin, None, "bomb.xlsx", bomb).await;
    refused(answer, StatusCode::PAYLOAD_TOO_LARGE, "maxInflatedBytes").await;
    assert_eq!(get_ok(app, &admin, "/v1/leads").await["meta"]["total"], 0);
});

scenario!(csv_columns_and_cells_are_capped_by_name, |app| {
    let pid = seed_partner(app, "Wide", &[]).await;
    let (admin, _) = signed_in_user(app, Some(&pid), Role::Admin).await;
    let wide = format!("email{}\na@x.example\n", ",extra".repeat(200));
    let answer = upload(app, &admin, None, "wide.csv", wide.into_bytes()).await;
    refused(answer, StatusCode::BAD_REQUEST, "maxColumns").await;

    let long = format!("email,company\na@x.example,{}\n", "c".repeat(1_001));
    let answer = upload(app, &admin, None, "long.csv", long.into_bytes()).await;
    refused(answer, StatusCode::BAD_REQUEST, "maxCellCharacters").await;
    assert_eq!(get_ok(app, &admin, "/v1/leads").await["meta"]["total"], 0);
});

/// On the embedded adapters only: 150 wide rows through moto's
/// one-at-a-time DynamoDB take minutes, and the embedded store refuses items
/// over DynamoDB's 400 KB limit just as DynamoDB does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_too_large_for_one_item_are_paged_by_bytes_and_expire() {
    let owned = TestApp::spawn(pc_tests::Backend::Embedded).await;
    let app = &owned;
    {
        let pid = seed_partner(app, "Verbose", &[]).await;
        let (admin, _) = signed_in_user(app, Some(&pid), Role::Admin).await;
        // 150 rows of ten 290-character cells: ~450 KB, over DynamoDB's 400 KB
        // item limit as one page.
        let text = "w".repeat(290);
        let mut csv = String::from(
            "email,firstName,lastName,company,phone,title,website,country,industry,companySize,salesManager\n",
        );
        for n in 0..150 {
            csv.push_str(&format!("lead{n}@verbose.example"));
            csv.push_str(&format!(",{text}").repeat(10));
            csv.push('\n');
        }
        let task_id =
            started(upload(app, &admin, None, "verbose.csv", csv.into_bytes()).await).await;
        let task = poll_task_within(
            app,
            &admin,
            &task_id,
            |t| t["status"] == "completed",
            Duration::from_secs(300),
        )
        .await;
        assert_eq!(task["created"], 150, "{task}");
        assert!(task["pages"].as_u64().unwrap() >= 2, "{task}");

        // Its pages expire by TTL a week after the upload.
        let ctx = &app.server.context;
        let page = ctx
            .store
            .get(&import_page_key(&task_id, 0))
            .await
            .unwrap()
            .unwrap();
        let ttl = page["ttl"].as_i64().expect("a numeric ttl");
        let week = (ctx.clock.now() + chrono::Duration::days(7)).timestamp();
        assert!((week - 3_600..=week).contains(&ttl), "ttl {ttl}");
    }
    owned.server.stop().await;
}

scenario!(
    an_import_whose_page_keeps_failing_ends_failed_with_the_reason,
    |app| {
        let pid = seed_partner(app, "Stuck", &[]).await;
        let (admin, _) = signed_in_user(app, Some(&pid), Role::Admin).await;
        let ctx = &app.server.context;
        let now = ctx.clock.now();
        let task = ImportTask {
            id: ctx.ids.new_id(),
            partner_id: pid.clone(),
            status: TaskStatus::Pending,
            total: 1,
            processed: 0,
            created: 0,
            updated: 0,
            unchanged: 0,
            failed: 0,
            errors: vec![],
            failure_reason: None,
            pages: 1,
            pages_done: 0,
            created_by: "U1".into(),
            created_by_name: "Una".into(),
            created_by_staff: false,
            created_at: now,
            updated_at: now,
        };
        // A page the worker cannot read, on every delivery.
        let key = import_page_key(&task.id, 0);
        let mut page = Item::new();
        page.insert("pk".into(), key.pk.into());
        page.insert("sk".into(), key.sk.into());
        page.insert("entity".into(), "import_rows".into());
        page.insert("rows".into(), "not rows".into());
        ctx.store.put(page, None).await.unwrap();
        ctx.store
            .put(task_item(&task).unwrap(), None)
            .await
            .unwrap();
        let message = serde_json::json!({"kind": "lead_import_page", "taskId": task.id, "page": 0});
        ctx.queue
            .send(QueueName::SyncLeads, &message.to_string())
            .await
            .unwrap();

        let failed = poll_task(app, &admin, &task.id, |t| t["status"] != "pending").await;
        assert_eq!(failed["status"], "failed", "{failed}");
        let reason = failed["failureReason"].as_str().unwrap_or_default();
        assert!(reason.starts_with("page 1 failed 5 times"), "{failed}");
    }
);

/// Asks for an upload URL; answers the response.
async fn ask_upload_url(
    app: &TestApp,
    client: &Client,
    body: &Value,
) -> pc_tests::reqwest::Response {
    client
        .post(app.url("/v1/leads/import/upload-url"))
        .json(body)
        .send()
        .await
        .expect("the server answers")
}

async fn import_upload(
    app: &TestApp,
    client: &Client,
    body: &Value,
) -> pc_tests::reqwest::Response {
    client
        .post(app.url("/v1/leads/import"))
        .json(body)
        .send()
        .await
        .expect("the server answers")
}

scenario!(
    a_file_over_the_request_limit_imports_through_an_upload_url,
    |app| {
        let a = seed_partner(app, "Uploader", &[]).await;
        let b = seed_partner(app, "Other", &[]).await;
        let (admin_a, _) = signed_in_user(app, Some(&a), Role::Admin).await;
        let (admin_b, _) = signed_in_user(app, Some(&b), Role::Admin).await;
        let (staff, _) = signed_in_user(app, None, Role::Admin).await;

        // A partner's admin cannot ask for another partner's upload URL.
        let elsewhere = serde_json::json!({"partnerId": b, "fileName": "leads.csv"});
        let answer = ask_upload_url(app, &admin_a, &elsewhere).await;
        expect_json(answer, StatusCode::NOT_FOUND).await;
        let bad = serde_json::json!({"fileName": "leads.pdf"});
        let body = expect_json(
            ask_upload_url(app, &admin_a, &bad).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(body["error"]["details"][0]["field"], "fileName", "{body}");

        // 7 MB: more than a Lambda request may carry. Ten ignored 700-character
        // columns a row keep the stored rows small.
        let filler = format!(",{}", "n".repeat(700)).repeat(10);
        let mut csv = format!(
            "email{}\n",
            (0..10).map(|i| format!(",note{i}")).collect::<String>()
        );
        for n in 0..1_000 {
            csv.push_str(&format!("big{n}@upload.example{filler}\n"));
        }
        assert!(csv.len() > 7_000_000);

        let request = serde_json::json!({"fileName": "leads.csv", "contentType": "text/csv"});
        let granted = expect_json(
            ask_upload_url(app, &admin_a, &request).await,
            StatusCode::OK,
        )
        .await;
        let key = granted["uploadKey"].as_str().unwrap().to_owned();
        assert!(key.starts_with(&format!("imports/{a}/")), "{granted}");
        assert!(granted["expiresAt"].is_string(), "{granted}");
        let put = pc_tests::browser()
            .put(granted["uploadUrl"].as_str().unwrap())
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await
            .expect("the upload target answers");
        assert!(put.status().is_success(), "upload: {}", put.status());

        // Another partner's admin, or staff naming another partner, cannot
        // import it.
        let theirs = serde_json::json!({"uploadKey": key});
        expect_json(
            import_upload(app, &admin_b, &theirs).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let misfiled = serde_json::json!({"uploadKey": key, "partnerId": b});
        expect_json(
            import_upload(app, &staff, &misfiled).await,
            StatusCode::NOT_FOUND,
        )
        .await;

        let task_id = started(import_upload(app, &admin_a, &theirs).await).await;
        let task = get_ok(app, &admin_a, &format!("/v1/leads/import/{task_id}")).await;
        assert_eq!(task["total"], 1_000, "{task}");
        assert_eq!(task["partnerId"], a.as_str());
        // The upload is removed once its rows are stored.
        expect_json(
            import_upload(app, &admin_a, &theirs).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
);
