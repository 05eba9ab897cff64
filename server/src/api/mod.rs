//! The admin API, `/api/admin/v1/`: everything the admin pages do, for scripts, with a per-person bearer token
//! (`auth`; made at /admin/tokens). Handlers are thin: the work is the admin module's, shared with the pages, so a
//! coordinator's token is held exactly where their session is.
//!
//! Its OpenAPI 3.1 document is generated from the handlers (`#[utoipa::path]`, collected by utoipa-axum's
//! `routes!`, so a route cannot be served without being described) and served at `GET /api/admin/openapi.json`
//! without a token. Every operation carries the errors of `schema::CommonErrors` besides its own.

pub mod auth;
pub mod people;
pub mod reports;
pub mod rosters;
pub mod schema;
pub mod surveys;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::{Extension, Json, Router};
use serde::Serialize;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use self::auth::ApiAdmin;
use self::schema::CommonErrors;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Quire admin API", description = "Surveys, rosters, progress, quarantine, exports, people and the \
        audit log, for scripts. \
        Authenticate with `Authorization: Bearer <token>` (a token made at /admin/tokens)."),
    components(schemas(schema::ErrorBody)),
    tags((name = "surveys"), (name = "rosters"), (name = "progress"), (name = "quarantine"), (name = "exports"),
         (name = "tokens"), (name = "people"))
)]
struct ApiDoc;

/// The admin API's routes and their OpenAPI document.
pub fn router() -> Router<AppState> {
    let (router, mut doc) = open_router().split_for_parts();
    // After the routes are in: a modifier of the derive would run on a document without them.
    CommonErrors.modify(&mut doc);
    let json: Arc<str> = doc.to_pretty_json().unwrap_or_default().into();
    // Uploads read their bodies with their own limits (`admin::upload`), as on the pages.
    router.layer(Extension(OpenApiJson(json))).layer(DefaultBodyLimit::disable())
}

/// Every route, described.
pub fn open_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(openapi_json))
        .routes(routes!(token))
        .routes(routes!(surveys::list, surveys::upload))
        .routes(routes!(surveys::validate))
        .routes(routes!(surveys::versions))
        .routes(routes!(surveys::publish))
        .routes(routes!(rosters::upload))
        .routes(routes!(rosters::codes))
        .routes(routes!(reports::progress))
        .routes(routes!(reports::quarantine))
        .routes(routes!(reports::quarantine_csv))
        .routes(routes!(reports::responses))
        .routes(routes!(reports::codebook))
        .routes(routes!(reports::analysis_file))
        .routes(routes!(people::list, people::create))
        .routes(routes!(people::disable))
        .routes(routes!(people::enable))
        .routes(routes!(people::reset_password))
        .routes(routes!(people::access))
        .routes(routes!(people::audit))
        .routes(routes!(people::audit_csv))
}

/// The document, rendered once when the router is built.
#[derive(Clone)]
struct OpenApiJson(Arc<str>);

/// This document. Public: it holds no data.
#[utoipa::path(get, path = "/api/admin/openapi.json", tag = "tokens", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document of the admin API", body = Object)))]
async fn openapi_json(Extension(OpenApiJson(json)): Extension<OpenApiJson>) -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], json.to_string())
}

/// The token a request came with, as the server sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenInfo {
    /// The account it acts as.
    pub email: String,
    /// `administrator` or `coordinator`.
    pub role: String,
    /// A coordinator's school.
    pub school: Option<String>,
    /// The surveys a coordinator was granted (empty for an administrator, who has all).
    pub surveys: Vec<String>,
    pub read_only: bool,
    /// The one survey the token may touch (`null`: all its owner may).
    pub survey_id: Option<String>,
}

/// Who the token acts as, and what it may do: a script's first check.
#[utoipa::path(get, path = "/api/admin/v1/token", tag = "tokens", security(("api_token" = [])),
    responses((status = 200, description = "The token's owner and scope", body = TokenInfo)))]
async fn token(api: ApiAdmin) -> Json<TokenInfo> {
    Json(TokenInfo {
        email: api.admin.email,
        role: api.admin.role.as_str().to_owned(),
        school: api.admin.school,
        surveys: api.admin.surveys,
        read_only: api.read_only,
        survey_id: api.survey_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_and_every_operation_needs_a_token_but_its_own() {
        let (_, mut doc) = open_router().split_for_parts();
        CommonErrors.modify(&mut doc);
        let json = serde_json::to_value(&doc).unwrap_or_default();
        if std::env::var_os("PRINT_OPENAPI").is_some() {
            println!("{}", serde_json::to_string_pretty(&json).unwrap_or_default());
        }
        assert_eq!(json["openapi"], "3.1.0");
        let paths = json["paths"].as_object().cloned().unwrap_or_default();
        assert!(paths.len() >= 12, "{}", paths.len());
        for (path, item) in paths {
            for (method, op) in item.as_object().cloned().unwrap_or_default() {
                let public = path == schema::PUBLIC;
                assert_eq!(op["security"] == serde_json::json!([{"api_token": []}]), !public, "{method} {path}");
                assert_eq!(op["responses"]["401"].is_object(), !public, "{method} {path}");
            }
        }
    }
}
