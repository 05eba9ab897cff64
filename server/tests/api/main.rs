//! Integration tests: the real server over real PostgreSQL. Needs DATABASE_URL (scripts/test.sh sets it up).

// All of this crate is test code, but clippy counts only `#[test]` functions as tests, not their helpers.
#![allow(clippy::unwrap_used)]

mod admin;
mod admin_api;
mod admin_api_openapi;
mod analysis;
mod errors;
mod group_commit;
mod helpers;
mod load;
mod login;
mod nodes;
mod people;
mod respondents;
mod results;
mod serving;
mod sync;
mod xlsform;
