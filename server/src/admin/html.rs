//! Server-rendered admin pages: plain HTML with one small script (`admin.js`) and one stylesheet, both served
//! from /admin/assets. Chosen over Leptos routes so that not a byte of admin code reaches the respondent bundle
//! and the admin pages need no build step.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use time::OffsetDateTime;

use super::auth::Role;
use super::session::Admin;

pub const ADMIN_JS: &str = include_str!("../../assets/admin.js");
pub const ADMIN_CSS: &str = include_str!("../../assets/admin.css");

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

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

/// A whole page for a signed-in administrator: header with who is signed in, the CSRF token for `admin.js`, body.
pub fn page(admin: &Admin, title: &str, body: &str) -> Response {
    let who = match (&admin.role, &admin.school) {
        (Role::Coordinator, Some(school)) => format!("{} · coordinator, {}", esc(&admin.email), esc(school)),
        _ => format!("{} · administrator", esc(&admin.email)),
    };
    let audit = if admin.role == Role::Administrator { r#"<a href="/admin/audit">Audit log</a>"# } else { "" };
    Html(format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="{csrf}">
<title>{title} · Quire admin</title><link rel="stylesheet" href="/admin/assets/admin.css">
<script src="/admin/assets/admin.js" defer></script></head>
<body><header class="top"><a class="brand" href="/admin">Quire admin</a><nav><a href="/admin">Surveys</a>{audit}</nav>
<span class="who">{who}</span><form data-api action="/admin/logout"><button>Sign out</button></form></header>
<main><h1>{title}</h1>
{body}
</main></body></html>"#,
        csrf = esc(&admin.csrf),
        title = esc(title),
    ))
    .into_response()
}

pub fn login_page(message: Option<&str>, status: StatusCode) -> Response {
    let message = message.map(|m| format!(r#"<p class="error" role="alert">{}</p>"#, esc(m))).unwrap_or_default();
    (
        status,
        Html(format!(
            r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Quire admin</title><link rel="stylesheet" href="/admin/assets/admin.css"></head>
<body><main class="narrow"><h1>Quire admin</h1>{message}
<form method="post" action="/admin/login">
<label>Email <input name="email" type="email" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button>Sign in</button></form></main></body></html>"#
        )),
    )
        .into_response()
}

/// A `<form>` that `admin.js` sends with fetch (CSRF header included) and whose result it shows in `.result`.
/// `file` names the accepted upload type (`.json`, `.csv`); without it the form posts its fields as JSON.
pub fn api_form(action: &str, label: &str, file: Option<(&str, &str)>) -> String {
    let input = match file {
        Some((accept, content_type)) => format!(
            r#"<label>{label} <input type="file" name="file" accept="{accept}" data-content-type="{content_type}" required></label> "#,
            label = esc(label)
        ),
        None => String::new(),
    };
    let button = if file.is_some() { "Upload" } else { label };
    format!(
        r#"<form data-api action="{action}">{input}<button>{button}</button><div class="result" aria-live="polite"></div></form>"#,
        action = esc(action),
        button = esc(button),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_params() {
        assert_eq!(esc(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(url_param("Lincoln High & Co/1"), "Lincoln%20High%20%26%20Co%2F1");
    }
}
