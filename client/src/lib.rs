//! Quire's respondent app: signs in with an access code, downloads the survey once, keeps every answer in IndexedDB
//! and syncs page-saves to the ingest API in the background. Works offline once loaded (see `sw.js`).
//!
//! - `screens`: start-up, sign-in and the screens; `ctx`: the services they share;
//! - `run`: one respondent taking the survey (held and active answers, page turns, saves); `form`: one file per
//!   question kind;
//! - `storage`: IndexedDB, its schema with numbered upgrades, the records and the outbox; `sync`: delivering the
//!   outbox (when to retry: `quire_shared::retry`); `api`: HTTP calls;
//! - `browser`: clocks, locks, storage persistence, the service worker; `ui`: the app's own words (which pages and
//!   answers count is `quire_shared::visibility`).

pub mod api;
pub mod browser;
pub mod ctx;
pub mod form;
pub mod run;
pub mod screens;
pub mod storage;
pub mod sync;
pub mod ui;

pub use screens::app::App;
