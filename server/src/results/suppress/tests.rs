//! The rule against an attacker who adds and subtracts every shown number (exact linear algebra over the pairs they
//! cannot rule out), on hand-made cases and on random small surveys.

use proptest::prelude::*;

use super::*;
use crate::results::levels::{decide_all, uncovered};

const MIN: u64 = 5;

/// Dense counts (`vars` per atom) as entries.
fn entries(counts: &[u64], vars: usize) -> Vec<Entry> {
    counts
        .iter()
        .enumerate()
        .filter(|(_, &c)| c > 0)
        .map(|(i, &count)| Entry { atom: (i / vars) as u32, var: (i % vars) as u32, count })
        .collect()
}

fn run(groups: &Groups, shape: Shape, counts: &[u64], allowed: &[bool], min: u64) -> Vec<bool> {
    decide(groups, &Question::new(shape, &entries(counts, shape.vars())), allowed, min)
}

/// A survey of `classes[d][s]` classes per school per district; one atom per class and role with any people.
fn survey(classes: &[Vec<usize>]) -> (Vec<Atom>, usize) {
    survey_with(classes, false)
}

/// `survey`, the schools of the first district in no district when `bare` (their atoms skip the district unit).
fn survey_with(classes: &[Vec<usize>], bare: bool) -> (Vec<Atom>, usize) {
    let (mut atoms, mut unit) = (Vec::new(), 1u32);
    for (i, schools) in classes.iter().enumerate() {
        let district = unit;
        unit += 1;
        for &n in schools {
            let school = unit;
            unit += 1;
            for _ in 0..n {
                let class = unit;
                unit += 1;
                for role in 0..3u8 {
                    let units = if bare && i == 0 { vec![0, school, class] } else { vec![0, district, school, class] };
                    atoms.push(Atom { units, role: Some(role) });
                }
            }
        }
    }
    (atoms, unit as usize)
}

/// Whether `target` (over the pairs) is a linear combination of `rows`: Gaussian elimination in f64, exact enough for
/// 0/1 rows of this size.
fn in_span(rows: &[Vec<f64>], target: &[f64]) -> bool {
    let mut basis: Vec<Vec<f64>> = Vec::new();
    let reduce = |basis: &[Vec<f64>], v: &mut Vec<f64>| {
        for b in basis {
            let pivot = b.iter().position(|x| x.abs() > 1e-9).expect("nonzero row");
            let factor = v[pivot] / b[pivot];
            if factor.abs() > 1e-12 {
                v.iter_mut().zip(b).for_each(|(x, y)| *x -= factor * y);
            }
        }
    };
    for row in rows {
        let mut v = row.clone();
        reduce(&basis, &mut v);
        if let Some(p) = v.iter().position(|x| x.abs() > 1e-9) {
            // Keep the basis in echelon form: eliminate the new pivot from the rows already there.
            for b in basis.iter_mut() {
                let factor = b[p] / v[p];
                b.iter_mut().zip(&v).for_each(|(x, y)| *x -= factor * y);
            }
            basis.push(v);
        }
    }
    let mut t = target.to_vec();
    reduce(&basis, &mut t);
    t.iter().all(|x| x.abs() < 1e-6)
}

