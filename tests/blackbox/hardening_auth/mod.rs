//! Black-box scenarios of the edge defences around sessions, one module per
//! defence: the sign-in limit that no forged `X-Forwarded-For` lifts and no
//! burst of concurrent guesses slips under, the cross-site refusal of cookie
//! requests, what a partner's status lets its users do, registration limits
//! and expiry, and the refresh window for two tabs of one browser.

mod cross_site;
mod fixtures;
mod partner_status;
mod refresh_window;
mod registration_limits;
mod sign_in_limit;
