//! `billings`, `invoices` and `invoicelines`: a partner's billing
//! configuration (the original's month-number terms mapped onto dated
//! terms), historical invoices with their monthly claims (so the monthly
//! run never invoices a migrated period again) and their lines.

use bson::{Bson, Document};
use chrono::{DateTime, Datelike, Utc};

use pc_accounts::billing_config::{BillingConfig, BillingTerm, BillingType, Month};
use pc_accounts::keys::billing_key;
use pc_billing::invoices_store::{
    InvoiceLineRecord, InvoiceRecord, InvoiceStatus, InvoiceType, Stage, claim_item,
};
use pc_platform::store::Write;

use crate::fields::{
    cents, created_at, decimal_text, documents, hundredths, id_of, integer, reference_field, text,
    time,
};
use crate::sink::Unit;

fn billing_type(doc: &Document) -> Result<BillingType, String> {
    let raw = text(doc, "billingType").ok_or("no `billingType`")?;
    match raw.trim().to_lowercase().replace(['-', ' '], "_").as_str() {
        "qualified_lead" => Ok(BillingType::QualifiedLead),
        "closed_won_lead" => Ok(BillingType::ClosedWonLead),
        "percentage_of_deal" => Ok(BillingType::PercentageOfDeal),
        _ => Err(format!("unknown `billingType` {raw:?}")),
    }
}

/// One original term: calendar months `start..=end` (1–12) of every year.
struct OldTerm {
    start: u32,
    end: Option<u32>,
    /// Hundredths: cents per lead, or basis points of a percentage.
    value: i64,
}

fn old_terms(doc: &Document) -> Result<Vec<OldTerm>, String> {
    let (terms, others) = documents(doc, "billingTerms");
    if others > 0 {
        return Err("`billingTerms` holds entries that are not terms".into());
    }
    terms
        .into_iter()
        .enumerate()
        .map(|(n, t)| {
            let month = |field: &str| -> Result<Option<u32>, String> {
                match t.get(field) {
                    None | Some(Bson::Null) => Ok(None),
                    Some(v) => integer(v)
                        .and_then(|m| u32::try_from(m).ok())
                        .filter(|m| (1..=12).contains(m))
                        .map(Some)
                        .ok_or_else(|| {
                            format!("billingTerms[{n}].{field} is not a month number 1-12")
                        }),
                }
            };
            let value = t
                .get("value")
                .and_then(decimal_text)
                .as_deref()
                .and_then(hundredths)
                .filter(|v| *v >= 0)
                .ok_or_else(|| {
                    format!("billingTerms[{n}].value is not an amount with at most two decimals")
                })?;
            Ok(OldTerm {
                start: month("startMonth")?.unwrap_or(1),
                end: month("endMonth")?,
                value,
            })
        })
        .collect()
}

/// What the original charged in calendar month `m`: the first term
/// covering it (its `find`), or nothing.
fn value_in(terms: &[OldTerm], m: u32) -> Option<i64> {
    terms
        .iter()
        .find(|t| t.start <= m && t.end.is_none_or(|e| e >= m))
        .map(|t| t.value)
}

fn month(year: i32, m: u32) -> Month {
    Month::parse(&format!("{year:04}-{m:02}")).expect("a valid month")
}

/// The dated terms equivalent to month-number terms from `from_year`:
/// one open-ended term when every calendar month has the same value
/// (exact), else the yearly pattern written out through `to_year` (exact
/// until then; the report says when it ends).
fn dated_terms(terms: &[OldTerm], from_year: i32, to_year: i32) -> (Vec<BillingTerm>, bool) {
    let values: Vec<Option<i64>> = (1..=12).map(|m| value_in(terms, m)).collect();
    if let Some(value) = values[0]
        && values.iter().all(|v| *v == Some(value))
    {
        let term = BillingTerm {
            start_month: month(from_year, 1),
            end_month: None,
            value,
        };
        return (vec![term], true);
    }
    let mut dated: Vec<BillingTerm> = Vec::new();
    for year in from_year..=to_year {
        for m in 1..=12u32 {
            let Some(value) = values[m as usize - 1] else {
                continue;
            };
            let this = month(year, m);
            // Continues the previous term when the month right before had
            // the same value.
            let (py, pm) = if m == 1 {
                (year - 1, 12)
            } else {
                (year, m - 1)
            };
            let previous = month(py, pm);
            match dated.last_mut() {
                Some(last) if last.value == value && last.end_month.as_ref() == Some(&previous) => {
                    last.end_month = Some(this);
                }
                _ => dated.push(BillingTerm {
                    start_month: this.clone(),
                    end_month: Some(this),
                    value,
                }),
            }
        }
    }
    (dated, false)
}

