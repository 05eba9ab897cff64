//! Quoting texts for the script files, and cutting labels to a package's limit without splitting a character.

/// `'…'` with `'` doubled (SPSS) and line breaks made spaces.
pub fn single_quoted(s: &str) -> String {
    format!("'{}'", one_line(s).replace('\'', "''"))
}

/// Stata's compound quotes `` `"…"' ``, which need no escaping inside, as long as the text holds no `"'`.
pub fn compound_quoted(s: &str) -> String {
    format!("`\"{}\"'", one_line(s).replace("\"'", "\" '"))
}

/// `"…"` with `\` and `"` escaped (R).
pub fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in one_line(s).chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// At most `max` bytes of `s`, ending on a character boundary.
pub fn cut_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// At most `max` characters of `s`.
pub fn cut_chars(s: &str, max: usize) -> &str {
    s.char_indices().nth(max).map_or(s, |(i, _)| &s[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_survive_every_package() {
        assert_eq!(single_quoted("it's\nfine"), "'it''s fine'");
        assert_eq!(compound_quoted("say \"hi\"'"), "`\"say \"hi\" '\"'");
        assert_eq!(double_quoted("a \\ \"b\""), "\"a \\\\ \\\"b\\\"\"");
        assert_eq!(cut_bytes("añb", 2), "a");
        assert_eq!(cut_bytes("añb", 3), "añ");
        assert_eq!(cut_chars("añb", 2), "añ");
    }
}
