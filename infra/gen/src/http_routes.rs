//! The routes of the HTTP API, declared beside their functions: the API and
//! its stage live in the root stack, and an `HttpApi` event of SAM cannot
//! name an API of another template. So each HTTP function's stack declares
//! its route, the Lambda proxy integration (payload 2.0) and the permission
//! for API Gateway to invoke the function on that route only. The child
//! depends on the root (it takes the API's id), never the reverse; the
//! stage deploys itself (`AutoDeploy`) when a route changes.

use anyhow::Context;
use serde_yaml::{Mapping, Value};

use pc_http::functions::{Function, Trigger};

use crate::names::{api_path, function_id};
use crate::template::{get_att, insert, map, r, s, sub};

/// The logical id of the root stack's HTTP API.
pub const API: &str = "HttpApi";

/// `GET /v1/leads/{id}`: the route key of an HTTP function.
pub fn route_key(function: &Function) -> anyhow::Result<Option<String>> {
    if !matches!(function.trigger, Trigger::Http(_)) {
        return Ok(None);
    }
    let (method, path) = function
        .method_and_path()
        .with_context(|| format!("{} has no method and path", function.name))?;
    Ok(Some(format!("{} {}", method.as_str(), api_path(&path))))
}

/// The part of an `execute-api` ARN that names one route: path
/// parameters (`{id}`, greedy `{rest+}`) match any segment.
fn source_path(route_key: &str) -> String {
    let (method, path) = route_key.split_once(' ').unwrap_or((route_key, ""));
    let path: Vec<&str> = path
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "*"
            } else {
                segment
            }
        })
        .collect();
    format!("{method}{}", path.join("/"))
}

/// The route, integration and invoke permission of `function`, when it is
/// an HTTP route.
pub fn resources(resources: &mut Mapping, function: &Function) -> anyhow::Result<()> {
    let Some(key) = route_key(function)? else {
        return Ok(());
    };
    let id = function_id(function.name);
    proxy_route(
        resources,
        ProxyRoute {
            api: API,
            function_id: &id,
            route_key: &key,
            integration: vec![
                ("IntegrationUri", get_att(&id, "Arn")),
                ("PayloadFormatVersion", s("2.0")),
            ],
            permission_id: format!("{id}ApiPermission"),
            source: &source_path(&key),
        },
    );
    Ok(())
}

/// A route of an API Gateway v2 API proxied to a function of the same
/// stack.
pub struct ProxyRoute<'a> {
    /// The API's logical id (a parameter of a child stack).
    pub api: &'a str,
    pub function_id: &'a str,
    pub route_key: &'a str,
    /// The integration's properties besides the API and its type.
    pub integration: Vec<(&'a str, Value)>,
    pub permission_id: String,
    /// What the permission's `execute-api` ARN names after the API's id
    /// and any stage.
    pub source: &'a str,
}

/// `<function>Integration` (Lambda proxy), `<function>Route` (no
/// authorizer: the handler checks the caller itself) and the permission
/// for API Gateway to invoke the function on that route only.
pub fn proxy_route(resources: &mut Mapping, route: ProxyRoute) {
    let ProxyRoute {
        api,
        function_id: id,
        route_key,
        integration,
        permission_id,
        source,
    } = route;
    let mut integration_properties = vec![("ApiId", r(api)), ("IntegrationType", s("AWS_PROXY"))];
    integration_properties.extend(integration);
    insert(
        resources,
        format!("{id}Integration"),
        map([
            ("Type", s("AWS::ApiGatewayV2::Integration")),
            ("Properties", map(integration_properties)),
        ]),
    );
    insert(
        resources,
        format!("{id}Route"),
        map([
            ("Type", s("AWS::ApiGatewayV2::Route")),
            (
                "Properties",
                map([
                    ("ApiId", r(api)),
                    ("RouteKey", s(route_key)),
                    ("AuthorizationType", s("NONE")),
                    ("Target", sub(format!("integrations/${{{id}Integration}}"))),
                ]),
            ),
        ]),
    );
    insert(
        resources,
        permission_id,
        map([
            ("Type", s("AWS::Lambda::Permission")),
            (
                "Properties",
                map([
                    ("Action", s("lambda:InvokeFunction")),
                    ("FunctionName", r(id)),
                    ("Principal", s("apigateway.amazonaws.com")),
                    (
                        "SourceArn",
                        sub(format!(
                            "arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{api}}}/*/{source}"
                        )),
                    ),
                ]),
            ),
        ]),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permission_names_its_route_with_parameters_as_wildcards() {
        assert_eq!(
            source_path("GET /v1/leads/{id}/notes"),
            "GET/v1/leads/*/notes"
        );
        assert_eq!(source_path("DELETE /files/{rest+}"), "DELETE/files/*");
        assert_eq!(source_path("GET /health"), "GET/health");
    }
}
