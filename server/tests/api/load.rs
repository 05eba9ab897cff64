//! A short, bounded run of the load generator against the real server: whatever the mode, the database must hold
//! exactly what was acknowledged. Catches data loss in CI; the figures themselves come from scripts/bench.sh.

use quire_tools::load::{self, LoadConfig, Mode, Watch};
use sqlx::PgPool;

use crate::helpers::spawn_app_with;

fn config(base: &str, mode: Mode) -> LoadConfig {
    LoadConfig {
        base: base.to_owned(),
        mode,
        respondents: 8,
        duration: 2.0,
        batch: 3,
        rate_per_hour: 36_000.0,
        pages: 5,
        think_ms: 100,
        pending: 12,
        warmup: 0.0,
        noop: false,
        survey: "school-climate-2026".into(),
        drain_timeout: 60.0,
        json: None,
        // The server runs in this test's own process: watching it counts the load generator's CPU too.
        watch: vec![Watch { name: "server".into(), pid: std::process::id() }],
    }
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn max_and_steady_runs_store_exactly_what_was_acknowledged(pool: PgPool) {
    let app = spawn_app_with(pool, |_| {}).await;
    for mode in [Mode::Max, Mode::Steady] {
        let report = load::run(&app.pool, &config(&app.base, mode)).await.unwrap();
        assert!(report.page_saves > 0, "{report}");
        assert!(report.verification.ok(), "{report}");
        assert_eq!(report.verification.acknowledged, report.page_saves, "{report}");
        assert!(report.errors.is_empty(), "{report}");
        // CPU over the counted window, of the generator and of the watched process (here the same one).
        let cpu = &report.cpu;
        assert!(cpu.window_s > 1.0, "{cpu:?}");
        assert!(cpu.cpu_s["load"] > 0.0 && cpu.cpu_s["server"] > 0.0, "{cpu:?}");
        assert!(cpu.us_per_request["server"] > 0.0, "{cpu:?}");
    }
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_reconnect_storm_against_a_tiny_queue_is_retried_until_everything_is_delivered(pool: PgPool) {
    // A queue of two requests: most of the storm is refused with 503 at first and must come back.
    let app = spawn_app_with(pool, |c| {
        c.ingest_queue = 2;
        c.committers = 1;
    })
    .await;
    let mut cfg = config(&app.base, Mode::Storm);
    cfg.respondents = 40;
    let report = load::run(&app.pool, &cfg).await.unwrap();
    assert!(report.verification.ok(), "{report}");
    assert_eq!(report.verification.unacknowledged_at_end, 0, "{report}");
    assert_eq!(report.page_saves, 40 * 12, "{report}");
    assert_eq!(report.verification.rows, 40 * 12, "{report}");
    assert!(report.errors.get("503").copied().unwrap_or(0) > 0, "the queue never pushed back: {report}");
    assert!(report.healthz_max_ms.is_some_and(|ms| ms < 30_000.0), "{report}");
}
