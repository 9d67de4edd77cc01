//! Black-box scenarios of the notify capability, one module per use case:
//! daily lead reminders moved by the settable clock and the partners'
//! preferences, their magic links, the scheduled jobs and the emails worker.

mod email_worker;
mod fixtures;
mod magic_link;
mod reminders;
mod schedules;
