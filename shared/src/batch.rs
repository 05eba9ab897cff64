//! The server's answer checks of one batch of page-saves, here so that the property tests of `tests/visibility.rs`
//! can hold them against the app's rules (`visibility`) without a server.
//!
//! The server sees only the saves of a batch: it checks each save, in revision order, against the saves of lower
//! revision in the same batch (what the respondent had answered when they made it), and treats every other page as
//! unknown. It rejects only what is provably wrong.

use std::collections::HashMap;

use crate::answer::{not_given, validate_page_answers, AnswerError};
use crate::condition::{AnswerSource, Lookup};
use crate::protocol::PageSave;
use crate::storable::check_finish;
use crate::valid::ValidSurvey;
use crate::value::PageAnswers;

/// Answers of the batch's saves with a lower revision than the one being checked.
struct Earlier<'a> {
    survey: &'a ValidSurvey,
    pages: HashMap<&'a str, &'a PageAnswers>,
}

impl AnswerSource for Earlier<'_> {
    fn lookup(&self, question: &str) -> Lookup<'_> {
        let page = self.survey.page_of(question).unwrap_or_default();
        match self.pages.get(page) {
            Some(answers) => answers.get(question).map_or_else(|| not_given(self.survey, question), Lookup::Value),
            None => Lookup::Unknown,
        }
    }
}

/// The answer checks of each save (in the order given): values, required questions (not for drafts) and `finishes`
/// only where no page provably follows. A save that fails is not used as context for later ones.
pub fn check_saves(survey: &ValidSurvey, saves: &[&PageSave]) -> Vec<Result<(), Vec<AnswerError>>> {
    let mut results: Vec<Result<(), Vec<AnswerError>>> = vec![Ok(()); saves.len()];
    let mut order: Vec<usize> = (0..saves.len()).collect();
    order.sort_by_key(|&i| saves[i].revision);
    let mut earlier = Earlier { survey, pages: HashMap::new() };
    for i in order {
        let save = saves[i];
        if let Err(errors) = validate_page_answers(survey, &save.page_id, &save.answers, &earlier, !save.draft) {
            results[i] = Err(errors);
            continue;
        }
        let before = earlier.pages.insert(&save.page_id, &save.answers);
        if save.finishes {
            // Judged with this page's own answers known: they may hide the pages after it.
            if let Err(error) = check_finish(survey, &save.page_id, &earlier) {
                results[i] = Err(vec![error]);
                match before {
                    Some(b) => earlier.pages.insert(&save.page_id, b),
                    None => earlier.pages.remove(save.page_id.as_str()),
                };
            }
        }
    }
    results
}
