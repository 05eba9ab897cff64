//! One school decided alone (step 1 of `levels`): its cells and its classes' cells, and the `Summary` the levels
//! above need from it (its counts by role, and the counts no cell of the school shows).

use serde::{Deserialize, Serialize};

use super::levels::{decide_all, uncovered};
use super::suppress::{Atom, Entry, Groups, Shape, FILTERS};
use super::tables::{role_index, Table};

/// The people of one class with one role, and what they answered.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AtomCounts {
    pub class: String,
    pub role: String,
    /// On the roster.
    pub invited: u64,
    /// Saved at least one page (the survey's "responded").
    pub responded: u64,
    /// The tables' counts that are not zero, as (index, count); a table's counts start at its `Table::offset`.
    pub counts: Vec<(u32, u64)>,
}

/// Question 0 is the respondents (one count, "answered" = responded); question 1 + t is table t.
pub fn shapes(tables: &[Table]) -> Vec<Shape> {
    std::iter::once(Shape::COUNT).chain(tables.iter().map(Table::shape)).collect()
}

/// Each question's entries over `atoms` (atom i of the list is atom i of the entries).
pub fn entries(atoms: &[AtomCounts], tables: &[Table]) -> Vec<Vec<Entry>> {
    let mut out = vec![Vec::new(); tables.len() + 1];
    for (a, atom) in atoms.iter().enumerate() {
        let a = a as u32;
        if atom.responded > 0 {
            out[0].push(Entry { atom: a, var: 0, count: atom.responded });
        }
        for &(index, count) in &atom.counts {
            let t = tables.partition_point(|t| t.offset <= index as usize).saturating_sub(1);
            if let Some(table) = tables.get(t).filter(|t| (index as usize) < t.offset + t.shape().vars()) {
                out[t + 1].push(Entry { atom: a, var: index - table.offset as u32, count });
            }
        }
    }
    out
}

/// A school's decision: units 0 (fixed: the levels above), 1 (the school), 2 + k (class k of `classes`).
pub struct Local {
    pub groups: Groups,
    pub classes: Vec<String>,
    pub shown: Vec<Vec<bool>>,
    pub counts: Vec<Vec<Entry>>,
}

pub fn decide_school(atoms: &[AtomCounts], tables: &[Table], min_cell: u64) -> Local {
    let mut classes: Vec<String> = atoms.iter().map(|a| a.class.clone()).collect();
    classes.sort();
    classes.dedup();
    let local: Vec<Atom> = atoms
        .iter()
        .map(|a| {
            let k = classes.binary_search(&a.class).unwrap_or_default() as u32;
            Atom { units: vec![0, 1, 2 + k], role: role_index(&a.role) }
        })
        .collect();
    let groups = Groups::with_fixed(&local, 2 + classes.len(), &[0]);
    let counts = entries(atoms, tables);
    let shown = decide_all(&groups, &shapes(tables), &counts, None, min_cell);
    Local { groups, classes, shown, counts }
}

/// What the levels above a school need from it. Entries are `[question, role, var, count]`, role 3 for another role.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    /// The school's respondents under each role filter, and whether the school's page shows that number.
    pub people: [u64; FILTERS],
    pub shown: [bool; FILTERS],
    pub full: Vec<[u64; 4]>,
    pub open: Vec<[u64; 4]>,
}

impl Local {
    pub fn summary(&self, atoms: &[AtomCounts], tables: &[Table]) -> Summary {
        let role = |a: u32| role_index(&atoms[a as usize].role).map_or(3, u64::from);
        let mut s = Summary::default();
        for a in atoms {
            s.people[0] += a.responded;
            if let Some(r) = role_index(&a.role) {
                s.people[1 + r as usize] += a.responded;
            }
        }
        s.shown = std::array::from_fn(|f| self.shown[0][FILTERS + f]);
        for (q, shape) in shapes(tables).into_iter().enumerate() {
            let open = uncovered(&self.groups, shape, &self.counts[q], &self.shown[q]);
            for (list, from) in [(&mut s.full, &self.counts[q]), (&mut s.open, &open)] {
                list.extend(from.iter().map(|e| [q as u64, role(e.atom), u64::from(e.var), e.count]));
            }
        }
        s
    }
}
