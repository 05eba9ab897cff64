use time::OffsetDateTime;

use super::*;
use crate::results::cache::{AtomCounts, SchoolCounts};
use crate::results::tables::Count;

fn school(name: &str, district: Option<&str>, atoms: &[(&str, &str, u64, u64, [u64; 2])]) -> Cached {
    let atoms = atoms
        .iter()
        .map(|&(class, role, invited, responded, counts)| AtomCounts {
            class: class.into(),
            role: role.into(),
            invited,
            responded,
            counts: counts.to_vec(),
        })
        .collect();
    Cached {
        school: name.into(),
        counts: SchoolCounts { district: district.map(str::to_owned), atoms },
        computed_at: OffsetDateTime::UNIX_EPOCH,
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
        school("A", Some("North"), &[("1", "student", 20, 18, [10, 8])]),
        school("B", Some("North"), &[("1", "student", 20, 6, [3, 3])]),
    ];
    let r = results(&schools, &yes_no(), SETTINGS, &Level::Survey, 0);
    assert_eq!(r.respondents, Some(18), "B (30%) is not in the total");
    assert_eq!(r.tables[0].options, vec![Some(10), Some(8)]);
    assert_eq!(r.unreported.len(), 1);
    let b = results(&schools, &yes_no(), SETTINGS, &Level::School("B".into()), 0);
    assert!(!b.found && b.respondents.is_none());
}

#[test]
fn a_class_of_four_shows_nothing_and_its_sibling_goes_too() {
    let schools = vec![school("A", None, &[("1", "student", 4, 4, [2, 2]), ("2", "student", 12, 12, [6, 6])])];
    let class = |c: &str| results(&schools, &yes_no(), SETTINGS, &Level::Class("A".into(), c.into()), 0);
    assert_eq!(class("1").respondents, None);
    assert_eq!(class("2").respondents, None, "A - class 2 would give class 1");
    let a = results(&schools, &yes_no(), SETTINGS, &Level::School("A".into()), 0);
    assert_eq!(a.respondents, Some(16));
    assert_eq!(a.tables[0].options, vec![Some(8), Some(8)]);
    assert_eq!(a.children.iter().map(|c| c.respondents).collect::<Vec<_>>(), vec![None, None]);
}
