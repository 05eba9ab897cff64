//! The import, start to end: sheets → rows → groups → pages → a `Survey`, then the shared checks, whose findings
//! are located back at their cells.

use std::collections::{HashMap, HashSet};

use quire_shared::{Page, Survey, Text, ValidSurvey};

use crate::columns::{self, Column, Field};
use crate::ctx::Ctx;
use crate::locate::{Locator, Sheet, Sheets};
use crate::pages::{self, PageDraft};
use crate::problems::{Problem, Problems};
use crate::read::{self, Table};
use crate::settings::{self, Settings};
use crate::{choices, expressions, groups, rows, texts};

/// A survey read from a spreadsheet, with what it lost on the way.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Imported {
    pub survey: Survey,
    pub warnings: Vec<Problem>,
}

pub(crate) fn run(bytes: &[u8], file_name: &str) -> Result<Imported, Vec<Problem>> {
    let book = read::workbook(bytes, file_name)?;
    let mut problems = Problems::default();
    let settings = settings::parse(book.settings.as_ref(), &mut problems);
    let survey_cols = columns::parse(&book.survey, &mut problems);
    let empty = Table { sheet: "choices".into(), ..Table::default() };
    let choices_table = book.choices.as_ref().unwrap_or(&empty);
    let choice_cols = columns::parse(choices_table, &mut problems);
    let langs = texts::languages(&settings, &[&survey_cols, &choice_cols], &mut problems);
    let lists = choices::parse(choices_table, &choice_cols, &langs, &mut problems);
    let mut survey_rows = rows::parse(&book.survey, &survey_cols, &langs, &mut problems);
    expressions::metadata_closure(&mut survey_rows);
    let type_col = survey_cols.iter().find(|c| c.field == Field::Type).map(|c| (c.index, c.header.as_str()));
    let tree = groups::tree(&survey_rows, &book.survey.sheet, type_col, &mut problems);
    let title = title(&settings, file_name, &langs.default, &langs.others);
    let mut ctx = Ctx {
        sheet: &book.survey.sheet,
        columns: &survey_cols,
        lists: &lists,
        langs: &langs,
        used_lists: HashSet::new(),
        problems,
        locator: Locator::default(),
    };
    let drafts = pages::pages(&mut ctx, &survey_rows, &tree, &title);
    let known = known_names(&drafts);
    expressions::check(&mut ctx, &survey_rows, &known);
    unused_lists(&mut ctx, &lists, choices_table, &choice_cols);
    duplicate_ids(&mut ctx, &drafts);
    let Ctx { mut problems, mut locator, .. } = ctx;
    let survey = Survey {
        id: survey_id(&settings, file_name),
        title,
        default_language: langs.default.clone(),
        languages: langs.others.clone(),
        pages: assemble(drafts, &mut locator),
    };
    register_settings(&settings, &mut locator);
    // "No page at all" is about the survey sheet as a whole: its header row.
    locator.row("$.pages", Sheet::Survey, book.survey.header_row.max(1));
    let sheets = Sheets {
        names: [&book.survey.sheet, &choices_table.sheet, &settings.sheet],
        columns: [&survey_cols, &choice_cols, &[]],
        default_language: &langs.default,
    };
    check(&survey, &locator, &sheets, &mut problems);
    finish(survey, problems)
}

/// Names an expression may read: the questions built, and the statements of Likert matrices.
fn known_names(drafts: &[PageDraft]) -> HashSet<String> {
    let mut known = HashSet::new();
    for q in drafts.iter().flat_map(|d| &d.questions).map(|p| &p.question) {
        known.insert(q.id.clone());
        if let quire_shared::QuestionKind::Likert { statements, .. } = &q.kind {
            known.extend(statements.iter().map(|s| s.id.clone()));
        }
    }
    known
}

/// The survey's title. XLSForm's `form_title` has no languages: a title given only there is every language's (as
/// ODK shows it); Quire's own `quire::form_title::…` columns translate it.
fn title(settings: &Settings, file_name: &str, default: &str, others: &[String]) -> Text {
    let mut t = Text::default();
    for (lang, (value, _)) in &settings.title {
        t.0.insert(lang.clone().unwrap_or_else(|| default.to_owned()), value.clone());
    }
    if !t.0.contains_key(default) {
        let fallback = settings.form_id.as_ref().map(|(id, _)| id.clone()).unwrap_or_else(|| stem(file_name));
        t.0.insert(default.to_owned(), fallback);
    }
    if !settings.translated_title {
        let one = t.0.get(default).cloned().unwrap_or_default();
        for lang in others {
            t.0.insert(lang.clone(), one.clone());
        }
    }
    t
}

fn stem(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    base.rsplit_once('.').map(|(s, _)| s).unwrap_or(base).to_owned()
}

fn survey_id(settings: &Settings, file_name: &str) -> String {
    settings::id_safe(&settings.form_id.as_ref().map(|(id, _)| id.clone()).unwrap_or_else(|| stem(file_name)))
}

