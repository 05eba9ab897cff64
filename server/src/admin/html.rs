//! Server-rendered admin pages: plain HTML with one small script (`admin.js`) and one stylesheet, both served
//! from /admin/assets. Chosen over Leptos routes so that not a byte of admin code reaches the respondent bundle
//! and the admin pages need no build step. The pages are `maud` templates, which escape whatever they interpolate:
//! survey, school and class names come from uploaded files.

use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};
use time::OffsetDateTime;

use super::auth::Role;
use super::session::Admin;

pub const ADMIN_JS: &str = include_str!("../../assets/admin.js");
pub const ADMIN_CSS: &str = include_str!("../../assets/admin.css");

/// Percent-encodes a query parameter value.
pub fn url_param(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `2026-11-22 14:03:07` (UTC), or empty. The exports write times the same way, so a page and a file agree.
pub fn fmt_time(t: Option<OffsetDateTime>) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    t.and_then(|t| t.to_offset(time::UtcOffset::UTC).format(&format).ok()).unwrap_or_default()
}

/// A whole document for a signed-in administrator: header with who is signed in, the CSRF token for `admin.js`,
/// the title as the page's heading, then `body`.
pub fn layout(admin: &Admin, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="csrf-token" content=(admin.csrf);
                title { (title) " · Quire admin" }
                link rel="stylesheet" href="/admin/assets/admin.css";
                script src="/admin/assets/admin.js" defer {}
            }
            body {
                header class="top" {
                    a class="brand" href="/admin" { "Quire admin" }
                    nav {
                        a href="/admin" { "Surveys" }
                        @if admin.role == Role::Administrator {
                            a href="/admin/people" { "People" }
                            a href="/admin/audit" { "Audit log" }
                            a href="/admin/tokens" { "API tokens" }
                        }
                    }
                    span class="who" {
                        (admin.email)
                        @match (admin.role, &admin.school) {
                            (Role::Coordinator, Some(school)) => { " · coordinator, " (school) }
                            _ => { " · administrator" }
                        }
                    }
                    form data-api action="/admin/logout" { button { "Sign out" } }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// `layout` as the response to a page request.
pub fn page(admin: &Admin, title: &str, body: Markup) -> Response {
    Html(layout(admin, title, body).into_string()).into_response()
}

/// A `<form>` that `admin.js` sends with fetch (CSRF header included) and whose result it shows in `.result`.
/// `file` names the accepted upload type (`.json`, `.csv`); without it the form posts its fields as JSON.
pub fn api_form(action: &str, label: &str, file: Option<(&str, &str)>) -> Markup {
    html! {
        form data-api action=(action) {
            @if let Some((accept, content_type)) = file {
                label {
                    (label) " "
                    input type="file" name="file" accept=(accept) data-content-type=(content_type) required;
                }
                " "
            }
            button { (if file.is_some() { "Upload" } else { label }) }
            div class="result" aria-live="polite" {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_params() {
        let form = api_form(r#"/admin/"x"&<y>"#, "<Roster> & co", Some((".csv", "text/csv"))).into_string();
        assert!(form.contains(r#"action="/admin/&quot;x&quot;&amp;&lt;y&gt;""#), "{form}");
        assert!(form.contains("<label>&lt;Roster&gt; &amp; co <input"), "{form}");
        assert_eq!(url_param("Lincoln High & Co/1"), "Lincoln%20High%20%26%20Co%2F1");
    }
}
