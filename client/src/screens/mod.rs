//! The app's screens: start-up and the screens around the survey (`app`), signing in (`sign_in`) and resuming a
//! respondent from what the browser holds (`open`), the survey (`survey`), and the thank-you screen (`done`).

pub mod app;
pub mod done;
pub mod open;
pub mod preview;
pub mod screen;
pub mod sign_in;
pub mod survey;
