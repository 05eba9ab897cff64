//! Quire's shared core: the survey model, its validation, answer validation and the sync protocol.
//!
//! Compiles for wasm32 (the respondent app) and native (the server), so that both sides run the very same checks.
//! It depends only on crates that work in both worlds: no sqlx, no tokio.

pub mod access_code;
pub mod answer;
pub mod app_text;
pub mod batch;
pub mod condition;
pub mod expr;
pub mod logic;
pub mod odk;
pub mod protocol;
pub mod retry;
pub mod roster;
pub mod sample;
pub mod shape;
pub mod storable;
pub mod survey;
pub mod text;
pub mod valid;
pub mod validate;
pub mod value;
pub mod visibility;

pub use answer::{validate_page_answers, AnswerError};
pub use condition::{AnswerSource, Condition, Lookup, NothingKnown};
pub use protocol::*;
pub use roster::Roster;
pub use storable::{check_finish, check_storable, clamp_client_time};
pub use survey::{Choice, Page, Question, QuestionKind, RosterField, Statement, Survey};
pub use text::Text;
pub use valid::ValidSurvey;
pub use validate::SurveyError;
pub use value::{AnswerValue, PageAnswers};
pub use visibility::{active_answers, AllAnswers, Known};

#[cfg(test)]
mod schema_file {
    /// The JSON Schema in the repository must be what the model generates; regenerate it with
    /// `UPDATE_SCHEMA=1 cargo test -p quire-shared schema`.
    #[test]
    fn published_schema_matches_the_model() {
        let schema = schemars::schema_for!(crate::Survey);
        let generated = serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n";
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/survey.schema.json");
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(path, &generated).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(committed == generated, "{path} is stale: run UPDATE_SCHEMA=1 cargo test -p quire-shared schema");
    }
}
