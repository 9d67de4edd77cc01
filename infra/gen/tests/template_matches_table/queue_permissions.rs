//! Queue permissions: each function may send only to the queues it sends
//! to, and each worker may dead-letter a poison message of its queue.

use std::collections::BTreeSet;

use serde_yaml::Value;

use pc_http::functions::Trigger;
use pc_infra::deployed_functions;

use crate::template_yaml::{referenced, template, text};

#[test]
fn each_function_gets_only_the_queues_it_sends_to() {
    let template = template();
    for f in deployed_functions() {
        let id = pc_infra::names::function_id(f.name);
        let properties = &template["Resources"][id.as_str()]["Properties"];
        let urls: BTreeSet<String> = properties["Environment"]["Variables"]
            .as_mapping()
            .map(|m| {
                m.keys()
                    .map(text)
                    .filter(|k| k.ends_with("_QUEUE_URL"))
                    .collect()
            })
            .unwrap_or_default();
        let sends: BTreeSet<String> = properties["Policies"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|p| p.get("SQSSendMessagePolicy"))
            .map(|p| referenced(&p["QueueName"]))
            .collect();
        let expected_sends: BTreeSet<String> = f
            .permissions
            .sends_to
            .iter()
            .map(|q| pc_infra::names::queue_id(*q))
            .collect();
        assert_eq!(sends, expected_sends, "{}: send policies", f.name);
        if !pc_infra::template::DEAD_LETTER_READERS.contains(&f.name) {
            // A worker also finds its dead-letter queue through its own queue.
            let own = match f.trigger {
                Trigger::Queue(queue, _) => Some(queue),
                _ => None,
            };
            let expected_urls: BTreeSet<String> = f
                .permissions
                .sends_to
                .iter()
                .copied()
                .chain(own)
                .map(|q| q.url_env())
                .collect();
            assert_eq!(urls, expected_urls, "{}: queue URLs", f.name);
        }
        let table_policy = &properties["Policies"][0];
        let writes = table_policy.get("DynamoDBCrudPolicy").is_some();
        // A schedule's runner records its runs in the table.
        let needs_write = f.permissions.table_write || matches!(f.trigger, Trigger::Schedule(..));
        assert_eq!(writes, needs_write, "{}: table access", f.name);
    }
    for name in pc_infra::template::DEAD_LETTER_READERS {
        assert!(
            deployed_functions().iter().any(|f| f.name == *name),
            "{name} is no longer in the table: update DEAD_LETTER_READERS"
        );
    }
}

/// The resources a statement of `policies` allows `action` on.
fn allowed(policies: &Value, action: &str) -> BTreeSet<String> {
    let mut resources = BTreeSet::new();
    for policy in policies.as_sequence().into_iter().flatten() {
        let statements = policy.get("Statement").and_then(Value::as_sequence);
        for statement in statements.into_iter().flatten() {
            let actions = statement["Action"]
                .as_sequence()
                .cloned()
                .unwrap_or_default();
            if actions.iter().any(|a| text(a) == action) {
                resources.insert(referenced(&statement["Resource"]));
            }
        }
    }
    resources
}

#[test]
fn each_worker_may_dead_letter_a_poison_message_of_its_queue() {
    let template = template();
    for f in deployed_functions() {
        let Trigger::Queue(queue, _) = f.trigger else {
            continue;
        };
        let id = pc_infra::names::function_id(f.name);
        let policies = &template["Resources"][id.as_str()]["Properties"]["Policies"];
        let dead_letter_queue = pc_infra::names::dead_letter_queue_id(queue);
        assert!(
            allowed(policies, "sqs:GetQueueAttributes").contains(&pc_infra::names::queue_id(queue)),
            "{}: reads its queue's redrive policy",
            f.name
        );
        for action in ["sqs:GetQueueUrl", "sqs:SendMessage"] {
            assert!(
                allowed(policies, action).contains(&dead_letter_queue),
                "{}: {action} on {dead_letter_queue}",
                f.name
            );
        }
    }
}
