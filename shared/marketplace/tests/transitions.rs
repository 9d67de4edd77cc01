//! The marketplace's conditional transitions on a real (embedded) store:
//! an expiry racing a purchase leaves one outcome whichever commits first,
//! a lead is reserved once, and a listing is never put over a reserved lead.

use chrono::{Duration, TimeZone, Utc};

use pc_marketplace::listing_store::{
    ListedContact, ListingRecord, MarketplaceStatus, get_listing, list_write, listing_item,
    mark_sold_item,
};
use pc_marketplace::reservations_store::{
    ReservationRecord, ReservationStatus, ReservedBy, back_to_active_item, close_reservation_item,
    expire_writes, get_reservation, mark_purchasing_item, reserve_writes,
};
use pc_platform::store::embedded::EmbeddedStore;
use pc_platform::store::{Store, Write};

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
        reservation_id: None,
        contact: ListedContact {
            email: "jane@example.com".into(),
            ..Default::default()
        },
        listed_at: at,
        sold_at: None,
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

async fn reserved() -> (EmbeddedStore, ListingRecord, ReservationRecord) {
    let store = EmbeddedStore::in_memory();
    let listed = listing();
    store
        .put(listing_item(&listed).unwrap(), None)
        .await
        .unwrap();
    let r = reservation("res-1", "buyer", &listed);
    store
        .transact(reserve_writes(&listed, &r).unwrap())
        .await
        .unwrap();
    (store, listed, r)
}

fn purchase(r: &ReservationRecord, at: chrono::DateTime<Utc>) -> Vec<Write> {
    vec![
        close_reservation_item(&r.id, at),
        mark_sold_item(&r.lead_id, &r.id, &r.buyer_id, at),
    ]
}

#[tokio::test]
async fn a_purchase_first_stops_the_expiry() {
    let (store, listed, r) = reserved().await;
    let late = r.expires_at + Duration::minutes(1);
    store.transact(purchase(&r, late)).await.unwrap();
    let expiry = store.transact(expire_writes(&r, &listed, late)).await;
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
    store
        .transact(expire_writes(&r, &listed, late))
        .await
        .unwrap();
    let paid = store.transact(purchase(&r, late)).await;
    assert!(paid.unwrap_err().is_condition_failure());
    let l = get_listing(&store, "lead-1").await.unwrap().unwrap();
    assert_eq!(l.marketplace_status, MarketplaceStatus::Listed);
    assert_eq!(l.reservation_id, None);
    let stored = get_reservation(&store, "res-1").await.unwrap().unwrap();
    assert_eq!(stored.status, ReservationStatus::Expired);
}

#[tokio::test]
async fn a_payment_under_way_is_not_expired_and_an_early_expiry_does_nothing() {
    let (store, listed, r) = reserved().await;
    let early = r.expires_at - Duration::minutes(1);
    assert!(
        store
            .transact(expire_writes(&r, &listed, early))
            .await
            .is_err()
    );
    let late = r.expires_at + Duration::minutes(1);
    store
        .transact(vec![mark_purchasing_item(&r.id, late)])
        .await
        .unwrap();
    assert!(
        store
            .transact(expire_writes(&r, &listed, late))
            .await
            .is_err()
    );
    // The payment failed: the buyer's window is back, and then it expires.
    store
        .transact(vec![back_to_active_item(&r.id, late)])
        .await
        .unwrap();
    store
        .transact(expire_writes(&r, &listed, late))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_lead_is_reserved_once_and_not_relisted_while_reserved() {
    let (store, listed, _) = reserved().await;
    let second = reservation("res-2", "other", &listed);
    let refused = store
        .transact(reserve_writes(&listed, &second).unwrap())
        .await;
    assert!(refused.unwrap_err().failed_at(1));
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
