//! What a page-save may carry, checked before it is written anywhere: the respondent app runs it before it queues a
//! save, the server before a save joins a shared group transaction. A save that fails here is rejected on its own
//! with a reason; it can never reach the database, where it would fail the other respondents' saves in its group
//! (PostgreSQL refuses U+0000 in `text` and `jsonb`, and the driver cannot encode a time past year 9999 in UTC).
//!
//! The rules:
//! - **strings** (page id, question ids, codes, statement ids, text answers) hold no U+0000;
//! - **`client_time`** lies in `[CLIENT_TIME_EARLIEST, CLIENT_TIME_LATEST)` in UTC. It is for analysis only; the
//!   server orders saves by revision and stamps its own receive time. The app clamps a broken device clock into the
//!   window (`clamp_client_time`) instead of losing the save;
//! - **`revision`** is between 1 and `MAX_REVISION`; the server further refuses a revision more than
//!   `MAX_REVISION_STEP` above the respondent's highest stored one, so a device can always continue numbering;
//! - **`finishes`** only on a page after which no page is visible (see `check_finish`).

use time::macros::datetime;
use time::OffsetDateTime;

use crate::answer::AnswerError;
use crate::condition::AnswerSource;
use crate::odk;
use crate::protocol::{PageSave, MAX_REVISION};
use crate::valid::ValidSurvey;
use crate::value::AnswerValue;

/// The earliest `client_time` accepted (UTC).
pub const CLIENT_TIME_EARLIEST: OffsetDateTime = datetime!(2000-01-01 00:00:00 UTC);
/// The first `client_time` no longer accepted (UTC).
pub const CLIENT_TIME_LATEST: OffsetDateTime = datetime!(2100-01-01 00:00:00 UTC);

/// How far above the highest revision already stored for a respondent a new save may be. A device numbers its saves
/// one by one from the last revision the server reported, so a real device is never more than its unsent saves
/// ahead; a revision near `MAX_REVISION` would leave no room to continue.
pub const MAX_REVISION_STEP: u64 = 1_000_000;

