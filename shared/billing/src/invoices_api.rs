//! Reading invoices: finance staff list every invoice and open any one
//! with its lines; a partner's admins list their own partner's invoices
//! (another partner's are a 404, as if they did not exist).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde_json::Value;

use pc_accounts::partners_store::{get_partner, partner_names};
use pc_http::list::Operator;
use pc_http::{ApiError, ApiResult, AppState, ListQuery, ListResponse, Principal};

use crate::invoice_listing::{INVOICES_LIST, Scope, list_invoices};
use crate::invoice_views::{InvoiceDetailView, InvoiceView};
use crate::invoices_store::invoice_with_lines;

/// Every partner's invoices, newest first by default, each row with its
/// partner's name (read in one batch for the page, not one read per
/// partner). Filters and sorts: `partnerId`, `billingPeriod`,
/// `stripeStatus`, `invoiceType`, `amount`, `createdAt`, `paymentDate`;
/// `search` matches the partner's name and the description.
#[utoipa::path(get, path = "/v1/billing/invoices", tag = "billing",
    params(("page" = Option<usize>, Query), ("perPage" = Option<usize>, Query),
        ("sort" = Option<String>, Query), ("filter" = Option<String>, Query), ("search" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<InvoiceView>), (status = 400), (status = 403)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn list_all_invoices(
    State(ctx): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<Value>>> {
    let query = ListQuery::parse(raw.as_deref(), &INVOICES_LIST)?;
    // A partner filter reads that partner's own partition.
    let scope = match query.filter("partnerId", Operator::Eq) {
        Some(Value::String(pid)) => Scope::Partner(pid.clone()),
        _ => Scope::Everyone,
    };
    let page = list_invoices(
        &*ctx.store,
        &scope,
        &query,
        ctx.config.list_read_limit,
        BTreeMap::new(),
    )
    .await?;
    Ok(Json(page))
}

/// One invoice with its lines (one read of the invoice's partition).
#[utoipa::path(get, path = "/v1/billing/invoices/{id}", tag = "billing",
    params(("id" = String, Path, description = "invoice id")),
    responses((status = 200, body = InvoiceDetailView), (status = 403), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn get_invoice(
    State(ctx): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<InvoiceDetailView>> {
    let (invoice, lines) = invoice_with_lines(&*ctx.store, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("invoice"))?;
    let names = partner_names(&*ctx.store, [invoice.partner_id.clone()]).await?;
    let name = names.get(&invoice.partner_id).map_or("", String::as_str);
    Ok(Json(InvoiceDetailView::of(&invoice, &lines, name)))
}

/// A partner's invoices, for platform staff and the partner's own admins.
#[utoipa::path(get, path = "/v1/partners/{id}/invoices", tag = "billing",
    params(("id" = String, Path, description = "partner id"),
        ("page" = Option<usize>, Query), ("perPage" = Option<usize>, Query),
        ("sort" = Option<String>, Query), ("filter" = Option<String>, Query), ("search" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<InvoiceView>), (status = 400), (status = 403), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn list_partner_invoices(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(partner_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<Value>>> {
    // Tenancy before anything else: another partner's invoices do not exist.
    principal.ensure_sees_partner(Some(&partner_id), "partner")?;
    let query = ListQuery::parse(raw.as_deref(), &INVOICES_LIST)?;
    let partner = get_partner(&*ctx.store, &partner_id)
        .await?
        .ok_or_else(|| ApiError::not_found("partner"))?;
    let names = BTreeMap::from([(partner.id.clone(), partner.name.clone())]);
    let page = list_invoices(
        &*ctx.store,
        &Scope::Partner(partner.id),
        &query,
        ctx.config.list_read_limit,
        names,
    )
    .await?;
    Ok(Json(page))
}
