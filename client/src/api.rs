//! Calls to the ingest API and the survey download, through the shared protocol types.

use gloo_net::http::Request;
use quire_shared::{ErrorBody, LoginRequest, LoginResponse, ValidSurvey};

/// Signs in and downloads the respondent's survey version; the message is for the respondent.
pub async fn sign_in(code: &str) -> Result<(LoginResponse, ValidSurvey), String> {
    let response = Request::post("/api/v1/login")
        .json(&LoginRequest { access_code: code.to_owned() })
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|_| "The server cannot be reached. Check the connection and try again.".to_owned())?;
    if !response.ok() {
        let body: Result<ErrorBody, _> = response.json().await;
        return Err(body.map(|b| b.error.message).unwrap_or_else(|_| "Sign-in failed.".to_owned()));
    }
    let login: LoginResponse = response.json().await.map_err(|e| e.to_string())?;
    let text = Request::get(&login.survey_url)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    let survey = ValidSurvey::parse(&text).map_err(|e| format!("The survey file is damaged: {e:?}"))?;
    if survey.version() != login.survey_version {
        return Err("The survey file does not match its version.".to_owned());
    }
    Ok((login, survey))
}
