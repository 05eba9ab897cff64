//! The app's own words come from `quire_shared::app_text` (where the survey check can see which languages they
//! exist in); this adds what only the screen needs.

pub use quire_shared::app_text::{t, Msg, APP_LANGUAGES};

/// The language to greet someone in before they sign in (no survey language yet): the first of the browser's
/// preferred languages the app speaks, else English.
pub fn browser_language() -> String {
    let preferred = web_sys::window().map(|w| w.navigator().languages()).map(|l| l.to_vec()).unwrap_or_default();
    preferred
        .iter()
        .filter_map(|l| l.as_string())
        .find(|l| quire_shared::app_text::speaks(l))
        .map(|l| l.split('-').next().unwrap_or("en").to_owned())
        .unwrap_or_else(|| "en".to_owned())
}

/// A language's own name for the switcher.
pub fn language_name(code: &str) -> &str {
    match code {
        "en" => "English",
        "es" => "Español",
        "fr" => "Français",
        "zh" => "中文",
        "ar" => "العربية",
        "pl" => "Polski",
        _ => code,
    }
}
