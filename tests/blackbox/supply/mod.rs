//! Black-box scenarios of the marketplace's supply: the platform seller
//! (one partner of kind `platform`, selling without Stripe Connect and
//! keeping the whole price), the pricing engine on listings, and the
//! marketplace's loose ends (the expiring reservation's warning,
//! `stage-updated`, the seller's view of the buyer's copy), the fake
//! HubSpot's deals created with their contacts, and the inventory sync
//! catching up on what HubSpot's webhooks or a stopped run lost.

mod fake_hubspot;
mod inventory;
mod inventory_catch_up;
mod loose_ends;
mod platform_seller;
mod pricing;
