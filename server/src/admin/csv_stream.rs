//! Streaming CSV downloads: a task reads rows from PostgreSQL and hands the response body 64 KiB chunks through a
//! small channel. Memory stays bounded whatever the size of the export (the channel holds at most 8 chunks and the
//! database cursor is read only as fast as the client downloads), and the first bytes leave at once, so no proxy
//! times out waiting for a two-million-row file.

use std::future::Future;

use axum::body::{Body, Bytes};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

pub const CHUNK: usize = 64 * 1024;

/// The sending end of a streamed download.
pub struct ByteSink {
    tx: mpsc::Sender<std::io::Result<Bytes>>,
}

impl ByteSink {
    /// Hands the client `bytes`; waits while it is slower than the producer.
    pub async fn send(&self, bytes: impl Into<Bytes>) -> anyhow::Result<()> {
        self.tx.send(Ok(bytes.into())).await.map_err(|_| anyhow::anyhow!("the client went away"))
    }
}

pub struct CsvSink {
    out: ByteSink,
    writer: csv::Writer<Vec<u8>>,
}

/// What every CSV Quire writes says about formula cells (codebooks, README).
pub const FORMULA_NOTE: &str = "cells that began with = + - @ or a tab or carriage return, and are not numbers, \
                                carry a leading ' so that spreadsheets show them as text instead of running them";

/// OWASP's rule against CSV injection: a cell that a spreadsheet would run as a formula (it begins with `=`, `+`,
/// `-`, `@`, a tab or a carriage return) gets a leading `'`. Numbers such as `-3` or `+1.5` are left alone: they
/// run nothing, and analysts need them as numbers. Applied to every cell of every CSV Quire writes (downloads and
/// the command line), whoever typed it: roster fields, answers, quarantined payloads.
pub fn defused(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_number(cell) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

fn is_number(cell: &str) -> bool {
    let digits = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|&c| c == '.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit())
}

impl CsvSink {
    pub fn new(out: ByteSink) -> Self {
        CsvSink { out, writer: writer() }
    }

    /// Writes a record, every cell `defused`.
    pub fn write<I, T>(&mut self, record: I) -> anyhow::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.writer.write_record(record.into_iter().map(|cell| defused(cell.as_ref()).into_owned()))?;
        Ok(())
    }

    /// Sends what is buffered once it reaches a chunk; waits while the client is slower than the database.
    pub async fn flush_if_full(&mut self) -> anyhow::Result<()> {
        if self.writer.get_ref().len() >= CHUNK {
            self.send().await?;
        }
        Ok(())
    }

    async fn send(&mut self) -> anyhow::Result<()> {
        // csv::Writer lends no mutable access to its output, so a full one is swapped for an empty one.
        let full = std::mem::replace(&mut self.writer, writer());
        let bytes = full.into_inner().map_err(|e| anyhow::anyhow!("csv: {}", e.error()))?;
        self.out.send(bytes).await
    }

    pub async fn finish(mut self) -> anyhow::Result<()> {
        self.send().await
    }
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().flexible(true).from_writer(Vec::with_capacity(CHUNK * 2))
}

/// A `text/csv` attachment produced by `produce`. If it fails part-way, the body ends with an error, so the client
/// sees a broken download rather than a file that looks complete but is not.
pub fn stream_csv<F, Fut>(filename: &str, produce: F) -> Response
where
    F: FnOnce(CsvSink) -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    stream_bytes(filename, "text/csv; charset=utf-8", |out| produce(CsvSink::new(out)))
}

/// An attachment of `content_type` whose bytes `produce` sends, streamed like `stream_csv`.
pub fn stream_bytes<F, Fut>(filename: &str, content_type: &str, produce: F) -> Response
where
    F: FnOnce(ByteSink) -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(8);
    let sink = ByteSink { tx: tx.clone() };
    tokio::spawn(async move {
        if let Err(e) = produce(sink).await {
            tracing::warn!(error = ?e, "download stopped");
            let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    let safe_name: String =
        filename.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    (
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (CONTENT_DISPOSITION, format!("attachment; filename=\"{safe_name}\"")),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::defused;

    #[test]
    fn formula_cells_are_defused_numbers_are_not() {
        for (cell, out) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-", "'-"),
            ("-3", "-3"),
            ("+1.5", "+1.5"),
            ("fine - thanks", "fine - thanks"),
            ("", ""),
        ] {
            assert_eq!(defused(cell), out, "{cell:?}");
        }
    }
}
