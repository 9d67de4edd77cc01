//! The names the template gives things: CloudFormation logical ids from
//! function and queue names, and API Gateway route paths from axum paths.

use pc_platform::queue::QueueName;

/// `admin-jobs-list` → `AdminJobsList`: kebab-case to PascalCase.
pub fn pascal_case(kebab: &str) -> String {
    kebab
        .split('-')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The logical id of a function's `AWS::Serverless::Function`
/// (`sam build <id>` builds it): `health` → `HealthFunction`.
pub fn function_id(name: &str) -> String {
    format!("{}Function", pascal_case(name))
}

/// The logical id of a queue: `emails` → `EmailsQueue`.
pub fn queue_id(queue: QueueName) -> String {
    format!("{}Queue", pascal_case(queue.as_str()))
}

/// The logical id of a queue's dead-letter queue: `EmailsDeadLetterQueue`.
pub fn dead_letter_queue_id(queue: QueueName) -> String {
    format!("{}DeadLetterQueue", pascal_case(queue.as_str()))
}

/// An axum route path in API Gateway's syntax: `{id}` stays, a catch-all
/// `{*rest}` becomes the greedy `{rest+}`.
pub fn api_path(axum_path: &str) -> String {
    axum_path
        .split('/')
        .map(|segment| match segment.strip_prefix("{*") {
            Some(rest) => format!("{{{}+}}", rest.trim_end_matches('}')),
            None => segment.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The path parameters of an axum route path, in order.
pub fn path_parameters(axum_path: &str) -> Vec<String> {
    axum_path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| name.trim_start_matches('*').to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_ids_and_paths() {
        assert_eq!(
            function_id("admin-dead-letters-list"),
            "AdminDeadLettersListFunction"
        );
        assert_eq!(function_id("health"), "HealthFunction");
        assert_eq!(queue_id(QueueName::PartnerApiLead), "PartnerApiLeadQueue");
        assert_eq!(
            dead_letter_queue_id(QueueName::Emails),
            "EmailsDeadLetterQueue"
        );
        assert_eq!(api_path("/v1/leads/{id}/notes"), "/v1/leads/{id}/notes");
        assert_eq!(api_path("/files/{*rest}"), "/files/{rest+}");
        assert_eq!(
            path_parameters("/v1/sync/{partnerId}/x/{*rest}"),
            ["partnerId", "rest"]
        );
    }
}
