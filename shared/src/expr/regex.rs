//! regex() patterns. The server checks and matches them with `regex-lite`; the respondent app with the browser's
//! own `RegExp`, which is what Enketo's evaluator uses and which costs the bundle nothing (regex-lite would add about
//! 24 KB of brotli to it). Survey validation holds every literal pattern against `check_regex` at upload, so a
//! published survey holds only patterns regex-lite understands; one the browser still refuses matches nothing there.

/// Whether the engine's regex() can use `pattern`: survey validation refuses a form whose literal patterns
/// ([`Expr::regexes`](super::Expr::regexes)) do not pass. In the app (which only reads published surveys) always `Ok`.
pub fn check_regex(pattern: &str) -> Result<(), String> {
    #[cfg(not(target_arch = "wasm32"))]
    if let Err(e) = regex_lite::Regex::new(pattern) {
        return Err(format!("the pattern `{pattern}` of regex() does not compile: {e}"));
    }
    let _ = pattern;
    Ok(())
}

/// A match anywhere in `value`; `Some(false)` for a pattern that does not compile.
#[cfg(not(target_arch = "wasm32"))]
pub fn regex_match(value: &str, pattern: &str) -> Option<bool> {
    Some(regex_lite::Regex::new(pattern).is_ok_and(|re| re.is_match(value)))
}

/// A match anywhere in `value`, by the browser's RegExp; `Some(false)` for a pattern it refuses.
#[cfg(target_arch = "wasm32")]
pub fn regex_match(value: &str, pattern: &str) -> Option<bool> {
    use js_sys::{Array, Reflect, RegExp};
    // Through Reflect: a pattern the browser refuses throws, which must not stop the app.
    let constructor = RegExp::new("", "").constructor();
    let args = Array::of2(&pattern.into(), &"u".into());
    Some(Reflect::construct(&constructor, &args).is_ok_and(|re| RegExp::from(re).test(value)))
}
