//! Translatable text: every string a respondent reads exists in the survey's default language and optionally others.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Language tag (e.g. `en`, `es`) to text. A `BTreeMap` keeps the serialized form canonical, which the content hash
/// of a survey version relies on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Text(pub BTreeMap<String, String>);

impl Text {
    /// Text in `lang`, falling back to `default_lang`, then to any language at all.
    pub fn get<'a>(&'a self, lang: &str, default_lang: &str) -> &'a str {
        self.0
            .get(lang)
            .or_else(|| self.0.get(default_lang))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Builds a text with a single language, mostly for tests.
    pub fn one(lang: &str, text: &str) -> Self {
        Text(BTreeMap::from([(lang.to_owned(), text.to_owned())]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falls_back_to_default_language() {
        let mut t = Text::one("en", "Hello");
        assert_eq!(t.get("es", "en"), "Hello");
        t.0.insert("es".into(), "Hola".into());
        assert_eq!(t.get("es", "en"), "Hola");
        assert_eq!(Text::default().get("en", "en"), "");
    }
}
