//! `data.dta`: the data as a native Stata file (format 118, Stata 14 and later; read by pandas, pyreadstat, haven),
//! with variable labels, value labels, and the missing codes as Stata's extended missing values `.a` (not shown),
//! `.b` (not reached) and `.c` (not answered), themselves labelled.
//!
//! Written by hand from Stata's published description of the format ("dta_118"): no maintained Rust crate writes value
//! labels (the `dta` crate can read them but not build them). The file is written front to back; the observation
//! count and the section map are filled in at the end, so the writer needs `Seek` (a temporary file), and the long
//! strings wait in a second one until the rows are done.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};

use super::layout::{Layout, Measure, FIXED};
use super::missing::Missing;
use super::quote::{cut_bytes, cut_chars};
use super::words::{word, FLAG, STATUS};

/// Storage types, as the format numbers them.
const DOUBLE: u16 = 65526;
const LONG: u16 = 65528;
const BYTE: u16 = 65530;
const STRL: u16 = 32768;

/// `.a`, `.b`, `.c` for each type (`.` is the type's base; extended ones follow it).
const DOUBLE_MISSING_A: u64 = 0x7FE0_0100_0000_0000;
const DOUBLE_MISSING_STRIDE: u64 = 0x0100_0000_0000;
const LONG_MISSING: i32 = 2_147_483_621;
const BYTE_MISSING: i8 = 101;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Column {
    Byte,
    Long,
    Double,
    /// Fixed width, for texts whose length is known (ids, times).
    Str(usize),
    /// Stata's long string: a reference in the row, the text in the `<strls>` section, so a short answer to a
    /// question that allows 2,000 characters takes its own length, not 2,000 bytes in every row.
    StrL,
}

impl Column {
    fn code(self) -> u16 {
        match self {
            Column::Byte => BYTE,
            Column::Long => LONG,
            Column::Double => DOUBLE,
            Column::Str(w) => w as u16,
            Column::StrL => STRL,
        }
    }
    fn format(self) -> String {
        match self {
            Column::Byte => "%8.0g".into(),
            Column::Long => "%12.0g".into(),
            Column::Double => "%10.0g".into(),
            Column::Str(w) => format!("%{}s", w.min(244)),
            Column::StrL => "%9s".into(),
        }
    }
}

/// A value label set: its name and `(value, label)` pairs; missing codes appear as their `.a`/`.b`/`.c` values.
type LabelSet = (String, Vec<(i32, String)>);

pub struct DtaWriter<W: Write + Seek> {
    out: W,
    /// The long strings, kept aside until the rows are written (the format puts them after).
    strls: io::BufWriter<File>,
    columns: Vec<Column>,
    missing: [i64; 3],
    rows: u64,
    map: [u64; 14],
    labels: Vec<LabelSet>,
}

fn columns(layout: &Layout) -> Vec<Column> {
    let fixed = FIXED.iter().map(|f| match *f {
        "status" => Column::Byte,
        "duration_min" => Column::Double,
        "respondent_id" => Column::Str(36),
        "survey_version" => Column::Str(64),
        "first_save" | "last_activity" | "completed_at" => Column::Str(19),
        _ => Column::StrL,
    });
    let answers = layout.variables.iter().map(|v| match &v.measure {
        Measure::Flag => Column::Byte,
        Measure::Coded(ls) if ls.iter().all(|l| (-127..=100).contains(&l.value)) => Column::Byte,
        Measure::Coded(ls) if ls.iter().all(|l| (-2_147_483_647..=2_147_483_620).contains(&l.value)) => Column::Long,
        Measure::Coded(_) | Measure::Number => Column::Double,
        Measure::Text => Column::StrL,
    });
    fixed.chain(answers).collect()
}

fn label_sets(layout: &Layout, lang: &str) -> Vec<(String, LabelSet)> {
    let why: Vec<(i32, String)> =
        Missing::ALL.iter().enumerate().map(|(i, m)| (LONG_MISSING + 1 + i as i32, m.label(lang).to_owned())).collect();
    let mut sets = vec![(
        "status".to_owned(),
        ("status".to_owned(), STATUS.iter().map(|(v, w)| (*v as i32, word(*w, lang).to_owned())).collect()),
    )];
    for v in &layout.variables {
        let mut entries: Vec<(i32, String)> = match &v.measure {
            Measure::Coded(ls) => ls
                .iter()
                .filter_map(|l| Some((i32::try_from(l.value).ok()?, layout.text(&l.label, lang).to_owned())))
                .collect(),
            Measure::Flag => FLAG.iter().map(|(v, w)| (*v as i32, word(*w, lang).to_owned())).collect(),
            Measure::Number => Vec::new(),
            Measure::Text => continue,
        };
        entries.extend(why.iter().cloned());
        sets.push((v.name.clone(), (v.name.clone(), entries)));
    }
    sets
}

