//! Progress down to the person: who in a school (or one of its classes) has not started, who stopped where, and who
//! finished; as a page, as CSV, and as the selection that reminder slips are printed for (`slips`).
//!
//! Always one school: a list of a state's two million people helps nobody, and one school's people are a range of
//! the `respondents_school_class` index. A coordinator gets their own school whatever is asked.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{html, Markup};
use quire_shared::ValidSurvey;
use serde::Deserialize;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use super::audit;
use super::csv_stream::stream_csv;
use super::html::{self, fmt_time, url_param};
use super::rosters::survey_exists;
use super::session::Admin;
use crate::http::error::ApiError;
use crate::respondent::surveys::SurveyStore;
use crate::state::AppState;

/// Most people a page lists; the CSV has everyone.
const PAGE_ROWS: usize = 2_000;

/// Where a respondent stands: no save yet, saves but no finish, finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    NotStarted,
    InProgress,
    Completed,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::NotStarted, Status::InProgress, Status::Completed];

    pub fn parse(s: &str) -> Result<Status, ApiError> {
        Status::ALL.into_iter().find(|st| st.key() == s).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_field",
                "status must be not_started, in_progress or completed",
                Some("status".into()),
            )
        })
    }

    pub fn key(self) -> &'static str {
        match self {
            Status::NotStarted => "not_started",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::NotStarted => "Not started",
            Status::InProgress => "In progress",
            Status::Completed => "Completed",
        }
    }
}

/// The filters of a list: one school (required of an administrator), and optionally a class, a role, a status.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub school: Option<String>,
    pub class: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
}

/// A checked `ListQuery`: the school this administrator may see, and the rest as given.
#[derive(Debug, Clone)]
pub struct Filter {
    pub school: String,
    pub class: Option<String>,
    pub role: Option<String>,
    pub status: Option<Status>,
}

impl Filter {
    pub fn new(admin: &Admin, q: ListQuery) -> Result<Filter, ApiError> {
        let nonempty = |s: Option<String>| s.filter(|s| !s.is_empty());
        let Some(school) = admin.scope_school(q.school)? else {
            return Err(ApiError::bad_request("invalid_field", "choose a school", Some("school".into())));
        };
        let role = nonempty(q.role);
        if let Some(r) = &role {
            if !["student", "teacher", "parent"].contains(&r.as_str()) {
                let message = "role must be student, teacher or parent";
                return Err(ApiError::bad_request("invalid_field", message, Some("role".into())));
            }
        }
        let status = nonempty(q.status).map(|s| Status::parse(&s)).transpose()?;
        Ok(Filter { school, class: nonempty(q.class), role, status })
    }

    /// The same filter as URL parameters, for links to the CSV and to slips.
    pub fn params(&self) -> String {
        let mut out = format!("school={}", url_param(&self.school));
        for (key, value) in [("class", self.class.as_deref()), ("role", self.role.as_deref())] {
            if let Some(v) = value {
                out.push_str(&format!("&{key}={}", url_param(v)));
            }
        }
        if let Some(s) = self.status {
            out.push_str(&format!("&status={}", s.key()));
        }
        out
    }

    fn params_with_status(&self, status: Status) -> String {
        Filter { status: Some(status), ..self.clone() }.params()
    }
}

/// One person in a list, with where they stand.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Person {
    pub id: Uuid,
    pub school: String,
    pub class: String,
    pub role: String,
    pub external_id: String,
    pub name: Option<String>,
    pub language: Option<String>,
    pub access_code: String,
    pub survey_version: Option<String>,
    pub last_page: Option<String>,
    pub last_activity: Option<OffsetDateTime>,
    pub completed_at: Option<OffsetDateTime>,
}

impl Person {
    pub fn status(&self) -> Status {
        match (&self.last_page, self.completed_at) {
            (None, _) => Status::NotStarted,
            (Some(_), None) => Status::InProgress,
            (Some(_), Some(_)) => Status::Completed,
        }
    }

    /// What a list shows of them: the name, else the roster's id.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.external_id)
    }
}

/// One school's people (a class, a role, a status), in class, role, name order. Public so the dashboard benchmark
/// times exactly this.
pub const LIST_SQL: &str = "select r.id, r.school, r.class, r.role, r.external_id, r.name, r.language, r.access_code,
            r.survey_version, p.last_page, p.last_activity, p.completed_at
     from respondents r left join respondent_progress p on p.respondent_id = r.id
     where r.survey_id = $1 and r.school = $2 and ($3::text is null or r.class = $3)
       and ($4::text is null or r.role = $4)
       and ($5::text is null or $5 = case when p.respondent_id is null then 'not_started'
                                          when p.completed_at is null then 'in_progress' else 'completed' end)
     order by r.class, r.role, r.name nulls last, r.external_id";

pub async fn list(pool: &PgPool, survey_id: &str, f: &Filter) -> Result<Vec<Person>, sqlx::Error> {
    sqlx::query_as(LIST_SQL)
        .bind(survey_id)
        .bind(&f.school)
        .bind(&f.class)
        .bind(&f.role)
        .bind(f.status.map(Status::key))
        .fetch_all(pool)
        .await
}

/// "12 of 60: School safety": the last page a person saved, by number and title in their own version of the survey.
pub struct PageNames(HashMap<String, Arc<ValidSurvey>>);

impl PageNames {
    pub async fn load(store: &SurveyStore, pool: &PgPool, people: &[Person]) -> Result<PageNames, ApiError> {
        let mut versions = HashMap::new();
        for v in people.iter().filter_map(|p| p.survey_version.as_deref()) {
            if !versions.contains_key(v) {
                if let Some(s) = store.get(pool, v).await.map_err(ApiError::Internal)? {
                    versions.insert(v.to_owned(), s);
                }
            }
        }
        Ok(PageNames(versions))
    }

