//! Browsing by match reads the caller's browse index once it is built:
//! the order and the filters stay what they were, and the index follows
//! every change — a listing reserved or delisted leaves it, a released one
//! comes back, an ICP change reorders it.

use reqwest::Method;
use serde_json::json;

use pc_marketplace::keys::state_key;
use pc_tests::marketplace_support::{
    SOFTWARE_ICP, agency, browse, call, connect, ids, industry_lead, list, reserve, software_lead,
};
use pc_tests::reqwest::StatusCode;
use pc_tests::{TestApp, expect_json, scenario};

/// Whether `partner_id`'s browse index is complete (browsing reads it).
async fn index_complete(app: &TestApp, partner_id: &str) -> bool {
    let state = app.server.context.store.get(&state_key(partner_id)).await;
    state
        .expect("state read")
        .is_some_and(|s| s["complete"] == true)
}

scenario!(
    browsing_reads_the_index_and_the_index_follows_every_change,
    |app| {
        let seller = agency(app, "Index Seller", &[]).await;
        let buyer = agency(app, "Index Buyer", SOFTWARE_ICP).await;
        let rival = agency(app, "Index Rival", &[]).await;
        connect(app, &seller.id, true).await;
        let software = software_lead(app, &seller.id, "soft@index.example").await;
        let retail = industry_lead(app, &seller.id, "shop@index.example", "Retail").await;
        let finance = industry_lead(app, &seller.id, "bank@index.example", "Finance").await;
        for lead in [&finance, &retail, &software] {
            list(app, &seller, lead, 100.0).await;
        }

        // The first browse has no index yet: it reads the listed leads and
        // starts the build; the same page comes from the index after it.
        let before = browse(app, &buyer.admin, "").await;
        let after = browse(app, &buyer.admin, "").await;
        assert!(index_complete(app, &buyer.id).await, "built once settled");
        assert_eq!(before["list"], after["list"]);
        // Best match first (retail and finance tie at 60).
        assert_eq!(ids(&after)[0], software);
        assert_eq!(after["list"][0]["icpMatch"], 100);
        assert_eq!(after["list"][1]["icpMatch"], 60);
        assert_eq!(after["meta"]["total"], 3);
        // Pages, and the industry filter, from the index too.
        let second = browse(app, &buyer.admin, "?perPage=2&page=1").await;
        assert_eq!(second["list"], json!([after["list"][2]]));
        assert_eq!(second["meta"]["total"], 3);
        let shops = browse(app, &buyer.admin, "?industry=retail").await;
        assert_eq!(ids(&shops), [retail.as_str()]);
        assert_eq!(shops["meta"]["total"], 1);
        // Filters the index does not answer still hold.
        let fits = browse(app, &buyer.admin, "?minMatch=70").await;
        assert_eq!(ids(&fits), [software.as_str()]);
        // The seller never sees its own listings.
        assert_eq!(browse(app, &seller.admin, "").await["meta"]["total"], 0);
        assert_eq!(browse(app, &seller.admin, "").await["list"], json!([]));

        // An ICP change reorders the buyer's index.
        let patch = call(
            app,
            &buyer.admin,
            Method::PATCH,
            &format!("/v1/partners/{}", buyer.id),
            Some(json!({"icp": {"industry": "Retail"}})),
        )
        .await;
        expect_json(patch, StatusCode::OK).await;
        let reordered = browse(app, &buyer.admin, "").await;
        assert!(
            index_complete(app, &buyer.id).await,
            "rebuilt for the new ICP"
        );
        assert_eq!(ids(&reordered)[0], retail);
        assert_eq!(reordered["list"][0]["icpMatch"], 40);

        // Reserved: out of every index and the counts; released: back.
        let reserved = reserve(app, &rival.admin, &retail, json!(7)).await;
        let reservation = expect_json(reserved, StatusCode::CREATED).await;
        let page = browse(app, &buyer.admin, "").await;
        let mut left = ids(&page);
        left.sort();
        let mut expected = vec![software.clone(), finance.clone()];
        expected.sort();
        assert_eq!(left, expected);
        assert_eq!(page["meta"]["total"], 2);
        assert_eq!(
            browse(app, &buyer.admin, "?industry=retail").await["meta"]["total"],
            0
        );
        let cancel = format!(
            "/v1/marketplace/reservations/{}",
            reservation["id"].as_str().unwrap()
        );
        let cancelled = call(app, &rival.admin, Method::DELETE, &cancel, None).await;
        assert!(cancelled.status().is_success(), "{}", cancelled.status());
        let page = browse(app, &buyer.admin, "").await;
        assert_eq!(ids(&page)[0], retail);
        assert_eq!(page["meta"]["total"], 3);

        // Delisted: gone from the index and the counts.
        let unlist = format!("/v1/marketplace/leads/{software}/list");
        let delisted = call(app, &seller.admin, Method::DELETE, &unlist, None).await;
        expect_json(delisted, StatusCode::OK).await;
        let page = browse(app, &buyer.admin, "").await;
        assert_eq!(ids(&page), [retail.as_str(), finance.as_str()]);
        assert_eq!(page["meta"]["total"], 2);
        assert_eq!(
            browse(app, &buyer.admin, "?industry=software").await["meta"]["total"],
            0
        );
    }
);