/// Exactly `width` bytes: `s` cut to fit (on a character boundary) and NUL-padded.
fn fixed(out: &mut impl Write, s: &str, width: usize) -> io::Result<()> {
    let s = cut_bytes(s, width);
    out.write_all(s.as_bytes())?;
    out.write_all(&vec![0u8; width - s.len()])
}

/// A NUL-terminated text in a field of `len` bytes.
fn padded(out: &mut impl Write, s: &str, len: usize) -> io::Result<()> {
    fixed(out, cut_bytes(s, len - 1), len)
}

/// What the file starts with, up to the variable count (whose position `finish` needs).
const HEAD: &[u8] = b"<stata_dta><header><release>118</release><byteorder>LSF</byteorder><K>";
/// Where the observation count sits: after the head, K (2 bytes) and `</K><N>`.
const N_AT: u64 = HEAD.len() as u64 + 2 + 7;

impl<W: Write + Seek> DtaWriter<W> {
    /// Writes everything up to the first observation; `strls` is scratch space for the long strings.
    pub fn start(mut out: W, strls: File, layout: &Layout, lang: &str) -> io::Result<Self> {
        let columns = columns(layout);
        let names: Vec<&str> = layout.header().collect();
        let sets = label_sets(layout, lang);
        let mut map = [0u64; 14];
        out.write_all(HEAD)?;
        out.write_all(&(columns.len() as u16).to_le_bytes())?;
        out.write_all(b"</K><N>")?;
        out.write_all(&0u64.to_le_bytes())?;
        out.write_all(b"</N><label>")?;
        let label = cut_bytes(&layout.survey_id, 80);
        out.write_all(&(label.len() as u16).to_le_bytes())?;
        out.write_all(label.as_bytes())?;
        out.write_all(b"</label><timestamp>\x00</timestamp></header>")?;
        map[1] = out.stream_position()?;
        out.write_all(b"<map>")?;
        out.write_all(&[0u8; 14 * 8])?;
        out.write_all(b"</map>")?;
        map[2] = out.stream_position()?;
        out.write_all(b"<variable_types>")?;
        for c in &columns {
            out.write_all(&c.code().to_le_bytes())?;
        }
        out.write_all(b"</variable_types>")?;
        map[3] = out.stream_position()?;
        out.write_all(b"<varnames>")?;
        for n in &names {
            padded(&mut out, n, 129)?;
        }
        out.write_all(b"</varnames>")?;
        map[4] = out.stream_position()?;
        out.write_all(b"<sortlist>")?;
        out.write_all(&vec![0u8; 2 * (columns.len() + 1)])?;
        out.write_all(b"</sortlist>")?;
        map[5] = out.stream_position()?;
        out.write_all(b"<formats>")?;
        for c in &columns {
            padded(&mut out, &c.format(), 57)?;
        }
        out.write_all(b"</formats>")?;
        map[6] = out.stream_position()?;
        out.write_all(b"<value_label_names>")?;
        for n in &names {
            let set = sets.iter().find(|(v, _)| v == n).map_or("", |(_, (s, _))| s.as_str());
            padded(&mut out, set, 129)?;
        }
        out.write_all(b"</value_label_names>")?;
        map[7] = out.stream_position()?;
        out.write_all(b"<variable_labels>")?;
        for (i, n) in names.iter().enumerate() {
            let label = match i.checked_sub(FIXED.len()) {
                Some(v) => layout.text(&layout.variables[v].label, lang),
                None => super::codebook::fixed_description(n),
            };
            padded(&mut out, cut_chars(label, 80).trim_end(), 321)?;
        }
        out.write_all(b"</variable_labels>")?;
        map[8] = out.stream_position()?;
        out.write_all(b"<characteristics></characteristics>")?;
        map[9] = out.stream_position()?;
        out.write_all(b"<data>")?;
        let codes = layout.missing;
        let missing = Missing::ALL.map(|m| codes.code(m));
        let labels = sets.into_iter().map(|(_, s)| s).collect();
        Ok(DtaWriter { out, strls: io::BufWriter::new(strls), columns, missing, rows: 0, map, labels })
    }

