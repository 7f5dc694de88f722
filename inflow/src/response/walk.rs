//! The one walk of a `/query` document, whatever its format: results →
//! statements → series → rows → cells.
//!
//! A format is a [`Source`]: it reads maps, sequences and cells where they
//! lie (the JSON scanner, the reference JSON tree, MessagePack). What the
//! rows become is a [`Sink`]: rows of `T` for typed reads, untyped series
//! for raw queries. The walk decides everything else once, for all of
//! them: which keys count, how statements are numbered, when a series is
//! left open, which errors the document carries.

use std::borrow::Cow;

use super::cell::Cell;
use super::results::Message;
use crate::error::Error;

/// A document's values, read in order.
pub(crate) trait Source<'a> {
    /// What stops the walk: a named error, or the fast scanner giving up.
    type Error;
    /// A place in the document to come back to.
    type Mark: Copy;

    /// `{key: value, ...}`: calls `each` at every key, which reads its value.
    fn map(
        &mut self,
        each: impl FnMut(&mut Self, Cow<'a, str>) -> Result<(), Self::Error>,
    ) -> Result<(), Self::Error>;
    /// `[value, ...]`: calls `each` at every value, which reads it.
    fn seq(
        &mut self,
        each: impl FnMut(&mut Self) -> Result<(), Self::Error>,
    ) -> Result<(), Self::Error>;
    /// How many values the sequence that starts here claims to hold,
    /// when the format says before them (a claim, to be checked).
    fn seq_len(&self) -> Option<usize> {
        None
    }
    /// One scalar value.
    fn cell(&mut self) -> Result<Cell<'a>, Self::Error>;
    /// Any value, checked and thrown away.
    fn skip(&mut self) -> Result<(), Self::Error>;
    /// Where the next value starts.
    fn mark(&self) -> Self::Mark;
    /// Goes back (or forth) to a mark.
    fn seek(&mut self, mark: Self::Mark);
    /// The document is not shaped as a `/query` answer.
    fn malformed(&self, what: String) -> Self::Error;
    /// An error the document carries, or a row that does not decode.
    fn fail(&self, error: Error) -> Self::Error;
}

/// What a series says about itself before its rows.
#[derive(Debug, Default)]
pub(crate) struct Header<'a> {
    pub(crate) name: Option<Cow<'a, str>>,
    pub(crate) tags: Vec<(Cow<'a, str>, Option<Cow<'a, str>>)>,
    pub(crate) columns: Vec<Cow<'a, str>>,
}

/// What the rows of a document become. A document goes in whole or not at
/// all: the decoder calls [`commit`](Sink::commit) after each one it
/// finished and [`rollback`](Sink::rollback) after one that failed.
pub(crate) trait Sink {
    /// What the sink keeps for a series while its rows are read.
    type Series;