/// A billing configuration for `partner_id`; the second value tells how
/// its terms were mapped (for the report).
pub fn billing(
    doc: &Document,
    partner_id: &str,
    stripe_customer_id: Option<String>,
    now: DateTime<Utc>,
) -> Result<(BillingConfig, String), String> {
    let id = id_of(doc).unwrap_or_default();
    let billing_type = billing_type(doc)?;
    let terms = old_terms(doc)?;
    let from_year = created_at(doc)?.unwrap_or(now).year().max(2000);
    let to_year = now.year() + 1;
    let (billing_terms, exact) = dated_terms(&terms, from_year, to_year);
    let how = if terms.is_empty() {
        format!(
            "billing {id} (partner {partner_id}) has no terms: nothing is charged until terms are set"
        )
    } else if exact {
        format!(
            "billing {id} (partner {partner_id}): the same value every month, one open-ended term from {from_year}-01 (exact)"
        )
    } else {
        format!(
            "billing {id} (partner {partner_id}): values differ by calendar month, the yearly pattern is written out as {} dated term(s) from {from_year}-01 through {to_year}-12 (exact until then; extend the terms before {to_year}-12)",
            billing_terms.len()
        )
    };
    Ok((
        BillingConfig {
            partner_id: partner_id.to_owned(),
            billing_type,
            billing_terms,
            billing_email: text(doc, "billingEmail").map(|e| e.to_lowercase()),
            stripe_customer_id: text(doc, "stripeCustomerId").or(stripe_customer_id),
        },
        how,
    ))
}

pub fn billing_unit(id: &str, config: &BillingConfig) -> Result<Unit, String> {
    Ok(Unit {
        collection: "billings",
        id: id.to_owned(),
        primary: billing_key(&config.partner_id),
        writes: vec![Write::put_new(config.item().map_err(|e| e.to_string())?)],
        counts: true,
    })
}

/// A billing period `YYYY-MM` from text (`2024-01`, `2024-01-31...`) or a date.
fn period(doc: &Document, field: &str) -> Result<Option<String>, String> {
    if let Ok(Some(at)) = time(doc, field) {
        return Ok(Some(format!("{:04}-{:02}", at.year(), at.month())));
    }
    let Some(raw) = text(doc, field) else {
        return Ok(None);
    };
    raw.get(..7)
        .and_then(Month::parse)
        .map(|m| Some(m.as_str().to_owned()))
        .ok_or_else(|| format!("`{field}` {raw:?} is not a month"))
}

fn invoice_status(doc: &Document) -> Result<InvoiceStatus, String> {
    let Some(raw) = text(doc, "stripeStatus").or_else(|| text(doc, "status")) else {
        return Ok(InvoiceStatus::Draft);
    };
    match raw.to_lowercase().as_str() {
        "draft" => Ok(InvoiceStatus::Draft),
        "open" => Ok(InvoiceStatus::Open),
        "paid" => Ok(InvoiceStatus::Paid),
        "void" => Ok(InvoiceStatus::Void),
        "uncollectible" | "failed" => Ok(InvoiceStatus::Failed),
        _ => Err(format!("unknown `stripeStatus` {raw:?}")),
    }
}

