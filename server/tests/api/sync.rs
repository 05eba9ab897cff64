//! Idempotence, ordering, statement counts and quarantine of `/api/v1/sync`.

use quire_shared::{AckStatus, PageAnswers, SavedPage};
use sqlx::PgPool;

use crate::helpers::{spawn_app, spawn_app_with};

fn statuses(reply: &quire_shared::SyncReply) -> Vec<&'static str> {
    reply
        .acks
        .iter()
        .map(|a| match a.status {
            AckStatus::Stored => "stored",
            AckStatus::Duplicate => "duplicate",
            AckStatus::Superseded => "superseded",
            AckStatus::Rejected { .. } => "rejected",
        })
        .collect()
}

async fn current(pool: &PgPool, page: &str) -> (i64, PageAnswers) {
    let (rev, answers): (i64, sqlx::types::Json<PageAnswers>) = sqlx::query_as(
        "select c.revision, p.answers from current_answers c join page_saves p using (respondent_id, revision)
             where c.page_id = $1",
    )
    .bind(page)
    .fetch_one(pool)
    .await
    .unwrap();
    (rev, answers.0)
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_replayed_batch_writes_nothing_new(pool: PgPool) {
    let app = spawn_app(pool).await;
    let login = app.login("S1").await;
    let saves = vec![app.save(0, 1, 1), app.save(1, 2, 1), app.save(2, 3, 1)];
    let first = app.sync(&login, saves.clone()).await;
    assert_eq!(statuses(&first), ["stored", "stored", "stored"]);
    let before = (app.count("page_saves").await, app.count("current_answers").await, app.count("quarantine").await);
    let updated_before: Vec<(String, time::OffsetDateTime)> =
        sqlx::query_as("select page_id, updated_at from current_answers order by page_id")
            .fetch_all(&app.pool)
            .await
            .unwrap_or_default();

    for _ in 0..3 {
        let replay = app.sync(&login, saves.clone()).await;
        assert_eq!(statuses(&replay), ["duplicate", "duplicate", "duplicate"]);
    }
    let after = (app.count("page_saves").await, app.count("current_answers").await, app.count("quarantine").await);
    assert_eq!(before, (3, 3, 0));
    assert_eq!(after, before);
    let updated_after: Vec<(String, time::OffsetDateTime)> =
        sqlx::query_as("select page_id, updated_at from current_answers order by page_id")
            .fetch_all(&app.pool)
            .await
            .unwrap_or_default();
    assert_eq!(updated_before, updated_after, "a replay must not even touch the current rows");
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn out_of_order_revisions_leave_the_highest(pool: PgPool) {
    let app = spawn_app(pool).await;
    let login = app.login("S1").await;
    let page = app.survey.survey().pages[1].id.clone();
    let (r3, r5, r7) = (app.save(1, 3, 30), app.save(1, 5, 50), app.save(1, 7, 70));

    // Across batches: 5, then 3 (late), then 7.
    assert_eq!(statuses(&app.sync(&login, vec![r5.clone()]).await), ["stored"]);
    assert_eq!(statuses(&app.sync(&login, vec![r3.clone()]).await), ["superseded"]);
    assert_eq!(current(&app.pool, &page).await, (5, r5.answers.clone()));
    // Within one batch, out of order: 7 wins, 3 and 5 are replays.
    assert_eq!(statuses(&app.sync(&login, vec![r7.clone(), r3, r5]).await), ["stored", "duplicate", "duplicate"]);
    assert_eq!(current(&app.pool, &page).await, (7, r7.answers.clone()));
    // Every accepted revision is kept as history.
    assert_eq!(app.count("page_saves").await, 3);

    // Progress follows the highest revision, not the last request.
    let (last_page, last_rev): (String, i64) =
        sqlx::query_as("select last_page, last_revision from respondent_progress").fetch_one(&app.pool).await.unwrap();
    assert_eq!((last_page.as_str(), last_rev), (page.as_str(), 7));
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn concurrent_batches_in_any_order_converge_on_the_highest(pool: PgPool) {
    // Forty at once from one respondent (no device does that; admission allows 2 by default): the store's ordering
    // is what is tested here.
    let app = std::sync::Arc::new(spawn_app_with(pool, |c| c.sync_per_respondent = 64).await);
    let login = std::sync::Arc::new(app.login("S2").await);
    // 40 revisions of the same 4 pages, sent as 40 concurrent requests.
    let mut tasks = Vec::new();
    for rev in (1..=40u64).rev() {
        let (app, login) = (app.clone(), login.clone());
        tasks.push(tokio::spawn(async move {
            let save = app.save(1 + (rev as usize % 4), rev, rev);
            app.sync(&login, vec![save]).await
        }));
    }
    for t in tasks {
        let reply = t.await.unwrap();
        assert!(reply.acks[0].status.is_accepted());
    }
    assert_eq!(app.count("page_saves").await, 40);
    for k in 0..4usize {
        let highest = (1..=40u64).filter(|r| 1 + (*r as usize % 4) == 1 + k).max().unwrap_or(0);
        let page = app.survey.survey().pages[1 + k].id.clone();
        let expected = app.save(1 + k, highest, highest).answers;
        assert_eq!(current(&app.pool, &page).await, (highest as i64, expected), "page {page}");
    }
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_500_save_batch_is_one_statement(pool: PgPool) {
    sqlx::query("create extension if not exists pg_stat_statements").execute(&pool).await.unwrap();
    let app = spawn_app(pool).await;
    let login = app.login("S3").await;
    let pages = app.survey.survey().pages.len();
    // A respondent who went back and forth: 500 saves over the survey's first pages, revisions 1..=500.
    let saves: Vec<_> = (1..=500u64).map(|rev| app.save((rev as usize - 1) % 30, rev, rev)).collect();
    assert!(pages >= 30);

    // Reset only once the test database is set up; the counts below are filtered to this database.
    sqlx::query("select pg_stat_statements_reset()").execute(&app.pool).await.unwrap();
    let reply = app.sync(&login, saves).await;
    assert_eq!(reply.acks.len(), 500);
    assert!(reply.acks.iter().all(|a| a.status.is_accepted()));
    assert_eq!(reply.acks.iter().filter(|a| a.status == AckStatus::Stored).count(), 30);

    let counts: Vec<(String, i64)> = sqlx::query_as(
        "select query, calls from pg_stat_statements
         where dbid = (select oid from pg_database where datname = current_database())
           and (query ilike 'insert into%' or query ilike 'with %' or query ilike 'update %'
                or query ilike 'select %page_saves%')",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    // The whole batch is one statement, run once, that writes every table (the dashboard's per-class aggregate
    // included); no other write or conflict lookup ran.
    assert_eq!(counts.len(), 1, "{counts:#?}");
    let (query, calls) = &counts[0];
    assert_eq!(*calls, 1, "{counts:#?}");
    for table in ["page_saves", "current_answers", "respondent_progress", "group_progress", "quarantine"] {
        assert!(query.contains(&format!("insert into {table} ")), "{table} is not written by {query}");
    }
    assert_eq!(app.count("page_saves").await, 500);
    assert_eq!(app.count("current_answers").await, 30);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn invalid_saves_are_rejected_and_quarantined_without_blocking_others(pool: PgPool) {
    let app = spawn_app(pool).await;
    let login = app.login("S1").await;
    let good = app.save(1, 10, 1);
    let mut bad_choice = app.save(2, 11, 1);
    let first_q = app.survey.survey().pages[2].questions[0].id.clone();
    bad_choice.answers.insert(first_q.clone(), quire_shared::AnswerValue::Text("not a matrix".into()));
    let body = serde_json::json!({
        "respondent_id": login.respondent_id,
        "saves": [
            good,
            bad_choice,
            {"page_id": "about", "revision": 12, "answers": "oops", "client_time": "2026-11-21T10:00:00Z"},
            {"page_id": "about", "revision": 0, "answers": {}, "client_time": "2026-11-21T10:00:00Z"},
        ]
    });
    let res = app.post_json("/api/v1/sync", &body, Some(&login.token)).await;
    assert_eq!(res.status(), 200);
    let reply: quire_shared::SyncReply = res.json().await.unwrap();
    assert_eq!(statuses(&reply), ["stored", "rejected", "rejected", "rejected"]);
    let AckStatus::Rejected { errors } = &reply.acks[1].status else { panic!("{reply:?}") };
    assert_eq!(errors[0].field, format!("answers.{first_q}"));
    let AckStatus::Rejected { errors } = &reply.acks[2].status else { panic!("{reply:?}") };
    assert_eq!(errors[0].field, "answers");
    assert_eq!((reply.acks[2].page_id.as_deref(), reply.acks[2].revision), (Some("about"), Some(12)));

    assert_eq!(app.count("page_saves").await, 1);
    let quarantined: Vec<(serde_json::Value, serde_json::Value)> =
        sqlx::query_as("select payload, errors from quarantine order by id")
            .fetch_all(&app.pool)
            .await
            .unwrap_or_default();
    assert_eq!(quarantined.len(), 3);
    assert_eq!(quarantined[1].0["answers"], "oops", "the raw payload is kept as sent");
    assert_eq!(quarantined[0].1[0]["field"], format!("answers.{first_q}"));
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_reused_revision_with_other_content_goes_to_quarantine(pool: PgPool) {
    let app = spawn_app(pool).await;
    let login = app.login("S1").await;
    assert_eq!(statuses(&app.sync(&login, vec![app.save(1, 4, 1)]).await), ["stored"]);
    // Another device reused revision 4 for different answers: neither version may be lost.
    let reply = app.sync(&login, vec![app.save(1, 4, 2), app.save(3, 5, 1), app.save(3, 5, 9)]).await;
    assert_eq!(statuses(&reply), ["rejected", "stored", "rejected"]);
    assert_eq!(app.count("quarantine").await, 2);
    assert_eq!(current(&app.pool, &app.survey.survey().pages[1].id).await.1, app.save(1, 4, 1).answers);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn required_questions_follow_skip_logic_and_drafts_skip_them(pool: PgPool) {
    let app = spawn_app(pool).await;
    let login = app.login("S1").await;
    let idx = |id: &str| app.survey.survey().pages.iter().position(|p| p.id == id).unwrap_or(0);
    // The role is the roster's (`from_roster`): a save without it is not missing it, and the app never sends it.
    let mut about = app.save(0, 1, 1);
    about.answers.remove("role");
    assert_eq!(statuses(&app.sync(&login, vec![about]).await), ["stored"]);
    // With the role in the batch, the students' screening page is provably shown: its required question is required,
    // except in a draft.
    let mut screen = app.save(idx("bullying_screen"), 3, 1);
    screen.answers.remove("bullied");
    let mut draft = screen.clone();
    draft.revision = 4;
    draft.draft = true;
    let reply = app.sync(&login, vec![app.save(0, 2, 1), screen, draft]).await;
    assert_eq!(statuses(&reply), ["stored", "rejected", "stored"]);
    let AckStatus::Rejected { errors } = &reply.acks[1].status else { panic!() };
    assert_eq!(errors[0].field, "answers.bullied");

    // bullying_details is shown only to students who said yes; with `bullied = no` in the same batch, an empty page
    // is fine; with `yes`, its required question must be answered.
    let (screen, details) = (idx("bullying_screen"), idx("bullying_details"));
    let mut no = app.save(screen, 10, 1);
    no.answers.insert("bullied".into(), quire_shared::AnswerValue::Choice("no".into()));
    let mut empty_details = app.save(details, 11, 1);
    empty_details.answers.clear();
    let mut about = app.save(0, 9, 1);
    about.answers.insert("role".into(), quire_shared::AnswerValue::Choice("student".into()));
    assert_eq!(
        statuses(&app.sync(&login, vec![about.clone(), no.clone(), empty_details.clone()]).await),
        ["stored", "stored", "stored"]
    );
    let mut yes = no.clone();
    yes.revision = 12;
    yes.answers.insert("bullied".into(), quire_shared::AnswerValue::Choice("yes".into()));
    let mut empty_again = empty_details;
    empty_again.revision = 13;
    // The server decides visibility from the batch alone: `about` (role) must be in it for the page to be provably
    // shown; without it, the server cannot tell and does not reject.
    let reply = app.sync(&login, vec![yes.clone(), empty_again.clone()]).await;
    assert_eq!(statuses(&reply), ["stored", "stored"]);
    let (mut yes2, mut empty2) = (yes, empty_again);
    yes2.revision = 14;
    empty2.revision = 15;
    let reply = app.sync(&login, vec![about, yes2, empty2]).await;
    assert_eq!(statuses(&reply), ["duplicate", "stored", "rejected"]);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn finishing_marks_completion_and_login_resumes(pool: PgPool) {
    let app = spawn_app(pool).await;
    let login = app.login("S2").await;
    // `finishes` on a page that a later page follows is refused: the survey does not end there.
    let mut early = app.save(2, 3, 3);
    early.finishes = true;
    let reply = app.sync(&login, vec![app.save(0, 1, 1), app.save(1, 2, 2), early]).await;
    assert_eq!(statuses(&reply), ["stored", "stored", "rejected"]);
    assert!(matches!(&reply.acks[2].status, AckStatus::Rejected { errors } if errors[0].field == "finishes"));
    // A finish without every page the respondent sees is refused too, naming the first missing page.
    let mut last = app.save(app.last_page(), 3, 3);
    last.finishes = true;
    let reply = app.sync(&login, vec![last.clone()]).await;
    let AckStatus::Rejected { errors } = &reply.acks[0].status else { panic!("{reply:?}") };
    // Pages 0 and 1 are stored; page 2 was refused above.
    assert_eq!(errors[0].field, format!("pages.{}", app.survey.survey().pages[2].id));
    assert!(!app.login("S2").await.resume.completed);
    // The whole journey: completed.
    let journey = app.journey(4, 3);
    let last = journey.last().cloned().expect("empty journey");
    let reply = app.sync(&login, journey.clone()).await;
    assert!(reply.acks.iter().all(|a| a.status.is_accepted()), "{reply:?}");
    // A second device signs in: it gets the same respondent and every page back.
    let again = app.login("S2").await;
    assert_eq!(again.respondent_id, login.respondent_id);
    assert!(again.resume.completed);
    assert_eq!(again.resume.last_revision, last.revision);
    assert_eq!(again.resume.last_page.as_deref(), Some(last.page_id.as_str()));
    assert_eq!(again.resume.pages.len(), journey.len());
    let saved = again.resume.pages.iter().find(|p| p.page_id == last.page_id);
    assert_eq!(
        saved,
        Some(&SavedPage { page_id: last.page_id.clone(), revision: last.revision, answers: last.answers })
    );
}
