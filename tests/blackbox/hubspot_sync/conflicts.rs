//! A field changed on both sides is a conflict, resolved each way.

use pc_http::identity::Role;
use pc_platform::crm::ObjectType;
use pc_tests::hubspot_support::{connect, fake, full_sync, seed_leads, user_update};
use pc_tests::leads_support::{seed_partner, signed_in_user};
use pc_tests::reqwest::StatusCode;
use pc_tests::{expect_json, json, scenario};

use super::fixtures::{get, post};

scenario!(both_sides_changed_is_a_conflict_resolved_each_way, |app| {
    let partner = seed_partner(app, "Torn", &[]).await;
    let portal = connect(app, &partner).await;
    let leads = seed_leads(app, &partner, 1).await;
    let (admin, _) = signed_in_user(app, Some(&partner), Role::Admin).await;
    full_sync(app, &admin, &partner).await;
    let lead = get(
        app,
        &admin,
        &format!("/v1/leads/{}", leads[0]),
        StatusCode::OK,
    )
    .await;
    let contact_id = lead["hubspotContactId"].as_str().unwrap().to_owned();

    let patched = admin
        .patch(app.url(&format!("/v1/leads/{}", leads[0])))
        .json(&json!({"firstName": "OursFirst", "lastName": "OursLast", "company": "Ours Inc"}))
        .send()
        .await
        .unwrap();
    expect_json(patched, StatusCode::OK).await;
    user_update(
        app,
        &portal,
        ObjectType::Contacts,
        &contact_id,
        &[
            ("firstname", "TheirsFirst"),
            ("lastname", "TheirsLast"),
            ("company", "Theirs Inc"),
        ],
    )
    .await;
    // Whether HubSpot's webhook or the sync sees it first, three fields
    // changed on both sides make three conflicts.
    full_sync(app, &admin, &partner).await;
    let list = get(app, &admin, "/v1/sync/conflicts", StatusCode::OK).await;
    assert_eq!(list["meta"]["total"], 3);
    let id_of = |field: &str| {
        list["list"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["field"] == field)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (first, last, company) = (id_of("firstName"), id_of("lastName"), id_of("company"));

    // Another partner's admin sees none of them.
    let other = seed_partner(app, "Else", &[]).await;
    let (stranger, _) = signed_in_user(app, Some(&other), Role::Admin).await;
    let theirs = get(app, &stranger, "/v1/sync/conflicts", StatusCode::OK).await;
    assert_eq!(theirs["meta"]["total"], 0);
    post(
        app,
        &stranger,
        &format!("/v1/sync/conflicts/{first}/resolve"),
        json!({"resolution": "pc"}),
        StatusCode::NOT_FOUND,
    )
    .await;

    post(
        app,
        &admin,
        &format!("/v1/sync/conflicts/{first}/resolve"),
        json!({"resolution": "pc"}),
        StatusCode::OK,
    )
    .await;
    post(
        app,
        &admin,
        &format!("/v1/sync/conflicts/{last}/resolve"),
        json!({"resolution": "hubspot"}),
        StatusCode::OK,
    )
    .await;
    let bad = post(
        app,
        &admin,
        &format!("/v1/sync/conflicts/{company}/resolve"),
        json!({"resolution": "merge"}),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(bad["error"]["details"][0]["field"], "values");
    post(
        app,
        &admin,
        &format!("/v1/sync/conflicts/{company}/resolve"),
        json!({"resolution": "merge", "values": {"company": "Merged Inc"}}),
        StatusCode::OK,
    )
    .await;
    let twice = post(
        app,
        &admin,
        &format!("/v1/sync/conflicts/{first}/resolve"),
        json!({"resolution": "hubspot"}),
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(twice["error"]["code"], "conflict_resolved");

    let lead = get(
        app,
        &admin,
        &format!("/v1/leads/{}", leads[0]),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            lead["firstName"].as_str(),
            lead["lastName"].as_str(),
            lead["company"].as_str()
        ),
        (Some("OursFirst"), Some("TheirsLast"), Some("Merged Inc"))
    );
    let contact = fake(app)
        .object(&portal.portal_id, ObjectType::Contacts, &contact_id)
        .await
        .unwrap()
        .unwrap();
    let prop = |name: &str| contact.properties.get(name).cloned();
    assert_eq!(
        (prop("firstname"), prop("lastname"), prop("company")),
        (
            Some("OursFirst".into()),
            Some("TheirsLast".into()),
            Some("Merged Inc".into())
        )
    );
    // Level again: the next sync finds nothing to do and no conflict.
    let after = full_sync(app, &admin, &partner).await;
    assert_eq!(after["conflicts"].as_u64(), Some(0));
});
