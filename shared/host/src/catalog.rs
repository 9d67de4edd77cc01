//! The function table: every Lambda of the system, from every capability's
//! `functions` module. The dev server, the generator of `functions/` and
//! `template.yaml`, the docs and the drift checks read it; a deployed
//! binary calls its own function's constructor instead, so it links no
//! other handler.

use std::sync::OnceLock;

use pc_http::functions::Function;

/// Every deployed function, in a stable order.
pub fn all() -> &'static [Function] {
    static ALL: OnceLock<Vec<Function>> = OnceLock::new();
    ALL.get_or_init(|| {
        modules()
            .into_iter()
            .flat_map(|(_, functions)| functions)
            .collect()
    })
}

/// Each capability's functions with the Rust path of the module that
/// builds them (`pc_leads::functions`, whose `leads_list()` builds
/// `leads-list`): the generator writes each binary's call from it.
pub fn modules() -> Vec<(&'static str, Vec<Function>)> {
    vec![
        (
            "pc_host::system::functions",
            crate::system::functions::all(),
        ),
        ("pc_accounts::functions", pc_accounts::functions::all()),
        ("pc_leads::functions", pc_leads::functions::all()),
        ("pc_notify::functions", pc_notify::functions::all()),
        ("pc_billing::functions", pc_billing::functions::all()),
        (
            "pc_marketplace::functions",
            pc_marketplace::functions::all(),
        ),
        ("pc_crm::sync_functions", pc_crm::sync_functions::all()),
        ("pc_crm::functions", pc_crm::functions::all()),
        ("pc_realtime::functions", pc_realtime::functions::all()),
        ("pc_activities::functions", pc_activities::functions::all()),
        ("pc_webhooks::functions", pc_webhooks::functions::all()),
        ("pc_analytics::functions", pc_analytics::functions::all()),
        (
            "pc_partner_api::functions",
            pc_partner_api::functions::all(),
        ),
        ("pc_referrals::functions", pc_referrals::functions::all()),
    ]
}

/// The function called `name`.
pub fn find(name: &str) -> Option<&'static Function> {
    all().iter().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn names_and_routes_are_unique() {
        let mut names = HashSet::new();
        let mut routes = HashSet::new();
        for f in all().iter().chain(crate::system::dev_functions().iter()) {
            assert!(names.insert(f.name), "duplicate function name {}", f.name);
            assert!(
                f.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{} is not kebab-case",
                f.name
            );
            if let Some(route) = f.method_and_path() {
                assert!(routes.insert(route.clone()), "duplicate route {route:?}");
            }
        }
    }

    #[test]
    fn socket_routes_and_bus_rules_are_never_http_routes() {
        use pc_http::functions::Trigger;
        let lambda_only: Vec<_> = all()
            .iter()
            .filter(|f| matches!(f.trigger, Trigger::Socket(..) | Trigger::BusRule(..)))
            .collect();
        assert_eq!(
            lambda_only.len(),
            5,
            "the WebSocket API's routes, the broadcaster and the marketplace's activities"
        );
        for f in lambda_only {
            assert!(
                f.route().is_none() && f.method_and_path().is_none(),
                "{}",
                f.name
            );
            assert!(
                !pc_http::router::is_deployed_http(f),
                "{} is an HTTP function",
                f.name
            );
        }
    }
}
