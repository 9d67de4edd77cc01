//! Against moto's Secrets Manager (which serves `BatchGetSecretValue`
//! and the `AWSPREVIOUS` stage).

use pc_platform::config::{Keyring, Secret};
use pc_platform::secrets::{SecretSource, SecretsError};

use super::*;
use crate::moto;

const JWT: &str = "jwt-secret-from-the-store-0123456789abcdef";
const ROTATED: &str = "jwt-secret-after-rotation-0123456789abcdef";

#[tokio::test(flavor = "multi_thread")]
async fn a_function_reads_its_secrets_and_after_a_rotation_both_values() {
    let sdk = moto::sdk_config().await;
    let prefix = moto::unique("secrets-");
    let local = Keyring::fixed([
        (Secret::Jwt, JWT.to_owned()),
        (Secret::StripeSecretKey, "sk_test_from_the_store".to_owned()),
    ]);
    let arns = store_local(&sdk, &prefix, &local).await.unwrap();
    assert_eq!(arns.len(), 2);
    assert!(
        arns.iter()
            .all(|(_, arn)| arn.starts_with("arn:aws:secretsmanager:"))
    );

    // The function holding only the token key reads that one, by the name
    // the deployed template gives it (`<prefix>JWT_SECRET`).
    let jwt_name = vec![(Secret::Jwt, format!("{prefix}JWT_SECRET"))];
    let keyring = Keyring::to_load(&[Secret::Jwt]);
    SecretsManager::new(&sdk, jwt_name)
        .load_into(&keyring)
        .await
        .unwrap();
    assert_eq!(&*keyring.current(Secret::Jwt).unwrap(), JWT);
    assert!(!keyring.holds(Secret::StripeSecretKey));

    // Never rotated: no previous value.
    let source = SecretsManager::new(&sdk, arns.clone());
    assert_eq!(source.previous(&[Secret::Jwt]).await.unwrap(), vec![]);

    // Rotated: the new value is current, the old one previous.
    let rotated = Keyring::fixed([(Secret::Jwt, ROTATED.to_owned())]);
    store_local(&sdk, &prefix, &rotated).await.unwrap();
    assert_eq!(
        source
            .current(&[Secret::Jwt, Secret::StripeSecretKey])
            .await
            .unwrap(),
        vec![
            (Secret::Jwt, ROTATED.to_owned()),
            (Secret::StripeSecretKey, "sk_test_from_the_store".to_owned())
        ]
    );
    assert_eq!(
        source.previous(&[Secret::Jwt]).await.unwrap(),
        vec![(Secret::Jwt, JWT.to_owned())]
    );
    // The warm function meets a token of the new key: it reloads.
    let verified = keyring
        .verify(
            Secret::Jwt,
            |key| (key == ROTATED).then_some(()).ok_or(()),
            |_| true,
        )
        .await;
    assert_eq!(verified, Ok(Ok(())));
    let old = keyring
        .verify(
            Secret::Jwt,
            |key| (key == JWT).then_some(()).ok_or(()),
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
    let keyring = Keyring::to_load(&[Secret::Jwt]);
    let error = SecretsManager::new(&sdk, Vec::new())
        .load_into(&keyring)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("JWT_SECRET_NAME"), "{error}");
}
