//! `GET /admin/surveys/{id}/results?level=&district=&school=&class=&role=`: the counts of each answer, as a page
//! (`results_page`, which calls `load`), JSON (`results.json`) and CSV (`results.csv`), all three from one `load`, so they show the same
//! numbers. Administrators see every level; a coordinator their school and its classes. The per-survey settings
//! (`POST …/results/settings`) are the administrators'.

use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use time::OffsetDateTime;

use super::audit;
use super::csv_stream::defused;
use super::rosters::survey_exists;
use super::session::Admin;
use crate::analysis::read;
use crate::http::error::ApiError;
use crate::results::cache;
use crate::results::tables::ROLES;
use crate::results::tables::{tables, Table};
use crate::results::view::{self, Level, Results, Settings};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResultsQuery {
    /// survey, district, school or class (default: the finest the other fields name).
    pub level: Option<String>,
    pub district: Option<String>,
    /// A coordinator gets their own whatever is asked.
    pub school: Option<String>,
    pub class: Option<String>,
    /// all (default), student, teacher or parent.
    pub role: Option<String>,
}

/// What one view needs, for the page, the JSON and the CSV.
pub struct Loaded {
    pub survey_id: String,
    pub settings: Settings,
    pub tables: Vec<Table>,
    pub results: Results,
    pub level: Level,
    /// 0: all roles, else 1 + index in `ROLES`.
    pub role: usize,
    /// The oldest school count the view sums (`None`: no school yet).
    pub computed_at: Option<OffsetDateTime>,
}

fn bad(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_query", message, Some(field.to_owned()))
}

fn given(value: &Option<String>) -> Option<String> {
    value.clone().filter(|s| !s.is_empty())
}

/// The level and role a query asks for, within what `admin` may see.
pub fn parse(admin: &Admin, q: &ResultsQuery) -> Result<(Level, usize), ApiError> {
    let school = admin.scope_school(given(&q.school))?;
    let (district, class) = (given(&q.district), given(&q.class));
    let asked = q.level.as_deref().filter(|l| !l.is_empty());
    let level = asked.unwrap_or(if class.is_some() {
        "class"
    } else if school.is_some() {
        "school"
    } else if district.is_some() {
        "district"
    } else {
        "survey"
    });
    let need =
        |value: Option<String>, field: &str| value.ok_or_else(|| bad(field, format!("level {level} needs {field}")));
    let level = match level {
        "survey" | "district" if admin.school.is_some() => {
            return Err(ApiError::Forbidden("a school coordinator sees only their own school"))
        }
        "survey" => Level::Survey,
        "district" => Level::District(need(district, "district")?),
        "school" => Level::School(need(school, "school")?),
        "class" => Level::Class(need(school, "school")?, need(class, "class")?),
        other => return Err(bad("level", format!("level must be survey, district, school or class, not {other:?}"))),
    };
    let role = match q.role.as_deref() {
        None | Some("" | "all") => 0,
        Some(r) => {
            1 + ROLES
                .iter()
                .position(|x| *x == r)
                .ok_or_else(|| bad("role", format!("role must be all, student, teacher or parent, not {r:?}")))?
        }
    };
    Ok((level, role))
}

/// The survey's results settings.
pub async fn settings(state: &AppState, id: &str) -> Result<Settings, ApiError> {
    let (min_cell, rate): (i32, f32) =
        sqlx::query_as("select min_cell, min_response_rate from surveys where survey_id = $1")
            .bind(id)
            .fetch_optional(&state.pool)
            .await?
            .ok_or(ApiError::NotFound("no such survey"))?;
    Ok(Settings { min_cell: min_cell.max(1) as u64, min_response_rate: f64::from(rate) })
}

pub async fn load(state: &AppState, admin: &Admin, id: &str, q: &ResultsQuery) -> Result<Loaded, ApiError> {
    let (level, role) = parse(admin, q)?;
    survey_exists(state, admin, id).await?;
    let settings = settings(state, id).await?;
    let versions = read::versions(&state.pool, &state.surveys, id).await?;
    let newest = versions.last().ok_or(ApiError::NotFound("the survey has no version"))?;
    let tables = tables(newest, &newest.survey().default_language);
    let min = settings.min_cell;
    let (results, computed_at) = match &level {
        Level::School(s) | Level::Class(s, _) => {
            let schools = cache::schools(&state.pool, id, Some(s), &versions, &tables, min).await?;
            let Some(school) = schools.first() else { return Err(ApiError::NotFound("no such school in this survey")) };
            (view::school(school, &tables, settings, &level, role), Some(school.computed_at))
        }
        _ => {
            let schools = cache::schools(&state.pool, id, None, &versions, &tables, min).await?;
            let at = schools.iter().map(|s| s.computed_at).min();
            (view::upper(&schools, &tables, settings, &level, role), at)
        }
    };
    let exists =
        results.found || matches!(&level, Level::School(_) | Level::Class(..)) && !results.unreported.is_empty();
    if !exists {
        return Err(ApiError::NotFound("no such district, school or class in this survey"));
    }
    Ok(Loaded { survey_id: id.to_owned(), settings, tables, results, level, role, computed_at })
}

