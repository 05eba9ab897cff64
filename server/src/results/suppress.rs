//! Which numbers of the results may be shown: a pure function of the counts, with no database and no HTTP.
//!
//! **The rule.** The finest unit of people is an *atom*: the respondents of one class with one role. Every number a
//! results page or CSV shows is a *cell*: a sum, over the atoms of one *group* (a survey, district, school or class,
//! with all roles or one), of one quantity of one question (the count of one answer, or how many answered). Think of
//! each (atom, quantity) as a *pair* holding a count; a cell sums a set of pairs.
//!
//! 1. *Primary suppression*: a cell whose count is 1 to `min_cell - 1` is not shown. A group of fewer than
//!    `min_cell` respondents shows nothing at all.
//! 2. *Complementary suppression*: pairs that lie in exactly the same shown cells form a *block*. Every block that
//!    lies in some shown cell must hold 0 or at least `min_cell`. While one does not, one more cell is hidden and the
//!    blocks are formed again: of the cells that tell it apart from a block whose cells include or are included in
//!    its own, the one with the smallest count (the finest on a tie), so that the two merge; failing that, the
//!    smallest cell that holds it.
//!
//! **Why that is enough.** Whatever an attacker adds or subtracts (any linear combination of shown numbers, across
//! levels, roles, and a question's total and options) is a sum over pairs with weights that are equal inside each
//! block, because every shown cell is. So a set of people it pins down exactly is a union of whole blocks, and holds 0
//! or at least `min_cell`: a suppressed count of 1 to `min_cell - 1` is never recovered. The property test below
//! plays that attacker with exact linear algebra. Hiding more never breaks the rule (blocks only merge), so a whole
//! group may be hidden when its size is. The rule is conservative (it can hide a number that a rank test would
//! show), and it is decided over the whole survey at once, deterministically, so every page and download of the
//! same counts shows the same cells. It says nothing about two releases at different times (a count before and after
//! one more respondent); the results are a snapshot, refreshed when schools have new activity.
//!
//! At a state's size the rule is applied in two steps (`levels`): each school alone, then the levels above it from the
//! schools' summaries; the second property test below attacks the two steps' combined result.

use std::collections::BTreeMap;

/// The role filters of a group: all roles, then each role.
pub const FILTERS: usize = 4;

/// The respondents of one class with one role (`role` 0..3 for student, teacher, parent; `None`: another role, which
/// counts only under "all roles").
#[derive(Debug, Clone)]
pub struct Atom {
    /// The units the class lies in (survey, district, school, class), as indexes below the number of units.
    pub units: Vec<u32>,
    pub role: Option<u8>,
}

/// Which atoms each group holds, and which groups each atom is in. Group `g` is unit `g / FILTERS` with filter
/// `g % FILTERS` (0: all roles, 1 + role).
#[derive(Debug)]
pub struct Groups {
    pub members: Vec<Vec<u32>>,
    of_atom: Vec<Vec<u32>>,
    /// Groups whose cells are decided elsewhere (see `decide`).
    pub fixed: Vec<bool>,
}

impl Groups {
    /// The groups of `units` units (unit 0 the top) over `atoms`; the units of `fixed` are decided elsewhere.
    pub fn new(atoms: &[Atom], units: usize) -> Self {
        Self::with_fixed(atoms, units, &[])
    }

    pub fn with_fixed(atoms: &[Atom], units: usize, fixed: &[u32]) -> Self {
        let mut members = vec![Vec::new(); units * FILTERS];
        let mut of_atom = Vec::with_capacity(atoms.len());
        for (a, atom) in atoms.iter().enumerate() {
            let mut mine = Vec::new();
            for &u in &atom.units {
                let all = u as usize * FILTERS;
                let filters = [Some(all), atom.role.map(|r| all + 1 + r as usize)];
                for g in filters.into_iter().flatten() {
                    members[g].push(a as u32);
                    mine.push(g as u32);
                }
            }
            mine.sort_unstable();
            mine.dedup();
            of_atom.push(mine);
        }
        let fixed = (0..units * FILTERS).map(|g| fixed.contains(&((g / FILTERS) as u32))).collect();
        Groups { members, of_atom, fixed }
    }

    /// The groups atom `atom` is in, in order.
    pub fn of(&self, atom: u32) -> &[u32] {
        &self.of_atom[atom as usize]
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

/// What a question counts per atom: `options` counts (an answer each, or a bin of numbers, or a scale point of one
/// statement), then, unless the options `partition` the people who answered, a count of those who answered.
/// Displayed: each option, then "answered" (the options' sum when they partition).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub options: usize,
    pub partitioned: bool,
}

impl Shape {
    /// Only "answered": text questions, and the respondents of a group.
    pub const COUNT: Shape = Shape { options: 0, partitioned: false };

