//! `quire-bench-admin`: seeds a state-sized survey and times dashboard refreshes (see `quire_tools::bench_admin`).

use clap::Parser;
use quire_server::config::DbConfig;
use quire_tools::bench_admin::{self, BenchConfig};

#[derive(Parser, Debug)]
#[command(name = "quire-bench-admin", about = "Dashboard refresh time on a seeded state-sized survey")]
struct Cli {
    #[command(flatten)]
    db: DbConfig,
    #[command(flatten)]
    bench: BenchConfig,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
    let cli = Cli::parse();
    let pool = quire_server::connect(&cli.db).await?;
    quire_server::MIGRATOR.run(&pool).await?;
    let report = bench_admin::run(&pool, &cli.bench).await?;
    let json = serde_json::to_string_pretty(&report)?;
    if let Some(path) = &cli.bench.json {
        std::fs::write(path, &json)?;
    }
    println!("{json}");
    Ok(())
}
