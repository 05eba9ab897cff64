//! Results with privacy built in: counts of each answer per survey, district, school and class, by role, from the
//! active answers only (`tables` says what each question counts); a school's counts cached (`cache`); one view
//! assembled over the whole survey (`view`), with the numbers that could single out fewer than `min_cell` people
//! withheld by a pure rule (`suppress`).

pub mod cache;
pub mod levels;
pub mod local;
pub mod suppress;
pub mod tables;
pub mod view;
