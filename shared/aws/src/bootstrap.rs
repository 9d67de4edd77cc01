//! Creates, idempotently, every AWS resource the system uses, on a local
//! AWS-compatible endpoint (moto's server) for the dev server in AWS mode
//! and for tests: the single table with its five indexes, each queue of
//! [`QueueName::ALL`] with its `<name>-dlq` dead-letter queue, the event bus,
//! and the configured sender as a verified SES identity (moto refuses
//! unverified senders). In AWS the infrastructure template creates them.
//!
//! Running it again changes nothing. It answers the queue URLs by queue
//! name, for `Config::queue_urls`.

use std::collections::HashMap;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus, KeySchemaElement, KeyType,
    Projection, ProjectionType, ScalarAttributeType, TableStatus,
};
use aws_sdk_sqs::types::QueueAttributeName;
use pc_platform::config::Config;
use pc_platform::queue::{MAX_RECEIVES, QueueName};

use crate::sdk_error::failure;
use crate::store::table::{KeySchema, table_definition};

/// How long the bootstrap waits for a new table to become active.
const TABLE_WAIT: Duration = Duration::from_secs(120);

/// A bootstrap step that failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("bootstrap could not {step}: {message}")]
pub struct BootstrapError {
    pub step: String,
    pub message: String,
}

fn error(step: impl Into<String>, message: impl std::fmt::Display) -> BootstrapError {
    BootstrapError {
        step: step.into(),
        message: message.to_string(),
    }
}

/// The SQS name of a queue: `queue_prefix` followed by its spec name.
pub fn queue_name(queue_prefix: &str, queue: QueueName) -> String {
    format!("{queue_prefix}{queue}")
}

/// The SQS name of a queue's dead-letter queue (`<name>-dlq`).
pub fn dead_letter_queue_name(queue_prefix: &str, queue: QueueName) -> String {
    format!("{}-dlq", queue_name(queue_prefix, queue))
}

/// The `RedrivePolicy` attribute sending a queue's messages to `dlq_arn`
/// after [`MAX_RECEIVES`] receives.
pub fn redrive_policy(dlq_arn: &str) -> String {
    serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": MAX_RECEIVES.to_string(),
    })
    .to_string()
}

/// The bare address of a sender (`Name <a@b.c>` → `a@b.c`).
pub fn sender_address(from: &str) -> &str {
    match (from.rfind('<'), from.rfind('>')) {
        (Some(start), Some(end)) if start < end => from[start + 1..end].trim(),
        _ => from.trim(),
    }
}

/// Creates what is missing of the table, the queues (named with
/// `queue_prefix`), the event bus and the sender identity of `config`;
/// answers the queue URLs by queue name.
pub async fn bootstrap(
    sdk: &SdkConfig,
    config: &Config,
    queue_prefix: &str,
) -> Result<HashMap<String, String>, BootstrapError> {
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let events = aws_sdk_eventbridge::Client::new(sdk);
    let ses = aws_sdk_ses::Client::new(sdk);
    let s3 = crate::context::s3_client(sdk);
    let ((), urls, (), (), ()) = tokio::try_join!(
        ensure_table(&dynamodb, &config.table_name),
        ensure_queues(&sqs, queue_prefix),
        ensure_event_bus(&events, &config.event_bus_name),
        verify_sender(&ses, &config.email_from),
        ensure_bucket(&s3, &config.uploads_bucket),
    )?;
    Ok(urls)
}

/// Creates the uploads bucket unless this account already holds it.
async fn ensure_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<(), BootstrapError> {
    if s3.head_bucket().bucket(bucket).send().await.is_ok() {
        return Ok(());
    }
    match s3.create_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_bucket_already_owned_by_you()) =>
        {
            Ok(())
        }
        Err(e) => Err(error(
            "create the uploads bucket",
            aws_sdk_s3::error::DisplayErrorContext(&e),
        )),
    }
}

fn key_elements(keys: KeySchema) -> Result<Vec<KeySchemaElement>, BootstrapError> {
    [
        (keys.partition_key, KeyType::Hash),
        (keys.sort_key, KeyType::Range),
    ]
    .into_iter()
    .map(|(name, key_type)| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .map_err(|e| error("describe the table keys", e))
    })
    .collect()
}

