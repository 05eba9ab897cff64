//! What a respondent meets before the first save: rosters and access codes, sign-in, signed tokens, and the survey
//! versions and their published files.

pub mod login;
pub mod roster;
pub mod surveys;
pub mod token;
