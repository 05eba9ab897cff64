//! What the audit log is filtered by (`/admin/audit` and its CSV): a person, an action, a date range (UTC days, both
//! ends included) and, for paging, the entry to read back from. Parsed from the query string by hand so that a bad
//! value is a 400 naming its field, like every other error; an empty value is no filter (a form sends empty fields).

use sqlx::{Postgres, QueryBuilder};
use time::{Date, OffsetDateTime};

use crate::http::error::ApiError;

/// The longest address a person can have (and the longest typed address a failed sign-in keeps).
const MAX_EMAIL_CHARS: usize = 320;
const MAX_ACTION_CHARS: usize = 64;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    /// Who acted, or whom a change was to (`detail.email`), lower case.
    pub email: Option<String>,
    /// An action (`person.disable`), exactly.
    pub action: Option<String>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// Entries older than this id (the next page).
    pub before: Option<i64>,
}

fn bad(field: &str, message: &str) -> ApiError {
    ApiError::bad_request("invalid_filter", message, Some(field.to_owned()))
}

fn date(value: &str, field: &str) -> Result<Date, ApiError> {
    Date::parse(value, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| bad(field, "a date is written YYYY-MM-DD"))
}

impl AuditFilter {
    /// Parses a query string (`email=…&action=…&from=…&to=…&before=…`); other parameters are ignored.
    pub fn parse(query: Option<&str>) -> Result<AuditFilter, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
            .map_err(|_| bad("query", "the query string is not form-encoded"))?;
        let mut f = AuditFilter::default();
        for (key, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match key.as_str() {
                "email" => {
                    if value.chars().count() > MAX_EMAIL_CHARS || value.chars().any(char::is_control) {
                        return Err(bad("email", "a person is an email address of at most 320 characters"));
                    }
                    f.email = Some(value.to_lowercase());
                }
                "action" => {
                    let ok = value.len() <= MAX_ACTION_CHARS
                        && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
                    if !ok {
                        return Err(bad("action", "an action is lower-case letters, digits, '_' and '.'"));
                    }
                    f.action = Some(value.to_owned());
                }
                "from" => f.from = Some(date(value, "from")?),
                "to" => f.to = Some(date(value, "to")?),
                "before" => {
                    f.before = Some(value.parse().ok().filter(|n| *n > 0).ok_or_else(|| bad("before", "not an entry"))?)
                }
                _ => {}
            }
        }
        if let (Some(from), Some(to)) = (f.from, f.to) {
            if to < from {
                return Err(bad("to", "the range ends before it starts"));
            }
        }
        Ok(f)
    }

    /// The filter as a query string (without `before`: a link to the first page, or the CSV of every page).
    pub fn query_string(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(e) = &self.email {
            pairs.push(("email", e.clone()));
        }
        if let Some(a) = &self.action {
            pairs.push(("action", a.clone()));
        }
        if let Some(d) = self.from {
            pairs.push(("from", d.to_string()));
        }
        if let Some(d) = self.to {
            pairs.push(("to", d.to_string()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    /// Appends ` where …` for the filter to a query over `audit_log`.
    pub fn push_where(&self, q: &mut QueryBuilder<'_, Postgres>) {
        q.push(" where true");
        if let Some(email) = &self.email {
            q.push(" and (admin_email = ").push_bind(email.clone());
            q.push(" or (detail ? 'email' and detail ->> 'email' = ").push_bind(email.clone()).push("))");
        }
        if let Some(action) = &self.action {
            q.push(" and action = ").push_bind(action.clone());
        }
        if let Some(from) = self.from {
            q.push(" and at >= ").push_bind(from.midnight().assume_utc());
        }
        if let Some(to) = self.to {
            let end: OffsetDateTime = to.midnight().assume_utc() + time::Duration::days(1);
            q.push(" and at < ").push_bind(end);
        }
        if let Some(before) = self.before {
            q.push(" and id < ").push_bind(before);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(query: &str) -> Option<String> {
        match AuditFilter::parse(Some(query)) {
            Err(ApiError::BadRequest { field, .. }) => field,
            _ => None,
        }
    }

    #[test]
    fn filters_parse_and_bad_values_name_their_field() {
        let f = AuditFilter::parse(Some("email=+Ana%40X.org+&action=person.disable&from=2026-11-01&to=2026-11-30&x=1"))
            .unwrap_or_default();
        assert_eq!(f.email.as_deref(), Some("ana@x.org"));
        assert_eq!(f.action.as_deref(), Some("person.disable"));
        assert_eq!(f.query_string(), "email=ana%40x.org&action=person.disable&from=2026-11-01&to=2026-11-30");
        assert_eq!(AuditFilter::parse(Some("email=&action=&before=")).ok(), Some(AuditFilter::default()));
        assert_eq!(field("from=2026-02-30").as_deref(), Some("from"));
        assert_eq!(field("to=soon").as_deref(), Some("to"));
        assert_eq!(field("from=2026-12-02&to=2026-12-01").as_deref(), Some("to"));
        assert_eq!(field("action=Sign%20in").as_deref(), Some("action"));
        assert_eq!(field("before=-4").as_deref(), Some("before"));
        assert_eq!(field("email=a%0Ab").as_deref(), Some("email"));
    }

    #[test]
    fn the_where_clause_binds_every_value() {
        let f = AuditFilter::parse(Some("email=a%40x&action=sign_in&from=2026-01-01&to=2026-01-01&before=9"))
            .unwrap_or_default();
        let mut q = QueryBuilder::new("select id from audit_log");
        f.push_where(&mut q);
        assert_eq!(
            q.sql(),
            "select id from audit_log where true and (admin_email = $1 or (detail ? 'email' and detail ->> 'email' = \
             $2)) and action = $3 and at >= $4 and at < $5 and id < $6"
        );
    }
}
