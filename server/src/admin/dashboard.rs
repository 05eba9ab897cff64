//! The completion dashboard: per survey (one row per school), then per school (one row per class).
//!
//! Reads only `group_progress`, the per-class aggregates that ingest and roster loads maintain in their own
//! transactions (see migrations/20261122000000_admin.sql and store.rs): a refresh reads one row per class instead of
//! counting respondents, so its cost grows with the number of classes, not of respondents, and it takes no lock
//! that ingest waits on. Reads go to `read_pool`, which may point at a replica (`QUIRE_READ_DATABASE_URL`).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Json;
use maud::html;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::OffsetDateTime;

use super::html::{self, url_param};
use super::rosters::survey_exists;
use super::session::Admin;
use crate::http::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct ProgressRow {
    /// A school (survey level), a class (school level) or a role (by role); `total` in the totals row.
    pub name: String,
    pub total: i64,
    pub not_started: i64,
    pub in_progress: i64,
    pub completed: i64,
    /// Completed / total, 0 to 1.
    pub rate: f64,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_activity: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Progress {
    pub survey_id: String,
    /// `None`: one row per school; `Some`: that school, one row per class.
    pub school: Option<String>,
    pub totals: ProgressRow,
    pub rows: Vec<ProgressRow>,
    /// Read from a replica (`QUIRE_READ_DATABASE_URL`): how far behind the primary it was, in seconds (0: caught
    /// up). `None`: read from the primary, so the figures are current.
    #[serde(default)]
    pub replica_lag_seconds: Option<f64>,
}

fn row(name: String, total: i64, started: i64, completed: i64, last: Option<OffsetDateTime>) -> ProgressRow {
    ProgressRow {
        name,
        total,
        not_started: (total - started).max(0),
        in_progress: (started - completed).max(0),
        completed,
        rate: if total > 0 { completed as f64 / total as f64 } else { 0.0 },
        last_activity: last,
    }
}

/// Survey level: one row per school, summed from its classes. (Public so the benchmark times exactly these.)
pub const SURVEY_SQL: &str =
    "select school, sum(total)::int8, sum(started)::int8, sum(completed)::int8, max(last_activity)
     from group_progress where survey_id = $1 group by school order by school";

/// School level: the school's classes as they are.
pub const SCHOOL_SQL: &str = "select class, total, started, completed, last_activity
     from group_progress where survey_id = $1 and school = $2 order by class";

/// How far behind the primary the server answering is: NULL on a primary, 0 on a replica that has replayed all it
/// received, else the age of the last transaction it replayed.
const LAG_SQL: &str = "select case
        when not pg_is_in_recovery() then null
        when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0
        else extract(epoch from now() - pg_last_xact_replay_timestamp())
    end::float8";

/// By role (the admin API's `by=role`), in all schools or one: counted from the respondents themselves, so it costs
/// a pass over the survey's roster rather than one row per class. For scripts, not for a page refreshed every 5 s.
pub const ROLE_SQL: &str =
    "select r.role, count(*)::int8, count(p.respondent_id)::int8, count(p.completed_at)::int8, max(p.last_activity)
     from respondents r left join respondent_progress p on p.respondent_id = r.id
     where r.survey_id = $1 and ($2::text is null or r.school = $2)
     group by r.role order by r.role";

/// What one row of progress counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum By {
    /// One row per school (the default without `school`).
    School,
    /// One row per class of `school` (the default with it; a coordinator's, always).
    Class,
    /// One row per role (student, teacher, parent), in `school` or all schools.
    Role,
}

/// The dashboard's query, a range of `group_progress`'s primary key, and the lag of the server that answered it (one
/// connection, so both come from the same server behind a load balancer).
pub async fn query(pool: &PgPool, survey_id: &str, school: Option<&str>) -> Result<Progress, sqlx::Error> {
    query_by(pool, survey_id, school, if school.is_some() { By::Class } else { By::School }).await
}

