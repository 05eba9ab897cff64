//! The `type` cell: what a survey row is. Quire takes the question types a survey research form asks with; the rest
//! is refused with the reason, metadata is ignored with a warning.

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RowType {
    Question(Kind),
    BeginGroup,
    EndGroup,
    /// Collected by the device, not asked (`start`, `deviceid`, …): Quire records its own times and devices.
    Metadata(String),
    /// Cannot be imported, with the reason.
    Refused(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    SelectOne {
        list: String,
        or_other: bool,
    },
    SelectMultiple {
        list: String,
        or_other: bool,
    },
    Text,
    Integer,
    Decimal,
    Date,
    Note,
    Calculate,
    /// pyxform's `hidden`: a value with no control. With a calculation it is a `calculate`; without, its value comes
    /// from outside the form.
    Hidden,
    /// The `today` metadata row: the date the form is filled in, which Quire computes as `today()`.
    Today,
}

const METADATA: &[&str] = &[
    "start",
    "end",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "imei",
    "start-geopoint",
    "background-audio",
    "uri:deviceid",
    "uri:email",
    "uri:subscriberid",
    "uri:simserial",
    "uri:phonenumber",
    "uri:username",
    "caseid",
    // SurveyCTO's sensors and audits: recorded by the device, never asked.
    "comments",
    "text audit",
    "audio audit",
    "sensor_statistic",
    "sensor_stream",
    "speed violations count",
    "speed violations list",
    "speed violations audit",
];

pub(crate) fn parse(cell: &str) -> RowType {
    // pyxform's long spellings: `select one from L`, `select all that apply from L or specify other`.
    let spelled = cell.replace(" or specify other", " or_other");
    let words: Vec<&str> =
        spelled.split_whitespace().filter(|w| *w != "from" || !cell.to_lowercase().starts_with("select")).collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    match lower.as_slice() {
        ["begin", "group"] | ["begin_group"] => RowType::BeginGroup,
        ["end", "group"] | ["end_group"] => RowType::EndGroup,
        ["select_one" | "select1", _, rest @ ..] | ["select", "one", _, rest @ ..] => select(&words, rest, true),
        ["select_multiple", _, rest @ ..] | ["select", "all", "that", "apply", _, rest @ ..] => {
            select(&words, rest, false)
        }
        [one] => single(one),
        [first, ..] if METADATA.iter().any(|m| lower.join(" ").starts_with(m) && m.starts_with(first)) => {
            RowType::Metadata(lower.join(" "))
        }
        _ => refused(cell),
    }
}

fn select(words: &[&str], rest: &[&str], one: bool) -> RowType {
    // The list is the word before `rest`; its own spelling is kept (list names are case-sensitive).
    let list = words[words.len() - rest.len() - 1].to_owned();
    let or_other = match rest {
        [] => false,
        ["or_other"] => true,
        _ => return RowType::Refused(format!("`{}` is not a select type Quire knows", words.join(" "))),
    };
    RowType::Question(if one { Kind::SelectOne { list, or_other } } else { Kind::SelectMultiple { list, or_other } })
}

fn single(t: &str) -> RowType {
    let kind = match t {
        "text" | "string" => Kind::Text,
        "integer" | "int" => Kind::Integer,
        "decimal" => Kind::Decimal,
        "date" => Kind::Date,
        "note" => Kind::Note,
        // SurveyCTO's calculate_here is computed where it stands; Quire computes every calculation on every change.
        "calculate" | "calculate_here" => Kind::Calculate,
        "hidden" => Kind::Hidden,
        "today" => Kind::Today,
        m if METADATA.contains(&m) => return RowType::Metadata(m.to_owned()),
        _ => return refused(t),
    };
    RowType::Question(kind)
}

fn refused(cell: &str) -> RowType {
    let lower = cell.to_lowercase();
    let first = lower.split_whitespace().next().unwrap_or_default();
    let reason = match first {
        "begin_repeat" | "end_repeat" | "begin" | "end" if lower.contains("repeat") => {
            "repeats are not supported".to_owned()
        }
        "geopoint" | "geotrace" | "geoshape" => format!("`{first}`: locations and maps are not supported"),
        "image" | "photo" | "audio" | "video" | "file" | "background-video" => {
            format!("`{first}`: capturing files and media is not supported")
        }
        "barcode" => "`barcode`: scanning is not supported".to_owned(),
        "select_one_from_file" | "select_multiple_from_file" | "select_one_external" | "select_multiple_external" => {
            format!("`{first}`: choices from an external file are not supported")
        }
        "xml-external" | "csv-external" => format!("`{first}`: external data is not supported"),
        "time" | "datetime" => format!("`{first}`: times are not supported (only dates)"),
        "range" => "`range`: sliders are not supported".to_owned(),
        "rank" | "odk:rank" => "`rank`: ranking is not supported".to_owned(),
        "acknowledge" | "trigger" => format!("`{first}`: acknowledgement questions are not supported"),
        "tel" | "gps" => format!("`{first}` is a platform's own type (CHT, SurveyCTO), not XLSForm"),
        "" => "the type is empty".to_owned(),
        _ if lower.starts_with("select") => format!("`{cell}`: a select type needs a list name"),
        _ => format!("`{cell}` is not a question type Quire knows"),
    };
    RowType::Refused(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_types_keep_the_list_name() {
        assert_eq!(
            parse("select_one Yes_No"),
            RowType::Question(Kind::SelectOne { list: "Yes_No".into(), or_other: false })
        );
        assert_eq!(
            parse("select_multiple  crops or_other"),
            RowType::Question(Kind::SelectMultiple { list: "crops".into(), or_other: true })
        );
        assert_eq!(parse("select one yn"), RowType::Question(Kind::SelectOne { list: "yn".into(), or_other: false }));
        assert_eq!(
            parse("select all that apply from fruit or specify other"),
            RowType::Question(Kind::SelectMultiple { list: "fruit".into(), or_other: true })
        );
        assert!(matches!(parse("select_one"), RowType::Refused(_)));
        assert!(matches!(parse("select_one a b"), RowType::Refused(_)));
    }

    #[test]
    fn groups_metadata_and_refusals() {
        assert_eq!(parse("begin group"), RowType::BeginGroup);
        assert_eq!(parse("end_group"), RowType::EndGroup);
        assert_eq!(parse("deviceid"), RowType::Metadata("deviceid".into()));
        assert_eq!(parse("today"), RowType::Question(Kind::Today));
        assert_eq!(parse("integer"), RowType::Question(Kind::Integer));
        for (t, reason) in [
            ("begin repeat", "repeats"),
            ("begin_repeat", "repeats"),
            ("geopoint", "locations"),
            ("image", "media"),
            ("select_one_from_file villages.csv", "external file"),
            ("dateTime", "times"),
            ("range", "sliders"),
            ("rank", "ranking"),
            ("frobnicate", "not a question type"),
        ] {
            match parse(t) {
                RowType::Refused(r) => assert!(r.contains(reason), "{t}: {r}"),
                other => panic!("{t}: {other:?}"),
            }
        }
    }
}
