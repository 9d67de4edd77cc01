//! The schedules: reminders fire at 09:00 in Los Angeles in summer and in
//! winter, and every schedule is listed, unbuilt ones saying so.

use pc_tests::notify_support::{at, pc_notify};
use pc_tests::reqwest::StatusCode;
use pc_tests::{TestApp, expect_json, json, scenario, wait_until};

/// Waits for a scheduled (not on-demand) run of the reminders requested
/// at a time starting with `prefix`.
async fn wait_for_scheduled_run(app: &TestApp, prefix: &str) -> serde_json::Value {
    let found = wait_until(|| async {
        let jobs = app
            .get("/v1/admin/jobs")
            .await
            .json::<serde_json::Value>()
            .await
            .ok()?;
        let job = jobs["list"]
            .as_array()?
            .iter()
            .find(|j| j["name"] == "daily-lead-reminders")?
            .clone();
        job["recentRuns"]
            .as_array()?
            .iter()
            .find(|r| {
                r["trigger"] == "schedule"
                    && r["requestedAt"]
                        .as_str()
                        .is_some_and(|t| t.starts_with(prefix))
            })
            .cloned()
    })
    .await;
    found.unwrap_or_else(|| panic!("no scheduled reminders run at {prefix}"))
}

scenario!(
    reminders_fire_at_nine_in_los_angeles_in_summer_and_winter,
    |app| {
        // The schedule itself: 09:00 local is 16:00 UTC in summer, 17:00 in winter.
        let schedule = pc_notify::DAILY_LEAD_REMINDERS;
        assert_eq!(schedule.expression(), "cron(0 9 * * ? *)");
        assert_eq!(schedule.timezone, "America/Los_Angeles");
        assert_eq!(
            schedule.next_after(at("2024-07-15T12:00:00Z")),
            at("2024-07-15T16:00:00Z")
        );
        assert_eq!(
            schedule.next_after(at("2024-01-15T12:00:00Z")),
            at("2024-01-15T17:00:00Z")
        );
        // Across the autumn change (2024-11-03): still 09:00 local.
        assert_eq!(
            schedule.next_after(at("2024-11-02T16:00:00Z")),
            at("2024-11-03T17:00:00Z")
        );

        // The running system fires it when its clock passes 09:00 in Los
        // Angeles: summer first, then back to winter (moving the clock back
        // re-arms the scheduler; moving it forward past a firing would fire at once).
        app.set_clock("2024-07-15T15:59:58Z").await;
        app.sign_in_owner().await;
        let summer = wait_for_scheduled_run(app, "2024-07-15T16:00:0").await;
        assert!(summer["requestedAt"].as_str().unwrap() >= "2024-07-15T16:00:00.000Z");

        app.set_clock("2024-01-15T16:59:58Z").await;
        app.sign_in_owner().await;
        let winter = wait_for_scheduled_run(app, "2024-01-15T17:00:0").await;
        assert!(winter["requestedAt"].as_str().unwrap() >= "2024-01-15T17:00:00.000Z");
    }
);

scenario!(every_schedule_is_listed_and_unbuilt_ones_say_so, |app| {
    app.sign_in_owner().await;
    let jobs = expect_json(app.get("/v1/admin/jobs").await, StatusCode::OK).await;
    let listed = |name: &str| {
        jobs["list"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} not listed: {jobs}"))
    };
    let expected = [
        (
            "daily-lead-reminders",
            "cron(0 9 * * ? *)",
            "America/Los_Angeles",
        ),
        (
            "monthly-invoices",
            "cron(0 0 1 * ? *)",
            "America/Los_Angeles",
        ),
        ("hubspot-sync", "rate(15 minutes)", "UTC"),
        ("reservation-expiry", "rate(5 minutes)", "UTC"),
        ("hubspot-token-refresh", "rate(30 minutes)", "UTC"),
    ];
    for (name, expression, zone) in expected {
        let job = listed(name);
        assert_eq!(job["schedule"], expression, "{name}");
        assert_eq!(job["timezone"], zone, "{name}");
    }
    // An owner can run the reminders on demand.
    let started = expect_json(
        app.post("/v1/admin/jobs/daily-lead-reminders/run", &json!({}))
            .await,
        StatusCode::ACCEPTED,
    )
    .await;
    assert!(started["taskId"].is_string());
});
