//! Rosters: who may take a survey, and their access codes.
//!
//! A roster file is all or nothing: every bad row is reported with its line number and nothing is applied from a
//! file with errors. Loading the same people again keeps their codes and adds no duplicates.

use rand::Rng;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

pub use quire_shared::access_code::{format as format_code, normalize as normalize_code};
use quire_shared::access_code::{ALPHABET as CODE_ALPHABET, LEN as CODE_LEN};

const ROLES: [&str; 3] = ["student", "teacher", "parent"];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RosterRow {
    /// The row's line in its file (the header is line 1), for errors found after parsing; 0 for rows not from a file.
    pub line: u64,
    pub school: String,
    pub class: String,
    pub role: String,
    pub external_id: String,
    pub name: Option<String>,
    /// Optional attributes the survey and the reports read: the school's district, the person's grade, and the
    /// language their slips are printed in (a code such as `es`; `English`/`Spanish`/`Español` are read as codes).
    pub district: Option<String>,
    pub grade: Option<String>,
    pub language: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    /// The column the problem is in, when it is in one.
    pub column: Option<&'static str>,
    pub message: String,
}

impl RowError {
    pub fn new(line: u64, column: Option<&'static str>, message: impl Into<String>) -> Self {
        RowError { line, column, message: message.into() }
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.column {
            Some(c) => write!(f, "line {}, column {c}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// Longest value of any roster field: names and ids are short; a longer value is a mistake (or a probe) and would
/// not fit the database's indexes.
pub const MAX_FIELD_CHARS: usize = 200;

/// A roster entry with its code, as printed for the people who hand out slips.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CodeRow {
    pub school: String,
    pub class: String,
    pub role: String,
    pub external_id: String,
    pub name: Option<String>,
    pub access_code: String,
}

pub fn generate_code() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..CODE_LEN).map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char).collect()
}

/// Parses a roster CSV with the header `school,class,role,external_id`, and optionally `name`, `district`, `grade`
/// and `language`, in any order.
pub fn parse(csv_text: &str) -> Result<Vec<RosterRow>, Vec<RowError>> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(csv_text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![RowError::new(1, None, e.to_string())]),
    };
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(school), Some(class), Some(role), Some(ext)) =
        (col("school"), col("class"), col("role"), col("external_id"))
    else {
        return Err(vec![RowError::new(1, None, "the header must name school, class, role and external_id")]);
    };
    let [name, district, grade, language] = ["name", "district", "grade", "language"].map(col);
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(RowError::new(line, None, e.to_string()));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let get = |i: usize| record.get(i).unwrap_or("").to_owned();
        let optional = |i: Option<usize>| i.map(get).filter(|v| !v.is_empty());
        let row = RosterRow {
            line,
            school: get(school),
            class: get(class),
            role: get(role).to_ascii_lowercase(),
            external_id: get(ext),
            name: optional(name),
            district: optional(district),
            grade: optional(grade),
            language: optional(language).map(|l| language_code(&l)),
        };
        let field_ok = check_fields(&row, &mut errors);
        if let Some(l) = row.language.as_deref().filter(|l| !is_language_code(l)) {
            let message = format!("language `{l}` is not a language code such as en, es or pt-BR");
            errors.push(RowError::new(line, Some("language"), message));
        }
        if field_ok && !ROLES.contains(&row.role.as_str()) {
            let message = format!("role `{}` is not one of {}", row.role, ROLES.join(", "));
            errors.push(RowError::new(line, Some("role"), message));
        }
        let key = (row.school.clone(), row.role.clone(), row.external_id.clone());
        if let Some(first) = seen.insert(key, line) {
            errors.push(RowError::new(line, Some("external_id"), format!("the same person as line {first}")));
        }
        rows.push(row);
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// The problems of a row's fields (empty where required, unstorable, too long), each naming its column; whether
/// there were none.
fn check_fields(row: &RosterRow, errors: &mut Vec<RowError>) -> bool {
    let before = errors.len();
    let fields = [
        ("school", row.school.as_str()),
        ("class", row.class.as_str()),
        ("role", row.role.as_str()),
        ("external_id", row.external_id.as_str()),
        ("name", row.name.as_deref().unwrap_or("")),
        ("district", row.district.as_deref().unwrap_or("")),
        ("grade", row.grade.as_deref().unwrap_or("")),
    ];
    for (column, value) in fields {
        let required = !matches!(column, "name" | "district" | "grade");
        let problem = if value.is_empty() && required {
            Some("is empty".to_owned())
        } else if value.contains('\0') {
            Some("contains the character U+0000".to_owned())
        } else if value.chars().count() > MAX_FIELD_CHARS {
            Some(format!("is longer than {MAX_FIELD_CHARS} characters"))
        } else {
            None
        };
        if let Some(problem) = problem {
            errors.push(RowError::new(row.line, Some(column), format!("{column} {problem}")));
        }
    }
    errors.len() == before
}

/// A language as a code: names the districts' files use for the app's languages become their codes; anything else
/// is kept (lower case) and must then look like a code.
fn language_code(given: &str) -> String {
    let lower = given.to_lowercase();
    match lower.as_str() {
        "english" | "inglés" | "ingles" => "en".into(),
        "spanish" | "español" | "espanol" => "es".into(),
        _ => lower,
    }
}

