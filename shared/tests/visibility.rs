//! The app's rules and the server's check, held against each other over random journeys through a survey with nested
//! skip logic: answers given and taken back, Back and Next, changes to the questions that conditions read, saves
//! delivered in random batches.
//!
//! - every save the app's rules make, the server's batch check accepts, however the outbox is cut into batches;
//! - the page checks agree: with everything else known, the server accepts a page left with Next exactly when the
//!   app lets the respondent leave it;
//! - the server's current answers are the active answers the device holds, page by page;
//! - the server's completion check agrees with the app's at Finish;
//! - with the role taken from the roster (`roster.rs`): the app never shows or sends it, every save still passes,
//!   a page the app lets the respondent leave the server accepts, and the finish passes with the roster's row;
//! - through a survey of ODK expressions too (fixtures/expressions.json: a calculation that opens a page, a
//!   constraint, required-if, a choice filter, a calculation that reads the clock): the same, with the server
//!   recomputing every calculation the app sends.

use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;
use quire_shared::batch::check_saves;
use quire_shared::roster::fills;
use quire_shared::visibility::{
    active_with_roster, completion_errors, incomplete_pages, next_page, page_answers, page_problems, pages_to_save,
    previous_page, question_visible, AllAnswers, LastSaved,
};
use quire_shared::{AnswerValue, PageAnswers, PageSave, QuestionKind, Roster, RosterField, ValidSurvey};

const SKIP: &str = include_str!("../fixtures/skip-logic.json");
const EXPRESSIONS: &str = include_str!("../fixtures/expressions.json");

#[derive(Debug, Clone)]
enum Op {
    /// Answer (or clear, `None` value) the `q`-th visible question of the page on screen with variant `v`.
    Answer {
        q: usize,
        v: Option<u8>,
    },
    Next,
    Back,
    /// The draft timer fires.
    Draft,
    /// The sync loop sends the `n` oldest waiting saves (at least one) and the server stores what it accepts.
    Sync {
        n: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..6, prop::option::weighted(0.85, any::<u8>())).prop_map(|(q, v)| Op::Answer { q, v }),
        3 => Just(Op::Next),
        1 => Just(Op::Back),
        1 => Just(Op::Draft),
        2 => (1usize..6).prop_map(|n| Op::Sync { n }),
    ]
}

/// A valid answer to a question, chosen by `v` (the app only ever holds what a respondent can enter, and the inputs
/// of these kinds take nothing else; out-of-range numbers are covered by the unit tests).
fn value(kind: &QuestionKind, v: u8) -> AnswerValue {
    let v = v as usize;
    match kind {
        QuestionKind::SingleChoice { choices } | QuestionKind::Dropdown { choices } => {
            AnswerValue::Choice(choices[v % choices.len()].code.clone())
        }
        QuestionKind::MultipleChoice { choices, max_selected, .. } => {
            let max = max_selected.map_or(choices.len(), |m| m as usize);
            let n = 1 + v % max;
            AnswerValue::Choices(choices.iter().skip((v / 7) % choices.len()).take(n).map(|c| c.code.clone()).collect())
        }
        QuestionKind::Likert { scale, statements } => AnswerValue::Matrix(
            statements
                .iter()
                .enumerate()
                .filter(|(k, _)| (v >> k) & 1 == 1 || !v.is_multiple_of(3))
                .map(|(k, s)| (s.id.clone(), scale[(v + k) % scale.len()].code.clone()))
                .collect::<BTreeMap<_, _>>(),
        ),
        QuestionKind::FreeText { .. } => AnswerValue::Text(format!("t{v}")),
        QuestionKind::Number { min, max, .. } => {
            let (lo, hi) = (min.unwrap_or(0.0), max.unwrap_or(100.0));
            AnswerValue::Number((lo + (v as f64) % (hi - lo + 1.0)).floor().min(hi))
        }
        QuestionKind::Date => AnswerValue::Text(format!("2026-01-{:02}", 1 + v % 28)),
        QuestionKind::Note | QuestionKind::Calculate { .. } => AnswerValue::Text(String::new()),
    }
}

/// The device: what it holds, what it last saved, its outbox (one save per page, the latest), the page on screen.
struct Device<'a> {
    survey: &'a ValidSurvey,
    /// What the respondent's roster row says (empty: the survey reads no roster).
    roster: Roster,
    held: AllAnswers,
    last: LastSaved,
    outbox: BTreeMap<String, PageSave>,
    page: usize,
    revision: u64,
    finished: bool,
}

/// The server: every stored save's latest revision per page.
#[derive(Default)]
struct Server {
    current: HashMap<String, (u64, PageAnswers, bool)>,
    completed: bool,
}

