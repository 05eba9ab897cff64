//! The R script (`data.R`, base R only) that reads `data.csv` into `data`: coded answers become factors with their
//! labels as levels, every variable carries its question text in `attr(, "label")`, and the three missing codes
//! become `NA` with the reason kept in `attr(, "na_reason")` (a factor: not shown, not reached, not answered).

use std::fmt::Write;

use super::layout::{Layout, Measure, FIXED};
use super::missing::Missing;
use super::quote::double_quoted;
use super::words::{word, FLAG, STATUS};

pub fn script(layout: &Layout, lang: &str) -> String {
    let mut out = String::new();
    let codes = layout.missing;
    let _ = writeln!(out, "# Quire analysis bundle: survey {}, labels in {lang}.", layout.survey_id);
    let _ = writeln!(out, "# Run from the folder that holds data.csv: source(\"data.R\", encoding = \"UTF-8\")");
    let classes: Vec<String> = FIXED
        .iter()
        .map(|f| (f.to_string(), if matches!(*f, "status" | "duration_min") { "numeric" } else { "character" }))
        .chain(
            layout
                .variables
                .iter()
                .map(|v| (v.name.clone(), if v.measure.is_numeric() { "numeric" } else { "character" })),
        )
        .map(|(name, class)| format!("{name} = \"{class}\""))
        .collect();
    let _ = writeln!(
        out,
        "data <- read.csv(\"data.csv\", fileEncoding = \"UTF-8-BOM\", check.names = FALSE, na.strings = \"\",\n  \
         colClasses = c({}))",
        classes.join(", ")
    );
    let [a, b, c] = Missing::ALL.map(|m| codes.code(m));
    let reasons: Vec<String> = Missing::ALL.iter().map(|m| double_quoted(m.label(lang))).collect();
    let _ = writeln!(out, "missing_codes <- c({a}, {b}, {c})");
    let _ = writeln!(out, "missing_reasons <- c({})", reasons.join(", "));
    out.push_str("variables <- list(\n");
    let entries: Vec<String> = layout
        .variables
        .iter()
        .map(|v| {
            let (levels, labels) = match &v.measure {
                Measure::Coded(ls) => (
                    ls.iter().map(|l| l.value.to_string()).collect::<Vec<_>>(),
                    ls.iter().map(|l| double_quoted(layout.text(&l.label, lang))).collect::<Vec<_>>(),
                ),
                Measure::Flag => (
                    FLAG.iter().map(|(v, _)| v.to_string()).collect(),
                    FLAG.iter().map(|(_, w)| double_quoted(word(*w, lang))).collect(),
                ),
                Measure::Number | Measure::Text => (Vec::new(), Vec::new()),
            };
            format!(
                "  {} = list(label = {}, levels = c({}), labels = c({}))",
                v.name,
                double_quoted(layout.text(&v.label, lang)),
                levels.join(", "),
                labels.join(", ")
            )
        })
        .collect();
    out.push_str(&entries.join(",\n"));
    out.push_str("\n)\n");
    out.push_str(
        r#"for (name in names(variables)) {
  v <- variables[[name]]
  x <- data[[name]]
  code <- suppressWarnings(as.numeric(x))
  why <- factor(ifelse(code %in% missing_codes, code, NA), levels = missing_codes, labels = missing_reasons)
  x[!is.na(why)] <- NA
  if (length(v$levels) > 0) x <- factor(x, levels = v$levels, labels = v$labels)
  attr(x, "label") <- v$label
  attr(x, "na_reason") <- why
  data[[name]] <- x
}
for (name in c("first_save", "last_activity", "completed_at")) {
  data[[name]] <- as.POSIXct(data[[name]], tz = "UTC", format = "%Y-%m-%d %H:%M:%S")
}
"#,
    );
    let status: Vec<String> = STATUS.iter().map(|(_, w)| double_quoted(word(*w, lang))).collect();
    let _ = writeln!(out, "data$status <- factor(data$status, levels = c(0, 1, 2), labels = c({}))", status.join(", "));
    out
}
