//! The marketplace's conditional transitions on a real (embedded) store:
//! an expiry racing a purchase leaves one outcome whichever commits first,
//! a lead is reserved once, a buyer's holds stay within the limit, a stale
//! listing version refuses the reservation, and a listing is never put
//! over a reserved lead.

use chrono::{Duration, TimeZone, Utc};

use pc_marketplace::listing_store::{
    DelistedBy, ListedContact, ListingRecord, MarketplaceStatus, delist_item, get_listing,
    list_write, listing_item, mark_sold_item, relist_write,
};
use pc_marketplace::reservations_store::{
    Ending, RESERVE_HOLD, RESERVE_LISTING, ReservationRecord, ReservationStatus, ReservedBy,
    back_to_active_item, close_reservation_writes, end_writes, get_reservation,
    mark_purchasing_item, reserve_writes,
};
use pc_marketplace::sale_snapshot::SaleSnapshot;
use pc_platform::store::embedded::EmbeddedStore;
use pc_platform::store::{Store, Transaction, Write};

fn listing() -> ListingRecord {
    let at = Utc.with_ymd_and_hms(2030, 1, 15, 17, 0, 0).unwrap();
    ListingRecord {
        lead_id: "lead-1".into(),
        seller_id: "seller".into(),
        buyer_id: None,
        marketplace_status: MarketplaceStatus::Listed,
        listing_price_cents: 25_000,
        view_count: 0,
        viewed_by: Vec::new(),
        quality_score: 20,
        suggested_price_cents: None,
        suggestion_reasons: Vec::new(),
        reservation_id: None,
        contact: ListedContact {
            email: "jane@example.com".into(),
            ..Default::default()
        },
        listed_at: at,
        sold_at: None,
        delisted_by: None,
        version: 0,
        updated_at: at,
    }
}

fn reservation(id: &str, buyer: &str, listing: &ListingRecord) -> ReservationRecord {
    let by = ReservedBy {
        user_id: format!("user-{buyer}"),
        email: format!("{buyer}@example.com"),
        name: buyer.into(),
    };
    ReservationRecord::new(id.into(), listing, buyer, by, 7, listing.listed_at)
}

/// The limit of open reservations per buyer in these tests.
const LIMIT: i64 = 2;

fn reserve(listing: &ListingRecord, r: &ReservationRecord) -> Transaction {
    let snapshot = SaleSnapshot {
        lead_id: listing.lead_id.clone(),
        reservation_id: r.id.clone(),
        email: listing.contact.email.clone(),
        contact: Default::default(),
        taken_at: r.created_at,
    };
    reserve_writes(listing, r, LIMIT, snapshot.write().unwrap()).unwrap()
}

fn expire(r: &ReservationRecord, listing: &ListingRecord, at: chrono::DateTime<Utc>) -> Vec<Write> {
    end_writes(r, listing, None, Ending::Expired, at)
}

async fn reserved() -> (EmbeddedStore, ListingRecord, ReservationRecord) {
    let store = EmbeddedStore::in_memory();
    let listed = listing();
    store
        .put(listing_item(&listed).unwrap(), None)
        .await
        .unwrap();
    let r = reservation("res-1", "buyer", &listed);
    reserve(&listed, &r).commit(&store).await.unwrap();
    (store, listed, r)
}

fn purchase(r: &ReservationRecord, at: chrono::DateTime<Utc>) -> Vec<Write> {
    let mut writes = vec![mark_sold_item(&r.lead_id, &r.id, &r.buyer_id, at)];
    writes.extend(close_reservation_writes(&r.id, &r.buyer_id, at));
    writes
}

#[tokio::test]
async fn a_purchase_first_stops_the_expiry() {
    let (store, listed, r) = reserved().await;
    let late = r.expires_at + Duration::minutes(1);
    store.transact(purchase(&r, late)).await.unwrap();
    let expiry = store.transact(expire(&r, &listed, late)).await;
    assert!(expiry.unwrap_err().is_condition_failure());
    let l = get_listing(&store, "lead-1").await.unwrap().unwrap();
    assert_eq!(l.marketplace_status, MarketplaceStatus::Sold);
    let stored = get_reservation(&store, "res-1").await.unwrap().unwrap();
    assert_eq!(stored.status, ReservationStatus::Completed);
}

#[tokio::test]
async fn an_expiry_first_stops_the_purchase() {
    let (store, listed, r) = reserved().await;
    let late = r.expires_at + Duration::minutes(1);
    store.transact(expire(&r, &listed, late)).await.unwrap();
    let paid = store.transact(purchase(&r, late)).await;
    assert!(paid.unwrap_err().is_condition_failure());
    let l = get_listing(&store, "lead-1").await.unwrap().unwrap();
    assert_eq!(l.marketplace_status, MarketplaceStatus::Listed);
    assert_eq!(l.reservation_id, None);
    let stored = get_reservation(&store, "res-1").await.unwrap().unwrap();
    assert_eq!(stored.status, ReservationStatus::Expired);
}

