//! The files of the bundle, by name, and the bundle itself: one zip streamed as it is written (data descriptors, so
//! nothing is held back to learn a size), data.csv compressed on the way.

use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use futures_util::TryStreamExt;
use sqlx::PgPool;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::dta::DtaWriter;
use super::layout::Layout;
use super::rows::RowMaker;
use super::{codebook, r_script, read, spss, stata, xlsx};
use crate::admin::csv_stream::{defused, ByteSink, CsvSink, CHUNK};

/// A file of the bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum File {
    Data,
    CodebookCsv,
    CodebookHtml,
    Spss,
    Stata,
    R,
    Xlsx,
    Dta,
    Readme,
    Zip,
}

impl File {
    pub const ALL: [File; 10] = [
        File::Data,
        File::CodebookCsv,
        File::CodebookHtml,
        File::Spss,
        File::Stata,
        File::R,
        File::Xlsx,
        File::Dta,
        File::Readme,
        File::Zip,
    ];

    pub fn name(self) -> &'static str {
        match self {
            File::Data => "data.csv",
            File::CodebookCsv => "codebook.csv",
            File::CodebookHtml => "codebook.html",
            File::Spss => "data.sps",
            File::Stata => "data.do",
            File::R => "data.R",
            File::Xlsx => "data.xlsx",
            File::Dta => "data.dta",
            File::Readme => "README.txt",
            File::Zip => "bundle.zip",
        }
    }

    pub fn parse(name: &str) -> Option<File> {
        File::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            File::Data | File::CodebookCsv => "text/csv; charset=utf-8",
            File::CodebookHtml => "text/html; charset=utf-8",
            File::Spss | File::Stata | File::R | File::Readme => "text/plain; charset=utf-8",
            File::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            File::Zip => "application/zip",
            File::Dta => "application/x-stata-dta",
        }
    }
}

/// What a download asks for beyond the survey.
#[derive(Debug, Clone)]
pub struct Choice {
    pub school: Option<String>,
    /// Language of the labels in the scripts.
    pub lang: String,
    /// Start data.csv with a byte-order mark (Excel needs one to read UTF-8).
    pub bom: bool,
}

/// A file made whole in memory: the scripts, the codebook and the README (`None` for the files that stream).
pub fn small_file(layout: &Layout, file: File, choice: &Choice) -> anyhow::Result<Option<Vec<u8>>> {
    let lang = choice.lang.as_str();
    Ok(Some(match file {
        File::Spss => spss::syntax(layout, lang).into_bytes(),
        File::Stata => stata::do_file(layout, lang).into_bytes(),
        File::R => r_script::script(layout, lang).into_bytes(),
        File::CodebookHtml => codebook::html(layout).into_string().into_bytes(),
        File::CodebookCsv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            for row in codebook::csv_rows(layout) {
                w.write_record(row.iter().map(|c| defused(c).into_owned()))?;
            }
            w.into_inner().map_err(|e| anyhow::anyhow!("codebook.csv: {}", e.error()))?
        }
        File::Readme => readme(layout, choice).into_bytes(),
        File::Data | File::Xlsx | File::Dta | File::Zip => return Ok(None),
    }))
}

fn readme(layout: &Layout, choice: &Choice) -> String {
    let codes: Vec<String> = super::missing::Missing::ALL
        .iter()
        .map(|m| format!("  {}  {}", layout.missing.code(*m), m.label("en")))
        .collect();
    format!(
        "Quire analysis bundle\n\nSurvey: {}\nSchool: {}\nLabels in: {}\nVersions: {}\n\n\
         data.csv       one row per rostered respondent, UTF-8{}\n\
         codebook.csv   one row per column of data.csv (codebook.html: the same, to read)\n\
         data.sps       SPSS: File > Open > Syntax, then Run All (reads data.csv from the same folder)\n\
         data.do        Stata: do data.do\n\
         data.R         R: source(\"data.R\", encoding = \"UTF-8\")\n\
         data.dta       the same data as a Stata 14+ file with every label (pandas, pyreadstat and haven read it)\n\
         data.xlsx      the same data for Excel, with the variables and missing codes (only up to {} cells)\n\n\
         Missing codes in every answer column:\n{}\n",
        layout.survey_id,
        choice.school.as_deref().unwrap_or("all"),
        choice.lang,
        layout.versions.iter().map(|s| s.version()).collect::<Vec<_>>().join(", "),
        if choice.bom { ", with a byte-order mark" } else { "" },
        xlsx::MAX_CELLS,
        codes.join("\n"),
    )
}

/// The layout's rows, one respondent at a time, each made in the same reused record.
struct Rows<'a, S> {
    maker: RowMaker<'a>,
    respondents: std::pin::Pin<Box<S>>,
}

fn rows<'a>(
    pool: &'a PgPool,
    layout: &'a Layout,
    school: Option<&'a str>,
) -> Rows<'a, impl futures_util::Stream<Item = anyhow::Result<super::rows::Respondent>> + Send + 'a> {
    Rows { maker: RowMaker::new(layout), respondents: Box::pin(read::respondents(pool, &layout.survey_id, school)) }
}