impl Device<'_> {
    /// As the app's `Run`: the roster's answers count, but are not held.
    fn active(&self) -> AllAnswers {
        active_with_roster(self.survey, &self.held, &self.roster)
    }

    /// What the app sends of a page: the active answers the respondent gave, and the calculations.
    fn sent(&self, active: &AllAnswers, page: &str) -> PageAnswers {
        let mut answers = page_answers(active, page);
        let calculation = |q: &str| self.survey.question(q).is_some_and(|q| !q.kind.is_answered());
        answers.retain(|q, _| self.held.get(page).is_some_and(|g| g.contains_key(q)) || calculation(q));
        answers
    }

    fn save(&mut self, draft: bool, finishes: bool) {
        let active = self.active();
        for (i, answers, draft) in pages_to_save(self.survey, &self.held, &active, &self.last, self.page, draft) {
            let page_id = self.survey.survey().pages[i].id.clone();
            self.revision += 1;
            self.last.insert(page_id.clone(), (answers.clone(), draft));
            let save = PageSave {
                page_id: page_id.clone(),
                revision: self.revision,
                answers,
                client_time: time::macros::datetime!(2026-11-29 10:00 UTC),
                finishes: finishes && i == self.page,
                draft,
            };
            self.outbox.insert(page_id, save);
        }
    }
}

