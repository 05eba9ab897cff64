//! Results with privacy built in: counts of each answer per survey, district, school and class, by role, from the
//! active answers only; a school's counts cached (`cache`), numbers that could single out fewer than `min_cell`
//! people withheld (`suppress`, a pure rule).

pub mod suppress;
