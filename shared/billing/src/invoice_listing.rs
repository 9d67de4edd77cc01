//! Reading invoice lists: the columns finance filters and sorts by, the
//! index partition a list reads (every invoice on gsi2 `INVOICES`, one
//! partner's on gsi1 `PARTNER#<pid>#INVOICES`, both sorted
//! `<period>#<id>`), `billingPeriod` filters turned into a key condition so
//! a month's invoices are read without the rest, the partner names in
//! batch reads (the page's; every row's when searching), and the free-text
//! search over partner name and description.
//!
//! A list reads at most `LIST_READ_LIMIT` invoices, newest periods first;
//! past it, the answer says `meta.truncated`.

use std::collections::BTreeMap;

use serde_json::Value;

use pc_accounts::billing_config::Month;
use pc_accounts::partners_store::partner_names;
use pc_http::list::{Column, ColumnKind, Direction, ListSpec, Operator};
use pc_http::{ListQuery, ListResponse};
use pc_platform::store::pages::query_all;
use pc_platform::store::{Index, Query, SortKey, Store, StoreError, from_item};

use crate::invoice_views::InvoiceView;
use crate::invoices_store::InvoiceRecord;
use crate::keys::{INVOICES_PARTITION, partner_invoices_partition};

const STATUSES: &[&str] = &["Draft", "Open", "Failed", "Paid", "Void"];
const TYPES: &[&str] = &["monthly", "manual"];

/// The invoice lists' columns. `search` matches the partner's name
/// (`partnerName` stands for the row's `partner.name`) and the
/// description; [`list_invoices`] applies it, not `ListQuery::matches`.
pub const INVOICES_LIST: ListSpec = ListSpec {
    columns: &[
        Column::new("partnerId", ColumnKind::Text),
        Column::new("billingPeriod", ColumnKind::Text),
        Column::new("stripeStatus", ColumnKind::Enum(STATUSES)),
        Column::new("invoiceType", ColumnKind::Enum(TYPES)),
        Column::new("amount", ColumnKind::Number),
        Column::new("createdAt", ColumnKind::Date),
        Column::new("paymentDate", ColumnKind::Date),
    ],
    search_fields: &["partnerName", "description"],
    default_sort: ("createdAt", Direction::Desc),
    extra_params: &[],
};

/// Whose invoices a list reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Everyone,
    Partner(String),
}

/// The key condition on `<period>#<id>` that every `billingPeriod` filter
/// on a month implies; rows are filtered again afterwards, so this only
/// narrows what is read.
pub fn period_condition(query: &ListQuery) -> SortKey {
    // Past every `<period>#<id>` of one period: ids are alphanumeric.
    let after = |m: &Month| format!("{}#~", m.as_str());
    let mut low: Option<String> = None;
    let mut high: Option<String> = None;
    let mut raise = |v: String| {
        if low.as_ref().is_none_or(|l| v > *l) {
            low = Some(v);
        }
    };
    let mut lower = |v: String| {
        if high.as_ref().is_none_or(|h| v < *h) {
            high = Some(v);
        }
    };
    for filter in query.filters.iter().filter(|f| f.column == "billingPeriod") {
        let Some(month) = filter.value.as_str().and_then(Month::parse) else {
            continue;
        };
        match filter.operator {
            Operator::Eq => {
                raise(month.as_str().to_owned());
                lower(after(&month));
            }
            Operator::Gte => raise(month.as_str().to_owned()),
            Operator::Gt => raise(after(&month)),
            Operator::Lte => lower(after(&month)),
            // `<period>` alone sorts before every key of that period.
            Operator::Lt => lower(month.as_str().to_owned()),
            _ => {}
        }
    }
    match (low, high) {
        (Some(l), Some(h)) => SortKey::Between(l, h),
        (Some(l), None) => SortKey::Gte(l),
        (None, Some(h)) => SortKey::Lte(h),
        (None, None) => SortKey::Any,
    }
}

/// The index query of a scope, narrowed by the period filters, newest first.
pub fn index_query(scope: &Scope, query: &ListQuery) -> Query {
    let base = match scope {
        Scope::Everyone => Query::partition(Index::Gsi2, INVOICES_PARTITION),
        Scope::Partner(pid) => Query::partition(Index::Gsi1, partner_invoices_partition(pid)),
    };
    base.sk(period_condition(query)).descending()
}

/// Whether `row` matches the search: the partner's name or the description.
fn matches_search(row: &Value, needle: &str) -> bool {
    ["/partner/name", "/description"].iter().any(|pointer| {
        row.pointer(pointer)
            .and_then(Value::as_str)
            .is_some_and(|s| s.to_lowercase().contains(needle))
    })
}

