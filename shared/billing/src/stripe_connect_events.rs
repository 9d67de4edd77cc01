//! `account.updated` from Stripe moves a partner's Stripe Connect state
//! (charges and payouts enabled) once per event. The account names its
//! partner in its metadata (`partnerId`, set when billing created it); an
//! account that is not the partner's recorded one changes nothing.
//!
//! Stripe does not deliver events in order: the state keeps the time of
//! the event it came from (`stateAsOf`) and an event older than it is
//! recorded as unchanged, so a late `account.updated` never undoes a newer
//! one.

use pc_accounts::stripe_connect::{connect_state, state_update};
use pc_platform::AppContext;
use pc_platform::payments::ConnectedAccount;
use pc_platform::store::{StoreError, Transaction, Write};

use crate::stripe_events::{EVENT_GUARD, Outcome, StripeEvent, guard_write, record};

/// Applies one `account.updated` (the guard was checked by the caller).
pub async fn apply_account_updated(
    ctx: &AppContext,
    event: &StripeEvent,
) -> Result<Outcome, StoreError> {
    let object = &event.data.object;
    let account = ConnectedAccount::from_object(object);
    let Some(partner_id) = account.metadata.get("partnerId").cloned() else {
        let note = "the account names no partner";
        return record(ctx, event, Outcome::Ignored, note, None).await;
    };
    let state = connect_state(&*ctx.store, &partner_id).await?;
    if state.as_ref().is_none_or(|s| s.account_id != account.id) {
        let note = "not the partner's connected account";
        return record(ctx, event, Outcome::Ignored, note, None).await;
    }
    let as_of = event.created;
    let mut writes = Transaction::new();
    writes.guarded(
        EVENT_GUARD,
        guard_write(ctx, event, &Outcome::AccountUpdated, "applied", None),
    );
    writes.push(Write::Update(state_update(
        &partner_id,
        &account,
        as_of,
        ctx.clock.now(),
    )));
    match writes.commit(&*ctx.store).await {
        Ok(()) => Ok(Outcome::AccountUpdated),
        Err(e) if e.failed(EVENT_GUARD) => Ok(Outcome::Duplicate),
        Err(e) if e.is_condition_failure() => {
            let note = "a later state of the account was applied already";
            record(ctx, event, Outcome::Unchanged, note, None).await
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use pc_accounts::stripe_connect::first_state_write;
    use pc_platform::EmbeddedParts;
    use pc_platform::payments::{NewConnectedAccount, PaymentGateway};
    use serde_json::{Value, json};

    use super::*;
    use crate::stripe_events::apply_event;

    /// `account.updated` as the Connect endpoint delivers it: naming the
    /// account it is about.
    fn event(id: &str, created: i64, account: &Value) -> StripeEvent {
        serde_json::from_value(json!({
            "id": id, "type": "account.updated", "created": created,
            "account": account["id"], "data": {"object": account},
        }))
        .unwrap()
    }

    /// Partner `P1` with a connected account, its first state stored.
    async fn partner_with_account(parts: &EmbeddedParts) -> ConnectedAccount {
        let new = NewConnectedAccount {
            email: None,
            metadata: [("partnerId".to_owned(), "P1".to_owned())].into(),
        };
        let account = parts
            .stripe
            .create_connected_account(&new, "connect-account:P1")
            .await
            .unwrap();
        let ctx = &parts.context;
        let write = first_state_write("P1", &account, ctx.clock.now()).unwrap();
        ctx.store.transact(vec![write]).await.unwrap();
        account
    }

    #[tokio::test]
    async fn a_late_update_never_undoes_a_newer_one_and_each_applies_once() {
        let parts = EmbeddedParts::in_memory();
        let ctx = &parts.context;
        let account = partner_with_account(&parts).await;
        let pending = json!({"id": account.id, "metadata": {"partnerId": "P1"},
            "charges_enabled": false, "payouts_enabled": false});
        let enabled = json!({"id": account.id, "metadata": {"partnerId": "P1"},
            "charges_enabled": true, "payouts_enabled": true, "details_submitted": true});

        let newer = event("evt_2", 200, &enabled);
        assert_eq!(
            apply_event(ctx, &newer).await.unwrap(),
            Outcome::AccountUpdated
        );
        assert_eq!(apply_event(ctx, &newer).await.unwrap(), Outcome::Duplicate);
        let late = event("evt_1", 100, &pending);
        assert_eq!(apply_event(ctx, &late).await.unwrap(), Outcome::Unchanged);

        let state = connect_state(&*ctx.store, "P1").await.unwrap().unwrap();
        assert!(state.can_receive_payments());
        assert_eq!(state.state_as_of, Some(200));
    }

    #[tokio::test]
    async fn an_account_that_is_not_the_partners_changes_nothing() {
        let parts = EmbeddedParts::in_memory();
        let ctx = &parts.context;
        let stranger = json!({"id": "acct_other", "metadata": {"partnerId": "P9"},
            "charges_enabled": true, "payouts_enabled": true});
        let orphan = json!({"id": "acct_orphan", "charges_enabled": true});
        for (id, account) in [("evt_a", stranger), ("evt_b", orphan)] {
            let outcome = apply_event(ctx, &event(id, 1, &account)).await.unwrap();
            assert_eq!(outcome, Outcome::Ignored);
        }
        assert!(connect_state(&*ctx.store, "P9").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn an_update_not_sent_by_its_connected_account_changes_nothing() {
        let parts = EmbeddedParts::in_memory();
        let ctx = &parts.context;
        let account = partner_with_account(&parts).await;
        let enabled = json!({"id": account.id, "metadata": {"partnerId": "P1"},
            "charges_enabled": true, "payouts_enabled": true, "details_submitted": true});
        let mut platform = event("evt_p", 100, &enabled);
        platform.account = None;
        let mut other = event("evt_o", 100, &enabled);
        other.account = Some("acct_someone_else".into());
        for forged in [platform, other] {
            assert_eq!(apply_event(ctx, &forged).await.unwrap(), Outcome::Ignored);
        }
        let state = connect_state(&*ctx.store, "P1").await.unwrap().unwrap();
        assert!(!state.can_receive_payments());
    }
}
