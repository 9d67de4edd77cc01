//! The payout profile: sealed at rest, shown masked.

use pc_http::identity::Role;
use pc_referrals::keys::profile_key;
use pc_tests::leads_support::signed_in_user;
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{json, scenario};
use serde_json::Value;

use super::fixtures::{fields, ok, referrer, refused};

scenario!(
    the_payout_profile_is_sealed_at_rest_and_shown_masked,
    |app| {
        app.sign_in_owner().await;
        let (pid, admin) = referrer(app, "Profiled", 10.0).await;
        let fresh = ok(app, &admin, Method::GET, "/api/partner/profile", None).await;
        assert_eq!(fresh["bankAccount"], Value::Null);
        assert_eq!(fresh["monthlyReports"], true);
        let body = json!({"paymentEmail": "Pay@Profiled.example", "paymentMethod": "bank_transfer",
        "bankAccount": "DE89 3704 0044 0532 0130 00", "taxId": "12-3456789",
        "contactName": "Rita", "address": "1 Main St", "city": "Springfield", "zip": "12345",
        "monthlyReports": false});
        let saved = ok(
            app,
            &admin,
            Method::PATCH,
            "/api/partner/profile",
            Some(body),
        )
        .await;
        assert_eq!(saved["bankAccount"], "****3000");
        assert_eq!(saved["taxId"], "****6789");
        assert_eq!(saved["paymentEmail"], "pay@profiled.example");
        assert_eq!(saved["monthlyReports"], false);
        let read = ok(app, &admin, Method::GET, "/api/partner/profile", None).await;
        assert_eq!(read, saved);
        let stored = app
            .server
            .context
            .store
            .get(&profile_key(&pid))
            .await
            .unwrap()
            .expect("stored profile");
        let raw = serde_json::to_string(&stored).unwrap();
        assert!(!raw.contains("DE89") && !raw.contains("3456789"), "{raw}");

        let cleared = ok(
            app,
            &admin,
            Method::PATCH,
            "/api/partner/profile",
            Some(json!({"taxId": null})),
        )
        .await;
        assert_eq!(cleared["taxId"], Value::Null);
        assert_eq!(cleared["bankAccount"], "****3000");
        let bad = refused(
            app,
            &admin,
            Method::PATCH,
            "/api/partner/profile",
            Some(json!({"bankAccount": "12", "paymentMethod": "gold", "shoeSize": 9})),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(fields(&bad).len(), 3, "{bad}");
        // A user of the partner reads it; only its admins change it.
        let (user, _) = signed_in_user(app, Some(&pid), Role::User).await;
        assert_eq!(
            ok(app, &user, Method::GET, "/api/partner/profile", None).await["taxId"],
            Value::Null
        );
        refused(
            app,
            &user,
            Method::PATCH,
            "/api/partner/profile",
            Some(json!({"city": "X"})),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
);
