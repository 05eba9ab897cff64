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
    // Syntax regex-lite reads and a browser's RegExp does not (inline flags, named groups the Python way, anchors
    // and classes JavaScript spells otherwise): the app would match nothing with it.
    const NOT_IN_JS: [&str; 11] = ["(?i", "(?m", "(?s", "(?x", "(?U", "(?-", "(?P<", "\\A", "\\z", "\\Z", "[[:"];
    if let Some(bad) = NOT_IN_JS.iter().find(|s| pattern.contains(*s)) {
        return Err(format!("the pattern `{pattern}` of regex() uses `{bad}`, which a browser's RegExp does not read"));
    }
    Ok(())
}

/// A match anywhere in `value`; `Some(false)` for a pattern that does not compile.
#[cfg(not(target_arch = "wasm32"))]
pub fn regex_match(value: &str, pattern: &str) -> Option<bool> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    // Compiled once per thread and pattern: the server meets the same few patterns in every save and exported row.
    thread_local! {
        static COMPILED: RefCell<HashMap<String, Option<regex_lite::Regex>>> = RefCell::new(HashMap::new());
    }
    COMPILED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() > 1_000 {
            cache.clear();
        }
        let re = cache.entry(pattern.to_owned()).or_insert_with(|| regex_lite::Regex::new(pattern).ok());
        Some(re.as_ref().is_some_and(|re| re.is_match(value)))
    })
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
