//! One survey's page: its versions (publish, preview), the roster upload, access codes, the dashboard and exports.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{html, Markup};

use super::html::{self, fmt_time, url_param};
use super::session::Admin;
use super::surveys::{self, VersionRow};
use crate::http::error::ApiError;
use crate::state::AppState;

/// `GET /admin/surveys/{id}`: versions (publish, preview), roster upload, access codes, dashboard and exports.
pub async fn show(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Result<Response, ApiError> {
    admin.require_survey(&id)?;
    let current: Option<(Option<String>, bool)> =
        sqlx::query_as("select current_version, code_in_slip_url from surveys where survey_id = $1")
            .bind(&id)
            .fetch_optional(&state.read_pool)
            .await?;
    let Some((_, code_in_url)) = current else {
        return Err(ApiError::NotFound("no such survey"));
    };
    let schools: Vec<(String, Vec<String>)> = sqlx::query_as(
        "select school, array_agg(class order by class) from group_progress
         where survey_id = $1 and ($2::text is null or school = $2) group by school order by school",
    )
    .bind(&id)
    .bind(&admin.school)
    .fetch_all(&state.read_pool)
    .await?;
    let versions = if admin.require_administrator().is_ok() {
        Some(surveys::versions(&state.read_pool, &id).await?)
    } else {
        None
    };
    let eid = url_param(&id);
    let body = html! {
        p {
            a class="button" href={ "/admin/surveys/" (eid) "/dashboard" } { "Completion dashboard" }
            " "
            a class="button" href={ "/admin/surveys/" (eid) "/results" } { "Results" }
        }
        @if let Some(versions) = &versions {
            (versions_table(&eid, versions))
        }
        h2 { "Roster" }
        p {
            "A CSV file with the header " code { "school,class,role,external_id,name" } " (role: student, teacher or \
             parent; name optional). Every bad row is reported; nothing is loaded from a file with errors. People \
             already loaded keep their codes."
        }
        (html::api_form(&format!("/admin/surveys/{eid}/roster"), "Roster file", Some((".csv,text/csv", "text/csv"))))
        h2 { "Access codes" }
        (codes_table(&eid, &schools))
        @if admin.require_administrator().is_ok() { (slip_settings(&eid, code_in_url)) }
        @if admin.require_administrator().is_ok() {
            (exports(&eid))
        }
    };
    Ok(html::page(&admin, &format!("Survey {id}"), body))
}

/// Every version of a survey, newest first: the published one marked, the others with a button that publishes them.
fn versions_table(eid: &str, versions: &[VersionRow]) -> Markup {
    html! {
        h2 { "Versions" }
        div class="scroll" tabindex="0" role="region" aria-label="Versions" {
            table class="list" {
                thead { tr { th { "Version" } th { "Uploaded (UTC)" } th {} th {} th {} } }
                tbody {
                    @for VersionRow { version, created_at, current } in versions {
                        tr {
                            td { code { (&version[..version.len().min(16)]) } }
                            td { (fmt_time(Some(*created_at))) }
                            td {
                                @if *current {
                                    strong { "published: new respondents get this version" }
                                } @else {
                                    @let action = format!("/admin/surveys/{eid}/versions/{version}/publish");
                                    (html::api_form(&action, "Publish", None))
                                }
                            }
                            td { a href={ "/admin/surveys/" (eid) "/versions/" (version) "/preview" } { "Preview" } }
                            td {
                                a href={ "/admin/surveys/" (eid) "/versions/" (version) "/survey.xlsx" }
                                    aria-label={ "Download version " (&version[..version.len().min(16)]) " as XLSForm" } { "XLSForm" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Per school: its codes as CSV, and printed slips for the whole school or one class.
fn codes_table(eid: &str, schools: &[(String, Vec<String>)]) -> Markup {
    html! {
        div class="scroll" tabindex="0" role="region" aria-label="Access codes by school" {
            table class="list" {
                thead { tr { th { "School" } th { "Codes" } th { "Print a slip per respondent" } } }
                tbody {
                    @for (school, classes) in schools {
                        @let es = url_param(school);
                        @let print = format!("/admin/surveys/{eid}/codes/print?school={es}");
                        tr {
                            td { (school) }
                            td { a href={ "/admin/surveys/" (eid) "/codes.csv?school=" (es) } { "CSV" } }
                            td {
                                a href=(print) { "whole school" }
                                @for class in classes {
                                    " · "
                                    a href={ (print) "&class=" (url_param(class)) } { (class) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Whether slips carry the access code in their link and QR code (off unless the survey opts in).
fn slip_settings(eid: &str, code_in_url: bool) -> Markup {
    html! {
        form data-api action={ "/admin/surveys/" (eid) "/slips/settings" } {
            label {
                input type="checkbox" name="code_in_url" checked[code_in_url];
                " Put each person's access code in their slip's link and QR code: one scan signs them in, but a shared \
                 printer's queue or a phone's history may keep the code."
            }
            " "
            button { "Save" }
            div class="result" aria-live="polite" {}
        }
    }
}

/// The administrator's downloads: all codes, the responses (all schools or one), the codebook and quarantine.
fn exports(eid: &str) -> Markup {
    html! {
        p { a href={ "/admin/surveys/" (eid) "/codes.csv" } { "All codes (CSV)" } }
        h2 { "Export" }
        form method="get" action={ "/admin/surveys/" (eid) "/export.csv" } class="inline" {
            label { "School (empty for all) " input name="school"; }
            button { "Responses (CSV)" }
        }
        p {
            a href={ "/admin/surveys/" (eid) "/codebook.csv" } { "Codebook (CSV)" }
            " · "
            a href={ "/admin/surveys/" (eid) "/quarantine.csv" } { "Quarantined saves (CSV)" }
        }
        h2 { "Analysis bundle" }
        p {
            "Every version, one row per respondent: names SPSS, Stata and R accept, one 0/1 column per option, codes              for not shown (-97), not reached (-98) and not answered (-99), with SPSS, Stata and R scripts, a codebook,              a Stata file and an Excel workbook."
        }
        form method="get" action={ "/admin/surveys/" (eid) "/analysis/bundle.zip" } class="inline" {
            label { "School (empty for all) " input name="school"; }
            label { "Labels in (language code, empty for the survey's) " input name="lang" size="5"; }
            label { input type="checkbox" name="bom" value="1"; " Byte-order mark (Excel)" }
            label { input type="checkbox" name="joined" value="1"; " Also the chosen codes of a multiple choice" }
            button { "Bundle (zip)" }
        }
        p {
            @for file in ["data.csv", "codebook.html", "data.sps", "data.do", "data.R", "data.dta", "data.xlsx"] {
                a href={ "/admin/surveys/" (eid) "/analysis/" (file) } { (file) } " "
            }
        }
    }
}
