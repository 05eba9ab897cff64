//! Reading an author's survey file so that every problem of shape is reported at once.
//!
//! serde stops at the first field it cannot read, so a file with five mistakes would name one. Here the file is read
//! as JSON first (a syntax error does stop everything: nothing after it can be trusted), then the survey's own
//! fields, each page and each question are read on their own, so that a mistake in one does not hide the next.
//! Only when every part reads does the survey exist; the structural checks (`validate`) then find the rest.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::survey::{Page, Question, Survey};
use crate::validate::SurveyError;

/// The survey in `json`, or every problem of shape, each with its JSON path.
pub fn read(json: &str) -> Result<Survey, Vec<SurveyError>> {
    let value: Value = serde_json::from_str(json).map_err(|e| vec![SurveyError::new("$", e.to_string())])?;
    if let Ok(survey) = serde_json::from_value::<Survey>(value.clone()) {
        return Ok(survey);
    }
    let mut errors = Vec::new();
    let Value::Object(mut top) = value else {
        return Err(vec![SurveyError::new("$", "a survey file is a JSON object")]);
    };
    let pages = top.remove("pages");
    top.insert("pages".into(), Value::Array(Vec::new()));
    part::<Survey>(Value::Object(top), "$", &mut errors);
    match pages {
        None => errors.push(SurveyError::new("$", "missing field `pages`")),
        Some(Value::Array(pages)) => {
            for (pi, page) in pages.into_iter().enumerate() {
                read_page(page, &format!("$.pages[{pi}]"), &mut errors);
            }
        }
        Some(_) => errors.push(SurveyError::new("$.pages", "must be a list of pages")),
    }
    if errors.is_empty() {
        // Every part read on its own yet the whole did not: name it rather than pass.
        errors.push(SurveyError::new("$", "the survey could not be read"));
    }
    Err(errors)
}

fn read_page(page: Value, path: &str, errors: &mut Vec<SurveyError>) {
    let Value::Object(mut page) = page else {
        errors.push(SurveyError::new(path, "a page is a JSON object"));
        return;
    };
    let questions = page.remove("questions");
    page.insert("questions".into(), Value::Array(Vec::new()));
    part::<Page>(Value::Object(page), path, errors);
    match questions {
        None => errors.push(SurveyError::new(path, "missing field `questions`")),
        Some(Value::Array(questions)) => {
            for (qi, q) in questions.into_iter().enumerate() {
                part::<Question>(q, &format!("{path}.questions[{qi}]"), errors);
            }
        }
        Some(_) => errors.push(SurveyError::new(format!("{path}.questions"), "must be a list of questions")),
    }
}

/// Reads one part; its first problem (serde's) goes to `errors` with the part's path in front.
fn part<T: DeserializeOwned>(value: Value, path: &str, errors: &mut Vec<SurveyError>) {
    if let Err(e) = serde_path_to_error::deserialize::<_, T>(value) {
        let inner = e.path().to_string();
        let at = if inner == "." { path.to_owned() } else { format!("{path}.{inner}") };
        errors.push(SurveyError::new(at, e.into_inner().to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_mistakes_are_five_problems_each_at_its_place() {
        let json = r#"{"id":"s","title":{"en":"T"},"default_language":"en","colour":1,"pages":[
            {"id":"p1","title":{"en":"P"},"questions":[
                {"id":"q1","text":{"en":"Q"},"type":"number","min":"zero"},
                {"id":"q2","text":{"en":"Q"},"type":"slider"},
                {"id":"q3","text":{"en":"Q"},"type":"free_text","max_length":10}]},
            {"id":"p2","title":"P2","questions":[
                {"id":"q4","text":{"en":"Q"},"type":"single_choice","choices":[{"code":"1"}]}]}]}"#;
        let errors = read(json).expect_err("five mistakes");
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(errors.len(), 5, "{errors:#?}");
        assert!(errors[0].message.contains("colour"), "{errors:#?}");
        // A question's kind is flattened into it, so serde names the question, not the field, for those.
        assert_eq!(
            paths,
            [
                "$.colour",
                "$.pages[0].questions[0]",
                "$.pages[0].questions[1]",
                "$.pages[1].title",
                "$.pages[1].questions[0]"
            ]
        );
        assert!(errors[1].message.contains("zero") && errors[2].message.contains("slider"), "{errors:#?}");
        assert!(errors[4].message.contains("label"), "{errors:#?}");
    }

    #[test]
    fn a_syntax_error_is_one_problem_and_a_good_file_reads() {
        assert_eq!(read("{\"id\":").expect_err("syntax").len(), 1);
        let ok = read(include_str!("../fixtures/school-climate.json"));
        assert!(ok.is_ok(), "{ok:?}");
    }
}
