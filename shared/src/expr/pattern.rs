//! `regex()` patterns. The server checks and matches them with `regex-lite`; the respondent app with the browser's
//! own `RegExp`, which is what Enketo's evaluator uses, and which costs the bundle nothing (regex-lite added about
//! 25 KB of brotli to it). A survey's literal patterns pass `regex-lite` at upload (`parse`), so a published survey
//! holds only patterns both understand; a pattern the browser still refuses matches nothing there.

/// Why a pattern cannot be used (checked natively; the app trusts the published survey).
pub fn check(pattern: &str) -> Result<(), String> {
    #[cfg(not(target_arch = "wasm32"))]
    return regex_lite::Regex::new(pattern).map(drop).map_err(|e| e.to_string());
    #[cfg(target_arch = "wasm32")]
    {
        let _ = pattern;
        Ok(())
    }
}

/// Whether `pattern` matches anywhere in `value`; a pattern that does not compile matches nothing.
#[cfg(not(target_arch = "wasm32"))]
pub fn is_match(value: &str, pattern: &str) -> bool {
    regex_lite::Regex::new(pattern).is_ok_and(|re| re.is_match(value))
}

#[cfg(target_arch = "wasm32")]
pub fn is_match(value: &str, pattern: &str) -> bool {
    use js_sys::{Array, Reflect, RegExp};
    // Through Reflect: a pattern the browser refuses throws, which must not stop the app.
    let constructor = RegExp::new("", "").constructor();
    let args = Array::of2(&pattern.into(), &"u".into());
    match Reflect::construct(&constructor, &args) {
        Ok(re) => RegExp::from(re).test(value),
        Err(_) => false,
    }
}
