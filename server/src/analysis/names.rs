//! Variable names that SPSS, Stata and R all accept, derived from question ids so that they stay the same from one
//! survey version to the next.
//!
//! The common ground of the three: an ASCII letter first, then ASCII letters, digits and `_`; at most 32 characters
//! (Stata's limit; SPSS allows 64, R any); not a word any of them reserves. SPSS ignores case, so two names that
//! differ only in case collide.

use std::collections::HashSet;

pub const MAX_LEN: usize = 32;

/// Words SPSS, Stata or R reserve (compared without case; `str1`…`str2045` are Stata's too, see `reserved`).
const RESERVED: &[&str] = &[
    // SPSS
    "all",
    "and",
    "by",
    "eq",
    "ge",
    "gt",
    "le",
    "lt",
    "ne",
    "not",
    "or",
    "to",
    "with",
    // Stata
    "_all",
    "_b",
    "byte",
    "_coef",
    "_cons",
    "double",
    "float",
    "if",
    "in",
    "int",
    "long",
    "_n",
    "_pi",
    "_pred",
    "_rc",
    "_skip",
    "strl",
    "using",
    // R
    "else",
    "repeat",
    "while",
    "function",
    "for",
    "next",
    "break",
    "true",
    "false",
    "null",
    "inf",
    "nan",
    "na",
    "na_integer_",
    "na_real_",
    "na_character_",
    "na_complex_",
];

fn reserved(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    RESERVED.contains(&lower.as_str())
        || lower.strip_prefix("str").is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// `raw` made into a valid name: other characters become `_` (runs of them one), accents are dropped from Latin
/// letters, a name that would start with a digit or `_` gets a leading `v`, a reserved word a trailing `_`, and the
/// result is cut to 32 characters.
pub fn valid(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = fold_accent(c);
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    let mut name = match trimmed.chars().next() {
        None => "v".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("v{trimmed}"),
        Some(_) => trimmed.to_owned(),
    };
    name.truncate(MAX_LEN);
    if reserved(&name) {
        name.truncate(MAX_LEN - 1);
        name.push('_');
    }
    name
}

fn fold_accent(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'Á' | 'À' | 'Â' | 'Ä' | 'Ã' | 'Å' => 'A',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'É' | 'È' | 'Ê' | 'Ë' => 'E',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'Í' | 'Ì' | 'Î' | 'Ï' => 'I',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
        'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' => 'O',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'Ú' | 'Ù' | 'Û' | 'Ü' => 'U',
        'ñ' => 'n',
        'Ñ' => 'N',
        'ç' => 'c',
        'Ç' => 'C',
        c => c,
    }
}

/// Hands out unique names in the order asked. A name already taken (without regard to case) gets `_2`, `_3`, … with
/// its stem shortened to fit. Asked in the same order, it gives the same names, which is what keeps them stable.
#[derive(Debug, Default)]
pub struct Namer {
    taken: HashSet<String>,
}

impl Namer {
    /// Reserves names that must keep their spelling (the fixed columns) before any answer column is named.
    pub fn reserve(&mut self, name: &str) {
        self.taken.insert(name.to_ascii_lowercase());
    }

    /// A unique valid name for `raw`.
    pub fn name(&mut self, raw: &str) -> String {
        let base = valid(raw);
        let mut candidate = base.clone();
        let mut n = 1;
        while self.taken.contains(&candidate.to_ascii_lowercase()) {
            n += 1;
            let suffix = format!("_{n}");
            let mut stem = base.clone();
            stem.truncate(MAX_LEN - suffix.len());
            candidate = stem + &suffix;
        }
        self.taken.insert(candidate.to_ascii_lowercase());
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_valid(name: &str) -> bool {
        name.len() <= MAX_LEN
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !reserved(name)
    }

    #[test]
    fn names_follow_the_common_rules() {
        for (raw, want) in [
            ("student_01_m1.s1", "student_01_m1_s1"),
            ("2nd grade", "v2nd_grade"),
            ("_x", "x"),
            ("año-escolar", "ano_escolar"),
            ("in", "in_"),
            ("STR12", "STR12_"),
            ("strength", "strength"),
            ("¿?", "v"),
            ("a..b", "a_b"),
        ] {
            assert_eq!(valid(raw), want, "{raw}");
            assert!(is_valid(want), "{want}");
        }
        let long = valid(&"x".repeat(40));
        assert_eq!(long.len(), MAX_LEN);
    }

    #[test]
    fn collisions_get_numbered_deterministically() {
        let mut n = Namer::default();
        n.reserve("school");
        assert_eq!(n.name("School"), "School_2");
        assert_eq!(n.name("a.b"), "a_b");
        assert_eq!(n.name("a-b"), "a_b_2");
        assert_eq!(n.name("A_B"), "A_B_3");
        let long = "q".repeat(40);
        let first = n.name(&long);
        let second = n.name(&long);
        assert_eq!(first.len(), MAX_LEN);
        assert_eq!(second, format!("{}_2", "q".repeat(30)));
        for name in [first, second] {
            assert!(is_valid(&name));
        }
    }

    proptest::proptest! {
        #[test]
        fn any_input_gives_a_valid_unique_name(raws in proptest::collection::vec(".{0,50}", 1..30)) {
            let mut n = Namer::default();
            let mut seen = HashSet::new();
            for raw in &raws {
                let name = n.name(raw);
                proptest::prop_assert!(is_valid(&name), "{raw:?} -> {name:?}");
                proptest::prop_assert!(seen.insert(name.to_ascii_lowercase()));
            }
        }
    }
}
