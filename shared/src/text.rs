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

    /// Whether any language's text pipes an answer in (`${name}`).
    pub fn pipes(&self) -> bool {
        self.0.values().any(|t| piped(t).next().is_some())
    }

    /// Builds a text with a single language, mostly for tests.
    pub fn one(lang: &str, text: &str) -> Self {
        Text(BTreeMap::from([(lang.to_owned(), text.to_owned())]))
    }
}

/// The answers a text pipes in, `${name}` (XLSForm's piping in labels, hints and choice labels), in order.
pub fn piped(text: &str) -> impl Iterator<Item = &str> {
    text.split("${").skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name.trim()))
}

/// The text with every `${name}` replaced by `value(name)` (an answer's ODK value: a choice shows its code, as in
/// ODK; an unanswered question shows nothing).
pub fn pipe(text: &str, value: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else { break };
        out.push_str(&rest[..start]);
        out.push_str(&value(rest[start + 2..start + len].trim()));
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
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
        let piped_in = |name: &str| if name == "name" { "Ada".to_owned() } else { String::new() };
        assert_eq!(pipe("Hello ${name}, ${ other }!", piped_in), "Hello Ada, !");
        assert_eq!(pipe("Costs ${ and {x} ${unclosed", piped_in), "Costs  ${unclosed");
        assert_eq!(piped("a ${x} b ${ y } ${z").collect::<Vec<_>>(), ["x", "y"]);
    }
}
