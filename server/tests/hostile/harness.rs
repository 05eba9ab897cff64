//! The live server of the hostile suite and the means to attack it: HTTP from chosen loopback addresses, raw TCP
//! for slow bodies and headers, table snapshots before and after each case.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use quire_shared::sample::answer_page;
use quire_shared::ValidSurvey;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::process::{Child, Command};

pub const EXAMPLE: &str = include_str!("../../../shared/fixtures/school-climate.json");
pub const PASSWORD: &str = "hostile-suite-password";
const SECRET: &str = "hostile-secret-hostile-secret-hostile-secret";

/// Tables compared before and after each case; a table the binary under test does not have is skipped. The
/// dashboard's last-activity times are written in the background every few seconds, and an account's last sign-in
/// by every sign-in a case makes, so both are left out.
const TABLES: [(&str, &str); 12] = [
    ("respondents", "select * from respondents"),
    ("page_saves", "select * from page_saves"),
    ("current_answers", "select * from current_answers"),
    ("respondent_progress", "select * from respondent_progress"),
    ("group_progress", "select survey_id, school, class, total, started, completed from group_progress"),
    ("quarantine", "select respondent_id, payload, errors from quarantine"),
    ("surveys", "select * from surveys"),
    ("survey_versions", "select * from survey_versions"),
    ("admins", "select to_jsonb(a) - 'last_sign_in_at' from admins a"),
    ("admin_sessions", "select * from admin_sessions"),
    ("audit_log", "select * from audit_log"),
    ("coordinator_surveys", "select * from coordinator_surveys"),
];

pub struct Server {
    child: tokio::sync::Mutex<Child>,
    pid: u32,
    addr: SocketAddr,
    bin: PathBuf,
    env: Vec<(String, String)>,
    admin_pool: PgPool,
    pub pool: PgPool,
    db_name: String,
    codes: HashMap<String, String>,
    survey: ValidSurvey,
}

#[derive(Default)]
pub struct Outcome {
    pub passed: usize,
    pub failed: Vec<String>,
}

impl Outcome {
    /// Runs one case: it must return `Ok`, the server must still answer `/healthz`, and no table outside `may_change`
    /// may differ afterwards.
    pub async fn case(
        &mut self,
        server: &Server,
        name: &str,
        may_change: &[&str],
        case: impl Future<Output = Result<(), String>>,
    ) {
        let before = server.snapshot().await;
        let started = Instant::now();
        let result = case.await;
        let alive = server.get("/healthz", None, 254).await.map(|r| r.status().as_u16()).unwrap_or(0);
        let after = server.snapshot().await;
        let changed: Vec<&str> = before
            .iter()
            .filter(|(table, digest)| after.get(*table) != Some(digest) && !may_change.contains(&table.as_str()))
            .map(|(table, _)| table.as_str())
            .collect();
        let verdict = match (result, alive, changed.is_empty()) {
            (Ok(()), 200, true) => Ok(()),
            (Err(e), _, _) => Err(e),
            (_, 200, false) => Err(format!("tables changed that should not have: {changed:?}")),
            (_, status, _) => Err(format!("the server is not answering /healthz ({status})")),
        };
        match verdict {
            Ok(()) => {
                println!("hostile: ok     {name} ({:?})", started.elapsed());
                self.passed += 1;
            }
            Err(e) => {
                println!("hostile: FAILED {name}: {e}");
                self.failed.push(format!("{name}: {e}"));
            }
        }
    }
}

/// The response must have `status`, be JSON, and carry `{"error": {"code", "message"}}` (with `code` when given).
pub async fn json_error(res: reqwest::Response, status: u16, code: Option<&str>) -> Result<Value, String> {
    let got = res.status().as_u16();
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let text = res.text().await.map_err(|e| e.to_string())?;
    if got != status {
        return Err(format!("status {got}, wanted {status}: {}", text.chars().take(300).collect::<String>()));
    }
    if !ct.starts_with("application/json") {
        return Err(format!("{status} with Content-Type `{ct}`: {}", text.chars().take(200).collect::<String>()));
    }
    let body: Value = serde_json::from_str(&text).map_err(|e| format!("{status}: not JSON ({e}): {text}"))?;
    let (c, m) = (&body["error"]["code"], &body["error"]["message"]);
    if !c.is_string() || m.as_str().is_none_or(|m| m.is_empty()) {
        return Err(format!("{status}: no error code and message: {body}"));
    }
    if code.is_some_and(|want| c != want) {
        return Err(format!("{status}: code {c}, wanted {code:?}"));
    }
    Ok(body)
}

