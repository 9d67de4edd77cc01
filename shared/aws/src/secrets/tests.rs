//! Against moto's Secrets Manager (which serves `BatchGetSecretValue`
//! and the `AWSPREVIOUS` stage).

use pc_platform::config::{Keyring, Secret};
use pc_platform::secrets::{SecretSource, SecretsError};

use super::*;
use crate::moto;

const STATE: &str = "oauth-secret-from-the-store-0123456789abcdef";
const ROTATED: &str = "oauth-secret-after-rotation-0123456789abcdef";

#[tokio::test(flavor = "multi_thread")]
async fn a_function_reads_its_secrets_and_after_a_rotation_both_values() {
    let sdk = moto::sdk_config().await;
    let prefix = moto::unique("secrets-");
    let local = Keyring::fixed([
        (Secret::OauthState, STATE.to_owned()),
        (Secret::StripeSecretKey, "sk_test_from_the_store".to_owned()),
    ]);
    let arns = store_local(&sdk, &prefix, &local).await.unwrap();
    assert_eq!(arns.len(), 2);
    assert!(
        arns.iter()
            .all(|(_, arn)| arn.starts_with("arn:aws:secretsmanager:"))
    );

    // The function holding only the OAuth state key reads that one, by the name
    // the deployed template gives it (`<prefix>OAUTH_STATE_SECRET`).
    let state_name = vec![(Secret::OauthState, format!("{prefix}OAUTH_STATE_SECRET"))];
    let keyring = Keyring::to_load(&[Secret::OauthState]);
    SecretsManager::new(&sdk, state_name)
        .load_into(&keyring)
        .await
        .unwrap();
    assert_eq!(&*keyring.current(Secret::OauthState).unwrap(), STATE);
    assert!(!keyring.holds(Secret::StripeSecretKey));

    // Never rotated: no previous value.
    let source = SecretsManager::new(&sdk, arns.clone());
    assert_eq!(
        source.previous(&[Secret::OauthState]).await.unwrap(),
        vec![]
    );

    // Rotated: the new value is current, the old one previous.
    let rotated = Keyring::fixed([(Secret::OauthState, ROTATED.to_owned())]);
    store_local(&sdk, &prefix, &rotated).await.unwrap();
    assert_eq!(
        source
            .current(&[Secret::OauthState, Secret::StripeSecretKey])
            .await
            .unwrap(),
        vec![
            (Secret::OauthState, ROTATED.to_owned()),
            (Secret::StripeSecretKey, "sk_test_from_the_store".to_owned())
        ]
    );
    assert_eq!(
        source.previous(&[Secret::OauthState]).await.unwrap(),
        vec![(Secret::OauthState, STATE.to_owned())]
    );
    // The warm function meets a token of the new key: it reloads.
    let verified = keyring
        .verify(
            Secret::OauthState,
            |key| (key == ROTATED).then_some(()).ok_or(()),
            |_| true,
        )
        .await;
    assert_eq!(verified, Ok(Ok(())));
    let old = keyring
        .verify(
            Secret::OauthState,
            |key| (key == STATE).then_some(()).ok_or(()),
            |_| true,
        )
        .await;
    assert_eq!(
        old,
        Ok(Ok(())),
        "tokens signed before the rotation still verify"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_secret_stops_the_load_naming_it() {
    let sdk = moto::sdk_config().await;
    let missing = format!(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:{}-AbCdEf",
        moto::unique("absent-")
    );
    let keyring = Keyring::to_load(&[Secret::StripeSecretKey]);
    let error = SecretsManager::new(&sdk, vec![(Secret::StripeSecretKey, missing.clone())])
        .load_into(&keyring)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SecretsError::Unreadable { secret: Secret::StripeSecretKey, id, .. } if *id == missing),
        "{error}"
    );
    assert!(error.to_string().contains("STRIPE_SECRET_KEY"), "{error}");
    // No ARN given at all is named too.
    let keyring = Keyring::to_load(&[Secret::OauthState]);
    let error = SecretsManager::new(&sdk, Vec::new())
        .load_into(&keyring)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("OAUTH_STATE_SECRET_NAME"),
        "{error}"
    );
}
