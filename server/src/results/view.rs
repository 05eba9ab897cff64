//! One results view (a level, a unit, a role) from the schools' cached counts: which schools report (response rate),
//! the units and atoms of the whole survey, and the suppression rule decided over all of them at once, so that
//! every page and download of the same counts hides the same cells.

use std::collections::BTreeMap;

use super::cache::Cached;
use super::suppress::{decide, Atom, Groups, Shape, FILTERS};
use super::tables::Table;

pub const ROLES: [&str; 3] = ["student", "teacher", "parent"];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Survey,
    District(String),
    School(String),
    Class(String, String),
}

#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub min_cell: u64,
    pub min_response_rate: f64,
}

/// One table's numbers in the view: `None` where suppressed.
#[derive(Debug, Clone)]
pub struct TableCounts {
    pub options: Vec<Option<u64>>,
    pub answered: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct Child {
    pub name: String,
    pub level: Level,
    pub respondents: Option<u64>,
}

/// A school left out of every number: its response rate is under the survey's threshold.
#[derive(Debug, Clone)]
pub struct Unreported {
    pub school: String,
    pub district: Option<String>,
    pub rate: f64,
}

#[derive(Debug, Clone)]
pub struct Results {
    /// The view's respondents (`None`: suppressed, and then so is every table).
    pub respondents: Option<u64>,
    /// Whether the view's unit exists among the reporting schools.
    pub found: bool,
    pub children: Vec<Child>,
    pub tables: Vec<TableCounts>,
    pub unreported: Vec<Unreported>,
    pub reporting: usize,
}

/// The survey as units (0: the survey, then districts, schools, classes) and atoms.
struct Units {
    names: Vec<Level>,
    atoms: Vec<Atom>,
    /// (school index in `schools`, atom index in that school) of each atom.
    origin: Vec<(usize, usize)>,
}

fn units(schools: &[&Cached]) -> Units {
    let mut index: BTreeMap<Level, u32> = BTreeMap::new();
    let mut names = vec![Level::Survey];
    let mut unit = |level: Level, names: &mut Vec<Level>| {
        *index.entry(level.clone()).or_insert_with(|| {
            names.push(level);
            names.len() as u32 - 1
        })
    };
    let (mut atoms, mut origin) = (Vec::new(), Vec::new());
    for (s, school) in schools.iter().enumerate() {
        let mut path = vec![0];
        if let Some(d) = &school.counts.district {
            path.push(unit(Level::District(d.clone()), &mut names));
        }
        path.push(unit(Level::School(school.school.clone()), &mut names));
        for (a, atom) in school.counts.atoms.iter().enumerate() {
            let class = unit(Level::Class(school.school.clone(), atom.class.clone()), &mut names);
            let role = ROLES.iter().position(|r| *r == atom.role).map(|r| r as u8);
            atoms.push(Atom { units: path.iter().copied().chain([class]).collect(), role });
            origin.push((s, a));
        }
    }
    Units { names, atoms, origin }
}

/// The schools whose response rate reaches the threshold, and the others.
pub fn reporting(schools: &[Cached], settings: Settings) -> (Vec<&Cached>, Vec<Unreported>) {
    let (mut yes, mut no) = (Vec::new(), Vec::new());
    for s in schools {
        let (invited, responded) = (s.counts.invited(), s.counts.responded());
        let rate = if invited > 0 { responded as f64 / invited as f64 } else { 0.0 };
        if invited > 0 && rate + 1e-9 >= settings.min_response_rate {
            yes.push(s);
        } else {
            no.push(Unreported { school: s.school.clone(), district: s.counts.district.clone(), rate });
        }
    }
    (yes, no)
}

/// The view of `level` for role filter `role` (0: all roles, 1 + index in `ROLES`).
pub fn results(schools: &[Cached], tables: &[Table], settings: Settings, level: &Level, role: usize) -> Results {
    let (shown_schools, unreported) = reporting(schools, settings);
    let u = units(&shown_schools);
    let groups = Groups::new(&u.atoms, u.names.len());
    let atom = |i: usize| &shown_schools[u.origin[i].0].counts.atoms[u.origin[i].1];
    let responded: Vec<u64> = (0..u.atoms.len()).map(|i| atom(i).responded).collect();
    let min = settings.min_cell;
    let people = decide(&groups, Shape::COUNT, &responded, &vec![true; groups.len()], min);
    let total = |g: usize| groups.members[g].iter().map(|&a| responded[a as usize]).sum::<u64>();
    let unit = u.names.iter().position(|n| n == level);
    let children = u
        .names
        .iter()
        .enumerate()
        .filter(|(_, n)| is_child(level, n, &shown_schools))
        .map(|(i, n)| {
            let g = i * FILTERS + role;
            Child { name: name(n), level: n.clone(), respondents: people[g].then(|| total(g)) }
        })
        .collect();
    let mut out = Results {
        respondents: None,
        found: unit.is_some(),
        children,
        tables: tables.iter().map(|t| TableCounts { options: vec![None; t.shape().options], answered: None }).collect(),
        unreported,
        reporting: shown_schools.len(),
    };
    let Some(g) = unit.map(|i| i * FILTERS + role).filter(|&g| people[g]) else { return out };
    out.respondents = Some(total(g));
    for (t, view) in tables.iter().zip(out.tables.iter_mut()) {
        let shape = t.shape();
        let vars = shape.vars();
        let counts: Vec<u64> =
            (0..u.atoms.len()).flat_map(|i| atom(i).counts[t.offset..t.offset + vars].iter().copied()).collect();
        let shown = decide(&groups, shape, &counts, &people, min);
        let cell = |d: usize| {
            let sum = |a: u32| -> u64 {
                (0..vars).filter(|&v| shape.displays_of(v).any(|x| x == d)).map(|v| counts[a as usize * vars + v]).sum()
            };
            shown[g * shape.displays() + d].then(|| groups.members[g].iter().map(|&a| sum(a)).sum())
        };
        view.options = (0..shape.options).map(cell).collect();
        view.answered = cell(shape.options);
    }
    out
}

fn is_child(level: &Level, n: &Level, schools: &[&Cached]) -> bool {
    let district_of = |s: &str| schools.iter().find(|c| c.school == s).and_then(|c| c.counts.district.clone());
    match (level, n) {
        (Level::Survey, Level::District(_)) => true,
        (Level::Survey, Level::School(s)) => district_of(s).is_none(),
        (Level::District(d), Level::School(s)) => district_of(s).as_deref() == Some(d),
        (Level::School(s), Level::Class(cs, _)) => s == cs,
        _ => false,
    }
}

fn name(level: &Level) -> String {
    match level {
        Level::Survey => "all schools".into(),
        Level::District(d) | Level::School(d) => d.clone(),
        Level::Class(_, c) => c.clone(),
    }
}

#[cfg(test)]
mod tests;
