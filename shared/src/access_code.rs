//! Access codes as people type them and as the server stores them: one rule for the app (which matches a code
//! against the respondents already on this computer, offline) and the server (which looks it up).

/// No 0/O, 1/I/L, 5/S or 8/B: codes are read off paper slips by children.
pub const ALPHABET: &[u8] = b"234679ACDEFGHJKMNPQRTUVWXYZ";
/// 12 symbols of 27: about 57 bits, far beyond guessing at any rate the server allows.
pub const LEN: usize = 12;

/// Upper case without separators, so `abcd-efgh 2345` and `ABCDEFGH2345` are the same code.
pub fn normalize(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

/// As printed on a slip: groups of four, `ABCD-EFGH-JKMN`.
pub fn format(code: &str) -> String {
    code.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_and_printed_forms_normalize_to_the_stored_code() {
        assert_eq!(normalize(" abcd-efgh 2345\n"), "ABCDEFGH2345");
        assert_eq!(format("ABCDEFGHJKMN"), "ABCD-EFGH-JKMN");
        assert_eq!(normalize(&format("ABCDEFGHJKMN").to_lowercase()), "ABCDEFGHJKMN");
        assert_eq!(normalize("é-ü"), "");
    }
}
