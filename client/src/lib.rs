//! Quire's respondent app: signs in with an access code, downloads the survey once, keeps every answer in IndexedDB
//! and syncs page-saves to the ingest API in the background. Works offline once loaded (see `sw.js`).
//!
//! - `app`: the screens and start-up; `run`: one respondent taking the survey; `form`: the questions on screen;
//! - `ui`: the app's own words (which pages and answers count is `quire_shared::visibility`);
//! - `store` over `idb`: the local database and its outbox; `sync`: delivering it (when to retry: `quire_shared::retry`); `api`: HTTP calls;
//! - `browser`: clocks, locks, storage persistence, the service worker.

pub mod api;
pub mod app;
pub mod browser;
pub mod form;
pub mod idb;
pub mod run;
pub mod store;
pub mod sync;
pub mod ui;

pub use app::App;