    /// One observation, from the same cells as data.csv.
    pub fn row(&mut self, record: &[String]) -> io::Result<()> {
        for (i, (cell, column)) in record.iter().zip(&self.columns).enumerate() {
            // Which missing code a number cell holds (0, 1, 2 for .a, .b, .c), read once.
            let why = || {
                let code = cell.parse::<i64>().ok()?;
                self.missing.iter().position(|m| *m == code)
            };
            match *column {
                Column::Str(w) => fixed(&mut self.out, cell, w)?,
                Column::StrL if cell.is_empty() => self.out.write_all(&[0u8; 8])?,
                Column::StrL => {
                    // (v, o): variable and observation, 1-based; in format 118 two bytes and six.
                    let (v, o) = (i as u64 + 1, self.rows + 1);
                    self.out.write_all(&(v as u16).to_le_bytes())?;
                    self.out.write_all(&o.to_le_bytes()[..6])?;
                    self.strls.write_all(b"GSO")?;
                    self.strls.write_all(&(v as u32).to_le_bytes())?;
                    self.strls.write_all(&o.to_le_bytes())?;
                    // 130: text, stored with its terminating NUL.
                    self.strls.write_all(&[130])?;
                    self.strls.write_all(&(cell.len() as u32 + 1).to_le_bytes())?;
                    self.strls.write_all(cell.as_bytes())?;
                    self.strls.write_all(&[0])?;
                }
                Column::Byte => {
                    let v: i8 = match (why(), cell.parse::<i8>()) {
                        (Some(i), _) => BYTE_MISSING + 1 + i as i8,
                        (None, Ok(v)) => v,
                        (None, Err(_)) => BYTE_MISSING,
                    };
                    self.out.write_all(&v.to_le_bytes())?
                }
                Column::Long => {
                    let v: i32 = match (why(), cell.parse::<i32>()) {
                        (Some(i), _) => LONG_MISSING + 1 + i as i32,
                        (None, Ok(v)) => v,
                        (None, Err(_)) => LONG_MISSING,
                    };
                    self.out.write_all(&v.to_le_bytes())?
                }
                Column::Double => {
                    let bits = match (why(), cell.parse::<f64>()) {
                        (Some(i), _) => DOUBLE_MISSING_A + DOUBLE_MISSING_STRIDE * i as u64,
                        (None, Ok(v)) => v.to_bits(),
                        (None, Err(_)) => 0x7FE0_0000_0000_0000,
                    };
                    self.out.write_all(&bits.to_le_bytes())?
                }
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Writes the value labels and the map; returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(b"</data>")?;
        self.map[10] = self.out.stream_position()?;
        self.out.write_all(b"<strls>")?;
        self.strls.flush()?;
        let strls = self.strls.get_mut();
        strls.seek(SeekFrom::Start(0))?;
        io::copy(strls, &mut self.out)?;
        self.out.write_all(b"</strls>")?;
        self.map[11] = self.out.stream_position()?;
        self.out.write_all(b"<value_labels>")?;
        for (name, entries) in &self.labels {
            let mut text = Vec::new();
            let mut offsets = Vec::new();
            for (_, label) in entries {
                offsets.push(text.len() as u32);
                text.extend_from_slice(cut_bytes(label, 32_000).as_bytes());
                text.push(0);
            }
            let n = entries.len() as u32;
            self.out.write_all(b"<lbl>")?;
            self.out.write_all(&(8 + 8 * n + text.len() as u32).to_le_bytes())?;
            padded(&mut self.out, name, 129)?;
            self.out.write_all(&[0u8; 3])?;
            self.out.write_all(&n.to_le_bytes())?;
            self.out.write_all(&(text.len() as u32).to_le_bytes())?;
            for o in &offsets {
                self.out.write_all(&o.to_le_bytes())?;
            }
            for (v, _) in entries {
                self.out.write_all(&v.to_le_bytes())?;
            }
            self.out.write_all(&text)?;
            self.out.write_all(b"</lbl>")?;
        }
        self.out.write_all(b"</value_labels>")?;
        self.map[12] = self.out.stream_position()?;
        self.out.write_all(b"</stata_dta>")?;
        self.map[13] = self.out.stream_position()?;
        self.out.seek(SeekFrom::Start(N_AT))?;
        self.out.write_all(&self.rows.to_le_bytes())?;
        self.out.seek(SeekFrom::Start(self.map[1] + 5))?;
        for m in self.map {
            self.out.write_all(&m.to_le_bytes())?;
        }
        self.out.seek(SeekFrom::End(0))?;
        self.out.flush()?;
        Ok(self.out)
    }
}
