//! Health, readiness, metrics, and the cache headers of static files.

use sqlx::PgPool;

use crate::helpers::spawn_app;

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn health_ready_and_metrics(pool: PgPool) {
    let app = spawn_app(pool).await;
    for (path, body) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.text().await.unwrap_or_default(), body);
    }
    let login = app.login("S1").await;
    app.sync(&login, vec![app.save(1, 1, 1), app.save(2, 2, 1)]).await;
    let text = app.get_text("/metrics").await;
    for line in [
        "quire_http_requests_total{route=\"/api/v1/sync\",status=\"200\"} 1",
        "quire_http_requests_total{route=\"/api/v1/login\",status=\"200\"} 1",
        "quire_page_saves_total{status=\"stored\"} 2",
        "quire_rows_written_total{table=\"page_saves\"} 2",
        "quire_sync_batch_saves_count 1",
        "quire_logins_total 1",
    ] {
        assert!(text.lines().any(|l| l == line), "missing `{line}` in\n{text}");
    }
    // prometheus-client writes the bucket bound before the family's labels; the order of labels carries no meaning.
    assert!(
        text.contains("quire_http_request_duration_seconds_bucket{le=\"+Inf\",route=\"/api/v1/sync\"} 1"),
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"), "an OpenMetrics exposition ends with # EOF");
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn without_the_database_sync_is_not_acknowledged_and_readyz_fails(pool: PgPool) {
    let app = spawn_app(pool).await;
    let login = app.login("S1").await;
    app.pool.close().await;
    // A save that cannot be committed is not acknowledged: a 503 that tells the client to retry (this node is going
    // away; another, or this one later, will take it), and leaks nothing. (It was a 500 before the cluster work.)
    let batch = quire_shared::SyncBatch { respondent_id: login.respondent_id, saves: vec![app.save(1, 1, 1)] };
    let res = app.post_json("/api/v1/sync", &batch, Some(&login.token)).await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "1");
    let body: quire_shared::ErrorBody = res.json().await.unwrap();
    assert_eq!(body.error.code, "unavailable");
    assert!(!body.error.message.contains("pool"), "{}", body.error.message);

    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 503);
    let body: quire_shared::ErrorBody = res.json().await.unwrap();
    assert_eq!(body.error.code, "unavailable");
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn hashed_files_are_immutable_and_precompressed_index_is_revalidated(pool: PgPool) {
    let app = spawn_app(pool).await;
    let url = format!("{}/static/surveys/{}.json", app.base, app.survey.version());
    let res = app.http.get(&url).header("accept-encoding", "br").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(res.headers()["content-encoding"], "br");
    let res = app.http.get(&url).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");

    std::fs::write(app.dist_dir.join("client-0123456789abcdef_bg.wasm"), b"\0asm").unwrap();
    let res = app.get("/client-0123456789abcdef_bg.wasm").await;
    assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
    for path in ["/", "/index.html", "/some/app/route"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["cache-control"], "no-cache", "{path}");
        assert!(res.text().await.unwrap_or_default().contains("<title>Quire</title>"));
    }
    // A compressed and a plain answer share a URL: a cache must keep them apart.
    let res = app.http.get(&url).header("accept-encoding", "br").send().await.unwrap();
    assert_eq!(res.headers().get("vary").and_then(|v| v.to_str().ok()), Some("accept-encoding"));
    // A content-hashed file this node does not have (an app of another release, mid-upgrade) is a 404, never the
    // app's index.html under a name a CDN would keep for a year.
    for path in ["/client-fedcba9876543210_bg.wasm", "/client-fedcba9876543210.js"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 404, "{path}");
        assert!(res.headers().get("cache-control").is_none(), "{path}");
    }
}

/// A stopping server lets go of its port at once, so new connections are refused (and a load balancer sends them
/// elsewhere) instead of waiting in the backlog until the drain ends; the request in flight still finishes.
#[tokio::test]
async fn a_stopping_server_refuses_new_connections_and_finishes_the_open_request() {
    use axum::routing::get;
    let router = axum::Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(std::time::Duration::from_millis(800)).await;
            "done"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(quire_server::http::serve::serve(
        listener,
        router,
        std::time::Duration::from_secs(5),
        async move {
            let _ = stopped.await;
        },
    ));
    let open = tokio::spawn(reqwest::get(format!("http://{addr}/slow")));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stop.send(()).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let again = tokio::net::TcpStream::connect(addr).await;
    assert!(again.is_err(), "a new connection was accepted by a stopping server");
    let res = open.await.unwrap().unwrap();
    assert_eq!(res.text().await.unwrap(), "done");
    server.await.unwrap().unwrap();
}