    pub fn of(&self, p: &Person) -> String {
        let (Some(page), Some(survey)) = (&p.last_page, p.survey_version.as_ref().and_then(|v| self.0.get(v))) else {
            return String::new();
        };
        let s = survey.survey();
        match survey.page_index(page) {
            Some(i) => format!("{} of {}: {}", i + 1, s.pages.len(), s.pages[i].title.get(&s.default_language, "")),
            None => page.clone(),
        }
    }
}

/// The people a request's filter names, once the administrator may see them, with their last pages' names.
async fn listed(
    state: &AppState,
    admin: &Admin,
    id: &str,
    q: ListQuery,
) -> Result<(Filter, Vec<Person>, PageNames), ApiError> {
    let filter = Filter::new(admin, q)?;
    survey_exists(state, admin, id).await?;
    let people = list(&state.read_pool, id, &filter).await?;
    let pages = PageNames::load(&state.surveys, &state.pool, &people).await?;
    Ok((filter, people, pages))
}

/// `GET /admin/surveys/{id}/respondents?school=&class=&role=&status=`: the list, with boxes to pick people for
/// reminder slips.
pub async fn page(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let (filter, people, pages) = listed(&state, &admin, &id, q).await?;
    let title = format!("{id}: people of {}", filter.school);
    Ok(html::page(&admin, &title, body(&id, &filter, &people, &pages)))
}

fn body(id: &str, f: &Filter, people: &[Person], pages: &PageNames) -> Markup {
    let eid = url_param(id);
    let count = |s: Status| people.iter().filter(|p| p.status() == s).count();
    let shown = &people[..people.len().min(PAGE_ROWS)];
    html! {
        p { a href={ "/admin/surveys/" (eid) "/dashboard?school=" (url_param(&f.school)) } { "Back to the dashboard" } }
        (filters(f))
        p class="summary" {
            (people.len()) " people: "
            @for (i, s) in Status::ALL.into_iter().enumerate() { @if i > 0 { ", " } (count(s)) " " (s.label().to_lowercase()) }
            ". "
            a href={ "/admin/surveys/" (eid) "/respondents.csv?" (f.params()) } { "Download this list (CSV)" }
        }
        @if people.len() > shown.len() {
            p class="note" { "The first " (shown.len()) " are shown; the CSV has everyone." }
        }
        form method="get" action={ "/admin/surveys/" (eid) "/reminders" } {
            input type="hidden" name="school" value=(f.school);
            p class="actions" {
                button { "Print reminder slips for the people ticked" }
                " "
                a href={ "/admin/surveys/" (eid) "/reminders?" (f.params_with_status(Status::NotStarted)) } {
                    "Reminder slips for everyone not started in this list"
                }
            }
            div class="scroll" tabindex="0" role="region" aria-label="People" { (table(shown, pages)) }
        }
    }
}

fn table(people: &[Person], pages: &PageNames) -> Markup {
    html! {
        table class="list people" {
            caption class="visually-hidden" { "People, their status and the last page they saved" }
            thead { tr {
                th scope="col" { "Pick" } th scope="col" { "Name" } th scope="col" { "ID" } th scope="col" { "Class" }
                th scope="col" { "Role" } th scope="col" { "Status" } th scope="col" { "Last page saved" }
                th scope="col" { "Last activity" }
            } }
            tbody {
                @for p in people {
                    tr data-status=(p.status().key()) {
                        td { input type="checkbox" name="id" value=(p.id) aria-label={ "Pick " (p.display_name()) }; }
                        th scope="row" { (p.display_name()) }
                        td { (p.external_id) } td { (p.class) } td { (p.role) } td { (p.status().label()) }
                        td { (pages.of(p)) } td { (fmt_time(p.last_activity)) }
                    }
                }
            }
        }
    }
}

fn filters(f: &Filter) -> Markup {
    let roles = [("", "Every role"), ("student", "Students"), ("teacher", "Teachers"), ("parent", "Parents")];
    html! {
        form method="get" class="filters" {
            input type="hidden" name="school" value=(f.school);
            label { "Class " input name="class" value=[f.class.as_deref()] size="8"; }
            label { "Role " select name="role" {
                @for (key, label) in roles { option value=(key) selected[f.role.as_deref().unwrap_or("") == key] { (label) } }
            } }
            label { "Status " select name="status" {
                option value="" { "Any" }
                @for s in Status::ALL { option value=(s.key()) selected[f.status == Some(s)] { (s.label()) } }
            } }
            button { "Show" }
        }
    }
}

/// `GET /admin/surveys/{id}/respondents.csv?…`: the same list, everyone in it, streamed. Audited: it names people.
pub async fn csv(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let (filter, people, pages) = listed(&state, &admin, &id, q).await?;
    let detail = serde_json::json!({"school": filter.school, "class": filter.class, "role": filter.role,
        "status": filter.status.map(Status::key), "people": people.len()});
    audit::record(&state.pool, &admin, "respondents.download", Some(&id), detail).await?;
    let filename = format!("people-{id}-{}.csv", filter.school);
    Ok(stream_csv(&filename, move |mut sink| async move {
        sink.write(["school", "class", "role", "external_id", "name", "status", "last_page", "last_activity"])?;
        for p in &people {
            let (last, at) = (pages.of(p), fmt_time(p.last_activity));
            let name = p.name.as_deref().unwrap_or("");
            sink.write([&p.school, &p.class, &p.role, &p.external_id, name, p.status().key(), &last, &at])?;
            sink.flush_if_full().await?;
        }
        sink.finish().await
    }))
}