fn assemble(drafts: Vec<PageDraft>, locator: &mut Locator) -> Vec<Page> {
    let mut ids: HashSet<String> = drafts.iter().filter(|d| d.row.is_some()).map(|d| d.id.clone()).collect();
    let mut pages = Vec::new();
    for (pi, d) in drafts.into_iter().enumerate() {
        let path = format!("$.pages[{pi}]");
        let mut id = d.id;
        if d.row.is_none() {
            // A gathered page's id must not take a group's name.
            while !ids.insert(id.clone()) {
                id.push('_');
            }
        }
        match d.row {
            Some(row) => locator.row(path.clone(), Sheet::Survey, row),
            None => {
                if let Some(first) = d.questions.first() {
                    locator.row(path.clone(), Sheet::Survey, first.row);
                }
                locator.cell(format!("{path}.title"), Sheet::Settings, None, None);
            }
        }
        for (qi, p) in d.questions.iter().enumerate() {
            p.register(&format!("{path}.questions[{qi}]"), locator);
        }
        let questions = d.questions.into_iter().map(|p| p.question).collect();
        pages.push(Page { id, title: d.title, visible_if: d.visible_if, relevant: d.relevant, questions });
    }
    pages
}

fn register_settings(settings: &Settings, locator: &mut Locator) {
    let cell = |p: &settings::Place| (Some(p.row), Some((p.index, p.header.clone())));
    if let Some((_, p)) = &settings.form_id {
        let (row, col) = cell(p);
        locator.cell("$.id", Sheet::Settings, row, col);
    }
    if let Some((_, p)) = &settings.default_language {
        let (row, col) = cell(p);
        locator.cell("$.default_language", Sheet::Settings, row, col);
    }
    for (lang, (_, p)) in &settings.title {
        let (row, col) = cell(p);
        let path = lang.as_ref().map(|l| format!("$.title.{l}")).unwrap_or_else(|| "$.title".to_owned());
        locator.cell(path, Sheet::Settings, row, col);
    }
}

/// Lists no question uses: their rows would otherwise vanish unseen.
fn unused_lists(ctx: &mut Ctx<'_>, lists: &choices::Lists, table: &Table, columns: &[Column]) {
    let mut unused: Vec<(&String, u32)> = lists
        .iter()
        .filter(|(name, _)| !ctx.used_lists.contains(*name))
        .map(|(name, cs)| (name, cs.first().map(|c| c.row).unwrap_or_default()))
        .collect();
    unused.sort_by_key(|(_, row)| *row);
    let col = columns.iter().find(|c| c.field == Field::ListName).map(|c| (c.index, c.header.as_str()));
    for (name, row) in unused {
        ctx.problems.warn(&table.sheet, Some(row), col, format!("list `{name}` is used by no question; ignored"));
    }
}

/// Question ids are answer keys: the second row with a name already taken is an error at its name.
fn duplicate_ids(ctx: &mut Ctx<'_>, drafts: &[PageDraft]) {
    let mut seen: HashMap<&str, u32> = HashMap::new();
    let mut errors = Vec::new();
    for p in drafts.iter().flat_map(|d| &d.questions) {
        if let Some(first) = seen.insert(&p.question.id, p.row) {
            errors.push((p.row, format!("the name `{}` is taken already (row {first})", p.question.id)));
        }
    }
    let mut pages: HashMap<&str, u32> = HashMap::new();
    for d in drafts {
        if let Some(row) = d.row {
            if let Some(first) = pages.insert(&d.id, row) {
                errors.push((row, format!("the group name `{}` is taken already (row {first})", d.id)));
            }
        }
    }
    for (row, message) in errors {
        ctx.error(row, Some(Field::Name), message);
    }
}

/// The shared checks, each finding at its cell; a finding where the import already reported an error is the same
/// problem told twice and is left out.
fn check(survey: &Survey, locator: &Locator, sheets: &Sheets<'_>, problems: &mut Problems) {
    let (errors, warnings) = match ValidSurvey::new(survey.clone()) {
        Ok(v) => (Vec::new(), v.warnings().to_vec()),
        Err(e) => (e, Vec::new()),
    };
    let known: HashSet<(String, Option<u32>)> = problems.errors.iter().map(|p| (p.sheet.clone(), p.row)).collect();
    for e in errors {
        let p = locator.locate(&e.path, &e.message, sheets);
        if !known.contains(&(p.sheet.clone(), p.row)) {
            problems.errors.push(p);
        }
    }
    for w in warnings {
        problems.warnings.push(locator.locate(&w.path, &w.message, sheets));
    }
}

fn finish(survey: Survey, mut problems: Problems) -> Result<Imported, Vec<Problem>> {
    // The sheets in the order a researcher reads them, then row by row.
    let rank = |sheet: &str| match sheet.to_lowercase().as_str() {
        "survey" => 0,
        "choices" => 1,
        "settings" => 2,
        _ => 3,
    };
    let order = |p: &Problem| (rank(&p.sheet), p.row.unwrap_or(0));
    problems.errors.sort_by_key(order);
    problems.warnings.sort_by_key(order);
    if problems.errors.is_empty() {
        Ok(Imported { survey, warnings: problems.warnings })
    } else {
        Err(problems.errors)
    }
}
