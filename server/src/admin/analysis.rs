//! `GET /admin/surveys/{id}/analysis/{file}`: the analysis bundle (`crate::analysis`) as one zip or file by file.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::audit;
use super::csv_stream::stream_bytes;
use super::rosters::survey_exists;
use super::session::Admin;
use crate::analysis::bundle::{self, Choice, File};
use crate::analysis::layout::{self, Layout, Options};
use crate::analysis::{read, xlsx};
use crate::http::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BundleQuery {
    /// One school's respondents (all without it).
    pub school: Option<String>,
    /// Language of the labels in the scripts, the codebook's order aside (default: the survey's).
    pub lang: Option<String>,
    /// `1`: data.csv starts with a byte-order mark (for Excel).
    pub bom: Option<String>,
    /// `1`: a multiple choice also gets a column of its chosen codes, `;` between.
    pub joined: Option<String>,
}

fn flag(value: Option<&str>, field: &str) -> Result<bool, ApiError> {
    match value {
        None | Some("" | "0" | "false") => Ok(false),
        Some("1" | "true") => Ok(true),
        Some(other) => Err(ApiError::bad_request(
            "invalid_query",
            format!("{field} must be 1 or 0, not {other:?}"),
            Some(field.to_owned()),
        )),
    }
}

/// The layout of every version of a survey the administrator may export.
pub async fn survey_layout(state: &AppState, admin: &Admin, id: &str, joined: bool) -> Result<Layout, ApiError> {
    admin.require_administrator()?;
    survey_exists(state, admin, id).await?;
    let versions = read::versions(&state.read_pool, &state.surveys, id).await?;
    if versions.is_empty() {
        return Err(ApiError::NotFound("the survey has no version"));
    }
    Ok(layout::build(versions, Options { joined }))
}

pub async fn download(
    State(state): State<AppState>,
    admin: Admin,
    Path((id, name)): Path<(String, String)>,
    Query(q): Query<BundleQuery>,
) -> Result<Response, ApiError> {
    let file = File::parse(&name).ok_or(ApiError::NotFound(
        "no such file in the bundle: bundle.zip, data.csv, codebook.csv, codebook.html, data.sps, data.do, data.R, \
         data.xlsx, data.dta, README.txt",
    ))?;
    let layout = survey_layout(&state, &admin, &id, flag(q.joined.as_deref(), "joined")?).await?;
    let lang = q.lang.filter(|l| !l.is_empty()).unwrap_or_else(|| layout.default_language.clone());
    if !layout.languages.contains(&lang) {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("lang must be one of the survey's languages: {}", layout.languages.join(", ")),
            Some("lang".into()),
        ));
    }
    let choice = Choice { school: q.school.filter(|s| !s.is_empty()), lang, bom: flag(q.bom.as_deref(), "bom")? };
    audit::record(
        &state.pool,
        &admin,
        "export.analysis",
        Some(&id),
        serde_json::json!({"file": file.name(), "school": choice.school, "lang": choice.lang}),
    )
    .await?;
    let filename = format!("{id}-{}", file.name());
    if let Some(bytes) = bundle::small_file(&layout, file, &choice)? {
        return Ok(attachment(&filename, file.content_type(), bytes));
    }
    let pool = state.read_pool.clone();
    let layout = Arc::new(layout);
    Ok(match file {
        File::Xlsx => {
            let rows = bundle::all_rows(&pool, &layout, choice.school.as_deref()).await?.ok_or_else(|| {
                ApiError::bad_request(
                    "too_large",
                    format!(
                        "data.xlsx holds at most {} cells; download data.csv or the bundle, or choose one school",
                        xlsx::MAX_CELLS
                    ),
                    Some("school".into()),
                )
            })?;
            let bytes = xlsx::workbook(&layout, &rows).map_err(|e| anyhow::anyhow!("xlsx: {e}"))?;
            attachment(&filename, file.content_type(), bytes)
        }
        File::Zip => stream_bytes(&filename, file.content_type(), move |out| bundle::zip(pool, layout, choice, out)),
        File::Dta => {
            stream_bytes(&filename, file.content_type(), move |out| bundle::data_dta(pool, layout, choice, out))
        }
        _ => stream_bytes(&filename, file.content_type(), move |out| bundle::data_csv(pool, layout, choice, out)),
    })
}

fn attachment(filename: &str, content_type: &'static str, bytes: Vec<u8>) -> Response {
    (
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /admin/surveys/{id}/export.csv`: the responses, which are the bundle's data.csv (the address kept for links and
/// scripts made before the bundle).
pub async fn responses(
    state: State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    query: Query<BundleQuery>,
) -> Result<Response, ApiError> {
    download(state, admin, Path((id, File::Data.name().to_owned())), query).await
}

/// `GET /admin/surveys/{id}/codebook.csv`: the bundle's codebook.
pub async fn codebook(
    state: State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    query: Query<BundleQuery>,
) -> Result<Response, ApiError> {
    download(state, admin, Path((id, File::CodebookCsv.name().to_owned())), query).await
}