/// Creates the table of [`table_definition`] unless it exists, and waits
/// until it and its indexes are active. An existing table lacking an index
/// is an error.
pub async fn ensure_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
) -> Result<(), BootstrapError> {
    let definition = table_definition();
    let step = format!("create table {name}");
    match client.describe_table().table_name(name).send().await {
        Ok(_) => {}
        Err(e) if failure(&e).code_is(&["ResourceNotFoundException"]) => {
            let attributes = definition
                .attribute_names()
                .into_iter()
                .map(|a| {
                    AttributeDefinition::builder()
                        .attribute_name(a)
                        .attribute_type(ScalarAttributeType::S)
                        .build()
                        .map_err(|e| error(&step, e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let indexes = definition
                .indexes
                .iter()
                .map(|index| {
                    GlobalSecondaryIndex::builder()
                        .index_name(index.name)
                        .set_key_schema(Some(key_elements(index.keys)?))
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::All)
                                .build(),
                        )
                        .build()
                        .map_err(|e| error(&step, e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let created = client
                .create_table()
                .table_name(name)
                .set_attribute_definitions(Some(attributes))
                .set_key_schema(Some(key_elements(definition.keys)?))
                .set_global_secondary_indexes(Some(indexes))
                .billing_mode(BillingMode::PayPerRequest)
                .send()
                .await;
            match created {
                Ok(_) => {}
                // Another bootstrap created it meanwhile.
                Err(e) if failure(&e).code_is(&["ResourceInUseException"]) => {}
                Err(e) => return Err(error(&step, failure(&e))),
            }
        }
        Err(e) => return Err(error(format!("describe table {name}"), failure(&e))),
    }
    wait_for_table(
        client,
        name,
        &definition
            .indexes
            .iter()
            .map(|i| i.name)
            .collect::<Vec<_>>(),
    )
    .await
}

async fn wait_for_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
    indexes: &[&str],
) -> Result<(), BootstrapError> {
    let step = format!("wait for table {name}");
    let deadline = tokio::time::Instant::now() + TABLE_WAIT;
    loop {
        let described = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(|e| error(&step, failure(&e)))?;
        let table = described
            .table
            .ok_or_else(|| error(&step, "no table description"))?;
        let present: Vec<&str> = table
            .global_secondary_indexes()
            .iter()
            .filter_map(|i| i.index_name())
            .collect();
        if let Some(missing) = indexes.iter().find(|i| !present.contains(i)) {
            return Err(error(
                &step,
                format!("the table exists without index {missing}"),
            ));
        }
        let indexes_active = table
            .global_secondary_indexes()
            .iter()
            .all(|i| i.index_status().is_none_or(|s| *s == IndexStatus::Active));
        let table_active = table
            .table_status()
            .is_none_or(|s| *s == TableStatus::Active);
        if table_active && indexes_active {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(error(&step, "still not active"));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Creates (or finds) an SQS queue and answers its URL.
async fn create_queue(client: &aws_sdk_sqs::Client, name: &str) -> Result<String, BootstrapError> {
    let step = format!("create queue {name}");
    client
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .map_err(|e| error(&step, failure(&e)))?
        .queue_url
        .ok_or_else(|| error(&step, "no queue URL answered"))
}

/// Creates every queue of [`QueueName::ALL`] with its dead-letter queue and
/// redrive policy; answers the URLs by queue name.
pub async fn ensure_queues(
    client: &aws_sdk_sqs::Client,
    queue_prefix: &str,
) -> Result<HashMap<String, String>, BootstrapError> {
    let mut urls = HashMap::new();
    for queue in QueueName::ALL {
        let dlq_name = dead_letter_queue_name(queue_prefix, queue);
        let dlq_url = create_queue(client, &dlq_name).await?;
        let step = format!("read the ARN of {dlq_name}");
        let dlq_arn = client
            .get_queue_attributes()
            .queue_url(&dlq_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| error(&step, failure(&e)))?
            .attributes
            .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
            .ok_or_else(|| error(&step, "no QueueArn answered"))?;
        let name = queue_name(queue_prefix, queue);
        let url = create_queue(client, &name).await?;
        client
            .set_queue_attributes()
            .queue_url(&url)
            .attributes(QueueAttributeName::RedrivePolicy, redrive_policy(&dlq_arn))
            .send()
            .await
            .map_err(|e| error(format!("set the redrive policy of {name}"), failure(&e)))?;
        urls.insert(queue.as_str().to_owned(), url);
    }
    Ok(urls)
}

/// Creates the event bus unless it exists (`default` always does).
pub async fn ensure_event_bus(
    client: &aws_sdk_eventbridge::Client,
    name: &str,
) -> Result<(), BootstrapError> {
    if name == "default" {
        return Ok(());
    }
    match client.create_event_bus().name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if failure(&e).code_is(&["ResourceAlreadyExistsException"]) => Ok(()),
        Err(e) => Err(error(format!("create event bus {name}"), failure(&e))),
    }
}

/// Verifies the sender's address as an SES identity (moto verifies at once;
/// in AWS this only sends the verification email).
pub async fn verify_sender(
    client: &aws_sdk_ses::Client,
    email_from: &str,
) -> Result<(), BootstrapError> {
    let address = sender_address(email_from);
    client
        .verify_email_identity()
        .email_address(address)
        .send()
        .await
        .map_err(|e| error(format!("verify sender {address}"), failure(&e)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_policies_and_addresses() {
        assert_eq!(queue_name("t1-", QueueName::SyncLeads), "t1-sync-leads");
        assert_eq!(dead_letter_queue_name("", QueueName::Emails), "emails-dlq");
        let policy: serde_json::Value = serde_json::from_str(&redrive_policy("arn:x")).unwrap();
        assert_eq!(policy["deadLetterTargetArn"], "arn:x");
        assert_eq!(policy["maxReceiveCount"], "5");
        assert_eq!(
            sender_address("Partner Connector <no-reply@pc.local>"),
            "no-reply@pc.local"
        );
        assert_eq!(sender_address(" a@b.c "), "a@b.c");
        assert_eq!(sender_address("odd > <"), "odd > <");
    }
}
