//! Group commit: concurrent requests share transactions, each is acknowledged after its commit, and a full queue
//! answers 503 with Retry-After without writing anything.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use quire_server::ingest::check::Checked;
use quire_server::ingest::group_commit::{store_commit, CommitFn, Writer};
use quire_server::ingest::store::{self, Job};
use quire_server::metrics::Metrics;
use quire_shared::{AckStatus, AnswerValue, ErrorBody, SyncBatch};
use sqlx::PgPool;

use crate::helpers::{spawn_app, spawn_app_with, spawn_app_with_commit, TestApp};

/// Statements that wrote page-saves in this database. The group's write is one statement that begins with a CTE
/// (`with ins as (insert into page_saves …`), so the match is on the insert anywhere in it, not at its start: a filter
/// on `insert into page_saves%` counted nothing and could not fail.
async fn insert_calls(app: &TestApp) -> i64 {
    let (n,): (Option<i64>,) = sqlx::query_as(
        "select sum(calls)::int8 from pg_stat_statements
         where dbid = (select oid from pg_database where datname = current_database())
           and query ilike '%insert into page_saves %'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    n.unwrap_or(0)
}

/// Waits for the requests; counts the 200s and the 503s, each of which must say `Retry-After: 1` and `overloaded`.
async fn admitted_and_turned_away(tasks: Vec<tokio::task::JoinHandle<reqwest::Response>>) -> (i64, i64) {
    let (mut ok, mut busy) = (0, 0);
    for t in tasks {
        let res = t.await.unwrap();
        match res.status().as_u16() {
            200 => ok += 1,
            503 => {
                assert_eq!(res.headers()["retry-after"], "1");
                let body: ErrorBody = res.json().await.unwrap();
                assert_eq!(body.error.code, "overloaded");
                busy += 1;
            }
            s => panic!("unexpected status {s}"),
        }
    }
    (ok, busy)
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn concurrent_requests_share_transactions(pool: PgPool) {
    sqlx::query("create extension if not exists pg_stat_statements").execute(&pool).await.unwrap();
    // One committer that waits up to 300 ms for company: the 4 requests below land in one or two transactions.
    let app = Arc::new(
        spawn_app_with(pool, |c| {
            c.committers = 1;
            c.group_commit_wait_us = 300_000;
        })
        .await,
    );
    let mut logins = Vec::new();
    for id in ["S1", "S2", "S3", "T1"] {
        logins.push(app.login(id).await);
    }
    let before = insert_calls(&app).await;
    let tasks: Vec<_> = logins
        .into_iter()
        .map(|login| {
            let app = app.clone();
            tokio::spawn(async move { app.sync(&login, vec![app.save(1, 1, 1), app.save(2, 2, 2)]).await })
        })
        .collect();
    for t in tasks {
        let reply = t.await.unwrap();
        assert!(reply.acks.iter().all(|a| a.status == AckStatus::Stored), "{reply:?}");
    }
    let statements = insert_calls(&app).await - before;
    assert!((1..=2).contains(&statements), "4 requests took {statements} insert statements");
    assert_eq!(app.count("page_saves").await, 8);
    assert_eq!(app.count("respondent_progress").await, 4);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn the_same_revision_with_other_content_in_one_group_is_quarantined(pool: PgPool) {
    let app = Arc::new(
        spawn_app_with(pool, |c| {
            c.committers = 1;
            c.group_commit_wait_us = 300_000;
        })
        .await,
    );
    let login = Arc::new(app.login("S1").await);
    let tasks: Vec<_> = [1u64, 2]
        .into_iter()
        .map(|seed| {
            let (app, login) = (app.clone(), login.clone());
            tokio::spawn(async move { app.sync(&login, vec![app.save(1, 7, seed)]).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap().acks[0].status.clone());
    }
    assert_eq!(statuses.iter().filter(|s| **s == AckStatus::Stored).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| !s.is_accepted()).count(), 1, "{statuses:?}");
    assert_eq!((app.count("page_saves").await, app.count("quarantine").await), (1, 1));
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_full_queue_answers_503_with_retry_after_and_writes_nothing_for_it(pool: PgPool) {
    // One committer, a queue of one request, and a long gathering window: most of 12 simultaneous requests find
    // the queue full.
    let app = Arc::new(
        spawn_app_with(pool, |c| {
            c.committers = 1;
            c.ingest_queue = 1;
            c.group_commit_wait_us = 500_000;
            c.group_commit_max_saves = 1_000_000;
        })
        .await,
    );
    let mut logins = Vec::new();
    for id in ["S1", "S2", "S3", "T1"] {
        logins.push(Arc::new(app.login(id).await));
    }
    let tasks: Vec<_> = (0..12u64)
        .map(|i| {
            let (app, login) = (app.clone(), logins[i as usize % 4].clone());
            tokio::spawn(async move {
                let batch = SyncBatch { respondent_id: login.respondent_id, saves: vec![app.save(1, i + 1, i)] };
                app.post_json("/api/v1/sync", &batch, Some(&login.token)).await
            })
        })
        .collect();
    let (ok, busy) = admitted_and_turned_away(tasks).await;
    assert!(busy > 0, "the queue never filled ({ok} ok)");
    assert!(ok > 0);
    assert_eq!(app.count("page_saves").await, ok, "exactly the acknowledged saves are stored");
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn the_body_budget_turns_away_bodies_beyond_it_and_writes_nothing_for_them(pool: PgPool) {
    // A 4 KiB budget for bodies in flight (2 KiB at most for one) and a long gathering window: of 8 simultaneous
    // bodies of over 1 KiB (each charged 2 KiB), two fit at a time; the count limit (4096) is nowhere near.
    let app = Arc::new(
        spawn_app_with(pool, |c| {
            c.committers = 1;
            c.group_commit_wait_us = 300_000;
            c.max_sync_bytes_in_flight = 4096;
            c.max_body_bytes = 2048;
        })
        .await,
    );
    let login = Arc::new(app.login("S1").await);
    let tasks: Vec<_> = (0..8u64)
        .map(|i| {
            let (app, login) = (app.clone(), login.clone());
            tokio::spawn(async move {
                let saves = (0..3).map(|k| app.save(1 + k as usize, 1 + i * 3 + k, i)).collect();
                let batch = SyncBatch { respondent_id: login.respondent_id, saves };
                let len = serde_json::to_vec(&batch).map(|b| b.len()).unwrap_or(0);
                assert!((1025..=2048).contains(&len), "the body is {len} bytes");
                app.post_json("/api/v1/sync", &batch, Some(&login.token)).await
            })
        })
        .collect();
    let (ok, busy) = admitted_and_turned_away(tasks).await;
    assert!(busy > 0 && ok > 0, "{ok} admitted, {busy} turned away");
    assert_eq!(app.count("page_saves").await, 3 * ok, "exactly the acknowledged saves are stored");
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn with_group_commit_off_the_same_guarantees_hold(pool: PgPool) {
    let app = spawn_app_with(pool, |c| c.group_commit = false).await;
    let login = app.login("S1").await;
    let saves = vec![app.save(1, 5, 5), app.save(1, 3, 3), app.save(2, 4, 4)];
    let first = app.sync(&login, saves.clone()).await;
    let statuses: Vec<_> = first.acks.iter().map(|a| a.status.clone()).collect();
    assert_eq!(statuses, [AckStatus::Stored, AckStatus::Superseded, AckStatus::Stored]);
    let replay = app.sync(&login, saves).await;
    assert!(replay.acks.iter().all(|a| a.status == AckStatus::Duplicate));
    assert_eq!(app.count("page_saves").await, 3);
}

/// A save that reaches the database although PostgreSQL cannot store it (here U+0000 in a text answer, put past the
/// ingest checks on purpose) fails its group's statement. The group is split until the offender is alone: every
/// other save of the group is stored, and only the offender is rejected and quarantined (with U+FFFD in its place).
#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_save_the_database_refuses_fails_no_other_save_of_its_group(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let mut jobs = Vec::new();
    for (id, poison) in [("S1", false), ("S2", true), ("S3", false), ("T1", false)] {
        let login = app.login(id).await;
        let mut bad = app.save(1, 2, 2);
        if poison {
            if let Some((_, answer)) = bad.answers.iter_mut().next() {
                *answer = AnswerValue::Text("nul\0here".into());
            }
        }
        let checked = vec![Checked::Valid(app.save(0, 1, 1)), Checked::Valid(bad)];
        jobs.push(Job { respondent: login.respondent_id, checked });
    }
    let metrics = Arc::new(Metrics::default());
    let writer = Writer::new(pool, store_commit(), metrics.clone());
    let results = writer.write(&jobs).await;
    for (j, result) in results.iter().enumerate() {
        let acks = result.as_ref().unwrap_or_else(|e| panic!("job {j}: {e}"));
        assert_eq!(acks[0].status, AckStatus::Stored, "job {j}");
        if j == 1 {
            assert!(matches!(&acks[1].status, AckStatus::Rejected { errors } if errors[0].field == "save"), "{acks:?}");
        } else {
            assert_eq!(acks[1].status, AckStatus::Stored, "job {j}");
        }
    }
    assert_eq!(app.count("page_saves").await, 7);
    let (payload,): (serde_json::Value,) =
        sqlx::query_as("select payload from quarantine").fetch_one(&app.pool).await.unwrap();
    assert!(payload.to_string().contains("nul\u{FFFD}here"), "{payload}");
    let rendered = metrics.render().unwrap();
    assert!(rendered.contains("quire_commit_failures_total{kind=\"refused\"}"), "{rendered}");
    assert!(!rendered.contains("quire_commit_failures_total{kind=\"refused\"} 0\n"), "{rendered}");
    assert!(writer.health.check(false).is_ok(), "a refused save is not an outage");
}

/// A hook in place of `store::commit` that panics while `panics` is set and fails like an unreachable database
/// while `down` is set; otherwise it writes for real.
fn faulty_commit(panics: Arc<AtomicBool>, down: Arc<AtomicBool>) -> CommitFn {
    Arc::new(move |pool, jobs| {
        let (panics, down) = (panics.clone(), down.clone());
        Box::pin(async move {
            if panics.load(Ordering::SeqCst) {
                panic!("injected fault");
            }
            if down.load(Ordering::SeqCst) {
                return Err(sqlx::Error::PoolTimedOut);
            }
            store::commit(pool, jobs).await
        })
    })
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_panic_in_a_commit_ends_that_write_not_the_committer_and_readyz_follows_the_database(pool: PgPool) {
    let (panics, down) = (Arc::new(AtomicBool::new(true)), Arc::new(AtomicBool::new(false)));
    let hook = faulty_commit(panics.clone(), down.clone());
    let app = spawn_app_with_commit(pool, |c| c.committers = 1, hook).await;
    let login = app.login("S1").await;
    let batch = SyncBatch { respondent_id: login.respondent_id, saves: vec![app.save(0, 1, 1)] };

    // Every try panics: the request fails (the device keeps the save and retries), nothing is written.
    let res = app.post_json("/api/v1/sync", &batch, Some(&login.token)).await;
    assert_eq!(res.status(), 500);
    assert_eq!(app.count("page_saves").await, 0);
    let metrics = app.get_text("/metrics").await;
    assert!(!metrics.contains("quire_commit_failures_total{kind=\"panic\"} 0"), "{metrics}");

    // The same committer goes on: the retry is stored.
    panics.store(false, Ordering::SeqCst);
    let reply = app.sync(&login, batch.saves.clone()).await;
    assert_eq!(reply.acks[0].status, AckStatus::Stored);
    assert_eq!(app.get("/readyz").await.status(), 200);

    // The database goes away: the write fails for everyone in it and /readyz turns red until a write commits again.
    down.store(true, Ordering::SeqCst);
    let res = app
        .post_json("/api/v1/sync", &SyncBatch { saves: vec![app.save(1, 2, 2)], ..batch.clone() }, Some(&login.token))
        .await;
    assert!(res.status().is_server_error(), "{}", res.status());
    // A pool timeout keeps its kind to the HTTP edge: 503 with Retry-After (the device waits, then retries), not 500.
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"), "{:?}", res.headers());
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    let body: ErrorBody = ready.json().await.unwrap();
    assert!(body.error.message.contains("cannot commit"), "{}", body.error.message);
    down.store(false, Ordering::SeqCst);
    app.sync(&login, vec![app.save(1, 2, 2)]).await;
    assert_eq!(app.get("/readyz").await.status(), 200);
}
