//! The quarantine of refused saves, exactly as sent, with the reasons: streamed as CSV, or a page at a time as JSON.
//! (The responses and their codebook are the analysis bundle's: `admin::analysis`.)

use axum::extract::{Path, Query, State};
use axum::response::Response;
use futures_util::TryStreamExt;
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::audit;
use super::csv_stream::stream_csv;
use super::html::fmt_time;
use super::rosters::survey_exists;
use super::session::Admin;
use crate::http::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuarantineCsvQuery {
    /// One school's saves (all schools without it).
    pub school: Option<String>,
}

/// `GET /admin/surveys/{id}/quarantine.csv?school=`: saves the server refused, exactly as sent, with the reasons.
pub async fn quarantine(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<QuarantineCsvQuery>,
) -> Result<Response, ApiError> {
    admin.require_administrator()?;
    survey_exists(&state, &admin, &id).await?;
    let school = q.school.filter(|s| !s.is_empty());
    audit::record(&state.pool, &admin, "export.quarantine", Some(&id), serde_json::json!({"school": school})).await?;
    let pool = state.read_pool.clone();
    Ok(stream_csv(&format!("quarantine-{id}.csv"), move |mut sink| async move {
        sink.write(["id", "respondent_id", "school", "class", "external_id", "received_at", "errors", "payload"])?;
        let mut rows = sqlx::query_as::<_, QuarantineRow>(QUARANTINE_SQL)
            .bind(&id)
            .bind(&school)
            .bind(0_i64)
            .bind(None::<i64>)
            .fetch(&pool);
        while let Some((qid, rid, school, class, ext, at, errors, payload)) = rows.try_next().await? {
            sink.write([
                qid.to_string(),
                rid.to_string(),
                school,
                class,
                ext,
                fmt_time(Some(at)),
                errors.to_string(),
                payload.to_string(),
            ])?;
            sink.flush_if_full().await?;
        }
        sink.finish().await
    }))
}

type QuarantineRow = (i64, Uuid, String, String, String, OffsetDateTime, serde_json::Value, serde_json::Value);

/// Quarantined saves of a survey (`$2`: one school or all), after id `$3`, at most `$4` (null: all).
const QUARANTINE_SQL: &str =
    "select q.id, q.respondent_id, r.school, r.class, r.external_id, q.received_at, q.errors, q.payload
     from quarantine q join respondents r on r.id = q.respondent_id
     where r.survey_id = $1 and ($2::text is null or r.school = $2) and q.id > $3
     order by q.id limit $4";

/// A save the server refused, exactly as sent, with the reasons.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct QuarantinedSave {
    /// Increasing: pass the last one seen as `after` for the next page.
    pub id: i64,
    pub respondent_id: Uuid,
    pub school: String,
    pub class: String,
    pub external_id: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub received_at: OffsetDateTime,
    /// Why it was refused: each problem's field and message.
    #[schema(value_type = Vec<Object>)]
    pub errors: serde_json::Value,
    /// The save as it arrived.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

/// One page of a survey's quarantine, oldest first (what `quarantine` streams, `limit` at a time).
pub async fn quarantine_page(
    pool: &sqlx::PgPool,
    id: &str,
    school: Option<&str>,
    after: i64,
    limit: i64,
) -> Result<Vec<QuarantinedSave>, sqlx::Error> {
    let rows: Vec<QuarantineRow> =
        sqlx::query_as(QUARANTINE_SQL).bind(id).bind(school).bind(after).bind(limit).fetch_all(pool).await?;
    Ok(rows
        .into_iter()
        .map(|(id, respondent_id, school, class, external_id, received_at, errors, payload)| QuarantinedSave {
            id,
            respondent_id,
            school,
            class,
            external_id,
            received_at,
            errors,
            payload,
        })
        .collect())
}
