//! Exports: responses (one row per respondent, one column per question, latest active answers), the codebook that
//! explains the columns, and the quarantine of rejected saves. All streamed (see `csv_stream`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use futures_util::TryStreamExt;
use quire_shared::{active_answers, AllAnswers, AnswerValue, PageAnswers, QuestionKind, ValidSurvey};
use serde::Deserialize;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::audit;
use super::csv_stream::{stream_csv, FORMULA_NOTE};
use super::html::fmt_time;
use super::rosters::survey_exists;
use super::session::Admin;
use crate::http::error::ApiError;
use crate::state::AppState;

/// One column of the responses file: a question, or one statement of a Likert question.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub question: String,
    pub statement: Option<String>,
    pub page: String,
    pub page_number: usize,
}

/// The answer columns of a survey version, in page order.
pub fn columns(survey: &ValidSurvey) -> Vec<Column> {
    let mut out = Vec::new();
    for (n, page) in survey.survey().pages.iter().enumerate() {
        for q in &page.questions {
            let col = |name: String, statement: Option<String>| Column {
                name,
                question: q.id.clone(),
                statement,
                page: page.id.clone(),
                page_number: n + 1,
            };
            match &q.kind {
                QuestionKind::Likert { statements, .. } => {
                    out.extend(statements.iter().map(|s| col(format!("{}.{}", q.id, s.id), Some(s.id.clone()))))
                }
                _ => out.push(col(q.id.clone(), None)),
            }
        }
    }
    out
}

/// The cell of one column: codes for choices (`;`-separated for several), the text or number as given.
pub fn cell(column: &Column, answers: &BTreeMap<&str, &AnswerValue>) -> String {
    match (answers.get(column.question.as_str()), &column.statement) {
        (Some(AnswerValue::Matrix(m)), Some(s)) => m.get(s).cloned().unwrap_or_default(),
        (Some(AnswerValue::Choice(c)), None) => c.clone(),
        (Some(AnswerValue::Choices(cs)), None) => cs.join(";"),
        (Some(AnswerValue::Text(t)), None) => t.clone(),
        (Some(AnswerValue::Number(n)), None) => n.to_string(),
        _ => String::new(),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// One school's respondents (all schools without it).
    pub school: Option<String>,
    /// Columns of this version rather than the published one (responses and codebook).
    pub version: Option<String>,
}

async fn export_survey(
    state: &AppState,
    admin: &Admin,
    id: &str,
    version: Option<String>,
) -> Result<Arc<ValidSurvey>, ApiError> {
    survey_exists(state, admin, id).await?;
    let version = match version {
        Some(v) => v,
        None => {
            let row: Option<(Option<String>,)> = sqlx::query_as(
                "select coalesce(current_version, (select version from survey_versions v where v.survey_id = s.survey_id
                                                   order by created_at desc limit 1))
                 from surveys s where survey_id = $1",
            )
            .bind(id)
            .fetch_optional(&state.pool)
            .await?;
            row.and_then(|r| r.0).ok_or(ApiError::NotFound("the survey has no version"))?
        }
    };
    match state.surveys.get(&state.pool, &version).await? {
        Some(s) if s.survey().id == id => Ok(s),
        _ => Err(ApiError::NotFound("no such survey version")),
    }
}

const FIXED: [&str; 9] = [
    "respondent_id",
    "school",
    "class",
    "role",
    "external_id",
    "survey_version",
    "status",
    "last_activity",
    "completed_at",
];

type ExportRow = (
    Uuid,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
    Option<Json<BTreeMap<String, PageAnswers>>>,
);

/// `GET /admin/surveys/{id}/export.csv?school=&version=`: every respondent of the roster (those who have not started
/// too, with empty answers), ordered by school, class and external id.
pub async fn answers(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    admin.require_administrator()?;
    let school = q.school.filter(|s| !s.is_empty());
    let survey = export_survey(&state, &admin, &id, q.version).await?;
    audit::record(
        &state.pool,
        &admin,
        "export.responses",
        Some(&id),
        serde_json::json!({"school": school, "version": survey.version()}),
    )
    .await?;
    let pool = state.read_pool.clone();
    Ok(stream_csv(&format!("responses-{id}.csv"), move |mut sink| async move {
        let columns = columns(&survey);
        sink.write(FIXED.iter().copied().chain(columns.iter().map(|c| c.name.as_str())))?;
        let mut rows = sqlx::query_as::<_, ExportRow>(
            "select r.id, r.school, r.class, r.role, r.external_id, r.survey_version, p.last_activity, p.completed_at,
                    (select jsonb_object_agg(c.page_id, s.answers)
                     from current_answers c join page_saves s using (respondent_id, revision)
                     where c.respondent_id = r.id)
             from respondents r left join respondent_progress p on p.respondent_id = r.id
             where r.survey_id = $1 and ($2::text is null or r.school = $2)
             order by r.school, r.class, r.external_id",
        )
        .bind(&id)
        .bind(&school)
        .fetch(&pool);
        let mut record: Vec<String> = Vec::with_capacity(FIXED.len() + columns.len());
        while let Some((rid, school, class, role, ext, version, last, completed, pages)) = rows.try_next().await? {
            // Only active answers (`quire_shared::visibility`): an answer stored before a later change hid its
            // question or page is history, not a current answer. (The app re-saves such pages without it; this also
            // holds for data from older app versions.)
            let held: AllAnswers = pages.map(|p| p.0.into_iter().collect()).unwrap_or_default();
            let active = active_answers(&survey, &held);
            let by_question: BTreeMap<&str, &AnswerValue> =
                active.values().flat_map(|a| a.iter().map(|(q, v)| (q.as_str(), v))).collect();
            let status = match (last, completed) {
                (_, Some(_)) => "completed",
                (Some(_), None) => "in_progress",
                (None, None) => "not_started",
            };
            record.clear();
            record.extend([
                rid.to_string(),
                school,
                class,
                role,
                ext,
                version.unwrap_or_default(),
                status.to_owned(),
                fmt_time(last),
                fmt_time(completed),
            ]);
            record.extend(columns.iter().map(|c| cell(c, &by_question)));
            sink.write(&record)?;
            sink.flush_if_full().await?;
        }
        sink.finish().await
    }))
}

