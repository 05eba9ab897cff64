//! `quire-load`: the load generator (see `quire_tools::load`). Exits non-zero when verification fails.

use clap::Parser;
use quire_server::config::DbConfig;
use quire_tools::load::{self, LoadConfig};

/// The load generator shares the machine with the server it measures, so its own allocator cost counts too.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(name = "quire-load", about = "Load Quire through its real protocol and verify what was stored")]
struct Cli {
    #[command(flatten)]
    db: DbConfig,
    #[command(flatten)]
    load: LoadConfig,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let pool = quire_server::connect(&cli.db).await?;
    let report = load::run(&pool, &cli.load).await?;
    println!("{report}");
    anyhow::ensure!(report.verification.ok(), "verification FAILED: the database does not hold what was acknowledged");
    Ok(())
}
