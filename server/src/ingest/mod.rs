//! `POST /api/v1/sync`: batched, idempotent page-saves.
//!
//! Policy:
//! - every save is validated against the survey version in memory, with the same functions the client runs;
//! - valid saves are written with one bulk statement per table (UNNEST arrays) in one short transaction, shared
//!   with concurrent requests when group commit is on (`group_commit`, `store`);
//! - (respondent, revision) is the idempotency key: a replay writes nothing, and a lower revision never replaces
//!   a higher one as the page's current answers, whatever order batches arrive in;
//! - an invalid save is rejected with its reasons and kept raw in `quarantine`; it never blocks the others;
//! - the reply is sent only after the transaction has committed.
//!
//! `sync` holds the handler and its admission, `check` what a save is after checking, `group_commit` and `store` the
//! write, `activity` the dashboard's last-activity times.

pub mod activity;
pub mod check;
pub mod group_commit;
pub mod store;
pub mod sync;