    fn series(&mut self, header: &Header<'_>) -> Self::Series;
    /// About this many rows are coming.
    fn reserve(&mut self, _rows: usize) {}
    /// Reads one row of `series`: the sequence of its cells, each read or
    /// skipped.
    fn row<'a, S: Source<'a>>(
        &mut self,
        series: &mut Self::Series,
        source: &mut S,
    ) -> Result<(), S::Error>;
    /// A series' rows are all read; `partial`: it continues in the next
    /// document.
    fn end_series(&mut self, _series: Self::Series, _partial: bool) {}
    /// A statement's series are all read.
    fn end_statement(&mut self, _statement: usize, _messages: Vec<Message>) {}
    fn commit(&mut self);
    fn rollback(&mut self);
}

/// Where a response stands between two documents: the series left open
/// (marked `partial`, to be continued in the next document) and the index
/// of the next statement.
///
/// A statement result without a `statement_id` (InfluxDB writes a failed
/// statement in MessagePack as `{"error": ...}` alone) takes its index
/// from the results before it: the same statement when that one was
/// marked partial, the next one otherwise. In one document that is its
/// place in the list; in a chunked response, where each document holds one
/// result, it carries on across documents.
#[derive(Debug, Clone, Default)]
pub(crate) struct Progress {
    /// The name of the last series when it was marked partial.
    pub(crate) open_series: Option<String>,
    pub(crate) next_statement: usize,
}

/// Walks one document. Trailing bytes are the source's business.
pub(crate) fn document<'a, S: Source<'a>, K: Sink>(
    source: &mut S,
    sink: &mut K,
    progress: &mut Progress,
) -> Result<(), S::Error> {
    source.map(|s, key| match &*key {
        "results" => s.seq(|s| statement(s, sink, progress)),
        "error" => {
            let message = string(s, "the query's error")?.into_owned();
            Err(s.fail(Error::QueryAborted { message }))
        }
        _ => s.skip(),
    })
}

fn statement<'a, S: Source<'a>, K: Sink>(
    source: &mut S,
    sink: &mut K,
    progress: &mut Progress,
) -> Result<(), S::Error> {
    let mut id = None;
    let mut error = None;
    let mut partial = false;
    let mut messages = Vec::new();
    source.map(|s, key| match &*key {
        "statement_id" => {
            id = Some(index(s)?);
            Ok(())
        }
        "series" => s.seq(|s| series(s, sink, progress)),
        "messages" => s.seq(|s| {
            messages.push(message(s)?);
            Ok(())
        }),
        "partial" => {
            partial = boolean(s, "a statement's partial")?;
            Ok(())
        }
        "error" => {
            error = Some(string(s, "a statement's error")?.into_owned());
            Ok(())
        }
        _ => s.skip(),
    })?;
    // The error is raised at the end, once the statement_id is known
    // wherever it stands; a statement_id that is no index does not hide it.
    let statement = match id {
        Some(Ok(id)) => id,
        Some(Err(_)) | None => progress.next_statement,
    };
    if let Some(message) = error {
        // The server answers a query on a missing database with `200` and
        // this statement error: the same error as a write's `404`.
        let error = if message.starts_with("database not found") {
            Error::DatabaseNotFound { message }
        } else {
            Error::Statement { statement, message }
        };
        return Err(source.fail(error));
    }
    if let Some(Err(what)) = id {
        return Err(source.malformed(what));
    }
    sink.end_statement(statement, messages);
    progress.next_statement = if partial { statement } else { statement + 1 };
    Ok(())
}

fn series<'a, S: Source<'a>, K: Sink>(
    source: &mut S,
    sink: &mut K,
    progress: &mut Progress,
) -> Result<(), S::Error> {
    let mut header = Header::default();
    let mut have_columns = false;
    let mut target = None;
    // Rows before their columns (never from InfluxDB itself, which writes
    // columns first) are read once the series' keys are all seen.
    let mut early_rows = None;
    let mut partial = false;
    source.map(|s, key| {
        match &*key {
            "name" => header.name = Some(string(s, "a series' name")?),
            "tags" => s.map(|s, key| {
                let value = match s.cell()? {
                    Cell::Null => None,
                    Cell::Str(value) => Some(value),
                    other => {
                        return Err(s.malformed(format!(
                            "tag {key:?} is {}, not a string",
                            other.describe()
                        )))
                    }
                };
                header.tags.push((key, value));
                Ok(())
            })?,
            "columns" => {
                header.columns.clear();
                s.seq(|s| {
                    header.columns.push(string(s, "a column's name")?);
                    Ok(())
                })?;
                have_columns = true;
            }
            "values" if have_columns => {
                let target = target.get_or_insert_with(|| sink.series(&header));
                rows(s, sink, target)?;
            }
            "values" => {
                early_rows = Some(s.mark());
                s.skip()?;
            }
            "partial" => partial = boolean(s, "a series' partial")?,
            _ => s.skip()?,
        }
        Ok(())
    })?;
    let mut target = target.unwrap_or_else(|| sink.series(&header));
    if let Some(mark) = early_rows {
        let end = source.mark();
        source.seek(mark);
        rows(source, sink, &mut target)?;
        source.seek(end);
    }
    sink.end_series(target, partial);
    progress.open_series = partial.then(|| header.name.unwrap_or_default().into_owned());
    Ok(())
}

#[inline]
fn rows<'a, S: Source<'a>, K: Sink>(
    source: &mut S,
    sink: &mut K,
    series: &mut K::Series,
) -> Result<(), S::Error> {
    if let Some(rows) = source.seq_len() {
        sink.reserve(rows);
    }
    source.seq(|s| sink.row(series, s))
}

fn message<'a, S: Source<'a>>(source: &mut S) -> Result<Message, S::Error> {
    let mut message = Message::default();
    source.map(|s, key| {
        match &*key {
            "level" => message.level = string(s, "a message's level")?.into_owned(),
            "text" => message.text = string(s, "a message's text")?.into_owned(),
            _ => s.skip()?,
        }
        Ok(())
    })?;
    Ok(message)
}

fn string<'a, S: Source<'a>>(source: &mut S, what: &str) -> Result<Cow<'a, str>, S::Error> {
    match source.cell()? {
        Cell::Str(s) => Ok(s),
        other => Err(source.malformed(format!("{what} is {}, not a string", other.describe()))),
    }
}

