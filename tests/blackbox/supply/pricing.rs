//! The pricing engine on a seller's listings: listed without a price, a
//! lead goes on the market at the suggestion; a rich profile wanted by
//! partners is priced above a bare email; the listing shows the
//! suggestion and its reasons, and the seller may still set the price.

use pc_tests::market_support::{create_lead, get_ok};
use pc_tests::marketplace_support::{SOFTWARE_ICP, agency, call, connect, software_lead};
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{expect_json, json, scenario};
use serde_json::Value;

scenario!(listings_show_the_suggested_price_and_its_reasons, |app| {
    let seller = agency(app, "Pricing Seller", &[]).await;
    connect(app, &seller.id, true).await;
    agency(app, "Wants Software", SOFTWARE_ICP).await;
    agency(app, "Wants Software Too", SOFTWARE_ICP).await;
    let rich = software_lead(app, &seller.id, "rich@acme.example").await;
    let bare = create_lead(
        app,
        &seller.admin,
        &json!({"email": "bare@nowhere.example"}),
    )
    .await;
    let list = |lead: String, body: Value| {
        let path = format!("/v1/marketplace/leads/{lead}/list");
        let client = &seller.admin;
        async move {
            expect_json(
                call(app, client, Method::POST, &path, Some(body)).await,
                StatusCode::OK,
            )
            .await
        }
    };
    let rich_listing = list(rich.clone(), json!({})).await;
    let bare_listing = list(bare.clone(), json!({})).await;

    let rich_price = rich_listing["suggestedPriceCents"].as_i64().unwrap();
    let bare_price = bare_listing["suggestedPriceCents"].as_i64().unwrap();
    assert_eq!(rich_listing["listingPriceCents"], rich_price);
    assert_eq!(bare_listing["listingPriceCents"], bare_price);
    assert!(rich_price > bare_price, "{rich_listing} vs {bare_listing}");
    assert!((1_000..=1_000_000).contains(&bare_price));
    let reasons: Vec<&str> = rich_listing["suggestionReasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("2 partners")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("8 filled")),
        "{reasons:?}"
    );

    // The seller's own price wins; the suggestion stays on the listing.
    let own = list(rich.clone(), json!({"price": 55})).await;
    assert_eq!(own["listingPriceCents"], 5_500);
    assert_eq!(own["suggestedPriceCents"], rich_price);
    let mine = get_ok(app, &seller.admin, "/v1/marketplace/my-listings").await;
    let row = mine["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == rich.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["listingPriceCents"], 5_500);
    assert_eq!(row["suggestedPriceCents"], rich_price);
    assert!(!row["suggestionReasons"].as_array().unwrap().is_empty());
});
