//! The hostile-input suite: a live `quire serve` process (the binary of this build, or `QUIRE_HOSTILE_BIN`) on a
//! database of its own, set up through the binary's own commands, attacked on loopback with malformed, oversized,
//! slow and concurrent requests. Each case checks the status, the JSON error shape, that the server is still alive
//! and that no table changed that should not have. It prints `hostile: N passed, M failed` and fails if M > 0.
//!
//! Pointing `QUIRE_HOSTILE_BIN` at an older build shows which findings that build still has (`scripts/hostile.sh`).
//! Every request goes to 127.0.0.1, from source addresses 127.0.0.x chosen per case so that per-address limits of
//! one case do not bleed into another.

// All of this crate is test code, but clippy counts only `#[test]` functions as tests, not their helpers.
#![allow(clippy::unwrap_used)]

mod harness;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use harness::{json_error, Outcome, Server};
use serde_json::{json, Value};

const SURVEY: &str = "school-climate-2026";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_inputs_change_nothing_and_harm_no_one() {
    let Some(server) = Server::start().await else {
        eprintln!("hostile: DATABASE_URL is not set; scripts/test.sh sets it");
        panic!("DATABASE_URL is not set");
    };
    let mut out = Outcome::default();

    // ---- Critical: a save that the database cannot take must not stop ingest ----
    out.case(&server, "client_time past year 9999 in UTC: rejected alone, ingest keeps committing", &INGEST, async {
        let a = server.login("S01", 11).await?;
        for revision in 1..=5 {
            let mut save = server.save(0, revision);
            save["client_time"] = json!("9999-12-31T23:59:59-23:59");
            let reply = server.sync(&a, vec![save], 11).await?;
            expect_rejected(&reply, 0, "client_time")?;
        }
        let b = server.login("S02", 11).await?;
        let reply = server.sync(&b, vec![server.save(0, 1)], 11).await?;
        expect_status(&reply, 0, "stored")?;
        server.expect_ready().await
    })
    .await;

    out.case(
        &server,
        "U+0000 in a save: only that save is rejected; other respondents' saves in its group stored",
        &INGEST,
        async {
            let mut poisoned = Vec::new();
            for (code, field) in [("S03", "text"), ("S04", "page_id"), ("S05", "key"), ("S06", "matrix")] {
                let mut save = server.save(1, 1);
                match field {
                    "text" => save["answers"]["student_01_note_nul"] = json!({"text": "a\u{0}b"}),
                    "page_id" => save["page_id"] = json!("student\u{0}01"),
                    "key" => save["answers"]["q\u{0}"] = json!({"text": "x"}),
                    _ => save["answers"]["m"] = json!({"matrix": {"s\u{0}": "1"}}),
                }
                poisoned.push((server.login(code, 12).await?, save));
            }
            let mut valid = Vec::new();
            for code in ["S07", "S08", "S09"] {
                valid.push(server.login(code, 12).await?);
            }
            // All at once, so that they share group transactions.
            let mut tasks = Vec::new();
            for (login, save) in &poisoned {
                tasks.push(server.sync_raw(login, json!([save]), 12));
            }
            for login in &valid {
                tasks.push(server.sync_raw(login, json!([server.save(0, 1), server.save(1, 2)]), 12));
            }
            let replies = futures_util::future::join_all(tasks).await;
            for (i, reply) in replies.into_iter().enumerate() {
                let (status, body) = reply?;
                if status != 200 {
                    return Err(format!("request {i}: status {status}: {body}"));
                }
                let want = if i < poisoned.len() { "rejected" } else { "stored" };
                for ack in body["acks"].as_array().into_iter().flatten() {
                    if ack["status"] != want {
                        return Err(format!("request {i}: {ack} (wanted {want})"));
                    }
                }
            }
            let stored = server.count(&format!("page_saves where respondent_id in ({})", server.ids(&valid))).await?;
            if stored != 6 {
                return Err(format!("{stored} of the 6 valid saves stored"));
            }
            server.expect_ready().await
        },
    )
    .await;

    out.case(&server, "the same rejected save sent again is quarantined once", &[], async {
        let login = server.login("S03", 13).await?;
        let mut save = server.save(1, 1);
        save["answers"]["student_01_note_nul"] = json!({"text": "a\u{0}b"});
        let reply = server.sync(&login, vec![save], 13).await?;
        expect_rejected(&reply, 0, "")
    })
    .await;

    out.case(&server, "a revision far above the respondent's last is refused; numbering continues", &INGEST, async {
        let login = server.login("S10", 14).await?;
        expect_status(&server.sync(&login, vec![server.save(0, 1)], 14).await?, 0, "stored")?;
        let reply = server.sync(&login, vec![server.save(1, (1u64 << 53) - 1)], 14).await?;
        expect_rejected(&reply, 0, "revision")?;
        expect_status(&server.sync(&login, vec![server.save(1, 2)], 14).await?, 0, "stored")
    })
    .await;

    out.case(&server, "finishes on a page the survey does not end on is refused", &INGEST, async {
        let login = server.login("S11", 15).await?;
        let mut save = server.save(0, 1);
        save["finishes"] = json!(true);
        expect_rejected(&server.sync(&login, vec![save], 15).await?, 0, "finishes")?;
        let done = server.scalar("select count(*) from respondent_progress where completed_at is not null").await?;
        if done != 0 {
            return Err(format!("{done} respondent(s) marked complete"));
        }
        Ok(())
    })
    .await;

    // ---- Every error is JSON with a code and a message ----
    out.case(&server, "trailing data after a JSON body is a 400", &SIGN_IN, async {
        let login = server.login("S12", 16).await?;
        let body = format!("{}garbage", json!({"respondent_id": login["respondent_id"], "saves": [server.save(0, 1)]}));
        let res = server.post("/api/v1/sync", &body, Some(&login), "application/json", 16).await?;
        json_error(res, 400, Some("malformed_json")).await?;
        let res = server.post("/api/v1/login", r#"{"access_code":"x"} {}"#, None, "application/json", 16).await?;
        json_error(res, 400, Some("malformed_json")).await.map(|_| ())
    })
    .await;

    out.case(&server, "404, 405, 413, 415 and bad percent-encoding answer JSON", &AUDIT, async {
        json_error(server.get("/api/v1/nope", None, 17).await?, 404, None).await?;
        json_error(server.request("DELETE", "/api/v1/login", None, 17).await?, 405, None).await?;
        json_error(server.request("GET", "/api/v1/sync", None, 17).await?, 405, None).await?;
        let big = format!(r#"{{"access_code":"{}"}}"#, "A".repeat(5000));
        json_error(server.post("/api/v1/login", &big, None, "application/json", 17).await?, 413, None).await?;
        let res = server.post("/api/v1/login", "{}", None, "text/plain", 17).await?;
        json_error(res, 415, None).await?;
        let admin = server.admin_session(18).await?;
        json_error(server.get(&format!("/admin/surveys/%FF{SURVEY}/progress"), Some(&admin), 18).await?, 400, None)
            .await?;
        json_error(server.get("/admin/surveys/%E0%A4%A/progress", Some(&admin), 18).await?, 400, None).await?;
        Ok(())
    })
    .await;

    out.case(&server, "U+0000 in admin sign-in, survey id and query parameters is a 4xx, never a 500", &AUDIT, async {
        let res = server.admin_sign_in("adm\u{0}in@example.org", "whatever password", 19).await?;
        if res.status() != 401 {
            return Err(format!("sign-in with U+0000: {}", res.status()));
        }
        let admin = server.admin_session(20).await?;
        for path in [
            "/admin/surveys/school%00climate/progress".to_owned(),
            format!("/admin/surveys/{SURVEY}/codes.csv?school=Lin%00coln"),
            format!("/admin/surveys/{SURVEY}/export.csv?school=%00"),
        ] {
            json_error(server.get(&path, Some(&admin), 20).await?, 400, None).await?;
        }
        Ok(())
    })
    .await;

    out.case(
        &server,
        "a roster with U+0000 or a 100,000-character field: 400 naming row and column, nothing loaded",
        &AUDIT,
        async {
            let admin = server.admin_session(21).await?;
            let long = "x".repeat(100_000);
            let csv = format!(
            "school,class,role,external_id,name\nLincoln,4A,student,N1,Nul\u{0}Name\nLincoln,4A,student,{long},Long\n"
        );
            let res =
                server.admin_post(&admin, &format!("/admin/surveys/{SURVEY}/roster"), "text/csv", &csv, 21).await?;
            let body = json_error(res, 400, Some("invalid_roster")).await?;
            let named: BTreeSet<(u64, String)> = body["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| (e["line"].as_u64().unwrap_or(0), e["column"].as_str().unwrap_or("").to_owned()))
                .collect();
            let want: BTreeSet<(u64, String)> = [(2, "name".to_owned()), (3, "external_id".to_owned())].into();
            if named != want {
                return Err(format!("errors name {named:?}, wanted {want:?}"));
            }
            Ok(())
        },
    )
    .await;

    out.case(&server, "a coordinator cannot load a roster into a survey not granted to them", &AUDIT, async {
        let coord = server.coordinator_session(22).await?;
        let csv = "school,class,role,external_id\nLincoln,4A,student,C99\n";
        let res = server.admin_post(&coord, "/admin/surveys/other-survey/roster", "text/csv", csv, 22).await?;
        json_error(res, 403, None).await.map(|_| ())
    })
    .await;

    let csv_tables: Vec<&str> = AUDIT.iter().chain(&INGEST).copied().collect();
    out.case(&server, "every CSV download defuses formula cells", &csv_tables, async {
        // The person with formula roster fields sends a refused save, so that they appear in quarantine.csv too.
        let f1 = server.login("F1", 23).await?;
        let mut refused = server.save(1, 1);
        refused["answers"]["no_such_question"] = json!({"text": "=1+1"});
        expect_rejected(&server.sync(&f1, vec![refused], 23).await?, 0, "")?;
        let admin = server.admin_session(23).await?;
        let codes = server.get(&format!("/admin/surveys/{SURVEY}/codes.csv"), Some(&admin), 23).await?;
        let codes = codes.text().await.map_err(|e| e.to_string())?;
        if !codes.contains("'=HYPERLINK(") || codes.contains(",\"=HYPERLINK(") {
            return Err(format!(
                "codes.csv: the formula name is not defused: {}",
                first_line_with(&codes, "HYPERLINK")
            ));
        }
        let export = server.get(&format!("/admin/surveys/{SURVEY}/export.csv"), Some(&admin), 23).await?;
        let export = export.text().await.map_err(|e| e.to_string())?;
        if !export.contains("'@SUM(1)") || export.contains(",@SUM(1),") {
            return Err(format!("export.csv: the formula class is not defused: {}", first_line_with(&export, "SUM")));
        }
        let quarantine = server.get(&format!("/admin/surveys/{SURVEY}/quarantine.csv"), Some(&admin), 23).await?;
        let quarantine = quarantine.text().await.map_err(|e| e.to_string())?;
        if !quarantine.contains("'@SUM(1)") || quarantine.contains(",@SUM(1)") {
            return Err(format!("quarantine.csv: not defused: {}", first_line_with(&quarantine, "SUM")));
        }
        Ok(())
    })
    .await;

    out.case(
        &server,
        "admin pages and downloads are no-store; the session cookie is Secure by default",
        &AUDIT,
        async {
            let res = server.admin_sign_in("admin@example.org", harness::PASSWORD, 24).await?;
            let cookie = res.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            if !cookie.contains("Secure") {
                return Err(format!("cookie without Secure: {cookie}"));
            }
            let admin = server.admin_session(24).await?;
            for path in ["/admin".to_owned(), format!("/admin/surveys/{SURVEY}/codes.csv"), "/admin/audit".to_owned()] {
                let res = server.get(&path, Some(&admin), 24).await?;
                let cc = res.headers().get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                if !cc.contains("no-store") {
                    return Err(format!("{path}: Cache-Control `{cc}`"));
                }
            }
            Ok(())
        },
    )
    .await;

    out.case(&server, "a JSON survey upload with trailing data stores nothing", &AUDIT, async {
        let admin = server.admin_session(25).await?;
        let survey = harness::EXAMPLE.replacen(SURVEY, "trailing-survey", 1) + "\n{\"more\": 1}";
        let res = server.admin_post(&admin, "/admin/surveys", "application/json", &survey, 25).await?;
        json_error(res, 400, None).await.map(|_| ())
    })
    .await;

    // ---- Sign-in limits ----
    out.case(
        &server,
        "respondent sign-in: a classroom behind one address signs in; a guesser gets 429",
        &SIGN_IN,
        async {
            let mut ok = 0;
            for n in 1..=40 {
                if server.try_login(&format!("S{n:02}"), 30).await?.0 == 200 {
                    ok += 1;
                }
            }
            if ok != 40 {
                return Err(format!("{ok} of 40 pupils signed in"));
            }
            let mut throttled = 0;
            for _ in 0..400 {
                let res = server
                    .post("/api/v1/login", r#"{"access_code":"ZZZZ-ZZZZ-ZZZZ"}"#, None, "application/json", 31)
                    .await?;
                if res.status() == 429 {
                    if res.headers().get("retry-after").is_none() {
                        return Err("429 without Retry-After".into());
                    }
                    json_error(res, 429, Some("too_many_requests")).await?;
                    throttled += 1;
                }
            }
            if throttled < 300 {
                return Err(format!("only {throttled} of 400 wrong codes were throttled"));
            }
            let (status, _) = server.try_login("S02", 32).await?;
            if status != 200 {
                return Err(format!("another address was refused too: {status}"));
            }
            Ok(())
        },
    )
    .await;

    out.case(
        &server,
        "administrator lockout holds under concurrency and a stranger cannot lock the administrator out",
        &AUDIT,
        async {
            let guesses: Vec<_> =
                (0..20).map(|_| server.admin_sign_in("admin@example.org", "wrong password guess", 40)).collect();
            let mut evaluated = 0;
            for res in futures_util::future::join_all(guesses).await {
                match res?.status().as_u16() {
                    401 => evaluated += 1,
                    429 => {}
                    s => return Err(format!("a guess got {s}")),
                }
            }
            if evaluated > 5 {
                return Err(format!("{evaluated} of 20 concurrent guesses were evaluated (at most 5)"));
            }
            let res = server.admin_sign_in("admin@example.org", harness::PASSWORD, 41).await?;
            if res.status() != 303 {
                return Err(format!("the administrator, from their own address, got {}", res.status()));
            }
            Ok(())
        },
    )
    .await;

    out.case(&server, "64 simultaneous administrator sign-ins add under 100 MiB", &AUDIT, async {
        let before = server.peak_rss_kib()?;
        let emails: Vec<String> = (0..64).map(|i| format!("nobody{i}@example.org")).collect();
        let tries: Vec<_> = (0..64u8)
            .map(|i| server.admin_sign_in_from(&emails[usize::from(i)], "some password", [127, 0, 1, 1 + i]))
            .collect();
        for res in futures_util::future::join_all(tries).await {
            let status = res?.status().as_u16();
            if status != 401 {
                return Err(format!("an unknown address got {status}"));
            }
        }
        let grew = server.peak_rss_kib()?.saturating_sub(before) / 1024;
        eprintln!("hostile: 64 concurrent admin sign-ins: peak RSS grew {grew} MiB");
        if grew >= 100 {
            return Err(format!("peak RSS grew {grew} MiB"));
        }
        Ok(())
    })
    .await;

    // ---- Slow and large bodies get a fair share ----
    out.case(
        &server,
        "slow bodies (a large Content-Length, and chunked) do not keep others from saving",
        &INGEST,
        async {
            // Five respondents, two stalled bodies each (the most one respondent may have in flight): eight declare
            // 1 MiB, two are chunked.
            let mut tokens = Vec::new();
            for code in ["S33", "S34", "S35", "S36", "S37"] {
                tokens.push(server.login(code, 49).await?["token"].as_str().unwrap_or("").to_owned());
            }
            let mut slow = Vec::new();
            for i in 0..10u8 {
                slow.push(server.open_slow_body(i < 8, &tokens[usize::from(i) / 2], 50 + i).await?);
            }
            // A third from the same respondent is turned away at once: one client cannot take every slot.
            let extra = server.open_slow_body(true, &tokens[0], 60).await?;
            let status = harness::finish_slow(extra, Duration::from_secs(2)).await?;
            if status != 503 {
                return Err(format!("a third stalled body of one respondent got {status}"));
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            let mut logins = Vec::new();
            for n in 13..=32 {
                logins.push(server.login(&format!("S{n:02}"), 70).await?);
            }
            let started = Instant::now();
            let replies = futures_util::future::join_all(
                logins.iter().map(|l| server.sync_raw(l, json!([server.save(0, 1)]), 70)),
            )
            .await;
            for r in replies {
                let (status, body) = r?;
                if status != 200 {
                    return Err(format!("a normal save got {status} while slow bodies were open: {body}"));
                }
            }
            eprintln!("hostile: 20 saves beside 10 slow bodies took {:?}", started.elapsed());
            // The slow ones end by the body deadline (3 s here) with a JSON 408, or a 413 when the declared length is
            // over the limit, never holding the budget beyond it.
            for conn in slow {
                let status = harness::finish_slow(conn, Duration::from_secs(8)).await?;
                if ![408, 413].contains(&status) {
                    return Err(format!("a slow body ended with {status}"));
                }
            }
            Ok(())
        },
    )
    .await;

    out.case(&server, "a sync body without a valid token is refused before it is read", &[], async {
        let conn = server.open_slow_body(true, "not-a-token", 64).await?;
        let started = Instant::now();
        let status = harness::finish_slow(conn, Duration::from_secs(2)).await?;
        if status != 401 {
            return Err(format!("an unsigned slow body got {status} after {:?}", started.elapsed()));
        }
        Ok(())
    })
    .await;

    out.case(&server, "headers that never finish are cut off by the header timeout", &[], async {
        let closed_after = harness::slow_headers(&server.addr(), Duration::from_secs(10)).await?;
        eprintln!("hostile: unfinished headers closed after {closed_after:?}");
        if closed_after > Duration::from_secs(6) {
            return Err(format!("the connection stayed open {closed_after:?}"));
        }
        Ok(())
    })
    .await;

    // ---- Settings refused at start, naming the setting ----
    out.case(&server, "oversized or unsafe settings are refused at start, naming the setting", &[], async {
        for (name, value, extra) in [
            ("QUIRE_TOKEN_TTL_HOURS", "4294967295", None),
            ("QUIRE_TOKEN_SECRET", "change-me-to-64-random-hex-characters-from-openssl-rand-hex-32", None),
            ("QUIRE_SECURE_COOKIES", "false", Some(("QUIRE_BIND", "0.0.0.0:0"))),
        ] {
            let stderr = server.start_refused(name, value, extra).await?;
            if !stderr.contains(name) {
                return Err(format!("{name}={value}: {stderr}"));
            }
        }
        Ok(())
    })
    .await;

    let alive = server.get("/healthz", None, 99).await.map(|r| r.status().as_u16()).unwrap_or(0);
    server.stop().await;
    println!("hostile: {} passed, {} failed", out.passed, out.failed.len());
    for f in &out.failed {
        println!("hostile: FAILED {f}");
    }
    assert_eq!(alive, 200, "the server did not survive the suite");
    assert!(out.failed.is_empty(), "{} hostile case(s) failed: {:#?}", out.failed.len(), out.failed);
}

/// Tables a save may change.
const INGEST: [&str; 6] =
    ["respondents", "page_saves", "current_answers", "respondent_progress", "group_progress", "quarantine"];
/// Tables an administrator's reading or signing in may change.
const AUDIT: [&str; 2] = ["audit_log", "admin_sessions"];
/// Signing in pins a respondent to a version.
const SIGN_IN: [&str; 1] = ["respondents"];

fn expect_status(reply: &Value, index: usize, status: &str) -> Result<(), String> {
    match reply["acks"][index]["status"].as_str() {
        Some(s) if s == status => Ok(()),
        _ => Err(format!("ack {index}: wanted {status}, got {}", reply["acks"][index])),
    }
}

/// A rejected ack whose first error names `field` (any field when empty).
fn expect_rejected(reply: &Value, index: usize, field: &str) -> Result<(), String> {
    expect_status(reply, index, "rejected")?;
    let named = reply["acks"][index]["errors"][0]["field"].as_str().unwrap_or("");
    if !field.is_empty() && named != field {
        return Err(format!("rejected for `{named}`, wanted `{field}`: {}", reply["acks"][index]));
    }
    Ok(())
}

fn first_line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines().find(|l| l.contains(needle)).unwrap_or("(not found)")
}
