//! Quire's server: the ingest API, the respondent app's files, the admin pages and API, health and metrics.
//!
//! `router` builds the whole HTTP surface from an `AppState`; `launch` serves it until the shutdown future resolves.
//! `main.rs` only reads configuration and calls into here, so tests run the very same server.

pub mod admin;
pub mod analysis;
pub mod api;
pub mod cli;
pub mod config;
pub mod db;
pub mod http;
pub mod ingest;
pub mod metrics;
pub mod respondent;
pub mod results;
pub mod router;
pub mod state;

// The library's front door, for `main.rs`, the tools and the tests. Modules inside the crate name the module an item
// lives in (`crate::state::AppState`), so that nothing depends on the root and the root depends on everything.
pub use db::{connect, MIGRATOR};
pub use router::{launch, router};
pub use state::AppState;
