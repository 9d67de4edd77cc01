//! ChiliPiper: the webhook (shared-secret check, enqueue, 202) and the
//! worker that routes each event to a partner, finds or creates the lead
//! and upserts the meeting.
//!
//! The worker is safe against redelivery, out-of-order delivery and
//! concurrent deliveries: every write is one transaction conditional on
//! what was read (lead and meeting versions, the email guard, the partner's
//! `lastAppointmentDate`), retried from a fresh read when another delivery
//! got there first. Which of two events wins is decided by
//! [`MeetingStatus::rank`] and, between equal ranks, by the time the webhook
//! received each (stamped before enqueueing), never by the queue's delivery
//! order. A meeting whose guest (or meeting type) changed moves from its old
//! lead to the new one in the same transaction: the old lead's
//! `scheduledDate` is recomputed from its remaining meetings and the
//! partners' `totalAppointments` move with it. The audit events and the
//! new-lead notices are outbox messages of that same transaction.

mod audit_events;
pub mod event;
mod merge;
pub mod webhook;
pub mod worker;

#[cfg(test)]
mod tests;