/// `GET /admin/surveys/{id}/results.json`: the same numbers for scripts and tests (`null`: suppressed).
pub async fn json(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<ResultsQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let l = load(&state, &admin, &id, &q).await?;
    let tables: Vec<serde_json::Value> = l
        .tables
        .iter()
        .zip(&l.results.tables)
        .map(|(t, c)| {
            serde_json::json!({"question": t.question, "statement": t.statement, "kind": t.kind,
                "options": t.labels.iter().zip(&c.options).map(|(label, n)| serde_json::json!({"label": label, "count": n})).collect::<Vec<_>>(),
                "answered": c.answered})
        })
        .collect();
    Ok(Json(serde_json::json!({
        "survey_id": l.survey_id, "role": role_name(l.role), "respondents": l.results.respondents,
        "min_cell": l.settings.min_cell, "min_response_rate": l.settings.min_response_rate,
        "children": l.results.children.iter().map(|c| serde_json::json!({"name": c.name, "respondents": c.respondents})).collect::<Vec<_>>(),
        "unreported": l.results.unreported.iter().map(|u| u.school.clone()).collect::<Vec<_>>(),
        "tables": tables,
    })))
}

pub fn role_name(role: usize) -> &'static str {
    role.checked_sub(1).and_then(|r| ROLES.get(r)).copied().unwrap_or("all")
}

/// `GET /admin/surveys/{id}/results.csv`: the page's numbers, one row per answer (`suppressed` where the page
/// shows none), every cell defused against spreadsheet formulas.
pub async fn csv(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<ResultsQuery>,
) -> Result<Response, ApiError> {
    let l = load(&state, &admin, &id, &q).await?;
    audit::record(
        &state.pool,
        &admin,
        "export.results",
        Some(&id),
        serde_json::json!({"view": format!("{:?}", l.level), "role": role_name(l.role)}),
    )
    .await?;
    let bytes = csv_bytes(&l).map_err(|e| anyhow::anyhow!("csv: {e}"))?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, "attachment; filename=\"results.csv\"".to_owned()),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

pub fn cell(n: Option<u64>) -> String {
    n.map_or_else(|| "suppressed".to_owned(), |n| n.to_string())
}

/// The share of `n` among `answered`, in percent with one decimal, when both are shown.
pub fn share(n: Option<u64>, answered: Option<u64>) -> Option<f64> {
    match (n, answered) {
        (Some(n), Some(a)) if a > 0 => Some((n as f64 * 1000.0 / a as f64).round() / 10.0),
        _ => None,
    }
}

fn csv_bytes(l: &Loaded) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "level",
        "district",
        "school",
        "class",
        "role",
        "respondents",
        "question",
        "statement",
        "answer",
        "count",
        "share_percent",
        "answered",
    ])?;
    let (kind, district, school, class) = match &l.level {
        Level::Survey => ("survey", "", "", ""),
        Level::District(d) => ("district", d.as_str(), "", ""),
        Level::School(s) => ("school", "", s.as_str(), ""),
        Level::Class(s, c) => ("class", "", s.as_str(), c.as_str()),
    };
    let respondents = cell(l.results.respondents);
    for (t, c) in l.tables.iter().zip(&l.results.tables) {
        let statement = t.statement.as_deref().unwrap_or("");
        let answered = cell(c.answered);
        let base = [kind, district, school, class, role_name(l.role), &respondents, &t.question, statement];
        if t.labels.is_empty() {
            let row = base.iter().copied().chain(["(answered)", &answered, "", &answered]);
            w.write_record(row.map(|s| defused(s).into_owned()))?;
        }
        for (label, n) in t.labels.iter().zip(&c.options) {
            let (count, share) = (cell(*n), share(*n, c.answered).map(|s| format!("{s:.1}")).unwrap_or_default());
            let row = base.iter().copied().chain([label.as_str(), &count, &share, &answered]);
            w.write_record(row.map(|s| defused(s).into_owned()))?;
        }
    }
    w.into_inner().map_err(|e| e.into_error().into())
}
