//! Quire's measuring tools, in a crate of their own so that the service does not carry an HTTP client and
//! histograms: `load` (the load generator behind `quire-load`, which also verifies what was stored) and
//! `bench_admin` (the dashboard benchmark behind `quire-bench-admin`).

pub mod bench_admin;
pub mod load;
