//! The results page: where the view sits (levels, roles), who it counts, the units below it, and per question a bar
//! chart (server-rendered SVG with its numbers in its title) beside a table of the same numbers. Suppressed numbers
//! read "suppressed", in the chart and the table alike.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{html, Markup};

use super::html::{self, fmt_time, url_param};
use super::results::{cell, role_name, share, Loaded, ResultsQuery};
use super::session::Admin;
use crate::http::error::ApiError;
use crate::results::tables::Table;
use crate::results::tables::ROLES;
use crate::results::view::{Level, TableCounts};
use crate::state::AppState;

/// The query string of a view.
pub fn query(level: &Level, role: usize) -> String {
    let role = format!("role={}", role_name(role));
    match level {
        Level::Survey => format!("level=survey&{role}"),
        Level::District(d) => format!("level=district&district={}&{role}", url_param(d)),
        Level::School(s) => format!("level=school&school={}&{role}", url_param(s)),
        Level::Class(s, c) => format!("level=class&school={}&class={}&{role}", url_param(s), url_param(c)),
    }
}

fn title(l: &Loaded) -> String {
    let unit = match &l.level {
        Level::Survey => "all schools".to_owned(),
        Level::District(d) => format!("district {d}"),
        Level::School(s) => s.clone(),
        Level::Class(s, c) => format!("{s}, class {c}"),
    };
    format!("Results of {}: {unit}", l.survey_id)
}

/// `GET /admin/surveys/{id}/results`: the page.
pub async fn page(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<ResultsQuery>,
) -> Result<Response, ApiError> {
    let loaded = super::results::load(&state, &admin, &id, &q).await?;
    Ok(render(&admin, &loaded))
}

pub fn render(admin: &Admin, l: &Loaded) -> Response {
    let base = format!("/admin/surveys/{}/results", url_param(&l.survey_id));
    let body = html! {
        (levels(admin, l, &base))
        nav class="roles" aria-label="Role" {
            @for role in 0..=ROLES.len() {
                @let label = match role { 0 => "All roles", 1 => "Students", 2 => "Teachers", _ => "Parents" };
                @if role == l.role {
                    a href={ (base) "?" (query(&l.level, role)) } aria-current="page" { (label) }
                } @else {
                    a href={ (base) "?" (query(&l.level, role)) } { (label) }
                }
            }
        }
        (summary(l, &base))
        (children(l, &base))
        (unreported(l))
        @if admin.require_administrator().is_ok() {
            (settings_form(l))
        }
        @if l.results.respondents.is_some() {
            @for (i, (t, c)) in l.tables.iter().zip(&l.results.tables).enumerate() {
                @if i == 0 || l.tables[i - 1].question != t.question {
                    h2 { (t.text) }
                }
                (table(i, t, c))
            }
        }
    };
    html::page(admin, &title(l), body)
}

fn levels(admin: &Admin, l: &Loaded, base: &str) -> Markup {
    let mut trail = Vec::new();
    if admin.school.is_none() {
        trail.push(("All schools".to_owned(), Level::Survey));
    }
    if let Level::School(s) | Level::Class(s, _) = &l.level {
        trail.push((s.clone(), Level::School(s.clone())));
    }
    if let Level::District(d) = &l.level {
        trail.push((format!("District {d}"), l.level.clone()));
    }
    if let Level::Class(_, c) = &l.level {
        trail.push((format!("Class {c}"), l.level.clone()));
    }
    html! {
        nav class="levels" aria-label="Level" {
            @for (i, (name, level)) in trail.iter().enumerate() {
                @if i > 0 { " › " }
                @if *level == l.level {
                    span aria-current="page" { (name) }
                } @else {
                    a href={ (base) "?" (query(level, l.role)) } { (name) }
                }
            }
        }
    }
}

fn summary(l: &Loaded, base: &str) -> Markup {
    let min = l.settings.min_cell;
    let unreported = l
        .results
        .unreported
        .iter()
        .find(|u| matches!(&l.level, Level::School(s) | Level::Class(s, _) if *s == u.school));
    html! {
        @if let Some(u) = unreported {
            p class="withheld" {
                "Not reported: " (format!("{:.0}%", u.rate * 100.0)) " of the people invited have responded, under the survey's threshold of "
                (format!("{:.0}%", l.settings.min_response_rate * 100.0)) ". Nothing of this school is shown, here or in any total."
            }
        } @else if let Some(n) = l.results.respondents {
            @let who = match l.role { 0 => "all roles", 1 => "students only", 2 => "teachers only", _ => "parents only" };
            p { strong { (n) } " respondents (" (who) ")." }
        } @else {
            p class="withheld" {
                span class="suppressed" { "Suppressed" } ": fewer than " (min) " respondents here, or a number other totals would let "
                "someone work out. No results are shown for this group."
            }
        }
        p class="note" {
            @if let Some(n) = l.results.reporting {
                "Schools reporting: " (n) "; under the response-rate threshold, and so left out of every total: "
                (l.results.unreported.len()) ". "
            }
            "Numbers from fewer than " (min) " people, and numbers that would let one work them out, read “suppressed”. "
            @if let Some(at) = l.computed_at { "Counted " (fmt_time(Some(at))) " UTC or later. " }
        }
        p { a class="button" href={ (base) ".csv?" (query(&l.level, l.role)) } download { "Download these numbers (CSV)" } }
    }
}

