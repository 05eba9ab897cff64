//! Which language each translated column is in, and a row's texts as Quire `Text`s.
//!
//! The default language is `default_language` from settings; without it, a plain `label` column is taken as English
//! (`en`, with a warning when other languages are present, since pyxform calls it "default" and names nothing), and a
//! form with only translated columns takes the first one's language. Every other language found in a header joins
//! `languages`, in the order the headers name them.

use quire_shared::Text;

use crate::columns::{Column, Field};
use crate::languages;
use crate::problems::Problems;
use crate::read::Row;
use crate::settings::Settings;

#[derive(Debug, Clone)]
pub(crate) struct Languages {
    pub default: String,
    pub others: Vec<String>,
}

pub(crate) fn languages(settings: &Settings, sheets: &[&[Column]], problems: &mut Problems) -> Languages {
    let translated: Vec<&str> = sheets
        .iter()
        .flat_map(|cs| cs.iter())
        .filter(|c| c.field.is_text())
        .filter_map(|c| c.lang.as_deref())
        .collect();
    let settings_langs = settings.title.keys().flatten().map(String::as_str);
    let mut order: Vec<String> = Vec::new();
    for l in translated.iter().copied().chain(settings_langs) {
        if !order.iter().any(|o| o == l) {
            order.push(l.to_owned());
        }
    }
    let plain = sheets.iter().flat_map(|cs| cs.iter()).any(|c| c.field.is_text() && c.lang.is_none());
    let default = match &settings.default_language {
        Some((written, place)) => languages::code(written).unwrap_or_else(|| {
            let at = Some((place.index, place.header.as_str()));
            problems.error(&settings.sheet, Some(place.row), at, format!("cannot tell which language `{written}` is"));
            "en".to_owned()
        }),
        None if plain || order.is_empty() => {
            if !order.is_empty() {
                let message = "the language of the plain `label` columns is not named; taken as English (en): set \
                               `default_language` in the settings sheet";
                problems.warn(&settings.sheet, None, None, message);
            }
            "en".to_owned()
        }
        None => order[0].clone(),
    };
    let others = order.into_iter().filter(|l| *l != default).collect();
    Languages { default, others }
}

/// The text of `field` in a row, over its plain and translated columns; `None` when every cell is empty.
/// A translated column wins over the plain one in the same language (a warning says so when they differ).
pub(crate) fn text(
    row: &Row,
    columns: &[Column],
    field: &Field,
    langs: &Languages,
    sheet: &str,
    problems: &mut Problems,
) -> Option<Text> {
    let mut t = Text::default();
    let mut plain: Option<(&Column, &str)> = None;
    for c in columns.iter().filter(|c| &c.field == field) {
        let v = row.get(c.index);
        if v.is_empty() {
            continue;
        }
        match &c.lang {
            Some(lang) => {
                t.0.insert(lang.clone(), v.to_owned());
            }
            None => plain = Some((c, v)),
        }
    }
    if let Some((c, v)) = plain {
        match t.0.get(&langs.default) {
            Some(other) if other != v => problems.warn(
                sheet,
                Some(row.number),
                Some((c.index, &c.header)),
                format!("differs from the `{}` column of the same language, which is kept", langs.default),
            ),
            Some(_) => {}
            None => {
                t.0.insert(langs.default.clone(), v.to_owned());
            }
        }
    }
    fill_default(&mut t, row, columns, field, langs, sheet, problems);
    (!t.0.is_empty()).then_some(t)
}

/// Quire shows every text in the default language; pyxform lets a form leave it out (ODK then shows nothing). The
/// first translation stands in for it, with a warning.
fn fill_default(
    t: &mut Text,
    row: &Row,
    columns: &[Column],
    field: &Field,
    langs: &Languages,
    sheet: &str,
    problems: &mut Problems,
) {
    if t.0.is_empty() || t.0.contains_key(&langs.default) {
        return;
    }
    let Some((lang, v)) = langs.others.iter().find_map(|l| t.0.get(l).map(|v| (l.clone(), v.clone()))) else {
        return;
    };
    let default = &langs.default;
    let at = column_of(columns, field, Some(&lang), default).map(|c| (c.index, c.header.as_str()));
    problems.warn(sheet, Some(row.number), at, format!("no `{default}` text: the `{lang}` one stands in for it"));
    t.0.insert(default.clone(), v);
}

/// The column a text of `field` in `lang` came from (for locating a problem): the translated one, else the plain.
pub(crate) fn column_of<'a>(
    columns: &'a [Column],
    field: &Field,
    lang: Option<&str>,
    default: &str,
) -> Option<&'a Column> {
    let of = |want: Option<&str>| columns.iter().find(|c| &c.field == field && c.lang.as_deref() == want);
    match lang {
        Some(l) => of(Some(l)).or_else(|| if l == default { of(None) } else { None }),
        None => of(Some(default)).or_else(|| of(None)),
    }
}
