//! CPU time of the processes a run loads, over the counted window, from `/proc/<pid>/stat`: this process, and the
//! processes named with `--watch NAME=PID`. A watched process counts with its children, live and reaped (so a
//! PostgreSQL postmaster's pid covers every backend, including those that exited during the window).

use std::collections::BTreeMap;

use anyhow::Context;
use serde::Serialize;

/// A process to watch, from `--watch NAME=PID`.
#[derive(Debug, Clone)]
pub struct Watch {
    pub name: String,
    pub pid: u32,
}

impl std::str::FromStr for Watch {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, pid) = s.split_once('=').ok_or("expected NAME=PID")?;
        let pid = pid.parse().map_err(|_| format!("`{pid}` is not a process id"))?;
        Ok(Watch { name: name.to_owned(), pid })
    }
}

/// CPU seconds so far of `quire-load` itself and of each watched process.
#[derive(Debug, Clone)]
pub(crate) struct Sample(BTreeMap<String, f64>);

/// Per request over the window, in microseconds, by process (`load` is this process).
#[derive(Debug, Serialize, Default)]
pub struct CpuReport {
    pub window_s: f64,
    pub cpu_s: BTreeMap<String, f64>,
    pub us_per_request: BTreeMap<String, f64>,
}

impl Sample {
    pub(crate) fn take(watch: &[Watch]) -> anyhow::Result<Sample> {
        let tick = ticks_per_second();
        let mut out = BTreeMap::new();
        let me = stat_fields("self")?;
        out.insert("load".to_owned(), (own(&me) + reaped(&me)) as f64 / tick);
        for w in watch {
            out.insert(w.name.clone(), with_children(w)? as f64 / tick);
        }
        Ok(Sample(out))
    }

    /// From `self` (the window's start) to `end`, divided among `requests`.
    pub(crate) fn report(&self, end: &Sample, window_s: f64, requests: u64) -> CpuReport {
        let cpu_s: BTreeMap<String, f64> =
            end.0.iter().map(|(k, v)| (k.clone(), v - self.0.get(k).copied().unwrap_or(0.0))).collect();
        let us_per_request = cpu_s.iter().map(|(k, v)| (k.clone(), v * 1e6 / requests.max(1) as f64)).collect();
        CpuReport { window_s, cpu_s, us_per_request }
    }
}

/// A process's ticks with its children's: reaped ones from its own stat, live ones from theirs. A child reaped
/// between the two reads would be missed by both, so the parent is read again and the sum retaken if it changed.
fn with_children(w: &Watch) -> anyhow::Result<u64> {
    let read = || stat_fields(&w.pid.to_string()).with_context(|| format!("process {} ({})", w.pid, w.name));
    let mut parent = read()?;
    for _ in 0..5 {
        let live: u64 = children_of(w.pid).iter().map(|f| own(f)).sum();
        let again = read()?;
        if reaped(&again) == reaped(&parent) {
            return Ok(own(&again) + reaped(&again) + live);
        }
        parent = again;
    }
    anyhow::bail!("process {} ({}) kept reaping children while it was read", w.pid, w.name)
}

/// The fields after the command name of `/proc/<pid>/stat` (field 3, the state, is index 0).
fn stat_fields(pid: &str) -> anyhow::Result<Vec<u64>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let rest = text.rsplit_once(')').context("unreadable stat")?.1;
    Ok(rest.split_whitespace().map(|f| f.parse().unwrap_or(0)).collect())
}

/// utime + stime (fields 14, 15).
fn own(f: &[u64]) -> u64 {
    f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)
}

/// cutime + cstime (fields 16, 17): children that ended and were waited for.
fn reaped(f: &[u64]) -> u64 {
    f.get(13).copied().unwrap_or(0) + f.get(14).copied().unwrap_or(0)
}

/// The stat fields of every live process whose parent (field 4) is `pid`.
fn children_of(pid: u32) -> Vec<Vec<u64>> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|p| stat_fields(&p.to_string()).ok())
        .filter(|f| f.get(1).copied() == Some(pid as u64))
        .collect()
}

/// `getconf CLK_TCK`; 100 on every Linux this runs on, which is the fallback.
fn ticks_per_second() -> f64 {
    static TICK: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICK.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watch_parses_and_refuses() {
        let w: Watch = "postgres=42".parse().unwrap();
        assert_eq!((w.name.as_str(), w.pid), ("postgres", 42));
        assert!("postgres".parse::<Watch>().is_err());
        assert!("pg=x".parse::<Watch>().is_err());
    }

    /// A watched process counts its children's CPU once they have ended and been waited for (how a PostgreSQL
    /// backend that exits during a run stays counted).
    #[test]
    fn a_reaped_child_counts_for_its_parent() {
        let me = Watch { name: "me".into(), pid: std::process::id() };
        let before = Sample::take(std::slice::from_ref(&me)).unwrap();
        let status = std::process::Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done"])
            .status()
            .unwrap();
        assert!(status.success());
        let after = Sample::take(std::slice::from_ref(&me)).unwrap();
        let r = before.report(&after, 1.0, 1);
        assert!(r.cpu_s["me"] >= 0.05, "the child's CPU is not counted: {r:?}");
    }

    /// Burning CPU in this process shows up in its own sample (on a busy machine it takes longer to get the CPU,
    /// so the burn goes on until the sample moves, within a bound).
    #[test]
    fn own_cpu_is_counted() {
        let before = Sample::take(&[]).unwrap();
        let t = std::time::Instant::now();
        let mut x = 0u64;
        let report = loop {
            for _ in 0..1_000_000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
            let r = before.report(&Sample::take(&[]).unwrap(), 0.3, 1000);
            if r.cpu_s["load"] >= 0.2 || t.elapsed() > std::time::Duration::from_secs(20) {
                break r;
            }
        };
        std::hint::black_box(x);
        assert!(report.cpu_s["load"] >= 0.2, "20 s of spinning never showed 0.2 s of CPU: {report:?}");
        assert!((report.us_per_request["load"] - report.cpu_s["load"] * 1000.0).abs() < 1e-6);
    }
}