/// `query`, with rows of what `by` says: by class needs a school (without one it is by school).
pub async fn query_by(pool: &PgPool, survey_id: &str, school: Option<&str>, by: By) -> Result<Progress, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let rows: Vec<(String, i64, i64, i64, Option<OffsetDateTime>)> = match (by, school) {
        (By::Role, school) => sqlx::query_as(ROLE_SQL).bind(survey_id).bind(school).fetch_all(&mut *conn).await?,
        (By::School, None) | (By::Class, None) => {
            sqlx::query_as(SURVEY_SQL).bind(survey_id).fetch_all(&mut *conn).await?
        }
        (_, Some(school)) => sqlx::query_as(SCHOOL_SQL).bind(survey_id).bind(school).fetch_all(&mut *conn).await?,
    };
    let replica_lag_seconds: Option<f64> = sqlx::query_scalar(LAG_SQL).fetch_one(&mut *conn).await?;
    let (mut t, mut s, mut c, mut last) = (0, 0, 0, None);
    for r in &rows {
        (t, s, c) = (t + r.1, s + r.2, c + r.3);
        last = last.max(r.4);
    }
    Ok(Progress {
        survey_id: survey_id.to_owned(),
        school: school.map(str::to_owned),
        totals: row("total".into(), t, s, c, last),
        rows: rows.into_iter().map(|(n, t, s, c, l)| row(n, t, s, c, l)).collect(),
        replica_lag_seconds,
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SchoolQuery {
    /// One school (a coordinator gets their own whatever is asked).
    pub school: Option<String>,
}

/// The dashboard's view: a school (or all), and whether its rows are classes (schools) or roles.
#[derive(Deserialize)]
pub struct DashQuery {
    pub school: Option<String>,
    pub by: Option<By>,
}

impl DashQuery {
    /// The school this administrator may see, and what the rows count (by role, or the level's default).
    fn scope(self, admin: &Admin) -> Result<(Option<String>, By), ApiError> {
        let school = admin.scope_school(self.school)?;
        let by = match (self.by, &school) {
            // By role is counted from the respondents (no aggregate holds roles): one school's are a range of an
            // index, a state's are two million rows, too many for a page refreshed every 5 s (the admin API offers it).
            (Some(By::Role), None) => {
                let message = "by role needs a school: choose one, or use the admin API for every school";
                return Err(ApiError::bad_request("invalid_field", message, Some("by".into())));
            }
            (Some(By::Role), Some(_)) => By::Role,
            (_, Some(_)) => By::Class,
            (_, None) => By::School,
        };
        Ok((school, by))
    }
}

/// `GET /admin/surveys/{id}/progress?school=&by=` (JSON), polled by the dashboard page.
pub async fn progress(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<DashQuery>,
) -> Result<Json<Progress>, ApiError> {
    let (school, by) = q.scope(&admin)?;
    survey_exists(&state, &admin, &id).await?;
    Ok(Json(query_by(&state.read_pool, &id, school.as_deref(), by).await?))
}

/// `GET /admin/surveys/{id}/dashboard?school=&by=role`: the page; `admin.js` fills it from `progress` every 5 s.
pub async fn page(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<DashQuery>,
) -> Result<Response, ApiError> {
    let (school, by) = q.scope(&admin)?;
    survey_exists(&state, &admin, &id).await?;
    let eid = url_param(&id);
    let here = match &school {
        Some(s) => format!("school={}", url_param(s)),
        None => String::new(),
    };
    let role = if by == By::Role { "&by=role" } else { "" };
    let url = format!("/admin/surveys/{eid}/progress?{here}{role}");
    let title = match &school {
        Some(s) => format!("{id}: {s}"),
        None => format!("{id}: all schools"),
    };
    // An administrator looking at one school may go back to all; a coordinator has only theirs.
    let up = school.is_some() && admin.school.is_none();
    let drill = if school.is_none() && by != By::Role {
        format!("/admin/surveys/{eid}/dashboard?school=")
    } else {
        String::new()
    };
    // Rows lead to their people: a school's, a class's, or a role's in this school.
    let people = match (&school, by) {
        (None, By::Role) => String::new(),
        (None, _) => format!("/admin/surveys/{eid}/respondents?school="),
        (Some(_), By::Role) => format!("/admin/surveys/{eid}/respondents?{here}&role="),
        (Some(_), _) => format!("/admin/surveys/{eid}/respondents?{here}&class="),
    };
    let level = match (by, &school) {
        (By::Role, _) => "Role",
        (_, None) => "School",
        (_, Some(_)) => "Class",
    };
    let views = views(&eid, &here, by, school.is_some());
    let sorts = [
        ("name", level),
        ("total", "Respondents"),
        ("not_started", "Not started"),
        ("in_progress", "In progress"),
        ("completed", "Completed"),
        ("rate", "Completion"),
        ("last_activity", "Last activity"),
    ];
    let results = match &school {
        Some(s) => format!("/admin/surveys/{eid}/results?level=school&school={}", url_param(s)),
        None => format!("/admin/surveys/{eid}/results"),
    };
    let body = html! {
        @if up {
            p { a href={ "/admin/surveys/" (eid) "/dashboard" } { "All schools" } }
        }
        p { a href=(results) { "Results (answers, with small groups suppressed)" } }
        (views)
        div id="dashboard" data-url=(url) data-drill=(drill) data-people=(people) {
            p class="summary" aria-live="polite" { "Loading…" }
            div class="scroll" tabindex="0" role="region" aria-label="Progress table" {
                table class="list progress" {
                    caption class="visually-hidden" { "Progress by " (level.to_lowercase()) }
                    thead { tr {
                        @for (key, label) in sorts { th scope="col" { button data-sort=(key) { (label) } } }
                        @if !people.is_empty() { th scope="col" { "People" } }
                    } }
                    tbody {}
                }
            }
            p class="note" { "Refreshes every 5 seconds. " span class="updated" {} }
        }
    };
    Ok(html::page(&admin, &title, body))
}

/// Within a school, links between its views: by class (the default) or by role.
fn views(eid: &str, here: &str, by: By, in_school: bool) -> maud::Markup {
    let base = format!("/admin/surveys/{eid}/dashboard?{here}");
    html! {
        @if in_school {
            nav class="views" aria-label="Views" {
                @if by == By::Role { a href=(base) { "By class" } " · " strong aria-current="page" { "By role" } }
                @else { strong aria-current="page" { "By class" } " · " a href={ (base) "&by=role" } { "By role" } }
            }
        }
    }
}
