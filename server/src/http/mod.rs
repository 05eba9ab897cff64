//! The HTTP edge: the accept loop with its timeouts, bodies read within limits, the one error type and its JSON
//! mapping, extractors, static files, and the limits on sign-in and concurrent work.

pub mod assets;
pub mod body;
pub mod error;
pub mod extract;
pub mod in_flight;
pub mod serve;
pub mod sign_in_limits;
