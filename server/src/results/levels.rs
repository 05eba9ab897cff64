//! The suppression rule decided in two steps, so that no page view has to look at every class of a state.
//!
//! 1. **Each school alone** (`decide_all` over the school's classes and roles, with one *fixed* unit above the school
//!    standing for every level above it, taken as showing everything): the school's and its classes' cells. A pair
//!    that some shown cell of its school holds is then in a block inside the school, which this step made safe
//!    whatever the levels above show (showing less there only merges blocks). The pairs no cell of their school shows
//!    are *uncovered* (`uncovered`).
//! 2. **The levels above** (the survey, its districts), with one atom per district (or no district) and role: the
//!    totals are the full counts, and the only exposed pairs are the uncovered ones. Every block of the whole survey is
//!    then either inside a school (step 1) or made of uncovered pairs (step 2), and holds 0 or at least `min_cell`.
//!
//! The property test in `suppress` plays the attacker on the combined result over every class and role.

use super::suppress::{decide, Entry, Groups, Question, Shape};

/// Decides the respondents' cells (question 0, `Shape::COUNT`) and then every other question, whose groups show
/// nothing where the respondents are hidden. `exposed`: see `Question::exposed` (default: the counts).
pub fn decide_all(
    groups: &Groups,
    shapes: &[Shape],
    counts: &[Vec<Entry>],
    exposed: Option<&[Vec<Entry>]>,
    min_cell: u64,
) -> Vec<Vec<bool>> {
    let question =
        |i: usize| Question { shape: shapes[i], counts: &counts[i], exposed: exposed.map_or(&counts[i], |e| &e[i]) };
    let people = decide(groups, &question(0), &vec![true; groups.len()], min_cell);
    let mut out = Vec::with_capacity(shapes.len());
    for i in 1..shapes.len() {
        out.push(decide(groups, &question(i), &people, min_cell));
    }
    out.insert(0, people);
    out
}

/// The entries that no shown cell of a non-fixed group holds.
pub fn uncovered(groups: &Groups, shape: Shape, entries: &[Entry], shown: &[bool]) -> Vec<Entry> {
    let displays = shape.displays();
    entries
        .iter()
        .filter(|e| {
            !groups.of(e.atom).iter().any(|&g| {
                !groups.fixed[g as usize] && shape.displays_of(e.var as usize).any(|d| shown[g as usize * displays + d])
            })
        })
        .copied()
        .collect()
}
