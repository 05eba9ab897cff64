//! regex() patterns: regex-lite with the `regex` feature (the default). Without it (a respondent app that answers
//! [`Env::regex_match`](super::Env::regex_match) with the browser's RegExp) nothing here compiles a pattern.

/// Whether the engine's regex() can use `pattern`: survey validation refuses a form whose literal patterns
/// ([`Expr::regexes`](super::Expr::regexes)) do not pass. Always `Ok` without the `regex` feature.
pub fn check_regex(pattern: &str) -> Result<(), String> {
    #[cfg(feature = "regex")]
    if let Err(e) = regex_lite::Regex::new(pattern) {
        return Err(format!("the pattern `{pattern}` of regex() does not compile: {e}"));
    }
    let _ = pattern;
    Ok(())
}

/// A match anywhere in `value`; `Some(false)` for a pattern that does not compile, `None` (unknown) without the
/// `regex` feature.
pub fn regex_match(value: &str, pattern: &str) -> Option<bool> {
    #[cfg(feature = "regex")]
    return Some(regex_lite::Regex::new(pattern).is_ok_and(|re| re.is_match(value)));
    #[cfg(not(feature = "regex"))]
    {
        let _ = (value, pattern);
        None
    }
}
