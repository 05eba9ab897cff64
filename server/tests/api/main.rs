//! Integration tests: the real server over real PostgreSQL. Needs DATABASE_URL (scripts/test.sh sets it up).

mod admin;
mod errors;
mod group_commit;
mod helpers;
mod load;
mod login;
mod serving;
mod sync;
