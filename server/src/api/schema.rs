//! What the OpenAPI document says of every error: the one JSON shape `http::error::ApiError` answers with (described
//! here, since `quire-shared` carries no OpenAPI derive), and the responses every token-authenticated operation may
//! give, added to each by `CommonErrors` so no route can leave them out. A route lists the errors of its own (400,
//! 404, 409, 413) in its `#[utoipa::path]`.

use serde::Serialize;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, OpenApi, Ref, ResponseBuilder};
use utoipa::{Modify, ToSchema};

/// Every error: `{"error": {"code", "message", "field"?}}`, and for a file with problems the list of them.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    pub error: ErrorDetail,
    /// Every problem of an uploaded survey or roster (400 `invalid_survey`, `invalid_roster`), or the rows of other
    /// schools in a coordinator's roster (403). Nothing was stored.
    pub errors: Option<Vec<Problem>>,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorDetail {
    /// Stable and machine-readable: `unauthorized`, `forbidden`, `not_found`, `conflict`, `invalid_field`,
    /// `invalid_survey`, `invalid_roster`, `malformed_json`, `unsupported_media_type`, `payload_too_large`,
    /// `too_many_requests`, `overloaded`, `unavailable`, `internal`…
    pub code: String,
    /// For a person to read.
    pub message: String,
    /// The field, header, JSON path or roster line the error is about, where there is one.
    pub field: Option<String>,
}

/// One problem of an uploaded file: a JSON path (survey) or a line and column (roster), and what is wrong there.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Problem {
    pub path: Option<String>,
    pub line: Option<u64>,
    pub column: Option<String>,
    pub message: String,
}

/// The name of the bearer scheme in the document (`security(("api_token" = []))` on each operation).
pub const BEARER: &str = "api_token";

/// The one operation without a token: the document.
pub const PUBLIC: &str = "/api/admin/openapi.json";

/// Adds the bearer scheme, and to every operation but the document's the errors any of them may give: 401 (missing,
/// malformed, unknown, revoked or expired token), 403 (read-only token writing, a token of one survey touching
/// another, a coordinator out of their school or surveys), 429 (too many failed tokens from this address), 500 and
/// 503 (the database busy or away).
pub struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("qat_…")
                    .description(Some("A per-person admin API token, made at /admin/tokens and shown once."))
                    .build(),
            ),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            // The document itself is public, and the only route without a token.
            if path == PUBLIC {
                continue;
            }
            let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                add_common(operation);
            }
        }
    }
}

fn error(description: &str) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
}

fn retry_after(response: ResponseBuilder, description: &str) -> ResponseBuilder {
    let header = HeaderBuilder::new()
        .schema(Some(utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::Integer)))
        .description(Some(description))
        .build();
    response.header("Retry-After", header)
}

fn add_common(operation: &mut Operation) {
    let responses = &mut operation.responses.responses;
    let mut add = |status: &str, response: ResponseBuilder| {
        responses.entry(status.to_owned()).or_insert_with(|| response.build().into());
    };
    add("401", error("No token, or a malformed, unknown, revoked or expired one (`unauthorized`)."));
    add(
        "403",
        error(
            "The token may not do this: it is read-only and this is a write, it is for another survey, or its owner \
             (a coordinator) may not act on this survey or school (`forbidden`).",
        ),
    );
    add(
        "429",
        retry_after(
            error("Too many failed token authentications from this address (`too_many_requests`)."),
            "seconds to wait",
        ),
    );
    add("500", error("An unexpected failure, logged on the server (`internal`)."));
    add(
        "503",
        retry_after(
            error("The database is busy or out of reach for a moment (`overloaded`, `unavailable`)."),
            "seconds to wait",
        ),
    );
}