/// A journey; with `role`, through the survey whose `role` question reads the roster, for a respondent whose roster
/// row says `role` (a code the question may not have: then it is asked).
fn journey(ops: Vec<Op>, role: Option<&str>) -> Result<(), TestCaseError> {
    let text = match role {
        Some(_) => SKIP.replacen(r#""id": "role","#, r#""id": "role", "from_roster": "role","#, 1),
        None => SKIP.to_owned(),
    };
    journey_in(&text, ops, role)
}

fn journey_in(text: &str, ops: Vec<Op>, role: Option<&str>) -> Result<(), TestCaseError> {
    let survey = ValidSurvey::parse(text).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
    let roster: Roster = role.map(|r| Roster::from([(RosterField::Role, r.to_owned())])).unwrap_or_default();
    let pages = &survey.survey().pages;
    let mut d = Device {
        survey: &survey,
        roster: roster.clone(),
        held: AllAnswers::new(),
        last: LastSaved::new(),
        outbox: BTreeMap::new(),
        page: 0,
        revision: 0,
        finished: false,
    };
    let mut server = Server::default();
    // The app writes a pending draft when it is closed or hidden; then everything is delivered.
    for op in ops.into_iter().chain([Op::Draft, Op::Sync { n: usize::MAX }]) {
        if d.finished && !matches!(op, Op::Sync { .. }) {
            continue;
        }
        match op {
            Op::Answer { q, v } => {
                let active = d.active();
                let page = &pages[d.page];
                // As the app's `Run::question_visible`: a question the roster answers is not on screen.
                let visible: Vec<_> = page
                    .questions
                    .iter()
                    .filter(|q| question_visible(&survey, q, &active) && !fills(q, &roster) && q.kind.is_answered())
                    .collect();
                let Some(question) = visible.get(q % visible.len().max(1)) else { continue };
                let answers = d.held.entry(page.id.clone()).or_default();
                match v {
                    Some(v) => answers.insert(question.id.clone(), value(&question.kind, v)),
                    None => answers.remove(&question.id),
                };
            }
            Op::Draft => d.save(true, false),
            Op::Back => {
                let active = d.active();
                if let Some(previous) = previous_page(&survey, d.page, &active) {
                    d.save(true, false);
                    d.page = previous;
                }
            }
            Op::Next => {
                let active = d.active();
                let problems = page_problems(&survey, d.page, &d.held, &active, true);
                // The server's view of the same page, with every other page known (sent before it, as drafts so
                // their own completeness does not matter): accepts exactly when the app lets the respondent go on.
                let mut context: Vec<PageSave> = pages
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != d.page)
                    .map(|(i, p)| PageSave {
                        page_id: p.id.clone(),
                        revision: i as u64 + 1,
                        answers: d.sent(&active, &p.id),
                        client_time: time::macros::datetime!(2026-11-29 10:00 UTC),
                        finishes: false,
                        draft: true,
                    })
                    .collect();
                context.push(PageSave {
                    page_id: pages[d.page].id.clone(),
                    revision: 1000,
                    answers: d.sent(&active, &pages[d.page].id),
                    client_time: time::macros::datetime!(2026-11-29 10:00 UTC),
                    finishes: false,
                    draft: false,
                });
                let refs: Vec<&PageSave> = context.iter().collect();
                let server_ok = check_saves(&survey, &refs).last().is_some_and(Result::is_ok);
                // With expressions, an answer a constraint refuses (an age typed as 130) or a filter now leaves out is
                // held and shown but not sent: the app keeps the respondent on the page to fix it, while the server,
                // which never receives it, has nothing to refuse. So there: never less than the app accepts.
                let exact = d.roster.is_empty() && survey.logic().questions.is_empty();
                if exact {
                    prop_assert_eq!(
                        problems.is_empty(),
                        server_ok,
                        "page {} problems {:?}",
                        pages[d.page].id,
                        problems
                    );
                } else {
                    // The server does not know the roster: it may accept more, never less.
                    prop_assert!(!problems.is_empty() || server_ok, "page {} refused by the server", pages[d.page].id);
                }
                if !problems.is_empty() {
                    continue;
                }
                match next_page(&survey, d.page, &active) {
                    Some(next) => {
                        d.save(false, false);
                        d.page = next;
                    }
                    None => {
                        let finals =
                            |p: &str| d.last.get(p).is_some_and(|(_, draft)| !draft) || p == pages[d.page].id.as_str();
                        if incomplete_pages(&survey, &active, finals).is_empty() {
                            d.save(false, true);
                            d.finished = true;
                        }
                    }
                }
            }
            Op::Sync { n } => {
                // Oldest first, as the app's sync loop sends them: a finishing save never overtakes the pages before it.
                let mut keys: Vec<(u64, String)> = d.outbox.iter().map(|(k, s)| (s.revision, k.clone())).collect();
                keys.sort();
                let keys: Vec<String> = keys.into_iter().take(n).map(|(_, k)| k).collect();
                let batch: Vec<PageSave> = keys.iter().filter_map(|k| d.outbox.remove(k)).collect();
                let refs: Vec<&PageSave> = batch.iter().collect();
                for (save, result) in batch.iter().zip(check_saves(&survey, &refs)) {
                    prop_assert!(result.is_ok(), "server rejected {:?}: {:?}", save, result);
                    let cur = server.current.get(&save.page_id).map_or(0, |c| c.0);
                    if save.revision > cur {
                        server.current.insert(save.page_id.clone(), (save.revision, save.answers.clone(), !save.draft));
                    }
                }
                // Judged, as the server does, over what it held and the whole batch.
                if batch.iter().any(|s| s.finishes) {
                    let pages = server.current.iter().map(|(p, (_, a, f))| (p.clone(), (a.clone(), *f))).collect();
                    let errors = completion_errors(&survey, &pages, &roster);
                    prop_assert!(errors.is_empty(), "finish refused: {:?}", errors);
                    server.completed = true;
                }
            }
        }
    }
    // Everything delivered: the server's current answers are the active answers the respondent gave, page by page
    // (never the roster's).
    let active = d.active();
    for page in pages {
        let stored = server.current.get(&page.id).map(|c| c.1.clone()).unwrap_or_default();
        // A page never saved (not reached) is not on the server, whatever calculation it would hold.
        let sent = if d.last.contains_key(&page.id) { d.sent(&active, &page.id) } else { PageAnswers::new() };
        prop_assert_eq!(&stored, &sent, "page {}", page.id);
        if d.roster.get(&RosterField::Role).is_some_and(|r| ["s", "t", "p"].contains(&r.as_str())) {
            prop_assert!(!stored.contains_key("role"), "the roster's role was sent");
        }
    }
    prop_assert_eq!(server.completed, d.finished);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn app_and_server_agree_on_every_save(ops in prop::collection::vec(op(), 1..120)) {
        journey(ops, None)?;
    }

    #[test]
    fn through_a_survey_of_odk_expressions_too(ops in prop::collection::vec(op(), 1..120)) {
        journey_in(EXPRESSIONS, ops, None)?;
    }

    #[test]
    fn with_the_role_from_the_roster_too(
        ops in prop::collection::vec(op(), 1..120),
        role in prop::sample::select(vec!["s", "t", "p", "x"]),
    ) {
        journey(ops, Some(role))?;
    }
}

/// A journey that takes the nested branch and then closes it: the pages it opened are saved empty, the survey
/// finishes, and the server agrees (the finding of a page lost while the app said everything arrived).
#[test]
fn closing_a_nested_branch_after_answering_it() {
    let mut ops = Vec::new();
    let answer = |q, v| Op::Answer { q, v: Some(v) };
    // start: role = s (choice 0), grade; s_school: climate all rows, safe = n; s_unsafe: days, told = y; s_told.
    ops.extend([answer(0, 0), answer(1, 0), Op::Next]);
    ops.extend([answer(0, 1), answer(1, 1), Op::Next]);
    ops.extend([answer(0, 3), answer(1, 0), Op::Sync { n: 9 }, Op::Next, answer(0, 1), answer(1, 1), Op::Next]);
    // Back to s_school and feel safe: s_unsafe and s_told close.
    ops.extend([Op::Back, Op::Back, Op::Back, answer(1, 0), Op::Next, answer(0, 2), Op::Next]);
    if let Err(e) = journey(ops, None) {
        panic!("{e}");
    }
}
