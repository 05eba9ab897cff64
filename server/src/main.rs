//! `quire`: reads configuration and hands over to the library.

use clap::Parser;

/// mimalloc instead of glibc's malloc: under ingest load glibc's allocator took about a third of the server's CPU
/// (perf; many short-lived small allocations per request across worker threads). See docs/benchmarks.md.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    quire_server::cli::run(quire_server::cli::Cli::parse()).await
}
