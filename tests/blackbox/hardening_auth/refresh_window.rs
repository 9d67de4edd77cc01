//! Two tabs of one browser refreshing at once both stay signed in.

use pc_tests::accounts_support::{bare_client, get_with_bearer, refresh_with, set_cookie};
use pc_tests::reqwest::StatusCode;
use pc_tests::{expect_json, scenario};

use super::fixtures::{OWNER_EMAIL, OWNER_PASSWORD};

scenario!(two_tabs_refreshing_at_once_stay_signed_in, |app| {
    let signed_in = app
        .sign_in_as(&bare_client(), OWNER_EMAIL, OWNER_PASSWORD)
        .await;
    let refresh = set_cookie(&signed_in, "refreshToken").unwrap();
    let (a, b) = tokio::join!(refresh_with(app, &refresh), refresh_with(app, &refresh));
    assert_eq!(a.status(), StatusCode::OK);
    assert_eq!(b.status(), StatusCode::OK);
    let tabs = [&a, &b].map(|r| {
        (
            set_cookie(r, "accessToken").unwrap(),
            set_cookie(r, "refreshToken").unwrap(),
        )
    });
    for (access, _) in &tabs {
        expect_json(
            get_with_bearer(app, "/auth/me", access).await,
            StatusCode::OK,
        )
        .await;
    }
    // Either tab's new refresh token carries on the family.
    let next = refresh_with(app, &tabs[1].1).await;
    assert_eq!(next.status(), StatusCode::OK);
    let latest = set_cookie(&next, "accessToken").unwrap();
    expect_json(
        get_with_bearer(app, "/auth/me", &latest).await,
        StatusCode::OK,
    )
    .await;

    // The first token again, 31 seconds later: theft, the family is revoked.
    let later = app.server.context.clock.now() + chrono::Duration::seconds(31);
    app.set_clock(&later.to_rfc3339()).await;
    let stolen = refresh_with(app, &refresh).await;
    assert_eq!(stolen.status(), StatusCode::UNAUTHORIZED);
    expect_json(
        get_with_bearer(app, "/auth/me", &latest).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(
        refresh_with(app, &set_cookie(&next, "refreshToken").unwrap())
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
});
