//! What a deployment is told and what every function shares: the
//! root template's parameters, and the globals (runtime, memory, timeout,
//! environment) of every function, repeated in each capability's stack.

use serde_yaml::{Mapping, Value};

use pc_http::functions::Function;

use super::{API_TIMEOUT, MEMORY_MB, insert, int, map, r, s, seq};

pub(super) fn parameters(functions: &[Function]) -> Value {
    let text = |description: &str| {
        map([
            ("Type", s("String")),
            ("Description", s(description)),
            ("MinLength", int(1)),
        ])
    };
    let mut parameters = map([
        (
            "Stage",
            map([
                ("Type", s("String")),
                (
                    "Description",
                    s("Deployment stage; part of every resource name."),
                ),
                ("Default", s("prod")),
                ("AllowedPattern", s("^[a-z0-9-]{1,16}$")),
            ]),
        ),
        (
            "ClientUrl",
            text("Base URL of the single-page app, for links in emails (https://app.example.com)."),
        ),
        (
            "CorsOrigin",
            text(
                "The one origin allowed to call the API with credentials (https://app.example.com).",
            ),
        ),
        (
            "EmailFrom",
            text(
                "Sender of every email, a verified SES identity (Partner Connector <no-reply@example.com>).",
            ),
        ),
        ("LostLeadAlertTo", text("Recipient of lost-lead alerts.")),
        (
            "BillingAlertTo",
            text("Recipient of failed-payment alerts."),
        ),
        (
            "CookieSameSite",
            map([
                ("Type", s("String")),
                (
                    "Description",
                    s(
                        "SameSite of the session cookies; None when the app and the API are on different sites.",
                    ),
                ),
                ("Default", s("Lax")),
                ("AllowedValues", seq([s("Lax"), s("Strict"), s("None")])),
            ]),
        ),
        (
            "HubspotRedirectUri",
            map([
                ("Type", s("String")),
                (
                    "Description",
                    s(
                        "OAuth redirect URI registered with the HubSpot app (the API's /v1/integrations/hubspot/callback); empty until HubSpot is set up.",
                    ),
                ),
                ("Default", s("")),
            ]),
        ),
        (
            "Architecture",
            map([
                ("Type", s("String")),
                (
                    "Description",
                    s(
                        "Instruction set of every function; arm64 needs the bootstraps built for aarch64-unknown-linux-gnu.",
                    ),
                ),
                ("Default", s("x86_64")),
                ("AllowedValues", seq([s("x86_64"), s("arm64")])),
            ]),
        ),
        (
            crate::secrets::PREFIX_PARAMETER,
            crate::secrets::prefix_parameter(functions),
        ),
        (
            crate::secrets::PUBLIC_KEYS_PARAMETER,
            crate::secrets::public_keys_parameter(),
        ),
    ]);
    if let Value::Mapping(parameters) = &mut parameters {
        crate::limits::parameters(parameters);
        crate::observability::parameters(parameters);
    }
    parameters
}

pub(super) fn globals() -> Value {
    let mut variables = Mapping::new();
    for (name, value) in [
        ("TABLE_NAME", r("Table")),
        ("EVENT_BUS_NAME", r("EventBus")),
        ("UPLOADS_BUCKET", r("UploadsBucket")),
        ("CLIENT_URL", r("ClientUrl")),
        ("CORS_ORIGIN", r("CorsOrigin")),
        ("EMAIL_FROM", r("EmailFrom")),
        ("LOST_LEAD_ALERT_TO", r("LostLeadAlertTo")),
        ("BILLING_ALERT_TO", r("BillingAlertTo")),
        ("COOKIE_SAME_SITE", r("CookieSameSite")),
        ("HUBSPOT_REDIRECT_URI", r("HubspotRedirectUri")),
    ] {
        insert(&mut variables, name, value);
    }
    map([(
        "Function",
        map([
            ("Runtime", s("provided.al2023")),
            // A parameter, x86_64 by default: the build machines' own
            // target, so building needs no extra Rust target (arm64 is
            // cheaper per GB-second; it needs binaries built for
            // `aarch64-unknown-linux-gnu`).
            ("Architectures", seq([r("Architecture")])),
            ("Handler", s("bootstrap")),
            ("MemorySize", int(MEMORY_MB)),
            ("Timeout", int(API_TIMEOUT)),
            ("Tracing", s("Active")),
            (
                "Environment",
                map([("Variables", Value::Mapping(variables))]),
            ),
        ]),
    )])
}
