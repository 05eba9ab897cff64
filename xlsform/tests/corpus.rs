//! The XLSForm corpus (`../shared/xlsform-corpus/` beside the workspace, or `$XLSFORM_CORPUS`): every form imports or
//! is refused with located problems, none panics; prints the share that imports, overall and for the survey-research
//! slice, and the most frequent refusal reasons. `XLSFORM_DUMP=dir` writes each imported survey's JSON there (for
//! `scripts/xlsform_compare.py`). Without the corpus the test says SKIPPED and passes (the corpus is not in the
//! repository), unless `XLSFORM_CORPUS_REQUIRED` is set.

// Helpers may unwrap as tests do: a failure should stop at the line that failed.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The survey-research groups of MANIFEST.csv.
const SR: &[&str] = &["ipa_scto", "ona_real", "liberia_s3m", "epfl_household", "unhcr_kobo", "reach_msna", "misc_real"];

/// Floors under the measured shares (9/118 and 7/32 on 2026-11-30, with the shared expression checks of `shared::logic`;
/// 10 and 8 before a check against `today()` outside a calculation was refused, which `ipa_scto__date_allows_dk` has):
/// a change that imports fewer forms fails.
const MIN_ALL: usize = 9;
const MIN_SR: usize = 7;

enum Outcome {
    Imported,
    Refused(Vec<quire_xlsform::Problem>),
    Panicked(String),
}

fn corpus() -> PathBuf {
    match std::env::var_os("XLSFORM_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/xlsform-corpus"),
    }
}

fn run(path: &Path, dump: Option<&Path>) -> Outcome {
    let bytes = std::fs::read(path).unwrap_or_default();
    let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
    match std::panic::catch_unwind(|| quire_xlsform::import(&bytes, &name)) {
        Ok(Ok(imported)) => {
            if let Some(dir) = dump {
                let json = serde_json::to_string_pretty(&imported.survey).unwrap();
                std::fs::write(dir.join(format!("{name}.json")), json).unwrap();
                let warnings = serde_json::to_string_pretty(&imported.warnings).unwrap();
                std::fs::write(dir.join(format!("{name}.warnings")), warnings).unwrap();
            }
            Outcome::Imported
        }
        Ok(Err(problems)) => Outcome::Refused(problems),
        Err(e) => Outcome::Panicked(e.downcast_ref::<String>().cloned().unwrap_or_else(|| "panic".into())),
    }
}

/// A refusal reason without its particulars (names, row numbers), to count alike reasons together.
fn reason(message: &str) -> String {
    let mut out = String::new();
    let mut in_tick = false;
    for c in message.chars() {
        match c {
            '`' if !in_tick => {
                in_tick = true;
                out.push('X');
            }
            '`' => in_tick = false,
            _ if in_tick => {}
            _ => out.push(c),
        }
    }
    out.split(" (").next().unwrap_or_default().to_owned()
}

#[test]
fn corpus_imports_or_is_refused_with_located_problems() {
    let dir = corpus();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        let message = format!("no XLSForm corpus at {} (set XLSFORM_CORPUS)", dir.display());
        // Where the corpus must be there (CI has shared/ beside the checkout), its absence is a failure.
        assert!(std::env::var_os("XLSFORM_CORPUS_REQUIRED").is_none(), "{message}");
        eprintln!("\n**** SKIPPED: {message} ****\n");
        return;
    };
    let groups: HashMap<String, String> = std::fs::read_to_string(dir.join("MANIFEST.csv"))
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            Some((cells.first()?.to_string(), cells.get(2)?.to_string()))
        })
        .collect();
    let dump = std::env::var_os("XLSFORM_DUMP").map(PathBuf::from);
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xlsx" || x == "xls"))
        .collect();
    files.sort();
    let started = std::time::Instant::now();
    let (mut ok, mut ok_sr, mut n_sr) = (0, 0, 0);
    let mut reasons: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let sr = groups.get(&name).is_some_and(|g| SR.contains(&g.as_str()));
        n_sr += usize::from(sr);
        match run(f, dump.as_deref()) {
            Outcome::Imported => {
                ok += 1;
                ok_sr += usize::from(sr);
            }
            Outcome::Refused(problems) => {
                let mut seen = std::collections::HashSet::new();
                for p in &problems {
                    if p.row.is_none() && p.column.is_none() {
                        failures.push(format!("{name}: unlocated problem: {p}"));
                    }
                    let entry = reasons.entry(reason(&p.message)).or_default();
                    entry.0 += 1;
                    entry.1 += usize::from(seen.insert(reason(&p.message)));
                }
            }
            Outcome::Panicked(message) => failures.push(format!("{name}: panicked: {message}")),
        }
    }
    let pct = |a: usize, b: usize| if b == 0 { 0.0 } else { 100.0 * a as f64 / b as f64 };
    println!("XLSForm corpus {} ({:.1} s)", dir.display(), started.elapsed().as_secs_f64());
    println!(
        "imported fully: {ok}/{} ({:.0}%); survey-research slice: {ok_sr}/{n_sr} ({:.0}%)",
        files.len(),
        pct(ok, files.len()),
        pct(ok_sr, n_sr)
    );
    let mut top: Vec<_> = reasons.into_iter().collect();
    top.sort_by(|a, b| b.1 .1.cmp(&a.1 .1).then(b.1 .0.cmp(&a.1 .0)));
    println!("{:>5} {:>5}  most frequent refusal reasons", "forms", "cells");
    for (r, (cells, forms)) in top.iter().take(20) {
        println!("{forms:>5} {cells:>5}  {r}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        ok >= MIN_ALL && ok_sr >= MIN_SR,
        "fewer forms import than before: {ok} (>= {MIN_ALL}), SR {ok_sr} (>= {MIN_SR})"
    );
}