/// One page of invoices of `scope`: read (at most `read_limit`), named,
/// filtered, searched, sorted and cut. `known_names` saves reading names
/// the caller already has (a partner's own list).
pub async fn list_invoices(
    store: &dyn Store,
    scope: &Scope,
    query: &ListQuery,
    read_limit: usize,
    known_names: BTreeMap<String, String>,
) -> Result<ListResponse<Value>, StoreError> {
    let items = query_all(
        store,
        index_query(scope, query),
        read_limit.saturating_add(1),
    )
    .await?;
    let truncated = items.len() > read_limit;
    let invoices = items
        .into_iter()
        .take(read_limit)
        .map(from_item::<InvoiceRecord>)
        .collect::<Result<Vec<_>, _>>()?;
    // The search needs every row's partner name; otherwise only the page's.
    let mut names = known_names;
    if query.search.is_some() {
        add_names(store, &mut names, invoices.iter().map(|i| &i.partner_id)).await?;
    }
    let filters = ListQuery {
        search: None,
        ..query.clone()
    };
    let mut rows: Vec<Value> = invoices
        .iter()
        .map(|invoice| {
            let name = names.get(&invoice.partner_id).map_or("", String::as_str);
            InvoiceView::of(invoice, name).to_row()
        })
        .filter(|row| filters.matches(row, &INVOICES_LIST))
        .filter(|row| {
            query
                .search
                .as_deref()
                .is_none_or(|needle| matches_search(row, needle))
        })
        .collect();
    query.sort_rows(&mut rows);
    let mut page = query.page_of(rows);
    page.meta.truncated = truncated;
    if query.search.is_none() {
        let ids: Vec<String> = page
            .list
            .iter()
            .filter_map(|row| row["partnerId"].as_str().map(str::to_owned))
            .collect();
        add_names(store, &mut names, ids.iter()).await?;
        for row in &mut page.list {
            let pid = row["partnerId"].as_str().unwrap_or_default();
            if let Some(name) = names.get(pid) {
                row["partner"]["name"] = Value::from(name.as_str());
            }
        }
    }
    Ok(page)
}

