//! The resources every function shares: the single table, each queue with
//! its dead-letter queue, the uploads bucket and the HTTP API with its stage.

use serde_yaml::{Mapping, Value};

use pc_aws::store::table::{KeySchema, PROJECTION, table_definition};
use pc_platform::queue::{MAX_RECEIVES, QueueName};

use crate::names::{dead_letter_queue_id, queue_id};

use super::{
    DEAD_LETTER_RETENTION, QUEUE_VISIBILITY_TIMEOUT, TTL_ATTRIBUTE, get_att, insert, int, map, r,
    s, seq, stage_name,
};

pub(super) fn key_schema(keys: KeySchema) -> Value {
    seq([
        map([
            ("AttributeName", s(keys.partition_key)),
            ("KeyType", s("HASH")),
        ]),
        map([("AttributeName", s(keys.sort_key)), ("KeyType", s("RANGE"))]),
    ])
}

pub(super) fn table() -> Value {
    let definition = table_definition();
    let attributes = definition.attribute_names().into_iter().map(|name| {
        map([
            ("AttributeName", s(name)),
            ("AttributeType", s(pc_aws::store::table::KEY_ATTRIBUTE_TYPE)),
        ])
    });
    let indexes = definition.indexes.iter().map(|index| {
        map([
            ("IndexName", s(index.name)),
            ("KeySchema", key_schema(index.keys)),
            ("Projection", map([("ProjectionType", s(PROJECTION))])),
        ])
    });
    map([
        ("Type", s("AWS::DynamoDB::Table")),
        // The data outlives a deleted or replaced stack.
        ("DeletionPolicy", s("Retain")),
        ("UpdateReplacePolicy", s("Retain")),
        (
            "Properties",
            map([
                ("TableName", stage_name("table")),
                ("BillingMode", s(definition.billing_mode)),
                ("AttributeDefinitions", seq(attributes)),
                ("KeySchema", key_schema(definition.keys)),
                ("GlobalSecondaryIndexes", seq(indexes)),
                (
                    "PointInTimeRecoverySpecification",
                    map([("PointInTimeRecoveryEnabled", Value::Bool(true))]),
                ),
                (
                    "TimeToLiveSpecification",
                    map([
                        ("AttributeName", s(TTL_ATTRIBUTE)),
                        ("Enabled", Value::Bool(true)),
                    ]),
                ),
                ("SSESpecification", map([("SSEEnabled", Value::Bool(true))])),
                // New images feed the stream functions (the outbox relay),
                // whose filters read the item's `entity`.
                (
                    "StreamSpecification",
                    map([("StreamViewType", s("NEW_IMAGE"))]),
                ),
            ]),
        ),
    ])
}

pub(super) fn queues(resources: &mut Mapping) {
    for queue in QueueName::ALL {
        insert(
            resources,
            dead_letter_queue_id(queue),
            map([
                ("Type", s("AWS::SQS::Queue")),
                (
                    "Metadata",
                    crate::job_failures::dead_letter_queue_metadata(),
                ),
                (
                    "Properties",
                    map([
                        ("QueueName", stage_name(&format!("{queue}-dlq"))),
                        ("MessageRetentionPeriod", int(DEAD_LETTER_RETENTION)),
                        ("SqsManagedSseEnabled", Value::Bool(true)),
                    ]),
                ),
            ]),
        );
        insert(
            resources,
            queue_id(queue),
            map([
                ("Type", s("AWS::SQS::Queue")),
                (
                    "Properties",
                    map([
                        ("QueueName", stage_name(queue.as_str())),
                        ("VisibilityTimeout", int(QUEUE_VISIBILITY_TIMEOUT)),
                        ("SqsManagedSseEnabled", Value::Bool(true)),
                        (
                            "RedrivePolicy",
                            map([
                                (
                                    "deadLetterTargetArn",
                                    get_att(&dead_letter_queue_id(queue), "Arn"),
                                ),
                                ("maxReceiveCount", int(MAX_RECEIVES.into())),
                            ]),
                        ),
                    ]),
                ),
            ]),
        );
    }
}

/// The HTTP API, without routes: each capability's stack declares its own
/// (`crate::http_routes`). A plain `AWS::ApiGatewayV2::Api` rather than
/// SAM's `HttpApi`, whose OpenAPI body would be re-imported on every
/// update of this stack and drop the routes the other stacks declared.
pub(super) fn http_api() -> Value {
    let upper = |items: &[&str]| seq(items.iter().map(|i| s(*i)));
    map([
        ("Type", s("AWS::ApiGatewayV2::Api")),
        (
            "Properties",
            map([
                ("Name", stage_name("api")),
                ("ProtocolType", s("HTTP")),
                (
                    "CorsConfiguration",
                    map([
                        // Credentials rule out `*`: exactly the app's origin.
                        ("AllowOrigins", seq([r("CorsOrigin")])),
                        ("AllowCredentials", Value::Bool(true)),
                        (
                            "AllowMethods",
                            upper(&["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
                        ),
                        (
                            "AllowHeaders",
                            upper(&["content-type", "authorization", "x-request-id"]),
                        ),
                        ("ExposeHeaders", upper(&["x-request-id", "retry-after"])),
                        ("MaxAge", int(600)),
                    ]),
                ),
            ]),
        ),
    ])
}

/// The API's `$default` stage: deploys every route change by itself,
/// throttles every route by default, and writes JSON access logs.
pub(super) fn http_api_stage() -> Value {
    map([
        ("Type", s("AWS::ApiGatewayV2::Stage")),
        (
            "Properties",
            map([
                ("ApiId", r(crate::http_routes::API)),
                ("StageName", s("$default")),
                ("AutoDeploy", Value::Bool(true)),
                (
                    "DefaultRouteSettings",
                    crate::limits::default_route_settings(),
                ),
                (
                    "AccessLogSettings",
                    map([
                        ("DestinationArn", get_att("HttpApiAccessLogs", "Arn")),
                        (
                            "Format",
                            s(
                                r#"{"requestId":"$context.requestId","routeKey":"$context.routeKey","status":"$context.status","latencyMs":"$context.responseLatency","integrationError":"$context.integrationErrorMessage"}"#,
                            ),
                        ),
                    ]),
                ),
            ]),
        ),
    ])
}

/// The bucket that takes import files too large for a request: private,
/// encrypted at rest, and emptied of uploads a day after they arrive (an
/// import reads its file within minutes and then removes it).
pub(super) fn uploads_bucket() -> Value {
    let public_access = map([
        ("BlockPublicAcls", Value::Bool(true)),
        ("BlockPublicPolicy", Value::Bool(true)),
        ("IgnorePublicAcls", Value::Bool(true)),
        ("RestrictPublicBuckets", Value::Bool(true)),
    ]);
    map([
        ("Type", s("AWS::S3::Bucket")),
        (
            "Properties",
            map([
                ("PublicAccessBlockConfiguration", public_access),
                (
                    "BucketEncryption",
                    map([(
                        "ServerSideEncryptionConfiguration",
                        seq([map([(
                            "ServerSideEncryptionByDefault",
                            map([("SSEAlgorithm", s("AES256"))]),
                        )])]),
                    )]),
                ),
                (
                    "LifecycleConfiguration",
                    map([(
                        "Rules",
                        seq([map([
                            ("Id", s("expire-uploads")),
                            ("Status", s("Enabled")),
                            ("Prefix", s("imports/")),
                            ("ExpirationInDays", int(1)),
                        ])]),
                    )]),
                ),
            ]),
        ),
    ])
}
