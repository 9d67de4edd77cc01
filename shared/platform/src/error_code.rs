//! Every machine-readable error code the API answers with, in one place, so
//! a producer cannot misspell one and a client can list them all (the API
//! document's error body names them as an enum).

use std::fmt;

macro_rules! error_codes {
    ($($variant:ident => $text:literal, $meaning:literal;)*) => {
        /// The `error.code` of an error answer.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $(#[doc = $meaning] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in the order the API document lists them.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it appears on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text,)*
                }
            }

            /// What the code means, for the API document.
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $meaning,)*
                }
            }
        }
    };
}

error_codes! {
    // Generic answers, one per HTTP status.
    BadRequest => "bad_request", "The request could not be understood.";
    ValidationFailed => "validation_failed", "One or more fields are invalid; `details` names each.";
    InvalidJson => "invalid_json", "The body is not well-formed JSON.";
    InvalidBody => "invalid_body", "The body could not be read.";
    InvalidMultipart => "invalid_multipart", "The multipart upload is malformed.";
    InvalidCursor => "invalid_cursor", "The pagination cursor was not issued by this API.";
    InvalidRequest => "invalid_request", "The request holds a value that cannot be stored.";
    Unauthorized => "unauthorized", "Sign in first, or the session has expired.";
    Forbidden => "forbidden", "The caller's role does not allow this.";
    StaffOnly => "staff_only", "Only staff may do this.";
    PartnerNotActive => "partner_not_active", "The caller's partner awaits activation.";
    NotFound => "not_found", "No such record, or it belongs to another partner.";
    MethodNotAllowed => "method_not_allowed", "The route does not answer this method.";
    Timeout => "timeout", "The request took too long.";
    Conflict => "conflict", "The request conflicts with the record's current state.";
    LengthRequired => "length_required", "The request needs a Content-Length.";
    PayloadTooLarge => "payload_too_large", "The body or file is over the size limit.";
    UnsupportedMediaType => "unsupported_media_type", "The body's content type is not accepted here.";
    RateLimited => "rate_limited", "Too many attempts; retry after `Retry-After` seconds.";
    InternalError => "internal_error", "Something went wrong on the server.";
    Unavailable => "unavailable", "A dependency is temporarily unavailable; retry.";
    Error => "error", "An error without a more specific code.";
    CrossSiteRequest => "cross_site_request", "A cookie-authenticated write came from another origin.";
    IdempotencyKeyReused => "idempotency_key_reused", "The Idempotency-Key was used for a different request.";
    // Concurrent writers.
    StaleState => "stale_state", "The record changed while this request was applied; retry.";
    StaleUser => "stale_user", "The user changed while this request was applied; retry.";
    StalePartner => "stale_partner", "The partner changed while this request was applied; retry.";
    StaleListing => "stale_listing", "The listing changed while this request was applied; retry.";
    ViewContended => "view_contended", "Too many writers updated the same view at once; retry.";
    // Accounts.
    EmailTaken => "email_taken", "Another user has this email.";
    SlugTaken => "slug_taken", "Another partner has this slug.";
    MeetingTypeTaken => "meeting_type_taken", "Another partner routes this ChiliPiper meeting type.";
    LastOwner => "last_owner", "The partner's last owner cannot be removed or demoted.";
    NotVerified => "not_verified", "The registration's email is not verified yet.";
    PlatformSellerExists => "platform_seller_exists", "The platform seller exists already.";
    TooManyTokens => "too_many_tokens", "The partner has the most API tokens allowed.";
    NotAReferralPartner => "not_a_referral_partner", "Only referral partners use the partner portal.";
    // Leads.
    LeadNotFound => "lead_not_found", "The partner has no such lead (an API request's outcome).";
    LeadEmailTaken => "lead_email_taken", "The partner has a lead with this email already.";
    InvalidTransition => "invalid_transition", "The lead's deal status cannot move that way.";
    CopyOnMarketplace => "copy_on_marketplace", "The lead is a marketplace copy and cannot be changed so.";
    FileCapExceeded => "file_cap_exceeded", "The import file has more rows than allowed.";
    // Marketplace.
    LeadNotAvailable => "lead_not_available", "The lead is not available to list or reserve.";
    OwnLead => "own_lead", "A partner cannot buy its own lead.";
    AlreadyReserved => "already_reserved", "The lead is reserved by another buyer.";
    AlreadyPurchased => "already_purchased", "The lead is sold.";
    AlreadyExtended => "already_extended", "The reservation was extended once already.";
    TooManyReservations => "too_many_reservations", "The buyer holds the most reservations allowed.";
    ReservationNotActive => "reservation_not_active", "The reservation is not active.";
    ReservationBusy => "reservation_busy", "The reservation is being paid for.";
    StripeConnectNotEnabled => "stripe_connect_not_enabled", "The seller's Stripe account cannot accept charges yet.";
    SellerCannotBePaid => "seller_cannot_be_paid", "The seller's Stripe account cannot receive payouts.";
    PaymentDeclined => "payment_declined", "The card was declined.";
    PaymentRefused => "payment_refused", "Stripe refused the payment.";
    PurchaseNotCompleted => "purchase_not_completed", "The purchase is not completed, so it cannot be refunded.";
    AlreadyRefunded => "already_refunded", "The purchase is refunded already.";
    RefundRefused => "refund_refused", "Stripe refused the refund.";
    // Billing.
    BillingNotConfigured => "billing_not_configured", "The partner has no billing configuration.";
    InvoiceNotOpen => "invoice_not_open", "The invoice is not open.";
    InvoiceNotAtStripe => "invoice_not_at_stripe", "The invoice has not reached Stripe yet.";
    InvoiceNeedsReview => "invoice_needs_review", "The invoice needs a review before it can be sent.";
    CommissionAlreadyPaid => "commission_already_paid", "A commission was paid already.";
    StripeRefused => "stripe_refused", "Stripe refused the request.";
    // Webhooks received.
    MissingSignature => "missing_signature", "The webhook's signature headers are missing.";
    InvalidSignatureHeader => "invalid_signature_header", "The webhook's signature header is malformed.";
    StaleSignature => "stale_signature", "The webhook's signature is too old.";
    InvalidSignature => "invalid_signature", "The webhook's signature does not match.";
    NotAStripeEvent => "not_a_stripe_event", "The body is not a Stripe event.";
    NotAConnectEvent => "not_a_connect_event", "A Connect event came to the platform endpoint.";
    ConnectEvent => "connect_event", "A platform event came to the Connect endpoint.";
    NotAHubspotBatch => "not_a_hubspot_batch", "The body is not a batch of HubSpot events.";
    DeliveryChanged => "delivery_changed", "The webhook delivery changed meanwhile; retry.";
    // HubSpot.
    HubspotNotConnected => "hubspot_not_connected", "The partner has not connected HubSpot.";
    HubspotNotLinked => "hubspot_not_linked", "The lead is not linked to a HubSpot record.";
    HubspotNoPipeline => "hubspot_no_pipeline", "The HubSpot portal has no deal pipeline.";
    PipelineMissing => "pipeline_missing", "The partner's HubSpot pipeline is gone.";
    StageNotMapped => "stage_not_mapped", "The HubSpot stage is not mapped to a deal status.";
    HubspotRefused => "hubspot_refused", "HubSpot refused the request.";
    HubspotUnhealthy => "hubspot_unhealthy", "HubSpot is failing; the request was not sent.";
    ConflictResolved => "conflict_resolved", "The sync conflict was resolved already.";
    // Dev-only routes.
    ClockFixed => "clock_fixed", "The dev server's clock is not fixed, so it cannot be moved.";
    HubspotNotFake => "hubspot_not_fake", "The dev server talks to the real HubSpot.";
    StripeNotFake => "stripe_not_fake", "The dev server talks to the real Stripe.";
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Lets a test compare a code with the text a client sees.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<ErrorCode> for &str {
    fn eq(&self, other: &ErrorCode) -> bool {
        *self == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                text.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{text}"
            );
            assert!(!code.meaning().is_empty());
        }
    }
}