/// Why a draft is not migrated. The original's monthly run saved its
/// invoice as `draft` right after making it at Stripe and marked it `open`
/// only once Stripe had finalized it, so a draft is a run that stopped in
/// between: its Stripe invoice may be a draft holding the whole amount or
/// finalized already. Taken in as a draft, this system's invoice run would
/// add the lines to it again (or fail on a finalized one) and its claim
/// would keep the period from being invoiced properly; so a person looks
/// at Stripe first.
fn unfinished_draft(stripe_invoice_id: Option<&str>) -> String {
    let at_stripe = stripe_invoice_id.map_or_else(
        || "it never reached Stripe".to_owned(),
        |id| format!("check its Stripe invoice {id}: finalize it there or delete it"),
    );
    format!(
        "a draft the original monthly run never finished, not migrated so nothing bills it twice; {at_stripe}, then `POST /v1/billing/invoices/generate` for its period if it is still owed"
    )
}

/// An invoice, checked (its line count and amount come from its lines
/// when it has no amount of its own).
pub struct InvoiceDoc {
    pub record: InvoiceRecord,
    pub has_amount: bool,
}

pub fn invoice(
    doc: &Document,
    partner_exists: impl Fn(&str) -> bool,
    now: DateTime<Utc>,
) -> Result<InvoiceDoc, String> {
    let id = id_of(doc).ok_or("no usable `_id`")?;
    let partner_id = reference_field(doc, "partner")?.ok_or("no `partner`")?;
    if !partner_exists(&partner_id) {
        return Err(format!(
            "its partner {partner_id} is not among the migrated partners"
        ));
    }
    let invoice_type = match text(doc, "invoiceType")
        .or_else(|| text(doc, "type"))
        .as_deref()
    {
        Some("manual") => InvoiceType::Manual,
        None | Some("monthly") => InvoiceType::Monthly,
        Some(other) => return Err(format!("unknown invoice `type` {other:?}")),
    };
    let created = created_at(doc)?.unwrap_or(now);
    let billing_period = match period(doc, "billingPeriod")? {
        Some(p) => p,
        None if invoice_type == InvoiceType::Manual => {
            format!("{:04}-{:02}", created.year(), created.month())
        }
        None => return Err("no `billingPeriod`".into()),
    };
    let status = invoice_status(doc)?;
    let stripe_invoice_id = text(doc, "stripeInvoiceId");
    if status == InvoiceStatus::Draft {
        return Err(unfinished_draft(stripe_invoice_id.as_deref()));
    }
    let amount = cents(doc, "amount")?;
    let mut record = InvoiceRecord::new(&id, &partner_id, invoice_type, &billing_period, created);
    if let Some(description) = text(doc, "description") {
        record.description = description;
    }
    record.amount_cents = amount.unwrap_or(0);
    record.stripe_customer_id = text(doc, "stripeCustomerId");
    record.hosted_invoice_url = text(doc, "hostedInvoiceUrl");
    record.amount_due_cents = cents(doc, "amountDue")?;
    record.stripe_status = status;
    // Anything past draft was finalized at Stripe.
    record.stage = Stage::Finalized;
    record.stripe_invoice_id = stripe_invoice_id;
    record.payment_date = time(doc, "paymentDate")?.or(time(doc, "paidAt")?);
    record.updated_at = time(doc, "updatedAt")?.unwrap_or(created);
    Ok(InvoiceDoc {
        record,
        has_amount: amount.is_some(),
    })
}

/// The invoice with its monthly claim when `claim` (the first invoice of
/// a partner and period; later ones of the same period become manual).
pub fn invoice_unit(record: &InvoiceRecord, claim: bool) -> Result<Unit, String> {
    let mut writes = vec![Write::put_new(record.item().map_err(|e| e.to_string())?)];
    if claim {
        writes.push(Write::put_new(claim_item(
            &record.partner_id,
            &record.billing_period,
            &record.id,
        )));
    }
    Ok(Unit {
        collection: "invoices",
        id: record.id.clone(),
        primary: record.key(),
        writes,
        counts: true,
    })
}