/// `en`, `es`, `pt-br`, `zh-hant`: two or three letters, then optional subtags of letters and digits.
fn is_language_code(code: &str) -> bool {
    let mut parts = code.split('-');
    let first = parts.next().unwrap_or("");
    (2..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Adds the people of a roster to a survey (those already there keep their codes) and returns every row's code.
pub async fn load(pool: &PgPool, survey_id: &str, rows: &[RosterRow]) -> anyhow::Result<Vec<CodeRow>> {
    let mut tx = pool.begin().await?;
    let exists: Option<(String,)> = sqlx::query_as("select survey_id from surveys where survey_id = $1")
        .bind(survey_id)
        .fetch_optional(&mut *tx)
        .await?;
    anyhow::ensure!(exists.is_some(), "no survey `{survey_id}`: load the survey first");
    // A new code can collide with an existing one (about 2^-57 per pair); `on conflict do nothing` then skips the
    // row, and the next round gives it another code.
    for _round in 0..5 {
        let ids: Vec<Uuid> = rows.iter().map(|_| Uuid::new_v4()).collect();
        let codes: Vec<String> = rows.iter().map(|_| generate_code()).collect();
        let col = |f: fn(&RosterRow) -> &String| rows.iter().map(f).cloned().collect::<Vec<_>>();
        // The dashboard's per-class totals grow by the people actually added, in the same transaction.
        sqlx::query(
            "with added as (
                insert into respondents (id, survey_id, school, class, role, external_id, name, access_code,
                                         district, grade, language)
                select id, $1, school, class, role, external_id, name, code, district, grade, language
                from unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                            $9::text[], $10::text[], $11::text[])
                     as t(id, school, class, role, external_id, name, code, district, grade, language)
                on conflict do nothing
                returning school, class)
             insert into group_progress as g (survey_id, school, class, total)
             select $1, school, class, count(*) from added group by 1, 2, 3 order by 1, 2, 3
             on conflict (survey_id, school, class) do update set total = g.total + excluded.total",
        )
        .bind(survey_id)
        .bind(&ids)
        .bind(col(|r| &r.school))
        .bind(col(|r| &r.class))
        .bind(col(|r| &r.role))
        .bind(col(|r| &r.external_id))
        .bind(rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>())
        .bind(&codes)
        .bind(rows.iter().map(|r| r.district.clone()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.grade.clone()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.language.clone()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        let found: Vec<CodeRow> = sqlx::query_as(
            "select r.school, r.class, r.role, r.external_id, r.name, r.access_code
             from respondents r
             join unnest($2::text[], $3::text[], $4::text[]) as t(school, role, external_id)
               using (school, role, external_id)
             where r.survey_id = $1
             order by r.school, r.class, r.role, r.external_id",
        )
        .bind(survey_id)
        .bind(col(|r| &r.school))
        .bind(col(|r| &r.role))
        .bind(col(|r| &r.external_id))
        .fetch_all(&mut *tx)
        .await?;
        if found.len() == rows.len() {
            tx.commit().await?;
            return Ok(found);
        }
    }
    anyhow::bail!("could not give every roster row a unique access code")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_avoid_look_alikes_and_normalize() {
        for _ in 0..100 {
            let c = generate_code();
            assert_eq!(c.len(), CODE_LEN);
            assert!(!c.contains(['0', 'O', '1', 'I', 'L', '5', 'S', '8', 'B']), "{c}");
            assert_eq!(normalize_code(&format_code(&c).to_lowercase()), c);
        }
        assert_eq!(format_code("ABCDEFGHJKMN"), "ABCD-EFGH-JKMN");
    }

    #[test]
    fn parses_a_good_roster() {
        let rows =
            parse("school,class,role,external_id,name\nLincoln, 3A ,Student,S1,Ana\nLincoln,3A,parent,P1,\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].class, "3A");
        assert_eq!(rows[0].role, "student");
        assert_eq!(rows[1].name, None);
    }

    #[test]
    fn reports_every_bad_row_with_its_line() {
        let errors =
            parse("school,class,role,external_id\nA,1,student,S1\n,1,student,S2\nA,1,robot,S3\nA,1,student,S1\n")
                .err()
                .unwrap_or_default();
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5], "{errors:?}");
        assert!(errors[2].message.contains("line 2"), "{errors:?}");
        let errors = parse("name,school\nx,y\n").err().unwrap_or_default();
        assert_eq!(errors[0].line, 1);
    }

    #[test]
    fn reads_the_optional_attributes_and_language_names() {
        let rows = parse(
            "language,grade,school,class,role,external_id,district\n\
             Spanish,9,Lincoln,9A,student,S1,North\nen,,Lincoln,9A,parent,P1,\npt-BR,10,Lincoln,9A,student,S2,North\n",
        )
        .unwrap();
        let attrs: Vec<_> =
            rows.iter().map(|r| (r.language.as_deref(), r.grade.as_deref(), r.district.as_deref())).collect();
        assert_eq!(
            attrs,
            [
                (Some("es"), Some("9"), Some("North")),
                (Some("en"), None, None),
                (Some("pt-br"), Some("10"), Some("North"))
            ]
        );
        let errors =
            parse("school,class,role,external_id,language\nA,1,student,S1,Klingon!\n").err().unwrap_or_default();
        assert_eq!(
            errors.iter().map(|e| (e.line, e.column)).collect::<Vec<_>>(),
            [(2, Some("language"))],
            "{errors:?}"
        );
    }

    #[test]
    fn names_the_column_of_unstorable_or_oversized_fields() {
        let long = "x".repeat(MAX_FIELD_CHARS + 1);
        let text = format!(
            "school,class,role,external_id,name\nA,1,student,{long},Ana\nA,1\0,student,S2,\nA,1,student,S3,{long}\n"
        );
        let errors = parse(&text).err().unwrap_or_default();
        let at: Vec<(u64, Option<&str>)> = errors.iter().map(|e| (e.line, e.column)).collect();
        assert_eq!(at, [(2, Some("external_id")), (3, Some("class")), (4, Some("name"))], "{errors:?}");
    }
}
