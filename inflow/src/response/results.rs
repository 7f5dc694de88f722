//! Untyped results of raw queries: documents merged into statements and
//! series, the chunks of a series joined.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::cell::Cell;
use super::decoder::Body;
use super::walk::{Header, Sink, Source};
use crate::error::Error;

/// The results of a raw query: one entry per statement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryResults {
    /// Each statement's result, in order.
    pub statements: Vec<StatementResult>,
}

impl QueryResults {
    /// All series of all statements, in order.
    pub fn series(&self) -> impl Iterator<Item = &Series> {
        self.statements.iter().flat_map(|s| s.series.iter())
    }
}

/// The result of one statement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatementResult {
    /// The statement's index in the query (as the server numbers it).
    pub statement_id: usize,
    /// Its series; empty when it returned nothing.
    pub series: Vec<Series>,
    /// Informational messages, such as deprecation warnings.
    pub messages: Vec<Message>,
}

/// One series of a result: rows sharing a measurement and tag set.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Series {
    /// The measurement, when the statement has one.
    #[serde(default)]
    pub name: Option<String>,
    /// The `GROUP BY` tags of this series.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Column names.
    #[serde(default)]
    pub columns: Vec<String>,
    /// Rows, each with one value per column.
    #[serde(default)]
    pub values: Vec<Vec<serde_json::Value>>,
    /// The server marked the series as continuing in the next document.
    #[serde(default)]
    partial: bool,
}

impl Series {
    /// Whether the server marked this series as continuing (`"partial":
    /// true`) and no continuation followed. Results from
    /// [`Client::query`](crate::Client::query) never have one: a read that
    /// ends inside a series is an error
    /// ([`DecodeError::Truncated`](crate::error::DecodeError::Truncated)), not a shorter result.
    pub fn is_partial(&self) -> bool {
        self.partial
    }

    /// The index of a column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The values of one column, row by row.
    pub fn column_values<'a>(
        &'a self,
        name: &str,
    ) -> Option<impl Iterator<Item = &'a serde_json::Value> + 'a> {
        let index = self.column(name)?;
        Some(self.values.iter().filter_map(move |row| row.get(index)))
    }
}

/// A message a statement carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Message {
    /// `warning`, `info`, ...
    #[serde(default)]
    pub level: String,
    /// The text.
    #[serde(default)]
    pub text: String,
}

/// Untyped results: the [`Sink`] that keeps every series as it came,
/// merging documents into statements as they are committed.
#[derive(Debug, Default)]
struct Assembler {
    results: QueryResults,
    /// The statements of the document being walked.
    statements: Vec<StatementResult>,
    /// The series of the statement being walked.
    series: Vec<Series>,
}

impl Sink for Assembler {
    type Series = Series;

    fn series(&mut self, header: &Header<'_>) -> Series {
        Series {
            name: header.name.as_deref().map(str::to_owned),
            // A tag of the `GROUP BY` without a value: empty, as the
            // server writes it in JSON.
            tags: header
                .tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.as_deref().unwrap_or_default().to_owned()))
                .collect(),
            columns: header.columns.iter().map(|c| c.to_string()).collect(),
            values: Vec::new(),
            partial: false,
        }
    }

    fn row<'a, S: Source<'a>>(
        &mut self,
        series: &mut Series,
        source: &mut S,
    ) -> Result<(), S::Error> {
        let mut row = Vec::with_capacity(series.columns.len());
        source.seq(|s| {
            row.push(match s.cell()? {
                Cell::Null => serde_json::Value::Null,
                Cell::Bool(b) => b.into(),
                Cell::Int(i) => i.into(),
                Cell::UInt(u) => u.into(),
                Cell::Float(f) => f.into(),
                Cell::Str(s) => s.into_owned().into(),
            });
            Ok(())
        })?;
        series.values.push(row);
        Ok(())
    }

    fn end_series(&mut self, mut series: Series, partial: bool) {
        series.partial = partial;
        self.series.push(series);
    }

    fn end_statement(&mut self, statement: usize, messages: Vec<Message>) {
        self.statements.push(StatementResult {
            statement_id: statement,
            series: std::mem::take(&mut self.series),
            messages,
        });
    }

    /// Chunks of the same statement join, and a series marked `partial`
    /// continues in the next chunk.
    fn commit(&mut self) {
        for statement in self.statements.drain(..) {
            let results = &mut self.results.statements;
            let target = match results.last_mut() {
                Some(last) if last.statement_id == statement.statement_id => last,
                _ => {
                    results.push(StatementResult {
                        statement_id: statement.statement_id,
                        ..Default::default()
                    });
                    results.last_mut().expect("just pushed")
                }
            };
            target.messages.extend(statement.messages);
            for series in statement.series {
                match target.series.last_mut() {
                    Some(last)
                        if last.partial && last.name == series.name && last.tags == series.tags =>
                    {
                        last.values.extend(series.values);
                        last.partial = series.partial;
                    }
                    _ => target.series.push(series),
                }
            }
        }
    }

    fn rollback(&mut self) {
        self.statements.clear();
        self.series.clear();
    }
}