fn loopback(last: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, last])
}

fn client_from(ip: IpAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

impl Server {
    /// A fresh database, set up with the binary's own commands, and the server on a free loopback port.
    pub async fn start() -> Option<Server> {
        let base_url = std::env::var("DATABASE_URL").ok()?;
        let admin_pool = PgPool::connect(&base_url).await.unwrap();
        let db_name = format!("quire_hostile_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("create database {db_name}")).execute(&admin_pool).await.unwrap();
        let db_url = match base_url.rsplit_once('/') {
            Some((head, _)) => format!("{head}/{db_name}"),
            None => panic!("DATABASE_URL has no database name"),
        };
        let dir = std::env::temp_dir().join(&db_name);
        let (static_dir, dist_dir) = (dir.join("static"), dir.join("dist"));
        std::fs::create_dir_all(&dist_dir).unwrap();
        std::fs::write(dist_dir.join("index.html"), "<!doctype html><title>Quire</title>").unwrap();
        let bin =
            std::env::var_os("QUIRE_HOSTILE_BIN").map_or(PathBuf::from(env!("CARGO_BIN_EXE_quire")), PathBuf::from);
        let port = free_port();
        let env: Vec<(String, String)> = [
            ("DATABASE_URL", db_url.as_str()),
            ("QUIRE_BIND", &format!("127.0.0.1:{port}")),
            ("QUIRE_TOKEN_SECRET", SECRET),
            ("QUIRE_DIST_DIR", &dist_dir.to_string_lossy()),
            ("QUIRE_STATIC_DIR", &static_dir.to_string_lossy()),
            ("QUIRE_HEADER_TIMEOUT_SECS", "2"),
            ("QUIRE_BODY_TIMEOUT_SECS", "3"),
            ("QUIRE_ADMIN_PASSWORD", PASSWORD),
            ("RUST_LOG", "warn"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let run = |args: Vec<String>| {
            let (bin, env) = (bin.clone(), env.clone());
            async move {
                let out = Command::new(&bin).args(&args).envs(env).output().await.unwrap();
                (
                    out.status.success(),
                    String::from_utf8_lossy(&out.stdout).into_owned(),
                    String::from_utf8_lossy(&out.stderr).into_owned(),
                )
            }
        };
        let s = |v: &[&str]| v.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/school-climate.json");
        let static_arg = static_dir.to_string_lossy().into_owned();
        for args in [s(&["migrate"]), s(&["survey", fixture, "--publish", "--static-dir", &static_arg])] {
            let (ok, _, err) = run(args.clone()).await;
            assert!(ok, "quire {args:?}: {err}");
        }
        let other = dir.join("other-survey.json");
        std::fs::write(&other, EXAMPLE.replacen("school-climate-2026", "other-survey", 1)).unwrap();
        let (ok, _, err) = run(s(&["survey", &other.to_string_lossy(), "--static-dir", &static_arg])).await;
        assert!(ok, "other survey: {err}");
        let mut roster = String::from("school,class,role,external_id,name\n");
        for n in 1..=40 {
            roster.push_str(&format!("Lincoln,4A,student,S{n:02},Pupil {n}\n"));
        }
        roster.push_str("Lincoln,@SUM(1),student,F1,\"=HYPERLINK(\"\"http://x\"\")\"\nWashington,9A,teacher,T1,Dee\n");
        let roster_file = dir.join("roster.csv");
        std::fs::write(&roster_file, roster).unwrap();
        let (ok, codes_csv, err) =
            run(s(&["roster", &roster_file.to_string_lossy(), "--survey", "school-climate-2026"])).await;
        assert!(ok, "roster: {err}");
        let mut codes = HashMap::new();
        let mut reader = csv::Reader::from_reader(codes_csv.as_bytes());
        for r in reader.records().flatten() {
            codes.insert(r.get(3).unwrap_or("").to_owned(), r.get(5).unwrap_or("").to_owned());
        }
        let (ok, _, err) = run(s(&["create-admin", "--email", "admin@example.org"])).await;
        assert!(ok, "create-admin: {err}");
        let coord =
            s(&["create-admin", "--email", "coord@example.org", "--role", "coordinator", "--school", "Lincoln"]);
        let mut granted = coord.clone();
        granted.extend(s(&["--survey", "school-climate-2026"]));
        if !run(granted).await.0 {
            // A build from before survey grants: the coordinator without one.
            let (ok, _, err) = run(coord).await;
            assert!(ok, "create coordinator: {err}");
        }
        let log = std::fs::File::create(dir.join("server.log")).unwrap();
        let child = Command::new(&bin)
            .arg("serve")
            .envs(env.clone())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let pid = child.id().unwrap_or(0);
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let pool = PgPool::connect(&db_url).await.unwrap();
        let survey = ValidSurvey::parse(EXAMPLE).unwrap();
        let server = Server {
            child: tokio::sync::Mutex::new(child),
            pid,
            addr,
            bin,
            env,
            admin_pool,
            pool,
            db_name,
            codes,
            survey,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.get("/healthz", None, 253).await.map(|r| r.status().as_u16()).unwrap_or(0) != 200 {
            assert!(Instant::now() < deadline, "the server did not start: see {}", dir.join("server.log").display());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Some(server)
    }

    pub async fn stop(self) {
        let _ = self.child.lock().await.kill().await;
        self.pool.close().await;
        let _ = sqlx::query(&format!("drop database if exists {} with (force)", self.db_name))
            .execute(&self.admin_pool)
            .await;
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn snapshot(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (table, query) in TABLES {
            let digest: Result<(Option<String>,), _> =
                sqlx::query_as(&format!("select md5(string_agg(t::text, E'\\n' order by t::text)) from ({query}) t"))
                    .fetch_one(&self.pool)
                    .await;
            if let Ok((d,)) = digest {
                out.insert(table.to_owned(), d.unwrap_or_default());
            }
        }
        out
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        cookie: Option<&Value>,
        ip: u8,
    ) -> Result<reqwest::Response, String> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let mut req = client_from(loopback(ip)).request(method, self.url(path)).header("accept", "application/json");
        if let Some(c) = cookie {
            req = req.header("cookie", c["cookie"].as_str().unwrap_or(""));
        }
        req.send().await.map_err(|e| e.to_string())
    }

    pub async fn get(&self, path: &str, cookie: Option<&Value>, ip: u8) -> Result<reqwest::Response, String> {
        self.request("GET", path, cookie, ip).await
    }

    pub async fn post(
        &self,
        path: &str,
        body: &str,
        login: Option<&Value>,
        content_type: &str,
        ip: u8,
    ) -> Result<reqwest::Response, String> {
        let mut req =
            client_from(loopback(ip)).post(self.url(path)).header("content-type", content_type).body(body.to_owned());
        if let Some(l) = login {
            req = req.bearer_auth(l["token"].as_str().unwrap_or(""));
        }
        req.send().await.map_err(|e| e.to_string())
    }

    /// (status, body) of a sign-in with the code of `external_id`.
    pub async fn try_login(&self, external_id: &str, ip: u8) -> Result<(u16, Value), String> {
        let code = self.codes.get(external_id).cloned().unwrap_or_default();
        let res =
            self.post("/api/v1/login", &json!({"access_code": code}).to_string(), None, "application/json", ip).await?;
        let status = res.status().as_u16();
        Ok((status, res.json().await.unwrap_or(Value::Null)))
    }

    pub async fn login(&self, external_id: &str, ip: u8) -> Result<Value, String> {
        match self.try_login(external_id, ip).await? {
            (200, body) => Ok(body),
            (status, body) => Err(format!("sign-in of {external_id}: {status} {body}")),
        }
    }

    /// A valid save of page `page_index` at `revision` (the same every time for the same arguments).
    pub fn save(&self, page_index: usize, revision: u64) -> Value {
        let page = &self.survey.survey().pages[page_index];
        let mut answers = answer_page(page, revision);
        if page.id == "about" {
            answers.insert("role".into(), quire_shared::AnswerValue::Choice("student".into()));
        }
        json!({"page_id": page.id, "revision": revision, "answers": answers, "client_time": "2026-11-29T10:00:00Z"})
    }

    pub async fn sync_raw(&self, login: &Value, saves: Value, ip: u8) -> Result<(u16, Value), String> {
        let body = json!({"respondent_id": login["respondent_id"], "saves": saves}).to_string();
        let res = self.post("/api/v1/sync", &body, Some(login), "application/json", ip).await?;
        let status = res.status().as_u16();
        Ok((status, res.json().await.unwrap_or(Value::Null)))
    }

    pub async fn sync(&self, login: &Value, saves: Vec<Value>, ip: u8) -> Result<Value, String> {
        match self.sync_raw(login, Value::Array(saves), ip).await? {
            (200, body) => Ok(body),
            (status, body) => Err(format!("sync: {status} {body}")),
        }
    }

    pub async fn expect_ready(&self) -> Result<(), String> {
        match self.get("/readyz", None, 252).await?.status().as_u16() {
            200 => Ok(()),
            s => Err(format!("/readyz answered {s}")),
        }
    }

    pub fn ids(&self, logins: &[Value]) -> String {
        logins.iter().map(|l| format!("'{}'", l["respondent_id"].as_str().unwrap_or(""))).collect::<Vec<_>>().join(",")
    }

    pub async fn count(&self, from: &str) -> Result<i64, String> {
        self.scalar(&format!("select count(*) from {from}")).await
    }

    pub async fn scalar(&self, query: &str) -> Result<i64, String> {
        let (n,): (i64,) = sqlx::query_as(query).fetch_one(&self.pool).await.map_err(|e| e.to_string())?;
        Ok(n)
    }

    pub async fn admin_sign_in_from(
        &self,
        email: &str,
        password: &str,
        ip: [u8; 4],
    ) -> Result<reqwest::Response, String> {
        client_from(IpAddr::from(ip))
            .post(self.url("/admin/login"))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .map_err(|e| e.to_string())
    }

    pub async fn admin_sign_in(&self, email: &str, password: &str, ip: u8) -> Result<reqwest::Response, String> {
        self.admin_sign_in_from(email, password, [127, 0, 0, ip]).await
    }

    async fn session(&self, email: &str, ip: u8) -> Result<Value, String> {
        let res = self.admin_sign_in(email, PASSWORD, ip).await?;
        if res.status() != 303 {
            return Err(format!("sign-in of {email}: {}", res.status()));
        }
        let set = res.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let cookie = set.split(';').next().unwrap_or("").to_owned();
        let page = client_from(loopback(ip))
            .get(self.url("/admin"))
            .header("cookie", &cookie)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .text()
            .await
            .map_err(|e| e.to_string())?;
        let csrf = page.split(r#"name="csrf-token" content=""#).nth(1).and_then(|s| s.split('"').next()).unwrap_or("");
        Ok(json!({"cookie": cookie, "csrf": csrf}))
    }

    pub async fn admin_session(&self, ip: u8) -> Result<Value, String> {
        self.session("admin@example.org", ip).await
    }

    pub async fn coordinator_session(&self, ip: u8) -> Result<Value, String> {
        self.session("coord@example.org", ip).await
    }

    pub async fn admin_post(
        &self,
        session: &Value,
        path: &str,
        content_type: &str,
        body: &str,
        ip: u8,
    ) -> Result<reqwest::Response, String> {
        client_from(loopback(ip))
            .post(self.url(path))
            .header("cookie", session["cookie"].as_str().unwrap_or(""))
            .header("x-csrf-token", session["csrf"].as_str().unwrap_or(""))
            .header("content-type", content_type)
            .header("accept", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .map_err(|e| e.to_string())
    }

    /// The server process's peak resident memory so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> Result<u64, String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).map_err(|e| e.to_string())?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| "no VmHWM".to_owned())
    }

    /// A sync request whose body starts and then stalls: either a `Content-Length` of 1 MiB (the largest body
    /// allowed by default) or chunked with no length; 1 KiB is sent.
    pub async fn open_slow_body(&self, declared: bool, token: &str, ip: u8) -> Result<TcpStream, String> {
        let socket = TcpSocket::new_v4().map_err(|e| e.to_string())?;
        socket.bind(SocketAddr::new(loopback(ip), 0)).map_err(|e| e.to_string())?;
        let mut stream = socket.connect(self.addr).await.map_err(|e| e.to_string())?;
        let framing = if declared { "Content-Length: 1048576" } else { "Transfer-Encoding: chunked" };
        let head = format!(
            "POST /api/v1/sync HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}\r\n{framing}\r\n\r\n",
            self.addr
        );
        stream.write_all(head.as_bytes()).await.map_err(|e| e.to_string())?;
        let data = " ".repeat(1024);
        let first = if declared { data } else { format!("400\r\n{data}\r\n") };
        stream.write_all(first.as_bytes()).await.map_err(|e| e.to_string())?;
        Ok(stream)
    }

    /// Starts the binary with one setting changed and expects it to refuse to start: returns what it printed.
    pub async fn start_refused(&self, name: &str, value: &str, extra: Option<(&str, &str)>) -> Result<String, String> {
        let mut env = self.env.clone();
        env.retain(|(k, _)| k != name && extra.is_none_or(|(e, _)| k != e));
        env.push((name.to_owned(), value.to_owned()));
        if let Some((k, v)) = extra {
            env.push((k.to_owned(), v.to_owned()));
        }
        if !env.iter().any(|(k, _)| k == "QUIRE_BIND") {
            env.push(("QUIRE_BIND".into(), format!("127.0.0.1:{}", free_port())));
        } else if let Some(bind) = env.iter_mut().find(|(k, _)| k == "QUIRE_BIND") {
            if bind.1.starts_with("127.") {
                bind.1 = format!("127.0.0.1:{}", free_port());
            }
        }
        let mut child = Command::new(&self.bin)
            .arg("serve")
            .env_clear()
            .envs(env)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| e.to_string())?;
        match tokio::time::timeout(Duration::from_secs(20), child.wait()).await {
            Ok(Ok(status)) if !status.success() => {
                let mut err = String::new();
                if let Some(mut s) = child.stderr.take() {
                    let _ = s.read_to_string(&mut err).await;
                }
                Ok(err)
            }
            Ok(_) => Err(format!("{name}={value}: the server exited cleanly instead of refusing")),
            Err(_) => {
                let _ = child.kill().await;
                Err(format!("{name}={value}: the server started"))
            }
        }
    }
}

/// Waits for the server's answer on a stalled request: its status, or 0 if it closed without one.
pub async fn finish_slow(mut stream: TcpStream, within: Duration) -> Result<u16, String> {
    let mut buf = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    if read.is_err() {
        return Err(format!("no answer within {within:?}: the slow body is still held"));
    }
    let head = String::from_utf8_lossy(&buf);
    Ok(head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0))
}

/// Sends half a request's headers and returns how long until the server closes the connection.
pub async fn slow_headers(addr: &SocketAddr, give_up: Duration) -> Result<Duration, String> {
    let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    stream.write_all(b"POST /api/v1/sync HTTP/1.1\r\nHost: x\r\n").await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut chunk = [0u8; 1024];
    loop {
        match tokio::time::timeout(give_up.saturating_sub(started.elapsed()), stream.read(&mut chunk)).await {
            Err(_) => return Ok(started.elapsed()),
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}