/// Every reason the save cannot be stored as it is, each with the field it is about.
pub fn check_storable(save: &PageSave) -> Result<(), Vec<AnswerError>> {
    let mut errors = Vec::new();
    if !(1..=MAX_REVISION).contains(&save.revision) {
        errors.push(AnswerError::new("revision", format!("must be between 1 and {MAX_REVISION}")));
    }
    if !in_window(save.client_time) {
        errors.push(AnswerError::new(
            "client_time",
            format!("must lie between {} and {} (UTC)", CLIENT_TIME_EARLIEST.date(), CLIENT_TIME_LATEST.date()),
        ));
    }
    if save.page_id.contains('\0') {
        errors.push(nul_error("page_id".to_owned()));
    }
    // Field names are built only for an answer that has the character: this runs for every save received.
    for (qid, value) in &save.answers {
        let field = || format!("answers.{}", printable(qid));
        let has_nul = match value {
            AnswerValue::Choice(s) | AnswerValue::Text(s) => s.contains('\0'),
            AnswerValue::Choices(cs) => cs.iter().any(|c| c.contains('\0')),
            AnswerValue::Matrix(_) | AnswerValue::Number(_) => false,
        };
        if qid.contains('\0') || has_nul {
            errors.push(nul_error(field()));
        }
        if let AnswerValue::Matrix(m) = value {
            for (statement, code) in m {
                if statement.contains('\0') || code.contains('\0') {
                    errors.push(nul_error(format!("{}.{}", field(), printable(statement))));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn nul_error(field: String) -> AnswerError {
    AnswerError::new(field, "contains the character U+0000, which cannot be stored")
}

/// A string as it can go into an error message or a database: U+0000 replaced by U+FFFD.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        std::borrow::Cow::Owned(s.replace('\0', "\u{FFFD}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// The device's clock, moved into the accepted window if it is broken (a clock reset to 1970, say): the save keeps
/// its answers, and analysts see a boundary value rather than losing the page.
pub fn clamp_client_time(t: OffsetDateTime) -> OffsetDateTime {
    if t.unix_timestamp() < CLIENT_TIME_EARLIEST.unix_timestamp() {
        CLIENT_TIME_EARLIEST
    } else if !in_window(t) {
        CLIENT_TIME_LATEST - time::Duration::SECOND
    } else {
        t
    }
}

/// Compared as Unix time: converting a time near year 9999 to UTC can overflow the date type (and panics), which is
/// how such a save once stopped a group committer.
fn in_window(t: OffsetDateTime) -> bool {
    (CLIENT_TIME_EARLIEST.unix_timestamp()..CLIENT_TIME_LATEST.unix_timestamp()).contains(&t.unix_timestamp())
}

/// `finishes` belongs on the last page the respondent sees: refused when a later page is visible as far as
/// `answers` can tell (a page without a condition always is). A page whose visibility depends on answers the source
/// does not know is given the benefit of the doubt.
pub fn check_finish(survey: &ValidSurvey, page_id: &str, answers: &dyn AnswerSource) -> Result<(), AnswerError> {
    let Some(index) = survey.page_index(page_id) else { return Ok(()) };
    let pages = &survey.survey().pages;
    let later =
        (index + 1..pages.len()).find(|&i| odk::page_shown(survey, i, answers) == Some(true)).map(|i| &pages[i]);
    match later {
        None => Ok(()),
        Some(p) => Err(AnswerError::new(
            "finishes",
            format!("the survey does not end on page `{page_id}`: page `{}` comes after it", p.id),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::condition::NothingKnown;
    use crate::value::PageAnswers;

    fn save(page_id: &str, answers: PageAnswers, client_time: OffsetDateTime) -> PageSave {
        PageSave { page_id: page_id.into(), revision: 1, answers, client_time, finishes: false, draft: false }
    }

    fn fields(r: Result<(), Vec<AnswerError>>) -> Vec<String> {
        r.err().unwrap_or_default().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn nul_anywhere_is_named_by_field() {
        let now = datetime!(2026-11-29 10:00 UTC);
        let mut answers = PageAnswers::new();
        answers.insert("q\0".into(), AnswerValue::Text("x".into()));
        answers.insert("t".into(), AnswerValue::Text("a\0b".into()));
        answers.insert("c".into(), AnswerValue::Choices(vec!["ok".into(), "\0".into()]));
        answers.insert("m".into(), AnswerValue::Matrix([("s\0".to_owned(), "1".to_owned())].into()));
        let f = fields(check_storable(&save("p\0", answers, now)));
        assert_eq!(f, ["page_id", "answers.c", "answers.m.s\u{FFFD}", "answers.q\u{FFFD}", "answers.t"]);
        let clean: PageAnswers = [("t".to_owned(), AnswerValue::Text("fine".into()))].into();
        assert!(check_storable(&save("p", clean, now)).is_ok());
    }

    #[test]
    fn client_time_window_in_utc() {
        let ok = PageAnswers::new();
        // 9999-12-31T23:59:59-23:59 is year 10000 in UTC: the value that stopped a group committer.
        let past_9999 =
            OffsetDateTime::parse("9999-12-31T23:59:59-23:59", &time::format_description::well_known::Rfc3339)
                .unwrap_or(CLIENT_TIME_LATEST);
        for t in [past_9999, CLIENT_TIME_LATEST, CLIENT_TIME_EARLIEST - time::Duration::SECOND] {
            assert_eq!(fields(check_storable(&save("p", ok.clone(), t))), ["client_time"], "{t}");
            assert!(check_storable(&save("p", ok.clone(), clamp_client_time(t))).is_ok(), "{t}");
        }
        let fine = datetime!(2026-11-29 10:00 -06:00);
        assert_eq!(clamp_client_time(fine), fine);
        assert!(check_storable(&save("p", ok, CLIENT_TIME_EARLIEST)).is_ok());
    }

    #[test]
    fn revision_range() {
        let mut s = save("p", PageAnswers::new(), datetime!(2026-11-29 10:00 UTC));
        for (rev, ok) in [(0, false), (1, true), (MAX_REVISION, true), (MAX_REVISION + 1, false)] {
            s.revision = rev;
            assert_eq!(check_storable(&s).is_ok(), ok, "{rev}");
        }
    }

    #[test]
    fn finishing_only_where_nothing_visible_follows() {
        let survey = ValidSurvey::parse(include_str!("../fixtures/school-climate.json")).unwrap();
        let pages = &survey.survey().pages;
        let last = pages.last().map(|p| p.id.clone()).unwrap_or_default();
        assert!(check_finish(&survey, &last, &NothingKnown).is_ok());
        let err = check_finish(&survey, &pages[0].id, &NothingKnown).err();
        assert_eq!(err.map(|e| e.field).as_deref(), Some("finishes"));
    }
}
