//! The fake HubSpot plays along with inventory: a HubSpot user creates a
//! deal associated with existing contacts (`contactIds` beside
//! `properties` on `POST /dev/hubspot/{partnerId}/deals`), in one write.

use pc_tests::hubspot_support::connect;
use pc_tests::market_support::partner;
use pc_tests::reqwest::StatusCode;
use pc_tests::{expect_json, json, scenario};

scenario!(a_dev_deal_is_created_with_its_contacts, |app| {
    let seller = partner(app, "Inventory Seller").await;
    connect(app, &seller.partner_id).await;
    let base = format!("/dev/hubspot/{}", seller.partner_id);
    let contact = expect_json(
        app.post(
            &format!("{base}/contacts"),
            &json!({"properties": {"email": "lost@deal.example", "firstname": "Lou"}}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let contact_id = contact["id"].as_str().unwrap().to_owned();
    let deal = expect_json(
        app.post(
            &format!("{base}/deals"),
            &json!({"properties": {"dealname": "Lost deal"}, "contactIds": [contact_id]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let associations = expect_json(
        app.get(&format!("{base}/associations")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        associations["results"],
        json!([{"dealId": deal["id"], "contactId": contact_id}]),
        "{associations}"
    );

    // An unknown contact refuses the deal; a contact takes no contacts.
    let unknown = expect_json(
        app.post(
            &format!("{base}/deals"),
            &json!({"properties": {"dealname": "Orphan"}, "contactIds": ["424242"]}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        unknown["error"]["message"]
            .as_str()
            .unwrap()
            .contains("424242")
    );
    let bad = expect_json(
        app.post(
            &format!("{base}/contacts"),
            &json!({"properties": {"email": "x@y.example"}, "contactIds": [contact_id]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(bad["error"]["details"][0]["field"], "contactIds");
    let deals = expect_json(app.get(&format!("{base}/deals")).await, StatusCode::OK).await;
    assert_eq!(deals["results"].as_array().unwrap().len(), 1);
});
