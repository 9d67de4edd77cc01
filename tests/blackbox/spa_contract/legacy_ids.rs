//! `_id` beside every `id`, nested references included.

use pc_http::identity::Role;
use pc_tests::leads_support::{
    chili_event, deliver, get_ok, seed_partner, signed_in_user, wait_for,
};
use pc_tests::reqwest::StatusCode;
use pc_tests::{expect_json, json, scenario};
use serde_json::Value;

fn row_with<'v>(list: &'v Value, field: &str, value: &str) -> &'v Value {
    list["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[field] == value)
        .unwrap_or_else(|| panic!("no row with {field} {value} in {list}"))
}

scenario!(
    every_record_and_reference_carries_its_id_as_underscore_id,
    |app| {
        app.sign_in_owner().await;
        let pid = seed_partner(app, "Acme", &["Acme Demo"]).await;
        let (_, email) = signed_in_user(app, Some(&pid), Role::User).await;

        // users.vue:
        //   <TableRow v-for="user in users" :key="user._id">
        //   <Switch @update:model-value="toggleActive(user._id, $event)" />
        //   const toggleActive = async (userId, isActive) => {
        //     await UsersGateway.toggleStatus({ id: userId, isActive }) }
        let users = get_ok(app, &app.client, "/v1/users").await;
        let user = row_with(&users, "email", &email);
        assert_eq!(user["_id"], user["id"]);
        let toggled = app
            .patch(
                &format!("/v1/users/{}/status", user["_id"].as_str().unwrap()),
                &json!({"isActive": false}),
            )
            .await;
        expect_json(toggled, StatusCode::OK).await;
        let users = get_ok(app, &app.client, "/v1/users").await;
        assert_eq!(row_with(&users, "email", &email)["isActive"], false);
        let me = get_ok(app, &app.client, "/auth/me").await;
        assert_eq!(me["_id"], me["id"]);

        // LeadsDataTable.vue (admin): <SelectItem v-for="partner in partners" :value="partner._id">
        let partners = get_ok(app, &app.client, "/v1/partners").await;
        assert_eq!(row_with(&partners, "id", &pid)["_id"], pid.as_str());

        // AppointmentsTable.vue:
        //   <TableRow v-for="apt in appointments" :key="apt._id">
        //   <NuxtLink :to="`/leads/${apt.lead._id}`">{{ apt.leadEmail }}</NuxtLink>
        //   <Button @click="viewDetails(apt._id)">View</Button>
        deliver(
            app,
            &chili_event(
                "m-ids",
                "created",
                "Acme Demo",
                "2030-03-01T15:00:00.000Z",
                "gina@guest.example",
            ),
        )
        .await;
        let meetings = wait_for(app, &app.client, "/v1/meetings", |b| {
            b["list"].as_array().is_some_and(|l| !l.is_empty())
        })
        .await;
        app.drain().await;
        let apt = &meetings["list"][0];
        assert_eq!(apt["_id"], "m-ids");
        let lead_id = apt["lead"]["_id"].as_str().expect("apt.lead._id");
        assert_eq!(apt["lead"]["id"], lead_id);
        // The page at /leads/:id reads GET /v1/leads/:id.
        let lead = get_ok(app, &app.client, &format!("/v1/leads/{lead_id}")).await;
        assert_eq!(lead["_id"], lead_id);
        assert_eq!(
            lead["partner"]["_id"],
            pid.as_str(),
            "nested references too"
        );
        assert_eq!(lead["meetings"][0]["_id"], "m-ids");
        let one = get_ok(
            app,
            &app.client,
            &format!("/v1/meetings/{}", apt["_id"].as_str().unwrap()),
        )
        .await;
        assert_eq!(one["lead"]["_id"], lead_id);

        // The document shows it, beside `id`, in the answers' schemas.
        let doc = get_ok(app, &app.client, "/api/docs/openapi.json").await;
        let schemas = &doc["components"]["schemas"];
        for name in ["UserView", "LeadSummary", "PartnerRef", "NoteView"] {
            assert!(
                schemas[name]["properties"]["_id"].is_object(),
                "{name} shows _id: {}",
                schemas[name]
            );
        }
    }
);
