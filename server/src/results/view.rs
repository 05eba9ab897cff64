//! One results view (a level, a unit, a role) from the schools' cached counts: which schools report (response rate),
//! then the two steps of `levels`: a school's or a class's view from that school's classes (step 1), a district's or
//! the survey's from the reporting schools' summaries (step 2). Deterministic: every page and download of the same
//! counts hides the same cells.

use std::collections::HashMap;

use super::cache::School;
use super::levels::decide_all;
use super::local::{decide_school, shapes};
use super::suppress::{Atom, Entry, Groups, Shape, FILTERS};
use super::tables::Table;

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
    /// How many schools report (views of the survey or a district).
    pub reporting: Option<usize>,
}

impl Results {
    fn empty(tables: &[Table], unreported: Vec<Unreported>) -> Self {
        let tables = tables.iter().map(|t| TableCounts { options: vec![None; t.shape().options], answered: None });
        Results {
            respondents: None,
            found: false,
            children: Vec::new(),
            tables: tables.collect(),
            unreported,
            reporting: None,
        }
    }
}

/// The schools whose response rate reaches the threshold, and the others.
pub fn reporting(schools: &[School], settings: Settings) -> (Vec<&School>, Vec<Unreported>) {
    let (mut yes, mut no) = (Vec::new(), Vec::new());
    for s in schools {
        let rate = if s.invited > 0 { s.responded as f64 / s.invited as f64 } else { 0.0 };
        if s.invited > 0 && rate + 1e-9 >= settings.min_response_rate {
            yes.push(s);
        } else {
            no.push(Unreported { school: s.school.clone(), district: s.district.clone(), rate });
        }
    }
    (yes, no)
}

/// The respondents and every table's cells of group `g`.
fn cells(
    groups: &Groups,
    shapes: &[Shape],
    shown: &[Vec<bool>],
    counts: &[Vec<Entry>],
    g: usize,
) -> (Option<u64>, Vec<TableCounts>) {
    let mut values: Vec<Vec<Option<u64>>> = Vec::with_capacity(shapes.len());
    for (q, shape) in shapes.iter().enumerate() {
        let mut sums = vec![0u64; shape.displays()];
        for e in counts[q].iter().filter(|e| groups.of(e.atom).binary_search(&(g as u32)).is_ok()) {
            shape.displays_of(e.var as usize).for_each(|d| sums[d] += e.count);
        }
        let d = shape.displays();
        values.push(sums.into_iter().enumerate().map(|(i, n)| shown[q][g * d + i].then_some(n)).collect());
    }
    let respondents = values[0][0];
    let tables = values
        .into_iter()
        .skip(1)
        .map(|mut v| {
            let answered = v.pop().flatten();
            TableCounts { options: v, answered }
        })
        .collect();
    (respondents, tables)
}

/// A view of a school or of one of its classes, from the school's classes (which `school.atoms` must hold).
pub fn school(school: &School, tables: &[Table], settings: Settings, level: &Level, role: usize) -> Results {
    let (yes, unreported) = reporting(std::slice::from_ref(school), settings);
    let mut out = Results::empty(tables, unreported);
    let (Some(_), Some(atoms)) = (yes.first(), &school.atoms) else { return out };
    let local = decide_school(atoms, tables, settings.min_cell);
    let unit = match level {
        Level::Class(_, c) => local.classes.iter().position(|x| x == c).map(|k| 2 + k),
        _ => Some(1),
    };
    let Some(unit) = unit else { return out };
    let shapes = shapes(tables);
    out.found = true;
    if matches!(level, Level::School(_)) {
        out.children = local
            .classes
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let g = (2 + k) * FILTERS + role;
                let respondents = cells(&local.groups, &shapes[..1], &local.shown[..1], &local.counts[..1], g).0;
                Child { name: c.clone(), level: Level::Class(school.school.clone(), c.clone()), respondents }
            })
            .collect();
    }
    let (respondents, counts) = cells(&local.groups, &shapes, &local.shown, &local.counts, unit * FILTERS + role);
    out.respondents = respondents;
    if respondents.is_some() {
        out.tables = counts;
    }
    out
}

/// A view of the survey or a district, from the reporting schools' summaries (step 2 of `levels`).
pub fn upper(schools: &[School], tables: &[Table], settings: Settings, level: &Level, role: usize) -> Results {
    let (yes, unreported) = reporting(schools, settings);
    let mut out = Results::empty(tables, unreported);
    out.reporting = Some(yes.len());
    let mut districts: Vec<&str> = yes.iter().filter_map(|s| s.district.as_deref()).collect();
    districts.sort_unstable();
    districts.dedup();
    let district = |s: &School| s.district.as_deref().and_then(|d| districts.binary_search(&d).ok());
    // One atom per district (or none) and role.
    let atom = |s: &School, role: u64| (district(s).map_or(0, |d| d + 1) * 4 + role as usize) as u32;
    let atoms: Vec<Atom> = (0..(districts.len() + 1) * 4)
        .map(|i| Atom {
            units: if i / 4 == 0 { vec![0] } else { vec![0, (i / 4) as u32] },
            role: (i % 4 < 3).then_some((i % 4) as u8),
        })
        .collect();
    let shapes = shapes(tables);
    // Summed per district and role first: a state's thousands of schools become a few entries per answer.
    let (mut full, mut open) = (HashMap::new(), HashMap::new());
    for s in &yes {
        for (sums, from) in [(&mut full, &s.summary.full), (&mut open, &s.summary.open)] {
            for &[q, role, var, count] in from {
                // A summary made for other tables (never with the same fingerprint) is skipped, not trusted.
                if shapes.get(q as usize).is_some_and(|shape| (var as usize) < shape.vars()) {
                    *sums.entry((q as usize, atom(s, role.min(3)), var as u32)).or_insert(0u64) += count;
                }
            }
        }
    }
    let listed = |sums: HashMap<(usize, u32, u32), u64>| {
        let mut lists = vec![Vec::new(); shapes.len()];
        for ((q, atom, var), count) in sums {
            lists[q].push(Entry { atom, var, count });
        }
        lists
    };
    let (full, open) = (listed(full), listed(open));
    let groups = Groups::new(&atoms, districts.len() + 1);
    let shown = decide_all(&groups, &shapes, &full, Some(&open), settings.min_cell);
    let unit = match level {
        Level::District(d) => districts.binary_search(&d.as_str()).ok().map(|i| i + 1),
        _ => Some(0),
    };
    let Some(unit) = unit else { return out };
    out.found = true;
    for (i, d) in districts.iter().enumerate().filter(|_| unit == 0) {
        let respondents = cells(&groups, &shapes[..1], &shown[..1], &full[..1], (i + 1) * FILTERS + role).0;
        out.children.push(Child { name: d.to_string(), level: Level::District(d.to_string()), respondents });
    }
    for s in yes.iter().filter(|s| district(s).map_or(0, |d| d + 1) == unit) {
        let respondents = s.summary.shown[role].then_some(s.summary.people[role]);
        out.children.push(Child { name: s.school.clone(), level: Level::School(s.school.clone()), respondents });
    }
    let (respondents, counts) = cells(&groups, &shapes, &shown, &full, unit * FILTERS + role);
    out.respondents = respondents;
    if respondents.is_some() {
        out.tables = counts;
    }
    out
}

#[cfg(test)]
mod tests;
