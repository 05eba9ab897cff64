//! Calls to the ingest API and the survey download, through the shared protocol types.

use gloo_net::http::Request;
use quire_shared::{ErrorBody, LoginRequest, LoginResponse, SyncBatch, SyncReply, ValidSurvey};

use quire_shared::retry;

/// Why a call failed, as far as the caller must tell apart.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// No answer at all: offline, DNS, connection refused, server down.
    Network,
    /// The server asks to come back later (429/503), maybe saying when (milliseconds).
    Busy { retry_after: Option<f64> },
    /// The token expired or is not valid any more: the respondent must sign in again.
    Unauthorized(String),
    /// Any other refusal, with the server's message.
    Refused { status: u16, message: String },
}

async fn refusal(response: gloo_net::http::Response) -> ApiError {
    let status = response.status();
    let retry_after = retry::retry_after_ms(response.headers().get("retry-after").as_deref());
    let message = match response.json::<ErrorBody>().await {
        Ok(body) => body.error.message,
        Err(_) => format!("the server answered {status}"),
    };
    match status {
        429 | 503 => ApiError::Busy { retry_after },
        401 => ApiError::Unauthorized(message),
        // A gateway or a crashed process: as good as down.
        500..=599 => ApiError::Busy { retry_after },
        _ => ApiError::Refused { status, message },
    }
}

/// POSTs a JSON body and reads a JSON reply; any non-2xx answer becomes the matching `ApiError`. A reply cut off
/// mid-way counts as a network failure: for sync, the saves stay queued and are sent again (idempotent).
async fn post<B: serde::Serialize, R: for<'de> serde::Deserialize<'de>>(
    path: &str,
    token: Option<&str>,
    body: &B,
) -> Result<R, ApiError> {
    let mut request = Request::post(path);
    if let Some(token) = token {
        request = request.header("authorization", &format!("Bearer {token}"));
    }
    let response = request.json(body).map_err(|_| ApiError::Network)?.send().await.map_err(|_| ApiError::Network)?;
    if !response.ok() {
        return Err(refusal(response).await);
    }
    response.json().await.map_err(|_| ApiError::Network)
}

pub async fn login(code: &str) -> Result<LoginResponse, ApiError> {
    post("/api/v1/login", None, &LoginRequest { access_code: code.to_owned() }).await
}

/// Downloads a survey version and checks that its content hash is the version asked for.
pub async fn survey(url: &str, version: &str) -> Result<(ValidSurvey, String), ApiError> {
    let response = Request::get(url).send().await.map_err(|_| ApiError::Network)?;
    if !response.ok() {
        return Err(refusal(response).await);
    }
    let text = response.text().await.map_err(|_| ApiError::Network)?;
    let survey = ValidSurvey::parse_published(&text)
        .map_err(|e| ApiError::Refused { status: 200, message: format!("the survey file is damaged: {e:?}") })?;
    if survey.version() != version {
        return Err(ApiError::Refused { status: 200, message: "the survey file does not match its version".into() });
    }
    Ok((survey, text))
}

/// Sends one batch; the reply comes only after the server has committed what it stored.
pub async fn sync(token: &str, batch: &SyncBatch) -> Result<SyncReply, ApiError> {
    post("/api/v1/sync", Some(token), batch).await
}
