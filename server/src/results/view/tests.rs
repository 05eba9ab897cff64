use time::OffsetDateTime;

use super::*;
use crate::results::local::AtomCounts;
use crate::results::tables::Count;

fn make(name: &str, district: Option<&str>, atoms: &[(&str, &str, u64, u64, [u64; 2])]) -> School {
    let atoms: Vec<AtomCounts> = atoms
        .iter()
        .map(|&(class, role, invited, responded, counts)| AtomCounts {
            class: class.into(),
            role: role.into(),
            invited,
            responded,
            counts: counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(i, c)| (i as u32, *c)).collect(),
        })
        .collect();
    let summary = decide_school(&atoms, &yes_no(), SETTINGS.min_cell).summary(&atoms, &yes_no());
    School {
        school: name.into(),
        district: district.map(str::to_owned),
        invited: atoms.iter().map(|a| a.invited).sum(),
        responded: atoms.iter().map(|a| a.responded).sum(),
        computed_at: OffsetDateTime::UNIX_EPOCH,
        summary,
        atoms: Some(atoms),
    }
}

fn yes_no() -> Vec<Table> {
    vec![Table {
        question: "q".into(),
        text: "Q?".into(),
        statement: None,
        kind: "single_choice",
        labels: vec!["yes".into(), "no".into()],
        count: Count::Codes(vec!["y".into(), "n".into()]),
        offset: 0,
    }]
}

const SETTINGS: Settings = Settings { min_cell: 5, min_response_rate: 0.5 };

#[test]
fn a_school_under_the_response_rate_is_left_out_of_every_total() {
    let schools = vec![
        make("A", Some("North"), &[("1", "student", 20, 18, [10, 8])]),
        make("B", Some("North"), &[("1", "student", 20, 6, [3, 3])]),
    ];
    let r = upper(&schools, &yes_no(), SETTINGS, &Level::Survey, 0);
    assert_eq!(r.respondents, Some(18), "B (30%) is not in the total");
    assert_eq!(r.tables[0].options, vec![Some(10), Some(8)]);
    assert_eq!(r.unreported.len(), 1);
    let b = school(&schools[1], &yes_no(), SETTINGS, &Level::School("B".into()), 0);
    assert!(!b.found && b.respondents.is_none());
}

#[test]
fn a_class_of_four_shows_nothing_and_its_sibling_goes_too() {
    let schools = [make("A", None, &[("1", "student", 4, 4, [2, 2]), ("2", "student", 12, 12, [6, 6])])];
    let class = |c: &str| school(&schools[0], &yes_no(), SETTINGS, &Level::Class("A".into(), c.into()), 0);
    assert_eq!(class("1").respondents, None);
    assert_eq!(class("2").respondents, None, "A - class 2 would give class 1");
    let a = school(&schools[0], &yes_no(), SETTINGS, &Level::School("A".into()), 0);
    assert_eq!(a.respondents, Some(16));
    assert_eq!(a.tables[0].options, vec![Some(8), Some(8)]);
    assert_eq!(a.children.iter().map(|c| c.respondents).collect::<Vec<_>>(), vec![None, None]);
}
