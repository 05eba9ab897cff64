//! Language tags of translated columns (`label::English (en)`, `label::en`, `label:hindi`) and of
//! `default_language`, mapped to the codes Quire keys its texts by.
//!
//! Rules, in order: a code in parentheses wins (`English (en)` → `en`; a three-letter code with a known two-letter
//! one is shortened: `Swahili(swa)` → `sw`); a language name from `NAMES` (any case) gives its ISO 639-1 code; a
//! bare tag of the shape `xx`, `xxx` or `xx-YY` is taken as it is. Anything else cannot be mapped.

/// Language names (English and own-language spellings met in real forms) → ISO 639-1.
const NAMES: &[(&str, &str)] = &[
    ("afrikaans", "af"),
    ("amharic", "am"),
    ("arabic", "ar"),
    ("bangla", "bn"),
    ("bengali", "bn"),
    ("burmese", "my"),
    ("chichewa", "ny"),
    ("chinese", "zh"),
    ("dari", "prs"),
    ("dutch", "nl"),
    ("english", "en"),
    ("french", "fr"),
    ("german", "de"),
    ("hausa", "ha"),
    ("hindi", "hi"),
    ("hiligaynon", "hil"),
    ("cebuano", "ceb"),
    ("ilocano", "ilo"),
    ("filipino", "fil"),
    ("igbo", "ig"),
    ("indonesian", "id"),
    ("italian", "it"),
    ("japanese", "ja"),
    ("kinyarwanda", "rw"),
    ("kurdish", "ku"),
    ("luganda", "lg"),
    ("malagasy", "mg"),
    ("nepali", "ne"),
    ("oromo", "om"),
    ("pashto", "ps"),
    ("persian", "fa"),
    ("portuguese", "pt"),
    ("russian", "ru"),
    ("shona", "sn"),
    ("somali", "so"),
    ("spanish", "es"),
    ("swahili", "sw"),
    ("tagalog", "tl"),
    ("tamil", "ta"),
    ("telugu", "te"),
    ("thai", "th"),
    ("tigrinya", "ti"),
    ("turkish", "tr"),
    ("ukrainian", "uk"),
    ("urdu", "ur"),
    ("vietnamese", "vi"),
    ("wolof", "wo"),
    ("yoruba", "yo"),
    ("zulu", "zu"),
    ("kirundi", "rn"),
    ("lingala", "ln"),
    ("marathi", "mr"),
    ("gujarati", "gu"),
    ("kannada", "kn"),
    ("malayalam", "ml"),
    ("odia", "or"),
    ("punjabi", "pa"),
    ("sinhala", "si"),
    ("khmer", "km"),
    ("lao", "lo"),
    // Own-language names after the English ones: an export names a language by its first entry.
    ("العربية", "ar"),
    ("deutsch", "de"),
    ("español", "es"),
    ("espanol", "es"),
    ("français", "fr"),
    ("francais", "fr"),
    ("bahasa indonesia", "id"),
    ("kiswahili", "sw"),
    ("farsi", "fa"),
    ("português", "pt"),
];

/// Three-letter codes seen in forms whose two-letter code Quire uses.
const THREE_TO_TWO: &[(&str, &str)] = &[
    ("swa", "sw"),
    ("eng", "en"),
    ("fra", "fr"),
    ("fre", "fr"),
    ("spa", "es"),
    ("por", "pt"),
    ("ara", "ar"),
    ("hin", "hi"),
    ("deu", "de"),
    ("ger", "de"),
    ("ind", "id"),
    ("nep", "ne"),
];

/// The code for a language as a form writes it, or `None` when it cannot be mapped.
pub(crate) fn code(written: &str) -> Option<String> {
    let written = written.trim();
    if let Some((name, rest)) = written.split_once('(') {
        let inner = rest.trim_end().strip_suffix(')')?.trim();
        if is_tag(inner) {
            return Some(shorten(inner));
        }
        return code(name);
    }
    let lower = written.to_lowercase();
    if let Some((_, c)) = NAMES.iter().find(|(n, _)| *n == lower) {
        return Some((*c).to_owned());
    }
    is_tag(written).then(|| shorten(written))
}

fn shorten(tag: &str) -> String {
    let lower = tag.to_ascii_lowercase();
    THREE_TO_TWO.iter().find(|(three, _)| *three == lower).map(|(_, two)| (*two).to_owned()).unwrap_or(tag.to_owned())
}

/// `en`, `swa`, `pt-BR`, `zh-Hant`: a primary subtag of two or three letters and optional subtags.
fn is_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let primary = parts.next().unwrap_or_default();
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// How an export names a language in headers: `English (en)` when the name is known, else the bare code.
pub(crate) fn header_name(code: &str) -> String {
    // The first name listed for the code: the English one.
    match NAMES.iter().find(|(_, c)| *c == code) {
        Some((name, _)) => {
            let mut chars = name.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase()).unwrap_or_default();
            format!("{first}{} ({code})", chars.as_str())
        }
        None => code.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_in_the_corpus_maps() {
        for (written, want) in [
            ("English (en)", "en"),
            ("English(en)", "en"),
            ("en", "en"),
            ("English", "en"),
            ("english", "en"),
            ("hindi", "hi"),
            ("hiligaynon", "hil"),
            ("cebuano", "ceb"),
            ("ilocano", "ilo"),
            ("filipino", "fil"),
            ("Swahili(swa)", "sw"),
            ("Deutsch (de)", "de"),
            ("العربية", "ar"),
            ("Igbo", "ig"),
            ("Español (es)", "es"),
            ("pt-BR", "pt-BR"),
            ("nepali(ne)", "ne"),
        ] {
            assert_eq!(code(written).as_deref(), Some(want), "{written}");
        }
        assert_eq!(code("Klingon"), None);
        assert_eq!(code("default"), None);
    }

    #[test]
    fn header_names_read_back() {
        for c in ["en", "es", "ar", "pt-BR", "sw", "xyz"] {
            assert_eq!(code(&header_name(c)).as_deref(), Some(c), "{}", header_name(c));
        }
        assert_eq!(header_name("es"), "Spanish (es)");
    }
}
