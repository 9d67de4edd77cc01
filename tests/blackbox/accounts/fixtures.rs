//! The seeded owner's credentials and a sign-in that hands back its raw
//! tokens, shared by the session and rate-limit scenarios.

use pc_tests::TestApp;
use pc_tests::accounts_support::{bare_client, set_cookie};
use pc_tests::reqwest::StatusCode;

pub(super) const OWNER_EMAIL: &str = "owner@partner-connector.local";
pub(super) const OWNER_PASSWORD: &str = "Owner-Password-1";

/// Signs a bare client in as the owner; answers (access, refresh) tokens.
pub(super) async fn owner_tokens(app: &TestApp) -> (String, String) {
    let response = app
        .sign_in_as(&bare_client(), OWNER_EMAIL, OWNER_PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let access = set_cookie(&response, "accessToken").expect("access cookie");
    let refresh = set_cookie(&response, "refreshToken").expect("refresh cookie");
    (access, refresh)
}
