//! What the roster says about a respondent, as the survey reads it.
//!
//! A question may name a roster column (`"from_roster": "role"`). When the respondent's roster row holds a value the
//! question can take (for a choice, one of its codes), the question is **not asked**: its answer is the roster's.
//! It is put among the answers that conditions and completion read (a page for students only is `equals role
//! student`), but it is never an answer the respondent gave: the app neither shows nor sends it (a save carries the
//! active answers the respondent gave, `visibility::pages_to_save`), so what the server stores is what the screen
//! showed. The server puts it back where it judges whole surveys (the finishing check, the export), from the
//! respondents table; where it judges one batch it does not know the roster, so a missing answer to such a question
//! is unknown there, never wrong. When the roster holds nothing the question can take, it is asked as usual.

use std::collections::{BTreeMap, HashMap};

use crate::answer::check_value;
use crate::survey::{Question, QuestionKind, RosterField};
use crate::valid::ValidSurvey;
use crate::value::{AnswerValue, PageAnswers};

/// One respondent's roster values (only those their row holds).
pub type Roster = BTreeMap<RosterField, String>;

/// A roster row as the survey reads it: the columns every row has, and the optional ones
/// it holds (district, grade, language).
pub fn from_row(school: &str, class: &str, role: &str, optional: [Option<String>; 3]) -> Roster {
    let mut roster = Roster::from([
        (RosterField::School, school.to_owned()),
        (RosterField::Class, class.to_owned()),
        (RosterField::Role, role.to_owned()),
    ]);
    let [district, grade, language] = optional;
    for (field, value) in
        [(RosterField::District, district), (RosterField::Grade, grade), (RosterField::Language, language)]
    {
        if let Some(v) = value {
            roster.insert(field, v);
        }
    }
    roster
}

/// The answer the roster gives `question`, if it names a column this respondent's row holds and the question can
/// take that value.
pub fn answer(question: &Question, roster: &Roster) -> Option<AnswerValue> {
    let given = roster.get(&question.from_roster?)?;
    let value = match &question.kind {
        QuestionKind::SingleChoice { .. } | QuestionKind::Dropdown { .. } => AnswerValue::Choice(given.clone()),
        QuestionKind::FreeText { .. } => AnswerValue::Text(given.clone()),
        QuestionKind::Number { .. } => AnswerValue::Number(given.trim().parse().ok()?),
        QuestionKind::Date => AnswerValue::Text(given.clone()),
        QuestionKind::MultipleChoice { .. }
        | QuestionKind::Likert { .. }
        | QuestionKind::Note
        | QuestionKind::Calculate { .. } => return None,
    };
    let mut errors = Vec::new();
    check_value(&question.kind, &value, "", &mut errors);
    (errors.is_empty() && !value.is_empty()).then_some(value)
}

/// Puts the roster's answers among `held`, answers by page (replacing whatever was held for those questions); returns
/// how many.
pub fn fill(survey: &ValidSurvey, held: &mut HashMap<String, PageAnswers>, roster: &Roster) -> usize {
    let mut filled = 0;
    if roster.is_empty() {
        return 0;
    }
    for page in &survey.survey().pages {
        for q in &page.questions {
            if let Some(value) = answer(q, roster) {
                held.entry(page.id.clone()).or_default().insert(q.id.clone(), value);
                filled += 1;
            }
        }
    }
    filled
}

/// Whether the roster answers `question` for this respondent, so that it is not asked.
pub fn fills(question: &Question, roster: &Roster) -> bool {
    answer(question, roster).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visibility::AllAnswers;

    const SURVEY: &str = r#"{"id": "s", "title": {"en": "S"}, "default_language": "en", "pages": [
        {"id": "about", "title": {"en": "About"}, "questions": [
            {"id": "role", "text": {"en": "Role?"}, "type": "single_choice", "required": true, "from_roster": "role",
             "choices": [{"code": "student", "label": {"en": "Student"}}, {"code": "teacher", "label": {"en": "Teacher"}}]},
            {"id": "grade", "text": {"en": "Grade?"}, "type": "number", "min": 1, "max": 12, "from_roster": "grade"},
            {"id": "school", "text": {"en": "School?"}, "type": "free_text", "max_length": 5, "from_roster": "school"}
        ]},
        {"id": "students", "title": {"en": "Students"}, "visible_if": {"equals": {"question": "role", "value": "student"}},
         "questions": [{"id": "likes", "text": {"en": "Like it?"}, "type": "free_text", "max_length": 50}]}
    ]}"#;

    #[test]
    fn the_roster_answers_what_the_question_can_take_and_steers_the_conditions() {
        let survey = ValidSurvey::parse(SURVEY).unwrap_or_else(|e| panic!("{e:?}"));
        let roster = Roster::from([
            (RosterField::Role, "student".to_owned()),
            (RosterField::Grade, "13".to_owned()),
            (RosterField::School, "Lincoln Elementary".to_owned()),
        ]);
        let mut held = AllAnswers::from([(
            "about".to_owned(),
            [("role".to_owned(), AnswerValue::Choice("teacher".into()))].into_iter().collect(),
        )]);
        // The role is the roster's, whatever was held; grade 13 is out of range and a 18-character school too long
        // for the question: both are asked instead.
        assert_eq!(fill(&survey, &mut held, &roster), 1);
        assert_eq!(held["about"]["role"], AnswerValue::Choice("student".into()));
        let about = &survey.survey().pages[0].questions;
        assert_eq!(about.iter().map(|q| fills(q, &roster)).collect::<Vec<_>>(), [true, false, false]);
        let active = crate::visibility::active_answers(&survey, &held);
        assert!(crate::visibility::page_visible(&survey, 1, &active), "the students' page follows the roster");
        let teacher = Roster::from([(RosterField::Role, "teacher".to_owned()), (RosterField::Grade, "7".to_owned())]);
        fill(&survey, &mut held, &teacher);
        assert_eq!(held["about"]["grade"], AnswerValue::Number(7.0));
        assert!(!crate::visibility::page_visible(&survey, 1, &crate::visibility::active_answers(&survey, &held)));
        // A role that is no choice of the question (a parent, here) leaves it to be asked.
        assert!(!fills(&about[0], &Roster::from([(RosterField::Role, "parent".to_owned())])));
    }

    #[test]
    fn only_questions_of_one_value_take_a_roster_column() {
        let likert = SURVEY.replace(
            r#""type": "free_text", "max_length": 50}"#,
            r#""type": "multiple_choice", "from_roster": "language", "choices": [{"code": "es", "label": {"en": "es"}}]}"#,
        );
        let errors = ValidSurvey::parse(&likert).err().unwrap_or_default();
        assert_eq!(errors.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(), ["$.pages[1].questions[0].from_roster"]);
        let unknown = SURVEY.replace(r#""from_roster": "school""#, r#""from_roster": "shoe_size""#);
        assert!(ValidSurvey::parse(&unknown).is_err(), "an unknown column is refused");
    }
}
