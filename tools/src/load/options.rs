//! What a run is asked to do: the mode and the command-line options, and the loopback-only rule for `--base`.

use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use serde::Serialize;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Max,
    Steady,
    Storm,
}

#[derive(clap::Args, Debug, Clone)]
pub struct LoadConfig {
    /// The server; loopback addresses only.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub base: String,
    #[arg(long, value_enum, default_value = "max")]
    pub mode: Mode,
    /// max: concurrent respondents; storm: respondents coming back at once; steady: ignored (see --rate-per-hour).
    #[arg(long, default_value_t = 64)]
    pub respondents: usize,
    /// max, steady: how long to send, in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// max: page-saves per request.
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// steady: respondents starting per hour.
    #[arg(long, default_value_t = 36_000.0)]
    pub rate_per_hour: f64,
    /// steady: pages each respondent saves.
    #[arg(long, default_value_t = 10)]
    pub pages: usize,
    /// steady: think time between pages, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub think_ms: u64,
    /// max, steady: the first seconds are not counted in rates and latency (steady: saves scheduled before then), so
    /// that the figures describe the steady state rather than respondents still arriving. Everything sent is still
    /// verified.
    #[arg(long, default_value_t = 0.0)]
    pub warmup: f64,
    /// storm: unsent pages each respondent has.
    #[arg(long, default_value_t = 30)]
    pub pending: usize,
    /// Send to the no-op endpoint (server started with QUIRE_BENCH_ENDPOINTS=true): the HTTP floor. No verification.
    #[arg(long)]
    pub noop: bool,
    /// The survey whose published version respondents take.
    #[arg(long, default_value = "school-climate-2026")]
    pub survey: String,
    /// Give up on a save still unacknowledged this long after the sending ends, in seconds.
    #[arg(long, default_value_t = 120.0)]
    pub drain_timeout: f64,
    /// Also count the CPU time of this process and its children over the counted window, per request (`quire=PID`,
    /// `postgres=<postmaster PID>`); repeatable. This process's own is always counted, as `load`.
    #[arg(long = "watch", value_name = "NAME=PID")]
    pub watch: Vec<crate::load::cpu::Watch>,
    /// Write the report as JSON here too.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

impl LoadConfig {
    /// How many respondents the run seeds: steady mode needs one per arrival over the whole duration.
    pub(crate) fn respondent_count(&self) -> usize {
        match self.mode {
            Mode::Max | Mode::Storm => self.respondents,
            Mode::Steady => (self.rate_per_hour * self.duration / 3600.0).ceil().max(1.0) as usize,
        }
    }
}

pub(crate) fn check_loopback(base: &str) -> anyhow::Result<()> {
    let url = reqwest::Url::parse(base).context("--base is not a URL")?;
    let host = url.host_str().unwrap_or("");
    let loopback = host == "localhost"
        || host.trim_matches(['[', ']']).parse::<IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(false);
    if !loopback {
        bail!("quire-load only targets loopback (127.0.0.0/8, ::1, localhost), not `{host}`");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback() {
        for ok in ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80", "http://127.9.9.9"] {
            assert!(check_loopback(ok).is_ok(), "{ok}");
        }
        for bad in ["http://10.0.0.1:8080", "http://192.168.1.2", "http://example.com", "nonsense"] {
            assert!(check_loopback(bad).is_err(), "{bad}");
        }
    }
}