#[tokio::test]
async fn an_early_expiry_does_nothing_and_a_stale_read_loses_to_a_payment_begun() {
    let (store, listed, r) = reserved().await;
    let early = r.expires_at - Duration::minutes(1);
    assert!(store.transact(expire(&r, &listed, early)).await.is_err());
    let late = r.expires_at + Duration::minutes(1);
    // A payment began after the expiry read the reservation as active.
    store
        .transact(vec![mark_purchasing_item(&r.id, late)])
        .await
        .unwrap();
    assert!(store.transact(expire(&r, &listed, late)).await.is_err());
    // Read again, the checkout ends with its reservation.
    let fresh = get_reservation(&store, "res-1").await.unwrap().unwrap();
    assert_eq!(fresh.status, ReservationStatus::Purchasing);
    store.transact(expire(&fresh, &listed, late)).await.unwrap();
    let l = get_listing(&store, "lead-1").await.unwrap().unwrap();
    assert_eq!(l.marketplace_status, MarketplaceStatus::Listed);
    // The payment's failure after that changes nothing.
    assert!(
        store
            .transact(vec![back_to_active_item(&r.id, late)])
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_buyer_holds_at_most_the_limit_and_a_closed_hold_frees_one() {
    let store = EmbeddedStore::in_memory();
    let mut held = Vec::new();
    for n in 0..3 {
        let mut l = listing();
        l.lead_id = format!("lead-{n}");
        store.put(listing_item(&l).unwrap(), None).await.unwrap();
        let r = reservation(&format!("res-{n}"), "buyer", &l);
        held.push((l, r));
    }
    for (l, r) in &held[..2] {
        reserve(l, r).commit(&store).await.unwrap();
    }
    let (third_listing, third) = &held[2];
    let refused = reserve(third_listing, third).commit(&store).await;
    assert!(refused.unwrap_err().failed(RESERVE_HOLD));
    let (l0, r0) = &held[0];
    let late = r0.expires_at + Duration::minutes(1);
    store.transact(expire(r0, l0, late)).await.unwrap();
    reserve(third_listing, third).commit(&store).await.unwrap();
}

#[tokio::test]
async fn a_listing_changed_since_it_was_read_is_not_reserved() {
    let store = EmbeddedStore::in_memory();
    let read = listing();
    let mut repriced = read.clone();
    repriced.listing_price_cents = 90_000;
    repriced.version = 1;
    store
        .put(listing_item(&repriced).unwrap(), None)
        .await
        .unwrap();
    let r = reservation("res-1", "buyer", &read);
    let refused = reserve(&read, &r).commit(&store).await;
    assert!(refused.unwrap_err().failed(RESERVE_LISTING));
}

#[tokio::test]
async fn a_lead_is_reserved_once_and_not_relisted_while_reserved() {
    let (store, listed, _) = reserved().await;
    let second = reservation("res-2", "other", &listed);
    let refused = reserve(&listed, &second).commit(&store).await;
    assert!(refused.unwrap_err().failed(RESERVE_LISTING));
    let current = get_listing(&store, "lead-1").await.unwrap().unwrap();
    let relist = list_write(&listing(), Some(&current)).unwrap();
    assert!(
        store
            .transact(vec![relist])
            .await
            .unwrap_err()
            .is_condition_failure()
    );
}

/// The inventory sync puts back only a lead it delisted itself, as read.
#[tokio::test]
async fn only_a_listing_the_inventory_delisted_is_relisted_by_it() {
    let store = EmbeddedStore::in_memory();
    let at = listing().listed_at;
    let relisting = |before: &ListingRecord| ListingRecord {
        version: before.version + 1,
        delisted_by: None,
        ..listing()
    };
    for (by, relisted) in [(DelistedBy::Seller, false), (DelistedBy::Inventory, true)] {
        store
            .put(listing_item(&listing()).unwrap(), None)
            .await
            .unwrap();
        store
            .transact(vec![delist_item("lead-1", by, at)])
            .await
            .unwrap();
        let before = get_listing(&store, "lead-1").await.unwrap().unwrap();
        assert_eq!(before.marketplace_status, MarketplaceStatus::Delisted);
        assert_eq!(before.delisted_by, Some(by));
        let write = relist_write(&relisting(&before), &before).unwrap();
        let outcome = store.transact(vec![write]).await;
        assert_eq!(outcome.is_ok(), relisted, "delisted by {by:?}: {outcome:?}");
        let after = get_listing(&store, "lead-1").await.unwrap().unwrap();
        if relisted {
            assert_eq!(after.marketplace_status, MarketplaceStatus::Listed);
            assert_eq!(after.delisted_by, None, "a listing clears the marker");
            // Relisted once: the same write read before it is refused.
            let again = relist_write(&relisting(&before), &before).unwrap();
            assert!(store.transact(vec![again]).await.is_err());
        } else {
            assert_eq!(after.delisted_by, Some(DelistedBy::Seller));
        }
    }
}
