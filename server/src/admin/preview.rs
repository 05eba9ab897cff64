//! Previewing a survey version: every page as a respondent sees it, with the skip rules written out.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{html, Markup};
use quire_shared::{Condition, Question, QuestionKind, Text};
use serde::Deserialize;

use super::html;
use super::session::Admin;
use super::surveys::load_version;
use crate::http::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct PreviewQuery {
    lang: Option<String>,
}

/// The survey's texts in the chosen language (its default language where a text has no translation).
#[derive(Clone, Copy)]
struct Lang<'a> {
    lang: &'a str,
    default: &'a str,
}

impl Lang<'_> {
    fn t(self, text: &Text) -> &str {
        text.get(self.lang, self.default)
    }
}

/// `GET /admin/surveys/{id}/versions/{version}/preview?lang=`: every page as a respondent sees it (same questions,
/// choices and help in the chosen language), with the skip rules written out. Nothing is saved.
pub async fn preview(
    State(state): State<AppState>,
    admin: Admin,
    Path((id, version)): Path<(String, String)>,
    Query(q): Query<PreviewQuery>,
) -> Result<Response, ApiError> {
    admin.require_administrator()?;
    let survey = load_version(&state, &id, &version).await?;
    let s = survey.survey();
    let languages: Vec<&String> = std::iter::once(&s.default_language).chain(&s.languages).collect();
    let lang = q.lang.filter(|l| languages.contains(&l)).unwrap_or_else(|| s.default_language.clone());
    let tr = Lang { lang: &lang, default: &s.default_language };
    let body = html! {
        p class="note" {
            "Preview of version " code { (&version[..16.min(version.len())]) } ". Languages: "
            @for l in &languages {
                a href={ "?lang=" (l) } { (l) } " "
            }
        }
        h2 { (tr.t(&s.title)) }
        @for (n, page) in s.pages.iter().enumerate() {
            section class="preview-page" {
                h3 { "Page " (n + 1) " of " (s.pages.len()) ": " (tr.t(&page.title)) }
                @if let Some(c) = &page.visible_if {
                    (shown_only_if(c))
                }
                @for q in &page.questions {
                    (question(q, tr))
                }
            }
        }
    };
    Ok(html::page(&admin, &format!("Preview: {id}"), body))
}

/// A skip rule as written in the survey file.
fn shown_only_if(c: &Condition) -> Markup {
    html! {
        p class="note" { "Shown only if: " code { (serde_json::to_string(c).unwrap_or_default()) } }
    }
}

fn question(q: &Question, tr: Lang) -> Markup {
    html! {
        fieldset class="question" {
            legend {
                (tr.t(&q.text))
                @if q.required {
                    " " span class="required" { "(required)" }
                }
            }
            @if let Some(h) = &q.help {
                p class="help" { (tr.t(h)) }
            }
            @if let Some(c) = &q.visible_if {
                (shown_only_if(c))
            }
            (control(q, tr))
            p class="note" { "id " code { (q.id) } " · " (q.kind.name()) }
        }
    }
}

/// The question's inputs, named by its id as a respondent's answers are; each has an accessible name (the question's
/// text, or for a Likert cell its statement and scale point), as the respondent app's do.
fn control(q: &Question, tr: Lang) -> Markup {
    let name = &q.id;
    let text = tr.t(&q.text);
    html! {
        @match &q.kind {
            QuestionKind::SingleChoice { choices } | QuestionKind::MultipleChoice { choices, .. } => {
                @let ty = if matches!(q.kind, QuestionKind::SingleChoice { .. }) { "radio" } else { "checkbox" };
                @for c in choices {
                    label class="choice" { input type=(ty) name=(name); " " (tr.t(&c.label)) }
                }
            }
            QuestionKind::Dropdown { choices } => {
                select name=(name) aria-label=(text) {
                    option {}
                    @for c in choices { option { (tr.t(&c.label)) } }
                }
            }
            QuestionKind::Likert { scale, statements } => {
                div class="scroll" tabindex="0" role="region" aria-label="Statements and scale" {
                    table class="likert" {
                        thead { tr { td {} @for c in scale { th { (tr.t(&c.label)) } } } }
                        tbody {
                            @for st in statements {
                                tr {
                                    th scope="row" { (tr.t(&st.text)) }
                                    @for c in scale {
                                        td { input type="radio" name={ (name) "." (st.id) }
                                            aria-label={ (tr.t(&st.text)) " " (tr.t(&c.label)) }; }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            QuestionKind::FreeText { max_length, multiline: true } => {
                textarea name=(name) maxlength=(max_length) aria-label=(text) {}
            }
            QuestionKind::FreeText { max_length, .. } => { input name=(name) maxlength=(max_length) aria-label=(text); }
            QuestionKind::Number { .. } => { input type="number" name=(name) aria-label=(text); }
            QuestionKind::Date => { input type="date" name=(name) aria-label=(text); }
            QuestionKind::Note | QuestionKind::Calculate { .. } => {}
        }
    }
}
