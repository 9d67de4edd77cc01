//! The email templates: one subject, HTML and plain-text
//! Handlebars file per [`EmailKind`] under `shared/notify/templates/`,
//! compiled into the binary so a Lambda needs no files at run time.
//!
//! Rendering is strict: a template that names a data key the job does not
//! carry fails, so a malformed job is refused instead of mailed with holes.
//! HTML bodies escape every value (Handlebars' default escaping); subjects
//! and text bodies are plain text and are not escaped. Every template also
//! sees `productName` and `clientUrl`.

use std::sync::OnceLock;

use handlebars::{Handlebars, no_escape};
use serde_json::{Map, Value};

use pc_platform::email::EmailKind;

/// The product's name as emails spell it.
pub const PRODUCT_NAME: &str = "Partner Connector";

/// Longest subject sent; longer ones are cut (a subject is one header line).
const MAX_SUBJECT_CHARS: usize = 200;

/// Data keys holding links: relative ones (`/leads/…`) are completed with
/// `CLIENT_URL`, and only http(s) links are accepted.
const LINK_KEYS: [&str; 2] = ["link", "magicLink"];

/// The three files of one kind.
struct KindTemplates {
    kind: EmailKind,
    subject: &'static str,
    html: &'static str,
    text: &'static str,
}

macro_rules! kind_templates {
    ($kind:expr, $stem:literal) => {
        KindTemplates {
            kind: $kind,
            subject: include_str!(concat!("../templates/", $stem, ".subject.hbs")),
            html: include_str!(concat!("../templates/", $stem, ".html.hbs")),
            text: include_str!(concat!("../templates/", $stem, ".txt.hbs")),
        }
    };
}

const LAYOUT_HTML: &str = include_str!("../templates/layout.html.hbs");

const TEMPLATES: [KindTemplates; 15] = [
    kind_templates!(EmailKind::Invitation, "invitation"),
    kind_templates!(
        EmailKind::RegistrationVerification,
        "registration_verification"
    ),
    kind_templates!(EmailKind::PasswordReset, "password_reset"),
    kind_templates!(EmailKind::LeadReminder, "lead_reminder"),
    kind_templates!(EmailKind::LostLeadAlert, "lost_lead_alert"),
    kind_templates!(EmailKind::NewLeadNotice, "new_lead_notice"),
    kind_templates!(EmailKind::PaymentFailed, "payment_failed"),
    kind_templates!(EmailKind::ReservationExpiring, "reservation_expiring"),
    kind_templates!(EmailKind::ReservationExpired, "reservation_expired"),
    kind_templates!(EmailKind::LeadSold, "lead_sold"),
    kind_templates!(EmailKind::PurchaseConfirmed, "purchase_confirmed"),
    kind_templates!(EmailKind::PurchaseRefunded, "purchase_refunded"),
    kind_templates!(EmailKind::MarketplaceMatch, "marketplace_match"),
    kind_templates!(EmailKind::HubspotDisconnected, "hubspot_disconnected"),
    kind_templates!(EmailKind::WebhookFailed, "webhook_failed"),
];

/// The compiled templates of one kind: one registry that escapes (HTML,
/// with the layout) and one that does not (subject, text).
struct Registries {
    html: Handlebars<'static>,
    plain: Handlebars<'static>,
}

impl Registries {
    /// Compiles the templates of `t`. The files are part of the binary and
    /// checked by the tests below, so a syntax error is a build defect, not
    /// a run-time condition.
    fn compile(t: &KindTemplates) -> Self {
        let mut html = Handlebars::new();
        html.set_strict_mode(true);
        let mut plain = Handlebars::new();
        plain.set_strict_mode(true);
        plain.register_escape_fn(no_escape);
        html.register_partial("layout", LAYOUT_HTML)
            .expect("layout.html.hbs compiles");
        let stem = t.kind.as_str();
        html.register_template_string(stem, t.html)
            .unwrap_or_else(|e| panic!("{stem}.html.hbs compiles: {e}"));
        plain
            .register_template_string(&format!("{stem}.subject"), t.subject)
            .unwrap_or_else(|e| panic!("{stem}.subject.hbs compiles: {e}"));
        plain
            .register_template_string(&format!("{stem}.txt"), t.text)
            .unwrap_or_else(|e| panic!("{stem}.txt.hbs compiles: {e}"));
        Self { html, plain }
    }
}

