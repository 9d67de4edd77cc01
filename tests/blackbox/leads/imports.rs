//! Lead imports from CSV and XLSX, with bad and duplicate rows and
//! refused files.

use pc_http::identity::Role;
use pc_tests::leads_support::{get_ok, seed_partner, signed_in_user, wait_for};
use pc_tests::reqwest::{Client, StatusCode};
use pc_tests::{TestApp, expect_json, scenario};
use serde_json::Value;

use super::fixtures::{fixture, upload};

async fn finished_task(app: &TestApp, client: &Client, task_id: &str) -> Value {
    wait_for(app, client, &format!("/v1/leads/import/{task_id}"), |b| {
        b["status"] == "completed"
    })
    .await
}

scenario!(imports_csv_and_xlsx_with_bad_and_duplicate_rows, |app| {
    let pid = seed_partner(app, "Delta", &[]).await;
    let (staff, _) = signed_in_user(app, None, Role::Admin).await;
    let (admin, _) = signed_in_user(app, Some(&pid), Role::Admin).await;

    let started = upload(app, &staff, Some(&pid), "leads.csv", fixture("leads.csv")).await;
    let task_id = expect_json(started, StatusCode::ACCEPTED).await["taskId"]
        .as_str()
        .unwrap()
        .to_owned();
    let task = finished_task(app, &admin, &task_id).await;
    assert_eq!(task["total"], 6, "{task}");
    assert_eq!(task["processed"], 6);
    assert_eq!(task["created"], 3);
    assert_eq!(task["updated"], 0);
    assert_eq!(task["failed"], 2);
    let errors: Vec<_> = task["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [(4, "email".to_owned()), (5, "dealAmount".to_owned())]
    );
    let leads = get_ok(app, &admin, "/v1/leads?sort=email:asc").await;
    let emails: Vec<_> = leads["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        emails,
        ["ann@acme.example", "bob@bolt.example", "eve@echo.example"]
    );
    assert_eq!(leads["list"][0]["dealAmount"], 1200.5);
    assert_eq!(leads["list"][0]["source"], "import");

    // The same file again changes nothing.
    let again = upload(app, &admin, None, "leads.csv", fixture("leads.csv")).await;
    let again_id = expect_json(again, StatusCode::ACCEPTED).await["taskId"]
        .as_str()
        .unwrap()
        .to_owned();
    let task = finished_task(app, &admin, &again_id).await;
    assert_eq!(
        (
            task["created"].as_u64(),
            task["updated"].as_u64(),
            task["failed"].as_u64()
        ),
        (Some(0), Some(0), Some(2))
    );
    assert_eq!(get_ok(app, &admin, "/v1/leads").await["meta"]["total"], 3);

    // XLSX.
    let xlsx = upload(app, &admin, None, "leads.xlsx", fixture("leads.xlsx")).await;
    let xlsx_id = expect_json(xlsx, StatusCode::ACCEPTED).await["taskId"]
        .as_str()
        .unwrap()
        .to_owned();
    let task = finished_task(app, &admin, &xlsx_id).await;
    assert_eq!(
        (
            task["total"].as_u64(),
            task["created"].as_u64(),
            task["failed"].as_u64()
        ),
        (Some(4), Some(2), Some(1)),
        "{task}"
    );
    assert_eq!(task["errors"][0]["row"], 4);
    assert_eq!(get_ok(app, &admin, "/v1/leads").await["meta"]["total"], 5);

    // Refused whole, before anything is written.
    let pdf = upload(
        app,
        &admin,
        None,
        "leads.pdf",
        fixture("not-a-spreadsheet.pdf"),
    )
    .await;
    assert_eq!(
        expect_json(pdf, StatusCode::BAD_REQUEST).await["error"]["details"][0]["field"],
        "file"
    );
    let no_email = upload(
        app,
        &admin,
        None,
        "no-email-column.csv",
        fixture("no-email-column.csv"),
    )
    .await;
    assert_eq!(no_email.status(), StatusCode::BAD_REQUEST);
    let mut big = b"email,company\n".to_vec();
    while big.len() <= 10 * 1024 * 1024 + 1024 {
        big.extend_from_slice(b"someone.with.a.long.address@example.com,Some Company Name Inc\n");
    }
    let too_big = upload(app, &admin, None, "big.csv", big).await;
    assert_eq!(too_big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let no_partner = upload(app, &staff, None, "leads.csv", fixture("leads.csv")).await;
    assert_eq!(
        expect_json(no_partner, StatusCode::BAD_REQUEST).await["error"]["details"][0]["field"],
        "partnerId"
    );
    app.drain().await;
    assert_eq!(get_ok(app, &admin, "/v1/leads").await["meta"]["total"], 5);
});
