//! The background sync loop: sends what waits in the outbox, one request in flight at a time, and deletes an entry
//! only when the server has acknowledged it (which it does only after committing).
//!
//! It serves every respondent who has pending saves on this browser, not just the one on screen: a respondent who
//! signed out on a shared computer still gets their answers delivered, under their own token.
//!
//! `deliver`: the loop and its rounds; `status`: what the respondent's screen shows of it.

pub mod deliver;
pub mod status;
