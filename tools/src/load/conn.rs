//! The per-request path's HTTP client: one kept-alive HTTP/1.1 connection per simulated respondent (as a browser tab
//! holds one), on hyper's connection API with nothing between. reqwest's pool, URL handling and per-request builder
//! cost about as much CPU per request as the server's whole save (94 µs against 117 µs, docs/benchmarks.md), and the
//! generator shares the two cores with what it measures.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST, RETRY_AFTER};
use hyper_util::rt::TokioIo;

/// Where every request of a run goes: the addresses and the request target, resolved once.
pub(crate) struct Target {
    /// Every address the host resolves to, tried in order (`localhost` may give `::1` before 127.0.0.1).
    addrs: Vec<SocketAddr>,
    host: HeaderValue,
    path: hyper::Uri,
}

impl Target {
    /// `base` is the server (`http://host:port`, loopback; plain HTTP and no path), `path` the endpoint.
    pub(crate) fn new(base: &str, path: &str) -> anyhow::Result<Self> {
        let url = reqwest::Url::parse(base).context("--base is not a URL")?;
        anyhow::ensure!(url.scheme() == "http", "--base must be http:// (this client speaks plain HTTP/1.1)");
        anyhow::ensure!(url.path() == "/" || url.path().is_empty(), "--base must not have a path");
        let addrs = url.socket_addrs(|| Some(80))?;
        let port = addrs.first().context("--base names no address")?.port();
        let host = HeaderValue::from_str(&format!("{}:{port}", url.host_str().unwrap_or("localhost")))?;
        Ok(Target { addrs, host, path: path.parse()? })
    }
}

/// What came back: the status, a `Retry-After` if any, and the body.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<String>,
    pub(crate) body: Bytes,
}

/// A respondent's connection, opened on first use and again after any failure.
#[derive(Default)]
pub(crate) struct Conn {
    send: Option<SendRequest<Full<Bytes>>>,
}

/// Like the app's fetch, a request that takes longer than this is abandoned (and its saves stay uncertain).
const TIMEOUT: Duration = Duration::from_secs(30);

impl Conn {
    /// POSTs a JSON `body` with the bearer `auth` header. Any error drops the connection, so the next call opens a
    /// fresh one.
    pub(crate) async fn post(&mut self, target: &Target, auth: &HeaderValue, body: Bytes) -> anyhow::Result<Answer> {
        let result = tokio::time::timeout(TIMEOUT, self.exchange(target, auth, body)).await;
        match result {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => {
                self.send = None;
                Err(e)
            }
            Err(_) => {
                self.send = None;
                anyhow::bail!("no answer within {TIMEOUT:?}")
            }
        }
    }

    async fn exchange(&mut self, target: &Target, auth: &HeaderValue, body: Bytes) -> anyhow::Result<Answer> {
        // A kept connection is reused once it is ready for the next request (`ready` waits for hyper's connection
        // task to finish the last exchange); one the server closed in the meantime is replaced.
        if let Some(send) = &mut self.send {
            if send.ready().await.is_err() {
                self.send = None;
            }
        }
        let send = match &mut self.send {
            Some(send) => send,
            None => self.send.insert(connect(&target.addrs).await?),
        };
        let mut req = hyper::Request::post(target.path.clone()).body(Full::new(body))?;
        let headers = req.headers_mut();
        headers.insert(HOST, target.host.clone());
        headers.insert(AUTHORIZATION, auth.clone());
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let res = send.send_request(req).await?;
        let status = res.status().as_u16();
        let retry_after = res.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = res.into_body().collect().await?.to_bytes();
        Ok(Answer { status, retry_after, body })
    }
}

async fn connect(addrs: &[SocketAddr]) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addrs).await?;
    stream.set_nodelay(true)?;
    let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    // The connection's own task ends when `send` is dropped or the server closes it.
    tokio::spawn(conn);
    Ok(send)
}