impl<S: futures_util::Stream<Item = anyhow::Result<super::rows::Respondent>>> Rows<'_, S> {
    /// Makes `record` the next respondent's row; `false` after the last.
    async fn next(&mut self, record: &mut Vec<String>) -> anyhow::Result<bool> {
        match self.respondents.try_next().await? {
            Some(r) => {
                self.maker.fill(&r, record);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// Streams data.csv to `out`.
pub async fn data_csv(pool: PgPool, layout: Arc<Layout>, choice: Choice, out: ByteSink) -> anyhow::Result<()> {
    if choice.bom {
        out.send(&b"\xEF\xBB\xBF"[..]).await?;
    }
    let mut sink = CsvSink::new(out);
    sink.write(layout.header())?;
    let mut rows = rows(&pool, &layout, choice.school.as_deref());
    let mut record = Vec::new();
    while rows.next(&mut record).await? {
        sink.write(&record)?;
        sink.flush_if_full().await?;
    }
    sink.finish().await
}

/// Every row in memory, for the workbook; `None` if there would be more than `xlsx::MAX_CELLS` cells.
pub async fn all_rows(
    pool: &PgPool,
    layout: &Layout,
    school: Option<&str>,
) -> anyhow::Result<Option<Vec<Vec<String>>>> {
    let columns = layout.header().count();
    let count: (i64,) =
        sqlx::query_as("select count(*) from respondents where survey_id = $1 and ($2::text is null or school = $2)")
            .bind(&layout.survey_id)
            .bind(school)
            .fetch_one(pool)
            .await?;
    if count.0 as usize * columns > xlsx::MAX_CELLS {
        return Ok(None);
    }
    let mut rows = rows(pool, layout, school);
    let mut out = Vec::new();
    let mut record = Vec::new();
    while rows.next(&mut record).await? {
        out.push(record.clone());
    }
    Ok(Some(out))
}

/// What the zip writes into: the task takes the bytes out and sends them on.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn take(&self) -> Vec<u8> {
        self.0.lock().map(|mut b| std::mem::take(&mut *b)).unwrap_or_default()
    }
    fn len(&self) -> usize {
        self.0.lock().map(|b| b.len()).unwrap_or_default()
    }
}

/// Streams bundle.zip: README, codebooks and scripts, then data.csv, then data.xlsx when it is small enough.
pub async fn zip(pool: PgPool, layout: Arc<Layout>, choice: Choice, out: ByteSink) -> anyhow::Result<()> {
    let buf = Shared::default();
    let mut zip = ZipWriter::new_stream(buf.clone());
    // Level 1: the data is text that compresses well even so, and the bundle streams at the database's pace.
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(true);
    for file in [File::Readme, File::CodebookCsv, File::CodebookHtml, File::Spss, File::Stata, File::R] {
        zip.start_file(file.name(), options)?;
        zip.write_all(&small_file(&layout, file, &choice)?.unwrap_or_default())?;
    }
    out.send(buf.take()).await?;
    zip.start_file(File::Data.name(), options)?;
    if choice.bom {
        zip.write_all(b"\xEF\xBB\xBF")?;
    }
    let columns = layout.header().count();
    let mut kept: Option<Vec<Vec<String>>> = Some(Vec::new());
    let (dta_path, dta_file) = temp_file()?;
    let (_strls_path, strls) = temp_file()?;
    let mut dta = DtaWriter::start(BufWriter::new(dta_file), strls, &layout, &choice.lang)?;
    {
        let mut csv = csv::WriterBuilder::new().flexible(true).from_writer(&mut zip);
        csv.write_record(layout.header())?;
        let mut rows = rows(&pool, &layout, choice.school.as_deref());
        let mut record = Vec::new();
        while rows.next(&mut record).await? {
            csv.write_record(record.iter().map(|c| defused(c)).map(|c| c.into_owned()))?;
            dta.row(&record)?;
            kept = kept.filter(|k| (k.len() + 1) * columns <= xlsx::MAX_CELLS).map(|mut k| {
                k.push(record.clone());
                k
            });
            if buf.len() >= CHUNK {
                out.send(buf.take()).await?;
            }
        }
        csv.flush()?;
    }
    dta.finish()?;
    zip.start_file(File::Dta.name(), options)?;
    for chunk in chunks(&dta_path)? {
        zip.write_all(&chunk?)?;
        if buf.len() >= CHUNK {
            out.send(buf.take()).await?;
        }
    }
    if let Some(rows) = kept {
        zip.start_file(File::Xlsx.name(), options)?;
        zip.write_all(&xlsx::workbook(&layout, &rows)?)?;
    }
    zip.finish()?;
    out.send(buf.take()).await
}

/// A file in the temporary folder, removed when dropped (also when a download stops half way).
struct TempPath(PathBuf);

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A file's bytes, `CHUNK` at a time.
fn chunks(path: &TempPath) -> std::io::Result<impl Iterator<Item = std::io::Result<Vec<u8>>>> {
    let mut file = std::fs::File::open(&path.0)?;
    Ok(std::iter::from_fn(move || {
        let mut chunk = vec![0u8; CHUNK];
        match file.read(&mut chunk) {
            Ok(0) => None,
            Ok(n) => {
                chunk.truncate(n);
                Some(Ok(chunk))
            }
            Err(e) => Some(Err(e)),
        }
    }))
}

fn temp_file() -> std::io::Result<(TempPath, std::fs::File)> {
    let path = std::env::temp_dir().join(format!("quire-{}.dta", uuid::Uuid::new_v4().simple()));
    let file = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path)?;
    Ok((TempPath(path), file))
}

/// Streams data.dta: written to a temporary file first (the format puts the row count before the rows).
pub async fn data_dta(pool: PgPool, layout: Arc<Layout>, choice: Choice, out: ByteSink) -> anyhow::Result<()> {
    let (path, file) = temp_file()?;
    let (_strls_path, strls) = temp_file()?;
    let mut dta = DtaWriter::start(BufWriter::new(file), strls, &layout, &choice.lang)?;
    let mut rows = rows(&pool, &layout, choice.school.as_deref());
    let mut record = Vec::new();
    while rows.next(&mut record).await? {
        dta.row(&record)?;
    }
    dta.finish()?;
    for chunk in chunks(&path)? {
        out.send(chunk?).await?;
    }
    Ok(())
}
