//! Untyped results of raw queries: documents merged into statements and
//! series, the chunks of a series joined.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::format::{snippet, Format, Framer, JsonDocuments, Run};
use crate::error::{DecodeError, Error};

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
    /// ([`DecodeError::Truncated`]), not a shorter result.
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

#[derive(Deserialize)]
struct RawDocument {
    #[serde(default)]
    results: Vec<RawStatement>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct RawStatement {
    #[serde(default)]
    statement_id: Option<usize>,
    #[serde(default)]
    series: Vec<Series>,
    #[serde(default)]
    messages: Vec<Message>,
    #[serde(default)]
    error: Option<String>,
}

/// Merges documents into statement results: chunks of the same statement
/// join, and a series marked `partial` continues in the next chunk.
#[derive(Debug, Default)]
pub(crate) struct ResultsAssembler {
    results: QueryResults,
}

impl ResultsAssembler {
    pub(crate) fn document(&mut self, doc: &[u8]) -> Result<(), Error> {
        let raw: RawDocument = serde_json::from_slice(doc)
            .map_err(|e| DecodeError::Malformed(format!("{e}: {}", snippet(doc))))?;
        if let Some(message) = raw.error {
            return Err(Error::QueryAborted { message });
        }
        for (index, statement) in raw.results.into_iter().enumerate() {
            let id = statement.statement_id.unwrap_or(index);
            if let Some(message) = statement.error {
                return Err(Error::Statement {
                    statement: id,
                    message,
                });
            }
            let results = &mut self.results.statements;
            let target = match results.last_mut() {
                Some(last) if last.statement_id == id => last,
                _ => {
                    results.push(StatementResult {
                        statement_id: id,
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
        Ok(())
    }

    /// The name of a series still waiting for its continuation.
    pub(crate) fn open_series(&self) -> Option<String> {
        let last = self.results.statements.last()?.series.last()?;
        last.partial.then(|| last.name.clone().unwrap_or_default())
    }

    pub(crate) fn finish(self) -> QueryResults {
        self.results
    }
}

/// A raw query's body decoded as it arrives, frame by frame.
#[derive(Debug)]
pub(crate) struct ResultsDecoder {
    framer: Framer,
    documents: JsonDocuments,
    assembler: ResultsAssembler,
}

impl ResultsDecoder {
    pub(crate) fn new(content_type: Option<String>, max_document: usize) -> Self {
        ResultsDecoder {
            framer: Framer::new(content_type, max_document),
            documents: JsonDocuments::new(max_document),
            assembler: ResultsAssembler::default(),
        }
    }

    /// Adds a frame of the body.
    pub(crate) fn push(&mut self, frame: &[u8]) -> Result<(), Error> {
        let framed = self.framer.push(frame);
        if let Some(run) = framed.run {
            self.run(&run)?;
        }
        framed.error.map_or(Ok(()), Err)
    }

    fn run(&mut self, run: &Run) -> Result<(), Error> {
        if run.format != Format::Json {
            return Err(DecodeError::Malformed(
                "a raw query was answered in MessagePack, which it did not ask for".into(),
            )
            .into());
        }
        let assembler = &mut self.assembler;
        self.documents
            .run(&run.bytes, |doc| assembler.document(doc))
    }

    /// The end of the body: the results, or why they are not whole (no
    /// document, or one cut short). With `chunked`, a series still open
    /// at the end was cut too.
    pub(crate) fn finish(mut self, chunked: bool) -> Result<QueryResults, Error> {
        if let Some(run) = self.framer.finish() {
            self.run(&run)?;
        }
        if self.documents.finish()? == 0 {
            return Err(DecodeError::EmptyResponse.into());
        }
        if chunked {
            if let Some(name) = self.assembler.open_series() {
                return Err(DecodeError::Truncated(name).into());
            }
        }
        Ok(self.assembler.finish())
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
