//! Limits that keep a flood from becoming an outage or a bill: default
//! throttling of every route of the HTTP API, and reserved concurrency on
//! the functions anyone on the internet can call without signing in and
//! that do expensive work (the webhooks, password hashing at sign-in), so
//! they can never take the account's whole concurrency from the others.
//! Per-caller limits (per email, per source IP) are the application's.

use serde_yaml::{Mapping, Value};

use pc_http::functions::{Function, Trigger};

use crate::template::{insert, int, map, r, s, seq};

/// Public, non-webhook functions that also get reserved concurrency.
pub const CAPPED_PUBLIC_FUNCTIONS: &[&str] = &["auth-sign-in"];
/// The condition under which the cap applies (its parameter is not 0).
pub const CAP_CONDITION: &str = "CapsPublicConcurrency";

/// Whether `function` runs under the public concurrency cap.
pub fn is_capped(function: &Function) -> bool {
    matches!(function.trigger, Trigger::Webhook(_))
        || CAPPED_PUBLIC_FUNCTIONS.contains(&function.name)
}

/// The parameters of the limits.
pub fn parameters(parameters: &mut Mapping) {
    let number = |description: &str, default: u64, min: u64| {
        map([
            ("Type", s("Number")),
            ("Description", s(description)),
            ("Default", int(default)),
            ("MinValue", int(min)),
        ])
    };
    insert(
        parameters,
        "ApiThrottlingRateLimit",
        number(
            "Steady requests per second the HTTP API accepts on each route before answering 429.",
            100,
            1,
        ),
    );
    insert(
        parameters,
        "ApiThrottlingBurstLimit",
        number(
            "Requests the HTTP API accepts at once on each route above the steady rate.",
            200,
            1,
        ),
    );
    insert(
        parameters,
        "PublicReservedConcurrency",
        number(
            "Reserved concurrency of the webhooks and sign-in; 0 leaves them unreserved (accounts whose concurrency limit is too low to reserve any).",
            10,
            0,
        ),
    );
}

/// The template's conditions of the limits.
pub fn conditions(conditions: &mut Mapping) {
    insert(
        conditions,
        CAP_CONDITION,
        map([(
            "Fn::Not",
            seq([map([(
                "Fn::Equals",
                seq([r("PublicReservedConcurrency"), s("0")]),
            )])]),
        )]),
    );
}

/// The HTTP API's `DefaultRouteSettings`.
pub fn default_route_settings() -> Value {
    map([
        ("ThrottlingRateLimit", r("ApiThrottlingRateLimit")),
        ("ThrottlingBurstLimit", r("ApiThrottlingBurstLimit")),
    ])
}

/// The function's `ReservedConcurrentExecutions`, when capped.
pub fn reserved_concurrency(function: &Function) -> Option<Value> {
    is_capped(function).then(|| {
        map([(
            "Fn::If",
            seq([
                s(CAP_CONDITION),
                r("PublicReservedConcurrency"),
                r("AWS::NoValue"),
            ]),
        )])
    })
}