/// The schools under the response rate that this view would otherwise include (administrators' views only).
fn unreported(l: &Loaded) -> Markup {
    let here = |d: &Option<String>| match &l.level {
        Level::Survey => true,
        Level::District(want) => d.as_deref() == Some(want.as_str()),
        _ => false,
    };
    let list: Vec<_> = l.results.unreported.iter().filter(|u| here(&u.district)).collect();
    html! {
        @if !list.is_empty() {
            p class="note" {
                "Not reported (response rate under " (format!("{:.0}%", l.settings.min_response_rate * 100.0)) "): "
                @for (i, u) in list.iter().enumerate() {
                    @if i > 0 { ", " }
                    (u.school) " (" (format!("{:.0}%", u.rate * 100.0)) ")"
                }
                "."
            }
        }
    }
}

fn children(l: &Loaded, base: &str) -> Markup {
    let kind = match l.level {
        Level::Survey => "District or school",
        Level::District(_) => "School",
        _ => "Class",
    };
    html! {
        @if !l.results.children.is_empty() {
            div class="scroll" {
                table class="list" {
                    caption { "Respondents by " (kind.to_lowercase()) }
                    thead { tr { th scope="col" { (kind) } th scope="col" { "Respondents" } } }
                    tbody {
                        @for c in &l.results.children {
                            tr {
                                td { a href={ (base) "?" (query(&c.level, l.role)) } { (c.name) } }
                                td class="num" { (cell(c.respondents)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn settings_form(l: &Loaded) -> Markup {
    let action = format!("/admin/surveys/{}/results/settings", url_param(&l.survey_id));
    html! {
        @if l.settings.min_cell < 5 {
            p class="error" { "The smallest shown cell is " (l.settings.min_cell) ", under the advised 5: small groups may be recognisable." }
        }
        details class="settings" {
            summary { "Privacy settings of this survey" }
            form data-api action=(action) class="stack" {
                label { "Smallest number of people shown (min_cell, at least 1; 5 advised) "
                    input type="number" name="min_cell" min="1" max="1000" step="1" value=(l.settings.min_cell) required; }
                label { "Response rate a school needs before its results show (0 to 1; 0.5 is 50%) "
                    input type="number" name="min_response_rate" min="0" max="1" step="0.01" value=(format!("{:.2}", l.settings.min_response_rate)) required; }
                button { "Save settings" }
                div class="result" aria-live="polite" {}
            }
        }
    }
}

fn table(i: usize, t: &Table, c: &TableCounts) -> Markup {
    html! {
        section class="answers" {
            @if let Some(s) = &t.statement { h3 { (s) } }
            @if t.labels.is_empty() {
                p { "Answered: " (cell(c.answered)) ". " @if t.kind == "free_text" { "Text answers are never shown." } }
            } @else {
                div class="pair" {
                    (chart(i, t, c))
                    div class="scroll" {
                        table class="list" {
                            thead { tr { th scope="col" { "Answer" } th scope="col" { "People" } th scope="col" { "Share" } } }
                            tbody {
                                @for (label, n) in t.labels.iter().zip(&c.options) {
                                    tr {
                                        th scope="row" { (label) }
                                        td class="num" { @if n.is_some() { (cell(*n)) } @else { span class="suppressed" { "suppressed" } } }
                                        td class="num" { (share(*n, c.answered).map(|s| format!("{s:.1}%")).unwrap_or_default()) }
                                    }
                                }
                            }
                            tfoot { tr { th scope="row" { "Answered" } td class="num" { (cell(c.answered)) } td {} } }
                        }
                    }
                }
            }
        }
    }
}

/// Horizontal bars, one per answer, scaled to the largest shown count; the title carries every number.
fn chart(i: usize, t: &Table, c: &TableCounts) -> Markup {
    let max = c.options.iter().flatten().copied().max().unwrap_or(0).max(1) as f64;
    let row = 34;
    let height = row * t.labels.len();
    let said: Vec<String> = t.labels.iter().zip(&c.options).map(|(l, n)| format!("{l}: {}", cell(*n))).collect();
    let id = format!("chart-{i}");
    html! {
        svg class="chart" viewBox={ "0 0 320 " (height) } role="img" aria-labelledby=(id) xmlns="http://www.w3.org/2000/svg" {
            title id=(id) { "Bar chart. " (said.join("; ")) }
            @for (k, (label, n)) in t.labels.iter().zip(&c.options).enumerate() {
                @let y = k * row;
                text x="0" y={ (y + 12) } class="label" { (label.chars().take(48).collect::<String>()) }
                @match n {
                    Some(n) => {
                        @let w = (*n as f64 / max * 250.0).round();
                        rect x="0" y={ (y + 16) } width=(w) height="12" class="fill" {}
                        text x={ (w + 4.0) } y={ (y + 27) } { (n) }
                    }
                    None => { text x="0" y={ (y + 27) } class="suppressed" { "suppressed" } }
                }
            }
        }
    }
}
