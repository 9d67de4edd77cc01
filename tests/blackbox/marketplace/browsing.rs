//! A listed lead is browsed masked and scored, and opened (still masked)
//! once per partner.

use pc_tests::marketplace_support::{
    SOFTWARE_ICP, agency, browse, call, connect, ids, list, software_lead,
};
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{expect_json, scenario};

scenario!(
    a_listed_lead_is_browsed_masked_and_opened_masked_once_per_partner,
    |app| {
        let seller = agency(app, "Seller Agency", &[]).await;
        let buyer = agency(app, "Buyer Agency", SOFTWARE_ICP).await;
        let other = agency(app, "Other Agency", &[("industry", "Retail")]).await;
        connect(app, &seller.id, true).await;
        let lead = software_lead(app, &seller.id, "jane@example.com").await;

        let listing = list(app, &seller, &lead, 250.5).await;
        assert_eq!(listing["marketplaceStatus"], "listed");
        assert_eq!(listing["listingPriceCents"], 25_050);
        assert_eq!(listing["listingPrice"], 250.5);

        // The buyer sees it masked, with its match and why; no person's name.
        let page = browse(app, &buyer.admin, "").await;
        assert_eq!(ids(&page), [lead.as_str()]);
        let row = &page["list"][0];
        assert_eq!(row["email"], "j***@example.com");
        assert_eq!(row["phone"], "+1 (555) ***-1234");
        assert_eq!(row["icpMatch"], 100);
        assert_eq!(row["matchReasons"][0], "industry matches");
        assert_eq!(row["matchReasons"][1], "company size 51–200 within 11–200");
        for hidden in ["firstName", "lastName", "notes", "website"] {
            assert!(
                row.get(hidden).is_none_or(|v| v.is_null()),
                "{hidden}: {row}"
            );
        }
        assert_eq!(page["meta"]["total"], 1);
        // The seller does not see its own listing; a poor match is filtered out.
        assert_eq!(browse(app, &seller.admin, "").await["meta"]["total"], 0);
        let other_page = browse(app, &other.admin, "").await;
        assert_eq!(other_page["list"][0]["icpMatch"], 0);
        assert_eq!(
            browse(app, &other.admin, "?minMatch=70").await["meta"]["total"],
            0
        );
        assert_eq!(
            browse(app, &buyer.admin, "?minMatch=70&industry=software").await["meta"]["total"],
            1
        );
        assert_eq!(
            browse(app, &buyer.admin, "?industry=retail").await["meta"]["total"],
            0
        );
        assert_eq!(
            browse(app, &buyer.admin, "?maxPrice=200").await["meta"]["total"],
            0
        );
        assert_eq!(
            browse(app, &buyer.admin, "?minPrice=200&country=us").await["meta"]["total"],
            1
        );
        let bad = call(
            app,
            &buyer.admin,
            Method::GET,
            "/v1/marketplace/leads?minMatch=abc",
            None,
        )
        .await;
        expect_json(bad, StatusCode::BAD_REQUEST).await;

        // The detail is masked too (the contact is what is sold); the view
        // counts once per partner.
        let detail_path = format!("/v1/marketplace/leads/{lead}");
        for _ in 0..3 {
            let detail = expect_json(
                call(app, &buyer.admin, Method::GET, &detail_path, None).await,
                StatusCode::OK,
            )
            .await;
            assert_eq!(detail["email"], "j***@example.com");
            assert_eq!(detail["phone"], "+1 (555) ***-1234");
            assert_eq!(detail["website"], "acme.example");
            assert_eq!(detail["viewCount"], 1);
            assert!(detail.get("notes").is_none() && detail.get("firstName").is_none());
        }
        let seen = expect_json(
            call(app, &other.admin, Method::GET, &detail_path, None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(seen["viewCount"], 2);
        let mine = expect_json(
            call(
                app,
                &seller.admin,
                Method::GET,
                "/v1/marketplace/my-listings",
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(mine["list"][0]["viewCount"], 2);
        let mut viewers: Vec<String> =
            serde_json::from_value(mine["list"][0]["viewedBy"].clone()).unwrap();
        viewers.sort();
        let mut expected = vec![buyer.id.clone(), other.id.clone()];
        expected.sort();
        assert_eq!(viewers, expected);

        // The partner whose ICP matches is emailed; the other is not.
        app.drain().await;
        app.wait_for_mail(&buyer.admin_email, "matches your profile")
            .await;
        let mails = app.mailbox().await;
        assert!(!mails.iter().any(|m| m["to"] == other.admin_email.as_str()));

        // Taken off the market, it is gone from browsing and its detail.
        let unlist = format!("/v1/marketplace/leads/{lead}/list");
        let delisted = expect_json(
            call(app, &seller.admin, Method::DELETE, &unlist, None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(delisted["marketplaceStatus"], "delisted");
        assert_eq!(browse(app, &buyer.admin, "").await["meta"]["total"], 0);
        expect_json(
            call(app, &buyer.admin, Method::GET, &detail_path, None).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let again = expect_json(
            call(app, &seller.admin, Method::DELETE, &unlist, None).await,
            StatusCode::CONFLICT,
        )
        .await;
        assert_eq!(again["error"]["code"], "lead_not_available");
    }
);