/// The templates of `kind`, compiled at its first email: compiling all
/// of them (Handlebars parses 46 files) was most of a worker's first
/// message, which needs one kind.
fn registries(kind: EmailKind) -> &'static Registries {
    static COMPILED: [OnceLock<Registries>; TEMPLATES.len()] =
        [const { OnceLock::new() }; TEMPLATES.len()];
    let index = TEMPLATES
        .iter()
        .position(|t| t.kind == kind)
        .expect("every email kind has templates (tested)");
    COMPILED[index].get_or_init(|| Registries::compile(&TEMPLATES[index]))
}

/// A rendered email body and subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// Why a job's data cannot be rendered; retrying will not help.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RenderError {
    #[error("email data must be a JSON object")]
    NotAnObject,
    #[error("{key} must be an http(s) link or a path starting with /")]
    BadLink { key: &'static str },
    #[error("template {template} cannot be rendered: {reason}")]
    Template { template: String, reason: String },
}

/// Renders `kind` with `data`, links completed from `client_url`.
pub fn render(
    kind: EmailKind,
    data: &Value,
    client_url: &str,
) -> Result<RenderedEmail, RenderError> {
    let context = Value::Object(render_context(data, client_url)?);
    let stem = kind.as_str();
    let registries = registries(kind);
    let run = |registry: &Handlebars<'static>, name: String| {
        registry
            .render(&name, &context)
            .map_err(|e| RenderError::Template {
                template: name.clone(),
                reason: e.to_string(),
            })
    };
    let subject = run(&registries.plain, format!("{stem}.subject"))?;
    Ok(RenderedEmail {
        subject: clean_subject(&subject),
        html: run(&registries.html, stem.to_owned())?,
        text: run(&registries.plain, format!("{stem}.txt"))?,
    })
}

/// The job's data plus the product's name and client URL, links completed.
fn render_context(data: &Value, client_url: &str) -> Result<Map<String, Value>, RenderError> {
    let Value::Object(data) = data else {
        return Err(RenderError::NotAnObject);
    };
    let client_url = client_url.trim_end_matches('/');
    let mut context = data.clone();
    for key in LINK_KEYS {
        let Some(value) = context.get_mut(key) else {
            continue;
        };
        let Some(link) = value.as_str() else {
            return Err(RenderError::BadLink { key });
        };
        let absolute = if link.starts_with('/') && !link.starts_with("//") {
            format!("{client_url}{link}")
        } else if link.starts_with("https://") || link.starts_with("http://") {
            link.to_owned()
        } else {
            // Anything else (`javascript:`, protocol-relative…) is refused.
            return Err(RenderError::BadLink { key });
        };
        *value = Value::String(absolute);
    }
    context.insert("productName".into(), PRODUCT_NAME.into());
    context.insert("clientUrl".into(), client_url.into());
    Ok(context)
}