/// A raw query's body decoded as it arrives, frame by frame.
#[derive(Debug)]
pub(crate) struct ResultsDecoder {
    body: Body,
    assembler: Assembler,
}

impl ResultsDecoder {
    pub(crate) fn new(content_type: Option<String>, max_document: usize) -> Self {
        ResultsDecoder {
            body: Body::new(content_type, max_document),
            assembler: Assembler::default(),
        }
    }

    /// Adds a frame of the body.
    pub(crate) fn push(&mut self, frame: &[u8]) -> Result<(), Error> {
        self.body.push(frame, &mut self.assembler)
    }

    /// The end of the body: the results, or why they are not whole (no
    /// document, or one cut short). With `chunked`, a series still open
    /// at the end was cut too.
    pub(crate) fn finish(mut self, chunked: bool) -> Result<QueryResults, Error> {
        self.body.finish(&mut self.assembler, chunked)?;
        Ok(self.assembler.results)
    }
}

/// Decodes a whole body into untyped results.
///
/// `chunked`: the body answered a `chunked=true` query, so a series still
/// marked `partial` at its end was cut short, which is an error. A plain
/// (non-chunked) body cannot tell: InfluxDB 1.x marks long series
/// `partial` when they are whole as well as when `max-row-limit` cut them;
/// [`Series::is_partial`] then says which series carried the mark.
pub fn decode_results(body: &[u8], chunked: bool) -> Result<QueryResults, Error> {
    let mut decoder = ResultsDecoder::new(
        Some("application/json".into()),
        super::format::DEFAULT_MAX_DOCUMENT_BYTES,
    );
    decoder.push(body)?;
    decoder.finish(chunked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DecodeError;

    #[test]
    fn assembles_partial_series_and_statements() {
        let body = concat!(
            r#"{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1,1]],"partial":true}],"partial":true}]}"#,
            "\n",
            r#"{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[2,2]]}]}]}"#,
            "\n",
            r#"{"results":[{"statement_id":1,"series":[{"name":"mem","columns":["time","v"],"values":[[3,3]]}]}]}"#,
        );
        let results = decode_results(body.as_bytes(), true).unwrap();
        assert_eq!(results.statements.len(), 2);
        assert_eq!(results.statements[0].series.len(), 1);
        assert_eq!(results.statements[0].series[0].values.len(), 2);
        assert_eq!(results.statements[1].series[0].name.as_deref(), Some("mem"));
    }

    #[test]
    fn chunked_stream_ending_inside_a_series_is_truncated() {
        let body = r#"{"results":[{"series":[{"name":"cpu","columns":["time"],"values":[[1]],"partial":true}]}]}"#;
        assert!(matches!(
            decode_results(body.as_bytes(), true),
            Err(Error::Decode(DecodeError::Truncated(name))) if name == "cpu"
        ));
        let plain = decode_results(body.as_bytes(), false).unwrap();
        assert!(plain.series().next().unwrap().is_partial());
        assert!(matches!(
            decode_results(b" \n", false),
            Err(Error::Decode(DecodeError::EmptyResponse))
        ));
    }
}