    pub fn vars(self) -> usize {
        self.options + usize::from(!self.partitioned)
    }

    /// Cells per group: the options, then "answered".
    pub fn displays(self) -> usize {
        self.options + 1
    }

    /// The cells of a group that count `var`: its option, and "answered".
    pub fn displays_of(self, var: usize) -> impl Iterator<Item = usize> {
        let own = (var < self.options).then_some(var);
        let answered = (self.partitioned || var == self.options).then_some(self.options);
        own.into_iter().chain(answered)
    }
}

/// One count: quantity `var` of a question over the people of `atom`. Zero counts are left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub atom: u32,
    pub var: u32,
    pub count: u64,
}

/// One question's counts, for `decide`.
#[derive(Debug, Clone, Copy)]
pub struct Question<'a> {
    pub shape: Shape,
    /// What the cells add up: their totals decide primary suppression.
    pub counts: &'a [Entry],
    /// The pairs that must not be singled out: `counts` itself, except above the schools, where only the pairs that
    /// no cell of their school shows are exposed (see `split`).
    pub exposed: &'a [Entry],
}

impl<'a> Question<'a> {
    pub fn new(shape: Shape, counts: &'a [Entry]) -> Self {
        Question { shape, counts, exposed: counts }
    }
}

/// Which cells of one question may be shown. `allowed[g]` is false for a group already hidden (too few respondents).
/// Cells of `groups.fixed` groups count as shown and are never hidden: they stand for levels decided elsewhere, and a
/// block that only they show is left to that decision. Returns one flag per cell, group by group, `displays()` each.
pub fn decide(groups: &Groups, q: &Question, allowed: &[bool], min_cell: u64) -> Vec<bool> {
    let (shape, displays) = (q.shape, q.shape.displays());
    let mut totals = vec![0u64; groups.len() * displays];
    for e in q.counts {
        for &g in &groups.of_atom[e.atom as usize] {
            for d in shape.displays_of(e.var as usize) {
                totals[g as usize * displays + d] += e.count;
            }
        }
    }
    let fixed = |c: usize| groups.fixed[c / displays];
    let mut shown: Vec<bool> = (0..totals.len())
        .map(|c| {
            let g = c / displays;
            !groups.members[g].is_empty() && (fixed(c) || (allowed[g] && !(1..min_cell).contains(&totals[c])))
        })
        .collect();
    loop {
        let mut blocks: BTreeMap<Vec<u32>, u64> = BTreeMap::new();
        for e in q.exposed.iter().filter(|e| e.count > 0) {
            let signature: Vec<u32> = groups.of_atom[e.atom as usize]
                .iter()
                .flat_map(|&g| shape.displays_of(e.var as usize).map(move |d| g * displays as u32 + d as u32))
                .filter(|&c| shown[c as usize])
                .collect();
            if signature.iter().any(|&c| !fixed(c as usize)) {
                *blocks.entry(signature).or_default() += e.count;
            }
        }
        let blocks: Vec<(Vec<u32>, u64)> = blocks.into_iter().collect();
        let mut changed = false;
        for (signature, sum) in &blocks {
            if *sum >= min_cell || signature.iter().any(|&c| !shown[c as usize]) {
                continue; // safe, or already changed in this round (formed again in the next)
            }
            let key = |c: &u32| (totals[*c as usize], std::cmp::Reverse(*c));
            let free = |c: &u32| shown[*c as usize] && !fixed(*c as usize);
            // Best: merge the block with one whose cells are a superset or a subset of its own, by hiding the cells
            // that tell them apart; else take a cell holding it, so that it ends in no shown cell at all.
            let merge = blocks
                .iter()
                .filter_map(|(other, _)| apart(signature, other))
                .filter_map(|cells| cells.into_iter().filter(free).min_by_key(key))
                .min_by_key(key);
            if let Some(c) = merge.or_else(|| signature.iter().copied().filter(free).min_by_key(key)) {
                shown[c as usize] = false;
                changed = true;
            }
        }
        if !changed {
            return shown;
        }
    }
}

/// The cells that tell two blocks apart, when one's cells contain the other's (both sorted); `None` otherwise or
/// when they are the same.
fn apart(a: &[u32], b: &[u32]) -> Option<Vec<u32>> {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if small.len() == large.len() || !small.iter().all(|c| large.binary_search(c).is_ok()) {
        return None;
    }
    Some(large.iter().copied().filter(|c| small.binary_search(c).is_err()).collect())
}

#[cfg(test)]
mod tests;
