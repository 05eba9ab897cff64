//! The bundle's own words (a respondent's status, chosen or not, why a cell is empty) in the language the labels are
//! asked in: Spanish or English, the languages Quire's own words speak (`quire_shared::app_text::APP_LANGUAGES`).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    NotStarted,
    InProgress,
    Completed,
    NotChosen,
    Chosen,
    NotShown,
    NotReached,
    NotAnswered,
}

/// `status`: 0, 1, 2.
pub const STATUS: [(i64, Word); 3] = [(0, Word::NotStarted), (1, Word::InProgress), (2, Word::Completed)];
/// A multiple choice's option columns: 0, 1.
pub const FLAG: [(i64, Word); 2] = [(0, Word::NotChosen), (1, Word::Chosen)];

pub fn word(w: Word, lang: &str) -> &'static str {
    use Word::*;
    let spanish = lang.split('-').next() == Some("es");
    match (w, spanish) {
        (NotStarted, false) => "not started",
        (InProgress, false) => "in progress",
        (Completed, false) => "completed",
        (NotChosen, false) => "not chosen",
        (Chosen, false) => "chosen",
        (NotShown, false) => "not shown (skip logic, or not in the respondent's version)",
        (NotReached, false) => "not reached (stopped before this page)",
        (NotAnswered, false) => "not answered (shown and left blank)",
        (NotStarted, true) => "no comenzó",
        (InProgress, true) => "en curso",
        (Completed, true) => "completó",
        (NotChosen, true) => "no elegida",
        (Chosen, true) => "elegida",
        (NotShown, true) => "no mostrada (lógica de salto, o no está en la versión del encuestado)",
        (NotReached, true) => "no alcanzada (se detuvo antes de esta página)",
        (NotAnswered, true) => "sin respuesta (mostrada y dejada en blanco)",
    }
}
