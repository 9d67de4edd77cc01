//! What hosts the functions: the function table, the platform's own
//! functions, the in-process runners, the Lambda runners and the local dev
//! server.

pub mod catalog;
pub mod devserver;
pub mod jobs;
pub mod keys;
pub mod lambda;
pub mod runner;
pub mod socket_lambda;
pub mod stream;
pub mod system;
