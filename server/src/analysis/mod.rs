//! The analysis bundle: stored answers made into files that SPSS, Stata, R, pandas and Excel read with their labels.
//! `layout` decides the variables (names from `names`, missing codes from `missing`), `rows` makes each respondent a
//! row, `read` fetches what both need; `spss`, `stata`, `r_script`, `codebook` and `xlsx` write the files and
//! `bundle` puts them in one zip. The admin pages and the admin API serve them (`admin::analysis`).

pub mod bundle;
pub mod codebook;
pub mod dta;
pub mod layout;
pub mod missing;
pub mod names;
pub mod quote;
pub mod r_script;
pub mod read;
pub mod rows;
pub mod spss;
pub mod stata;
pub mod words;
pub mod xlsx;