/// Plays the attacker: every hidden cell of 1 to MIN-1, and every single (class, role, quantity) count of 1 to MIN-1,
/// must stay out of the span of the shown cells. Pairs holding 0 are taken as known (the strongest attacker).
fn attack(groups: &Groups, shape: Shape, counts: &[u64], shown: &[bool]) -> Result<(), String> {
    let (vars, displays) = (shape.vars(), shape.displays());
    let live: Vec<usize> = (0..counts.len()).filter(|&p| counts[p] > 0).collect();
    let vector = |g: usize, d: usize| -> Vec<f64> {
        live.iter()
            .map(|&p| {
                let (a, v) = (p / vars, p % vars);
                let inside = groups.members[g].contains(&(a as u32)) && shape.displays_of(v).any(|x| x == d);
                f64::from(u8::from(inside))
            })
            .collect()
    };
    let rows: Vec<Vec<f64>> =
        (0..shown.len()).filter(|&c| shown[c]).map(|c| vector(c / displays, c % displays)).collect();
    for c in (0..shown.len()).filter(|&c| !shown[c]) {
        let v = vector(c / displays, c % displays);
        let total: u64 = live.iter().zip(&v).filter(|(_, &x)| x > 0.5).map(|(&p, _)| counts[p]).sum();
        if (1..MIN).contains(&total) && in_span(&rows, &v) {
            return Err(format!(
                "hidden cell {c} (group {}, display {}) = {total} is derivable",
                c / displays,
                c % displays
            ));
        }
    }
    for (i, &p) in live.iter().enumerate() {
        if counts[p] < MIN {
            let v: Vec<f64> = (0..live.len()).map(|j| f64::from(u8::from(i == j))).collect();
            if in_span(&rows, &v) {
                return Err(format!("pair {p} (atom {}, var {}) = {} is derivable", p / vars, p % vars, counts[p]));
            }
        }
    }
    Ok(())
}

fn cell(shown: &[bool], shape: Shape, unit: usize, filter: usize, display: usize) -> bool {
    shown[(unit * FILTERS + filter) * shape.displays() + display]
}

#[test]
fn a_class_of_four_is_hidden_and_cannot_be_subtracted_out() {
    // One district, one school, classes A (4 students) and B (10 students).
    let (atoms, units) = survey(&[vec![2]]);
    let groups = Groups::new(&atoms, units);
    let mut people = vec![0u64; atoms.len()];
    people[0] = 4; // class A students
    people[3] = 10; // class B students
    let shown = run(&groups, Shape::COUNT, &people, &vec![true; groups.len()], MIN);
    let (school, class_a, class_b) = (2, 3, 4);
    assert!(cell(&shown, Shape::COUNT, school, 0, 0), "the school of 14 is shown");
    assert!(!cell(&shown, Shape::COUNT, class_a, 0, 0), "the class of 4 is not");
    assert!(!cell(&shown, Shape::COUNT, class_b, 0, 0), "school - B would give A, so B is hidden too");
    attack(&groups, Shape::COUNT, &people, &shown).unwrap();
}

#[test]
fn three_parents_cannot_be_had_from_all_roles_minus_the_others() {
    let (atoms, units) = survey(&[vec![1]]);
    let groups = Groups::new(&atoms, units);
    let people = vec![10, 6, 3];
    let shown = run(&groups, Shape::COUNT, &people, &vec![true; groups.len()], MIN);
    let class = 3;
    assert!(cell(&shown, Shape::COUNT, class, 0, 0), "all roles: 19");
    assert!(!cell(&shown, Shape::COUNT, class, 3, 0), "3 parents hidden");
    assert!(!cell(&shown, Shape::COUNT, class, 2, 0), "the teachers go too (the smallest shown), or 19-10-6 = 3");
    attack(&groups, Shape::COUNT, &people, &shown).unwrap();
}

#[test]
fn an_options_total_cannot_reveal_a_hidden_option() {
    let atoms = vec![Atom { units: vec![0], role: None }];
    let groups = Groups::new(&atoms, 1);
    let shape = Shape { options: 3, partitioned: true };
    let counts = vec![20, 9, 2];
    let shown = run(&groups, shape, &counts, &vec![true; groups.len()], MIN);
    assert_eq!(&shown[..4], &[true, false, false, true], "2 hidden, then 9 (the smaller shown) with it");
    attack(&groups, shape, &counts, &shown).unwrap();
}