/// One line (no header injection through CR/LF), trimmed and cut to a
/// length mail clients show.
fn clean_subject(raw: &str) -> String {
    let one_line = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if one_line.chars().count() <= MAX_SUBJECT_CHARS {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(MAX_SUBJECT_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// Sample data of each kind, with the exact keys the enqueuers send; the
/// tests render every template with it.
pub fn sample_data(kind: EmailKind, text: &str) -> Value {
    use serde_json::json;
    let lead = json!({
        "id": "01HLEAD", "email": format!("lead{text}@example.com"),
        "company": text, "firstName": text, "lastName": text,
    });
    match kind {
        EmailKind::Invitation => json!({
            "name": text, "inviterName": text, "partnerName": text, "link": "/register?token=abc",
        }),
        EmailKind::PasswordReset => json!({"name": text, "link": "/reset-password?token=abc"}),
        EmailKind::RegistrationVerification => {
            json!({"name": text, "companyName": text, "link": "/verify?token=abc"})
        }
        EmailKind::NewLeadNotice => json!({
            "name": text, "partnerName": text, "lead": lead,
            "meetingStart": "2024-01-15T17:00:00.000Z", "link": "/leads/01HLEAD",
        }),
        EmailKind::LostLeadAlert => json!({
            "lead": lead, "partnerName": text, "previousStatus": "scheduled",
            "newStatus": "lost_no_show", "changedBy": text, "link": "/leads/01HLEAD",
        }),
        EmailKind::LeadReminder => json!({
            "name": text, "partnerName": text,
            "leads": [{"email": format!("lead{text}@example.com"), "company": text, "daysSinceUpdate": 3}],
            "overdueCount": 1, "magicLink": "/leads?magic=abc",
        }),
        EmailKind::PaymentFailed => json!({
            "partnerName": text, "invoiceId": text, "amount": "$1,250.00",
            "period": "2024-01", "link": "/finance/invoices",
        }),
        EmailKind::ReservationExpiring => json!({
            "name": text, "lead": {"company": text}, "expiresAt": "2024-01-15T17:00:00.000Z",
            "link": "/marketplace/reservations",
        }),
        EmailKind::ReservationExpired => {
            json!({"name": text, "lead": {"company": text}, "link": "/marketplace"})
        }
        EmailKind::LeadSold => json!({
            "name": text, "lead": {"company": text}, "price": "$300.00", "link": "/marketplace/my-listings",
        }),
        EmailKind::PurchaseConfirmed => json!({
            "name": text, "lead": {"company": text, "email": format!("lead{text}@example.com")},
            "price": "$300.00", "link": "/marketplace/purchases",
        }),
        EmailKind::PurchaseRefunded => json!({
            "name": text, "lead": {"company": text}, "price": "$300.00",
            "reason": "the reservation had ended before the payment arrived",
            "link": "/marketplace/purchases",
        }),
        EmailKind::MarketplaceMatch => json!({
            "name": text, "partnerName": text, "lead": {"company": text, "industry": text},
            "icpMatch": 85, "price": "$300.00", "link": "/marketplace/leads/01HLEAD",
        }),
        EmailKind::HubspotDisconnected => json!({
            "name": text, "partnerName": text, "link": "/settings/integrations/hubspot",
        }),
        EmailKind::WebhookFailed => json!({
            "name": text, "partnerName": text, "eventType": "lead.created",
            "eventId": "evt_01HEVENT", "url": "https://hooks.example.com/pc",
            "attempts": 17, "link": "/settings/notifications",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CLIENT: &str = "https://app.example.com";

    /// Words each subject must carry so a reader (and the tests of other
    /// capabilities) can tell the emails apart.
    fn subject_word(kind: EmailKind) -> &'static str {
        match kind {
            EmailKind::Invitation => "invitation",
            EmailKind::RegistrationVerification => "Verify",
            EmailKind::PasswordReset => "Reset",
            EmailKind::LeadReminder => "overdue",
            EmailKind::LostLeadAlert => "Lost lead",
            EmailKind::NewLeadNotice => "New lead",
            EmailKind::PaymentFailed => "Payment failed",
            EmailKind::ReservationExpiring => "expiring",
            EmailKind::ReservationExpired => "expired",
            EmailKind::LeadSold => "Lead sold",
            EmailKind::PurchaseConfirmed => "Purchase confirmed",
            EmailKind::PurchaseRefunded => "refunded",
            EmailKind::MarketplaceMatch => "matches your profile",
            EmailKind::HubspotDisconnected => "HubSpot",
            EmailKind::WebhookFailed => "Webhook delivery failed",
        }
    }

    #[test]
    fn every_kind_renders_its_sample_data() {
        for kind in EmailKind::ALL {
            let email = render(kind, &sample_data(kind, "Acme"), CLIENT)
                .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            assert!(
                email.subject.contains(subject_word(kind)),
                "{kind:?}: {}",
                email.subject
            );
            assert!(email.html.contains(PRODUCT_NAME), "{kind:?}");
            assert!(email.html.contains("Acme"), "{kind:?}");
            assert!(email.text.contains("Acme"), "{kind:?}");
            assert!(
                email.text.contains(&format!("{CLIENT}/")),
                "{kind:?}: {}",
                email.text
            );
            assert!(
                email.html.contains(&format!("href=\"{CLIENT}/")),
                "{kind:?}"
            );
        }
    }

    /// Each kind's data type fills its template (rendering is strict: a
    /// key the template reads and the type lacks fails).
    #[test]
    fn every_typed_email_data_renders_its_template() {
        use pc_platform::email::EmailJob;
        use pc_platform::email::data::*;
        let s = |text: &str| text.to_owned();
        let company = || LeadCompany { company: s("Acme") };
        let jobs = [
            EmailJob::new(
                s("1"),
                s("to@example.com"),
                &Invitation {
                    name: s("Ann"),
                    inviter_name: s("Bob"),
                    partner_name: None,
                    link: s("/register?token=abc"),
                },
            ),
            EmailJob::new(
                s("2"),
                s("to@example.com"),
                &RegistrationVerification {
                    name: s("Ann"),
                    company_name: s("Acme"),
                    link: s("/verify?token=abc"),
                },
            ),
            EmailJob::new(
                s("3"),
                s("to@example.com"),
                &PasswordReset {
                    name: s("Ann"),
                    link: s("/reset-password?token=abc"),
                },
            ),
            EmailJob::new(
                s("4"),
                s("to@example.com"),
                &LeadReminder {
                    name: s("Ann"),
                    partner_name: s("Acme"),
                    leads: vec![
                        json!({"email": "l@example.com", "company": "Acme", "daysSinceUpdate": 3}),
                    ],
                    overdue_count: 1,
                    magic_link: s("/leads?magic=abc"),
                },
            ),
            EmailJob::new(
                s("5"),
                s("to@example.com"),
                &LostLeadAlert {
                    lead: LostLead {
                        id: s("01HLEAD"),
                        email: s("l@example.com"),
                        company: None,
                        first_name: None,
                        last_name: None,
                    },
                    partner_name: s("Acme"),
                    previous_status: None,
                    new_status: s("lost_no_show"),
                    changed_by: s("system"),
                    link: s("/leads/01HLEAD"),
                },
            ),
            EmailJob::new(
                s("6"),
                s("to@example.com"),
                &NewLeadNotice {
                    name: s("Ann"),
                    partner_name: s("Acme"),
                    lead: NewLead {
                        email: s("l@example.com"),
                        first_name: None,
                        last_name: None,
                        company: None,
                    },
                    meeting_start: None,
                    link: s("/leads/01HLEAD"),
                },
            ),
            EmailJob::new(
                s("7"),
                s("to@example.com"),
                &PaymentFailed {
                    partner_name: s("Acme"),
                    invoice_id: s("inv"),
                    amount: s("$1,250.00"),
                    period: s("2024-01"),
                    link: s("/finance/invoices"),
                },
            ),
            EmailJob::new(
                s("8"),
                s("to@example.com"),
                &ReservationExpiring {
                    name: s("Ann"),
                    lead: company(),
                    expires_at: s("2024-01-15T17:00:00.000Z"),
                    link: s("/marketplace/reservations"),
                },
            ),
            EmailJob::new(
                s("9"),
                s("to@example.com"),
                &ReservationExpired {
                    name: s("Ann"),
                    lead: company(),
                    link: s("/marketplace"),
                },
            ),
            EmailJob::new(
                s("10"),
                s("to@example.com"),
                &LeadSold {
                    name: s("Ann"),
                    partner_name: s("Acme"),
                    lead: company(),
                    price: s("$300.00"),
                    link: s("/marketplace/my-listings"),
                },
            ),
            EmailJob::new(
                s("11"),
                s("to@example.com"),
                &PurchaseConfirmed {
                    name: s("Ann"),
                    lead: BoughtLead {
                        company: s("Acme"),
                        email: s("l@example.com"),
                    },
                    price: s("$300.00"),
                    link: s("/leads/01HLEAD"),
                },
            ),
            EmailJob::new(
                s("12"),
                s("to@example.com"),
                &PurchaseRefunded {
                    name: s("Ann"),
                    lead: company(),
                    price: s("$300.00"),
                    reason: s("the reservation had ended"),
                    link: s("/marketplace/purchases"),
                },
            ),
            EmailJob::new(
                s("13"),
                s("to@example.com"),
                &MarketplaceMatch {
                    name: s("Ann"),
                    partner_name: s("Acme"),
                    lead: MatchedLead {
                        company: s("Acme"),
                        industry: s("software"),
                    },
                    icp_match: 85,
                    price: s("$300.00"),
                    link: s("/marketplace/leads/01HLEAD"),
                },
            ),
            EmailJob::new(
                s("14"),
                s("to@example.com"),
                &HubspotDisconnected {
                    name: s("Ann"),
                    partner_name: s("Acme"),
                    link: s("/settings/integrations/hubspot"),
                },
            ),
            EmailJob::new(
                s("15"),
                s("to@example.com"),
                &WebhookFailed {
                    name: s("Ann"),
                    partner_name: s("Acme"),
                    event_type: s("lead.created"),
                    event_id: s("evt_1"),
                    url: s("https://hooks.example.com/pc"),
                    attempts: 17,
                    link: s("/settings/notifications"),
                },
            ),
        ];
        let kinds: Vec<EmailKind> = jobs.iter().map(|j| j.kind).collect();
        assert_eq!(kinds, EmailKind::ALL, "one data type per kind");
        for job in &jobs {
            let email = render(job.kind, &job.data, CLIENT)
                .unwrap_or_else(|e| panic!("{:?}: {e}", job.kind));
            assert!(
                email.subject.contains(subject_word(job.kind)),
                "{:?}",
                job.kind
            );
        }
    }

    #[test]
    fn html_escapes_injected_markup_and_text_keeps_it() {
        let hostile = "<script>alert(\"x\")</script><img src=x onerror='y'>&";
        for kind in EmailKind::ALL {
            let email = render(kind, &sample_data(kind, hostile), CLIENT).unwrap();
            assert!(!email.html.contains("<script>"), "{kind:?}");
            assert!(!email.html.contains("<img"), "{kind:?}");
            assert!(email.html.contains("&lt;script&gt;"), "{kind:?}");
            assert!(email.text.contains(hostile), "{kind:?}");
        }
    }

    #[test]
    fn very_long_and_non_ascii_values_render_safely() {
        let long = "x".repeat(10_000);
        let unicode = "Zoë Åström — 株式会社 🚀 \u{202e}";
        for kind in EmailKind::ALL {
            let email = render(kind, &sample_data(kind, &long), CLIENT).unwrap();
            assert!(
                email.subject.chars().count() <= MAX_SUBJECT_CHARS,
                "{kind:?}"
            );
            assert!(email.html.contains(&long), "{kind:?}");
            let email = render(kind, &sample_data(kind, unicode), CLIENT).unwrap();
            assert!(email.html.contains("Zoë Åström — 株式会社 🚀"), "{kind:?}");
            assert!(email.text.contains(unicode), "{kind:?}");
        }
    }

    #[test]
    fn subjects_stay_on_one_line() {
        let data = sample_data(EmailKind::LeadSold, "Acme\r\nBcc: victim@example.com");
        let email = render(EmailKind::LeadSold, &data, CLIENT).unwrap();
        assert!(!email.subject.contains('\n') && !email.subject.contains('\r'));
        assert_eq!(email.subject, "Lead sold: Acme Bcc: victim@example.com");
    }

    #[test]
    fn missing_keys_and_bad_links_are_refused() {
        let err = render(EmailKind::PasswordReset, &json!({"link": "/x"}), CLIENT).unwrap_err();
        assert!(matches!(err, RenderError::Template { .. }), "{err}");
        let err = render(EmailKind::PasswordReset, &json!("text"), CLIENT).unwrap_err();
        assert_eq!(err, RenderError::NotAnObject);
        for bad in ["javascript:alert(1)", "//evil.example.com/x", "ftp://x"] {
            let data = json!({"name": "A", "link": bad});
            let err = render(EmailKind::PasswordReset, &data, CLIENT).unwrap_err();
            assert_eq!(err, RenderError::BadLink { key: "link" });
        }
        let data = json!({"name": "A", "link": "https://elsewhere.example.com/reset"});
        let email = render(EmailKind::PasswordReset, &data, CLIENT).unwrap();
        assert!(email.text.contains("https://elsewhere.example.com/reset"));
    }

    #[test]
    fn null_values_leave_their_line_out() {
        let mut data = sample_data(EmailKind::NewLeadNotice, "Acme");
        data["lead"]["company"] = Value::Null;
        data["lead"]["firstName"] = Value::Null;
        data["meetingStart"] = Value::Null;
        let email = render(EmailKind::NewLeadNotice, &data, CLIENT).unwrap();
        assert!(!email.text.contains("Company:"), "{}", email.text);
        assert!(email.text.contains("a new lead with a meeting booked:"));
    }

    /// The keys an enqueuer may send as null: a lead's company, names and
    /// industry, a reminder row's company, a notice's meeting time, an
    /// invitation's partner.
    fn optional_keys(kind: EmailKind) -> Vec<&'static str> {
        let mut keys = vec![
            "/lead/company",
            "/lead/firstName",
            "/lead/lastName",
            "/lead/industry",
            "/leads/0/company",
            "/meetingStart",
        ];
        if kind == EmailKind::Invitation {
            keys.push("/partnerName");
        }
        keys
    }

    /// What reads wrong where a value is missing: doubled spaces, a space
    /// before punctuation, empty brackets or cells, a label with nothing
    /// after it, a preposition left hanging before a verb or the end.
    fn flaws(rendered: &str) -> Vec<String> {
        let mut found = Vec::new();
        for line in rendered.lines().map(str::trim) {
            for bad in [
                "  ",
                " .",
                " ,",
                " :",
                " )",
                "()",
                "( ",
                "<td></td>",
                "<td> </td>",
            ] {
                if line.contains(bad) {
                    found.push(format!("{bad:?} in {line:?}"));
                }
            }
            if line.len() < 30 && line.ends_with(':') && !line.contains(' ') {
                found.push(format!("an empty label: {line:?}"));
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            for pair in words.windows(2) {
                let dangling = ["of", "at", "for", "to", "from", "by", "with"].contains(&pair[0])
                    && ["has", "is", "was", "expires", "matches", "on"].contains(&pair[1]);
                if dangling {
                    found.push(format!("{:?} dangles in {line:?}", pair[0]));
                }
            }
            if let Some(last) = words.last()
                && [
                    "of",
                    "at",
                    "for",
                    "to",
                    "from",
                    "by",
                    "with",
                    "sold:",
                    "confirmed:",
                ]
                .contains(last)
            {
                found.push(format!("{last:?} ends {line:?}"));
            }
        }
        found
    }

    #[test]
    fn every_template_reads_well_with_every_optional_value_missing() {
        for kind in EmailKind::ALL {
            let mut data = sample_data(kind, "Acme");
            for key in optional_keys(kind) {
                if let Some(value) = data.pointer_mut(key) {
                    *value = Value::Null;
                }
            }
            let context = Value::Object(render_context(&data, CLIENT).unwrap());
            let stem = kind.as_str();
            let registries = registries(kind);
            let plain = &registries.plain;
            // The subject before it is cleaned: cleaning would hide a gap.
            let subject = plain.render(&format!("{stem}.subject"), &context).unwrap();
            let text = plain.render(&format!("{stem}.txt"), &context).unwrap();
            let html = registries.html.render(stem, &context).unwrap();
            for (part, rendered) in [("subject", &subject), ("text", &text), ("html", &html)] {
                let flaws = flaws(rendered);
                assert!(flaws.is_empty(), "{kind:?} {part}: {flaws:?}\n{rendered}");
            }
        }
    }

    #[test]
    fn the_flaw_check_sees_a_missing_company() {
        assert!(!flaws("Your reservation of  has expired").is_empty());
        assert!(!flaws("Your reservation of has expired").is_empty());
        assert!(!flaws("Lead sold:").is_empty());
        assert!(!flaws("Company: \n").is_empty());
        assert!(flaws("Your reservation of a lead has expired").is_empty());
    }

    #[test]
    fn nullable_partner_name_of_an_invitation() {
        let data =
            json!({"name": "Ann", "inviterName": "Bob", "partnerName": null, "link": "/accept"});
        let email = render(EmailKind::Invitation, &data, CLIENT).unwrap();
        assert!(
            email
                .text
                .contains("Bob invited you to join Partner Connector.")
        );
    }
}