/// `GET /admin/surveys/{id}/codebook.csv?version=`: one row per column of the responses file.
pub async fn codebook(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    admin.require_administrator()?;
    let survey = export_survey(&state, &admin, &id, q.version).await?;
    Ok(stream_csv(&format!("codebook-{id}.csv"), move |mut sink| async move {
        let s = survey.survey();
        let lang = s.default_language.as_str();
        sink.write(["column", "question_id", "page_id", "page_number", "text", "kind", "required", "choices"])?;
        for c in columns(&survey) {
            let Some(q) = survey.question(&c.question) else { continue };
            let mut text = q.text.get(lang, lang).to_owned();
            let choices = match &q.kind {
                QuestionKind::Likert { scale, statements } => {
                    if let Some(st) = statements.iter().find(|st| Some(&st.id) == c.statement.as_ref()) {
                        text = format!("{text} — {}", st.text.get(lang, lang));
                    }
                    codes(scale, lang)
                }
                QuestionKind::FreeText { .. } => format!("free text; {FORMULA_NOTE}"),
                kind => kind.codes().map(|cs| codes(cs, lang)).unwrap_or_default(),
            };
            sink.write([
                c.name.as_str(),
                &c.question,
                &c.page,
                &c.page_number.to_string(),
                &text,
                q.kind.name(),
                if q.required { "yes" } else { "no" },
                &choices,
            ])?;
        }
        sink.finish().await
    }))
}

fn codes(choices: &[quire_shared::Choice], lang: &str) -> String {
    choices.iter().map(|c| format!("{}={}", c.code, c.label.get(lang, lang))).collect::<Vec<_>>().join(" | ")
}

/// `GET /admin/surveys/{id}/quarantine.csv?school=`: saves the server refused, exactly as sent, with the reasons.
pub async fn quarantine(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<ExportQuery>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_and_cells_follow_the_survey() {
        let survey = ValidSurvey::parse(include_str!("../../../shared/fixtures/school-climate.json")).unwrap();
        let cols = columns(&survey);
        let likert = survey
            .survey()
            .pages
            .iter()
            .flat_map(|p| &p.questions)
            .find(|q| matches!(q.kind, QuestionKind::Likert { .. }))
            .map(|q| q.id.clone())
            .unwrap_or_default();
        assert!(cols.iter().any(|c| c.name.starts_with(&format!("{likert}.")) && c.statement.is_some()));
        let names: std::collections::HashSet<&str> = cols.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names.len(), cols.len(), "column names are unique");

        let m = AnswerValue::Matrix(BTreeMap::from([("s1".to_owned(), "4".to_owned())]));
        let cs = AnswerValue::Choices(vec!["a".into(), "b".into()]);
        let answers = BTreeMap::from([("q", &m), ("r", &cs)]);
        let col = |q: &str, s: Option<&str>| Column {
            name: String::new(),
            question: q.into(),
            statement: s.map(Into::into),
            page: String::new(),
            page_number: 1,
        };
        assert_eq!(cell(&col("q", Some("s1")), &answers), "4");
        assert_eq!(cell(&col("q", Some("s2")), &answers), "");
        assert_eq!(cell(&col("r", None), &answers), "a;b");
        assert_eq!(cell(&col("missing", None), &answers), "");
        let formula = AnswerValue::Text("=HYPERLINK(\"http://x\")".into());
        let plain = AnswerValue::Text("fine - thanks".into());
        let answers = BTreeMap::from([("f", &formula), ("p", &plain)]);
        // Defused when written (csv_stream::defused), like every cell.
        assert_eq!(cell(&col("f", None), &answers), "=HYPERLINK(\"http://x\")");
        assert_eq!(cell(&col("p", None), &answers), "fine - thanks");
    }
}