fn boolean<'a, S: Source<'a>>(source: &mut S, what: &str) -> Result<bool, S::Error> {
    match source.cell()? {
        Cell::Bool(b) => Ok(b),
        other => Err(source.malformed(format!("{what} is {}, not a boolean", other.describe()))),
    }
}

/// A statement index, or what it is instead.
fn index<'a, S: Source<'a>>(source: &mut S) -> Result<Result<usize, String>, S::Error> {
    let cell = source.cell()?;
    let index = match cell {
        Cell::Int(i) => usize::try_from(i).ok(),
        Cell::UInt(u) => usize::try_from(u).ok(),
        _ => None,
    };
    Ok(index.ok_or_else(|| format!("a statement_id is {}, not an index", cell.describe())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::decoder::Decoder;
    use crate::response::format::Format;
    use crate::response::layout::Rows;
    use crate::response::results::ResultsDecoder;
    use crate::response::testing::{corpus_json_documents, Row};

    fn packed(json: &str) -> Vec<u8> {
        let value: serde_json::Value = serde_json::from_str(json).expect("JSON");
        rmp_serde::to_vec(&value).expect("MessagePack")
    }

    /// A body's rows and where it left off, in one format.
    fn typed(format: Format, body: &[u8]) -> (Result<(), String>, usize, Progress) {
        let mut decoder = Decoder::new(1 << 20);
        let mut out: Vec<Row> = Vec::new();
        let result = decoder
            .document(format, body, &mut Rows::new(&mut out))
            .map_err(|e| e.to_string());
        (result, out.len(), decoder.progress)
    }

    fn untyped(format: Format, body: &[u8]) -> Result<crate::QueryResults, String> {
        let mut decoder = ResultsDecoder::new(Some(format.content_type().into()), 1 << 20);
        decoder.push(body).map_err(|e| e.to_string())?;
        decoder.finish(false).map_err(|e| e.to_string())
    }

    /// The same document, in JSON (fast scanner and reference) and in
    /// MessagePack, typed and untyped: the same outcome everywhere.
    fn alike(json: &str) -> (Result<(), String>, usize, Progress) {
        let msgpack = packed(json);
        let a = typed(Format::Json, json.as_bytes());
        let b = typed(Format::MessagePack, &msgpack);
        assert_eq!(a.0.is_ok(), b.0.is_ok(), "{json}: {:?} / {:?}", a.0, b.0);
        if let (Err(x), Err(y)) = (&a.0, &b.0) {
            if !x.contains("response") {
                assert_eq!(x, y, "{json}");
            }
        }
        assert_eq!(a.1, b.1, "{json}");
        assert_eq!(a.2.open_series, b.2.open_series, "{json}");
        assert_eq!(a.2.next_statement, b.2.next_statement, "{json}");
        let c = untyped(Format::Json, json.as_bytes());
        let d = untyped(Format::MessagePack, &msgpack);
        assert_eq!(c.is_ok(), d.is_ok(), "{json}: {c:?} / {d:?}");
        if let (Ok(c), Ok(d)) = (&c, &d) {
            assert_eq!(c, d, "{json}");
        }
        a
    }

    #[test]
    fn statements_are_numbered_alike_in_every_format() {
        // No statement_id: places in the list, a partial statement keeping
        // its number.
        let (result, _, progress) =
            alike(r#"{"results":[{"series":[]},{"partial":true},{"series":[]},{"series":[]}]}"#);
        assert!(result.is_ok());
        assert_eq!(progress.next_statement, 3);
        let (result, ..) = alike(r#"{"results":[{"statement_id":0},{"error":"boom"}]}"#);
        assert_eq!(
            result.unwrap_err(),
            Error::Statement {
                statement: 1,
                message: "boom".into()
            }
            .to_string()
        );
        let results = untyped(
            Format::Json,
            br#"{"results":[{"series":[{"name":"a","columns":["time"],"values":[[1]]}]},{"series":[{"name":"b","columns":["time"],"values":[[2]]}]}]}"#,
        )
        .unwrap();
        let ids: Vec<usize> = results.statements.iter().map(|s| s.statement_id).collect();
        assert_eq!(ids, [0, 1]);
    }

    #[test]
    fn a_statement_error_names_its_statement_wherever_the_id_stands() {
        let (result, ..) = alike(r#"{"results":[{"error":"shard 3 is closed","statement_id":4}]}"#);
        assert_eq!(
            result.unwrap_err(),
            Error::Statement {
                statement: 4,
                message: "shard 3 is closed".into()
            }
            .to_string()
        );
        // A missing database is the same error as on a write.
        let (result, ..) =
            alike(r#"{"results":[{"statement_id":0,"error":"database not found: x"}]}"#);
        assert_eq!(
            result.unwrap_err(),
            Error::DatabaseNotFound {
                message: "database not found: x".into()
            }
            .to_string()
        );
        // An id that is no index does not hide the server's message.
        let (result, ..) = alike(r#"{"results":[{"statement_id":-1,"error":"shard is closed"}]}"#);
        assert!(result.unwrap_err().contains("shard is closed"));
        let (result, ..) = alike(r#"{"results":[{"statement_id":-1}]}"#);
        assert!(result.unwrap_err().contains("not an index"));
    }

    #[test]
    fn rows_before_their_columns_decode_in_every_format() {
        let (result, rows, _) = alike(
            r#"{"results":[{"statement_id":0,"series":[{"values":[[1,"a",0.5]],"name":"cpu","columns":["time","host","usage"]}]}]}"#,
        );
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(rows, 1);
    }

    #[test]
    fn misshapen_documents_are_named_errors() {
        for (json, what) in [
            (r#"{"results":{}}"#, "expected an array"),
            (
                r#"{"results":[{"series":[{"name":5}]}]}"#,
                "name is integer 5",
            ),
            (
                r#"{"results":[{"series":[{"tags":{"host":1}}]}]}"#,
                "tag \"host\"",
            ),
            (
                r#"{"results":[{"series":[{"partial":"yes"}]}]}"#,
                "not a boolean",
            ),
            (r#"{"error":"timeout"}"#, "timeout"),
        ] {
            let (result, ..) = alike(json);
            let error = result.unwrap_err();
            assert!(error.contains(what), "{json}: {error}");
        }
    }

    #[test]
    fn raw_results_read_messagepack_as_json() {
        let mut compared = 0;
        for doc in corpus_json_documents() {
            let json = String::from_utf8(doc).unwrap();
            if json.len() > 100_000 {
                continue;
            }
            let (Ok(a), Ok(b)) = (
                untyped(Format::Json, json.as_bytes()),
                untyped(Format::MessagePack, &packed(&json)),
            ) else {
                continue;
            };
            assert_eq!(a, b, "{json}");
            compared += 1;
        }
        assert!(compared >= 30, "only {compared} documents compared");
    }
}
