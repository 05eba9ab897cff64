//! The load generator (`quire-load`): real respondents, the real protocol, and a check that the database holds
//! exactly what was acknowledged.
//!
//! It seeds a roster of its own (a school named after the run), signs each respondent in through the API, walks the
//! survey as a student would (skip logic included, answers from `quire_shared::sample`) and sends page-saves the way
//! the app does: whatever is pending in one batch, one request in flight per respondent, retrying after 503/429
//! (honouring `Retry-After`, with jitter) or a transport error. Modes:
//! - `max`: a fixed number of respondents send as fast as the server answers;
//! - `steady`: respondents arrive at a rate per hour and save a page every `think` ms; latency counts from the
//!   scheduled send time, so a slow server cannot hide its queueing (coordinated omission);
//! - `storm`: every respondent comes back online at once with `pending` unsent pages.
//!
//! Loopback only: the base URL must name 127.0.0.0/8 or ::1. Every mode stops by itself.
//!
//! The parts use each other through `crate::load::…` paths and never this module, whose re-exports are for the
//! binaries and the server's tests only (so that no part and its parent use each other).

mod client;
mod conn;
mod cpu;
mod modes;
mod options;
mod report;
mod respondent;
mod runner;
mod sender;
mod setup;
mod verify;
mod walk;

pub use cpu::{CpuReport, Watch};
pub use options::{LoadConfig, Mode};
pub use report::{Latency, Report};
pub use runner::run;
pub use verify::Verification;