/// Reads, in batches, the names of the partners of `ids` not yet in `names`.
async fn add_names(
    store: &dyn Store,
    names: &mut BTreeMap<String, String>,
    ids: impl Iterator<Item = &String>,
) -> Result<(), StoreError> {
    let missing: Vec<String> = ids.filter(|id| !names.contains_key(*id)).cloned().collect();
    if !missing.is_empty() {
        names.extend(partner_names(store, missing).await?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(filters: Value) -> ListQuery {
        let raw = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("filter", &filters.to_string())
            .finish();
        ListQuery::parse(Some(&raw), &INVOICES_LIST).unwrap()
    }

    fn period(op: &str, value: &str) -> SortKey {
        period_condition(&parse(
            json!([{"column": "billingPeriod", "operator": op, "value": value}]),
        ))
    }

    #[test]
    fn period_filters_become_key_conditions() {
        let between = |l: &str, h: &str| SortKey::Between(l.into(), h.into());
        assert_eq!(period("eq", "2024-05"), between("2024-05", "2024-05#~"));
        assert_eq!(period("gte", "2024-05"), SortKey::Gte("2024-05".into()));
        assert_eq!(period("gt", "2024-05"), SortKey::Gte("2024-05#~".into()));
        assert_eq!(period("lte", "2024-05"), SortKey::Lte("2024-05#~".into()));
        assert_eq!(period("lt", "2024-05"), SortKey::Lte("2024-05".into()));
        // Not a month, or not an order: read everything, filter the rows.
        assert_eq!(period("eq", "May"), SortKey::Any);
        assert_eq!(period("contains", "2024"), SortKey::Any);
        let range = parse(json!([
            {"column": "billingPeriod", "operator": "gte", "value": "2024-01"},
            {"column": "billingPeriod", "operator": "lte", "value": "2024-03"}
        ]));
        assert_eq!(period_condition(&range), between("2024-01", "2024-03#~"));
    }

    #[test]
    fn the_key_condition_keeps_exactly_the_periods_asked() {
        let key = |p: &str| format!("{p}#01J9ZQ3V6Y4K8M2N5P7R9T1W3X");
        for (op, value, kept) in [
            ("eq", "2024-05", [false, true, false]),
            ("gt", "2024-05", [false, false, true]),
            ("gte", "2024-05", [false, true, true]),
            ("lt", "2024-05", [true, false, false]),
            ("lte", "2024-05", [true, true, false]),
        ] {
            let condition = period(op, value);
            let got = ["2024-04", "2024-05", "2024-06"].map(|p| condition.matches(&key(p)));
            assert_eq!(got, kept, "{op} {value}");
        }
    }

    #[test]
    fn unknown_columns_and_operators_are_refused() {
        for filters in [
            json!([{"column": "stage", "operator": "eq", "value": "planned"}]),
            json!([{"column": "stripeStatus", "operator": "eq", "value": "paid"}]),
            json!([{"column": "amount", "operator": "near", "value": 1}]),
        ] {
            let raw = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("filter", &filters.to_string())
                .finish();
            let e = ListQuery::parse(Some(&raw), &INVOICES_LIST).unwrap_err();
            assert_eq!(e.status.as_u16(), 400, "{filters}");
        }
        assert!(ListQuery::parse(Some("sort=stage:asc"), &INVOICES_LIST).is_err());
        assert!(ListQuery::parse(Some("sort=amount:desc&search=acme"), &INVOICES_LIST).is_ok());
    }

    mod reading {
        use std::sync::Arc;

        use chrono::{DateTime, Utc};

        use pc_accounts::partners_store::{PartnerRecord, partner_item};
        use pc_platform::store::counting::CountingStore;
        use pc_platform::store::embedded::EmbeddedStore;

        use super::*;
        use crate::invoices_store::{InvoiceStatus, InvoiceType, Stage};

        fn at() -> DateTime<Utc> {
            DateTime::parse_from_rfc3339("2024-06-01T08:00:00Z")
                .unwrap()
                .to_utc()
        }

        fn invoice(partner: &str, period: &str, cents: i64) -> InvoiceRecord {
            let id = format!("INV{partner}{}", period.replace('-', ""));
            InvoiceRecord {
                description: format!("Leads of {period}"),
                amount_cents: cents,
                line_count: 1,
                stripe_status: InvoiceStatus::Open,
                stage: Stage::Finalized,
                ..InvoiceRecord::new(&id, partner, InvoiceType::Monthly, period, at())
            }
        }

        /// Three partners with an invoice in each of two months.
        async fn seeded() -> Arc<CountingStore> {
            let inner: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory());
            for (n, name) in ["Acme", "Globex", "Initech"].into_iter().enumerate() {
                let pid = format!("P{n}");
                let partner = PartnerRecord::new_active(&pid, name, &pid.to_lowercase(), at());
                inner
                    .put(partner_item(&partner).unwrap(), None)
                    .await
                    .unwrap();
                for period in ["2024-04", "2024-05"] {
                    let item = invoice(&pid, period, 1_000 * (n as i64 + 1))
                        .item()
                        .unwrap();
                    inner.put(item, None).await.unwrap();
                }
            }
            Arc::new(CountingStore::new(inner))
        }

        fn query(raw: &str) -> ListQuery {
            ListQuery::parse(Some(raw), &INVOICES_LIST).unwrap()
        }

        #[tokio::test]
        async fn names_come_in_one_batch_and_a_month_is_read_alone() {
            let store = seeded().await;
            let page = list_invoices(
                &*store,
                &Scope::Everyone,
                &query("sort=amount:desc"),
                100,
                BTreeMap::new(),
            )
            .await
            .unwrap();
            assert_eq!(store.take(), 2, "one query, one batch read of names");
            assert_eq!(page.meta.total, 6);
            assert_eq!(page.list[0]["partner"]["name"], "Initech");
            assert!(page.list.iter().all(|r| r["partner"]["name"] != ""));

            let may = filter_of(
                json!([{"column": "billingPeriod", "operator": "eq", "value": "2024-05"}]),
            );
            // Six invoices in all: a limit of three holds May's only if
            // April is never read.
            let page = list_invoices(&*store, &Scope::Everyone, &may, 3, BTreeMap::new())
                .await
                .unwrap();
            assert_eq!((page.meta.total, page.meta.truncated), (3, false));
            let page = list_invoices(&*store, &Scope::Everyone, &may, 2, BTreeMap::new())
                .await
                .unwrap();
            assert_eq!((page.meta.total, page.meta.truncated), (2, true));
            let page = list_invoices(
                &*store,
                &Scope::Everyone,
                &query("search=glob"),
                100,
                BTreeMap::new(),
            )
            .await
            .unwrap();
            assert_eq!(page.meta.total, 2);
            assert!(!page.meta.truncated);
        }

        #[tokio::test]
        async fn a_partner_reads_its_own_partition() {
            let store = seeded().await;
            let known = BTreeMap::from([("P1".to_owned(), "Globex".to_owned())]);
            let page = list_invoices(
                &*store,
                &Scope::Partner("P1".into()),
                &query("sort=billingPeriod:asc"),
                100,
                known,
            )
            .await
            .unwrap();
            assert_eq!(store.take(), 1, "the name was known: no batch read");
            let periods: Vec<_> = page
                .list
                .iter()
                .map(|r| r["billingPeriod"].clone())
                .collect();
            assert_eq!(periods, [json!("2024-04"), json!("2024-05")]);
            assert!(page.list.iter().all(|r| r["partnerId"] == "P1"));
        }

        fn filter_of(filters: Value) -> ListQuery {
            super::parse(filters)
        }
    }

    #[test]
    fn search_looks_at_the_partner_name_and_description() {
        let row =
            json!({"partner": {"id": "P", "name": "Acme Corp"}, "description": "Leads of May"});
        assert!(matches_search(&row, "acme"));
        assert!(matches_search(&row, "of may"));
        assert!(!matches_search(&row, "globex"));
    }
}