#[test]
fn a_minimum_of_one_hides_nothing_and_zero_is_shown() {
    let atoms = vec![Atom { units: vec![0], role: Some(0) }];
    let groups = Groups::new(&atoms, 1);
    let shape = Shape { options: 2, partitioned: true };
    let shown = run(&groups, shape, &[1, 0], &vec![true; groups.len()], 1);
    assert_eq!(&shown[..3], &[true, true, true]);
    let shown = run(&groups, shape, &[7, 0], &vec![true; groups.len()], MIN);
    assert_eq!(&shown[..3], &[true, true, true], "a zero pins nobody down");
}

#[test]
fn a_hidden_group_hides_its_cells() {
    let atoms = vec![Atom { units: vec![0], role: Some(0) }];
    let groups = Groups::new(&atoms, 1);
    let shown = run(&groups, Shape::COUNT, &[40], &[false, true, true, true], MIN);
    assert!(!shown[0] && shown[1]);
}

fn instance() -> impl Strategy<Value = (Vec<Vec<usize>>, Shape, Vec<u64>, Vec<bool>)> {
    let classes = prop::collection::vec(prop::collection::vec(1usize..=2, 1..=2), 1..=2);
    let shape = (1usize..=3, any::<bool>()).prop_map(|(options, partitioned)| Shape { options, partitioned });
    (classes, shape).prop_flat_map(|(classes, shape)| {
        let (atoms, units) = survey(&classes);
        let counts = prop::collection::vec(
            prop_oneof![3 => Just(0u64), 5 => 1u64..=7, 1 => 8u64..=20],
            atoms.len() * shape.vars(),
        );
        let allowed = prop::collection::vec(prop::bool::weighted(0.9), units * FILTERS);
        (Just(classes), Just(shape), counts, allowed)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn no_sum_or_difference_of_shown_cells_recovers_a_small_count(
        (classes, shape, counts, allowed) in instance()
    ) {
        let (atoms, units) = survey(&classes);
        let groups = Groups::new(&atoms, units);
        let shown = run(&groups, shape, &counts, &allowed, MIN);
        prop_assert!(attack(&groups, shape, &counts, &shown).is_ok(), "{:?}", attack(&groups, shape, &counts, &shown));
        // Whatever is shown is at least MIN or 0.
        for (c, &s) in shown.iter().enumerate() {
            let (g, d) = (c / shape.displays(), c % shape.displays());
            let total: u64 = groups.members[g].iter().map(|&a| {
                (0..shape.vars()).filter(|&v| shape.displays_of(v).any(|x| x == d))
                    .map(|v| counts[a as usize * shape.vars() + v]).sum::<u64>()
            }).sum();
            prop_assert!(!s || total == 0 || total >= MIN);
        }
    }
}

/// The two steps of `levels` over a survey of `survey_with`: each school alone, then the levels above from the
/// schools' full and uncovered counts; the flags mapped back onto the groups of the whole survey.
fn two_steps(atoms: &[Atom], units: usize, shapes: &[Shape], counts: &[Vec<u64>]) -> Vec<Vec<bool>> {
    let mut shown: Vec<Vec<bool>> = shapes.iter().map(|s| vec![false; units * FILTERS * s.displays()]).collect();
    let district_of = |a: &Atom| if a.units.len() == 4 { Some(a.units[1]) } else { None };
    let mut uppers: Vec<(Option<u32>, Option<u8>)> = Vec::new();
    let mut full: Vec<Vec<Entry>> = vec![Vec::new(); shapes.len()];
    let mut open: Vec<Vec<Entry>> = vec![Vec::new(); shapes.len()];
    let mut schools: Vec<u32> = atoms.iter().map(|a| a.units[a.units.len() - 2]).collect();
    schools.dedup();
    for &school in &schools {
        let mine: Vec<usize> =
            (0..atoms.len()).filter(|&a| atoms[a].units[atoms[a].units.len() - 2] == school).collect();
        let mut classes: Vec<u32> = mine.iter().map(|&a| *atoms[a].units.last().unwrap()).collect();
        classes.dedup();
        let local: Vec<Atom> = mine
            .iter()
            .map(|&a| {
                let k = classes.iter().position(|c| c == atoms[a].units.last().unwrap()).unwrap() as u32;
                Atom { units: vec![0, 1, 2 + k], role: atoms[a].role }
            })
            .collect();
        let groups = Groups::with_fixed(&local, 2 + classes.len(), &[0]);
        let local_counts: Vec<Vec<Entry>> = shapes
            .iter()
            .zip(counts)
            .map(|(shape, c)| {
                let vars = shape.vars();
                let dense: Vec<u64> = mine.iter().flat_map(|&a| c[a * vars..(a + 1) * vars].to_vec()).collect();
                entries(&dense, vars)
            })
            .collect();
        let decided = decide_all(&groups, shapes, &local_counts, None, MIN);
        for (q, shape) in shapes.iter().enumerate() {
            let d = shape.displays();
            for (lu, gu) in [(1usize, school)].into_iter().chain(classes.iter().enumerate().map(|(k, &c)| (2 + k, c))) {
                for c in 0..FILTERS * d {
                    shown[q][gu as usize * FILTERS * d + c] = decided[q][lu * FILTERS * d + c];
                }
            }
            let left = uncovered(&groups, *shape, &local_counts[q], &decided[q]);
            for (list, from) in [(&mut full[q], &local_counts[q]), (&mut open[q], &left)] {
                for e in from {
                    let a = &atoms[mine[e.atom as usize]];
                    let key = (district_of(a), a.role);
                    let upper = uppers.iter().position(|u| *u == key).unwrap_or_else(|| {
                        uppers.push(key);
                        uppers.len() - 1
                    });
                    list.push(Entry { atom: upper as u32, ..*e });
                }
            }
        }
    }
    let mut districts: Vec<u32> = uppers.iter().filter_map(|u| u.0).collect();
    districts.sort_unstable();
    districts.dedup();
    let upper_atoms: Vec<Atom> = uppers
        .iter()
        .map(|(d, role)| {
            let units = match d {
                Some(d) => vec![0, 1 + districts.iter().position(|x| x == d).unwrap() as u32],
                None => vec![0],
            };
            Atom { units, role: *role }
        })
        .collect();
    let groups = Groups::new(&upper_atoms, 1 + districts.len());
    let decided = decide_all(&groups, shapes, &full, Some(&open), MIN);
    for (q, shape) in shapes.iter().enumerate() {
        let d = shape.displays();
        for (uu, gu) in [(0usize, 0u32)].into_iter().chain(districts.iter().enumerate().map(|(k, &x)| (1 + k, x))) {
            for c in 0..FILTERS * d {
                shown[q][gu as usize * FILTERS * d + c] = decided[q][uu * FILTERS * d + c];
            }
        }
    }
    shown
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn the_two_steps_together_never_give_a_small_count_away(
        (classes, shape, counts, _) in instance(),
        bare in any::<bool>(),
        people in prop::collection::vec(prop_oneof![2 => Just(0u64), 5 => 1u64..=7, 2 => 8u64..=20], 3 * 2 * 2 * 2),
    ) {
        let (atoms, units) = survey_with(&classes, bare);
        let groups = Groups::new(&atoms, units);
        let people: Vec<u64> = people.into_iter().cycle().take(atoms.len()).collect();
        let shapes = [Shape::COUNT, shape];
        let shown = two_steps(&atoms, units, &shapes, &[people.clone(), counts.clone()]);
        prop_assert!(attack(&groups, Shape::COUNT, &people, &shown[0]).is_ok(), "{:?}", attack(&groups, Shape::COUNT, &people, &shown[0]));
        prop_assert!(attack(&groups, shape, &counts, &shown[1]).is_ok(), "{:?}", attack(&groups, shape, &counts, &shown[1]));
        // Nothing is hidden where nothing needs to be.
        if people.iter().sum::<u64>() > 0 && people.iter().all(|&p| p == 0 || p >= MIN) {
            prop_assert!(shown[0][0]);
        }
    }
}