/// A line, checked: `(line, invoice id)`; the lead is remapped by the caller.
pub fn line(doc: &Document) -> Result<(InvoiceLineRecord, Option<String>), String> {
    let id = id_of(doc).ok_or("no usable `_id`")?;
    let invoice_id = reference_field(doc, "invoice")?.ok_or("no `invoice`")?;
    let lead = reference_field(doc, "lead")?;
    let amount = cents(doc, "amount")?.ok_or("no `amount`")?;
    Ok((
        InvoiceLineRecord {
            invoice_id,
            line_id: id,
            lead_id: None,
            description: text(doc, "description").unwrap_or_else(|| "Lead".to_owned()),
            amount_cents: amount,
            billing_period: period(doc, "billingPeriod")?.unwrap_or_default(),
        },
        lead,
    ))
}

pub fn line_unit(record: &InvoiceLineRecord) -> Result<Unit, String> {
    Ok(Unit {
        collection: "invoicelines",
        id: record.line_id.clone(),
        primary: record.key(),
        writes: vec![Write::put_new(record.item().map_err(|e| e.to_string())?)],
        counts: true,
    })
}

#[cfg(test)]
mod tests {
    use super::invoice as invoice_of;
    use super::*;

    fn term(start: u32, end: Option<u32>, value: i64) -> OldTerm {
        OldTerm { start, end, value }
    }

    #[test]
    fn a_draft_is_reported_for_a_person_and_a_finalized_invoice_goes_in() {
        let partner = bson::oid::ObjectId::new();
        let invoice = |status: &str| {
            bson::doc! {"_id": bson::oid::ObjectId::new(), "partner": partner,
            "billingPeriod": "2024-03", "amount": 120, "stripeStatus": status,
            "stripeInvoiceId": "in_unfinished"}
        };
        let exists = |_: &str| true;
        let now = Utc::now();
        let reason = invoice_of(&invoice("draft"), exists, now).err().unwrap();
        assert!(reason.contains("draft"), "{reason}");
        assert!(reason.contains("in_unfinished"), "{reason}");
        let mut no_status = invoice("x");
        no_status.remove("stripeStatus");
        no_status.remove("stripeInvoiceId");
        let reason = invoice_of(&no_status, exists, now).err().unwrap();
        assert!(reason.contains("never reached Stripe"), "{reason}");
        let paid = invoice_of(&invoice("paid"), exists, now).ok().unwrap();
        assert_eq!(paid.record.stripe_status, InvoiceStatus::Paid);
        assert_eq!(paid.record.stage, Stage::Finalized);
    }

    #[test]
    fn one_value_all_year_is_one_open_ended_term() {
        let (terms, exact) = dated_terms(&[term(1, None, 5000)], 2023, 2027);
        assert!(exact);
        assert_eq!(terms.len(), 1);
        assert_eq!(terms[0].start_month.as_str(), "2023-01");
        assert_eq!(terms[0].end_month, None);
    }

    #[test]
    fn a_yearly_pattern_is_written_out_with_the_first_matching_term() {
        // Jan–Mar 50, then 75 from April on; an overlapping later term loses.
        let old = [
            term(1, Some(3), 5000),
            term(4, None, 7500),
            term(2, Some(5), 1),
        ];
        let (terms, exact) = dated_terms(&old, 2024, 2025);
        assert!(!exact);
        let shown: Vec<_> = terms
            .iter()
            .map(|t| {
                (
                    t.start_month.as_str().to_owned(),
                    t.end_month.as_ref().map(|m| m.as_str().to_owned()),
                    t.value,
                )
            })
            .collect();
        assert_eq!(
            shown,
            vec![
                ("2024-01".into(), Some("2024-03".into()), 5000),
                ("2024-04".into(), Some("2024-12".into()), 7500),
                ("2025-01".into(), Some("2025-03".into()), 5000),
                ("2025-04".into(), Some("2025-12".into()), 7500),
            ]
        );
    }

    #[test]
    fn months_without_a_term_charge_nothing() {
        let (terms, _) = dated_terms(&[term(6, Some(8), 100)], 2024, 2024);
        assert_eq!(terms.len(), 1);
        assert_eq!(terms[0].start_month.as_str(), "2024-06");
        assert_eq!(
            terms[0].end_month.as_ref().map(Month::as_str),
            Some("2024-08")
        );
    }
}
