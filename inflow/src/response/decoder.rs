//! The one row decoder: runs of whole documents (from the
//! [`Framer`](super::format::Framer)) in, rows of `T` out, whatever the
//! format. A stream feeds it run by run; a whole body is a stream fed once.
//!
//! Each JSON document goes to the fast scanner ([`json_fast`](super::json_fast))
//! first and, when the scanner gives up, to the reference serde path
//! ([`json_serde`](super::json_serde)), which names every error. MessagePack
//! documents go to [`msgpack`](super::msgpack), where they lie.

use std::marker::PhantomData;

use super::format::{Format, Framer, JsonDocuments, Run};
use super::layout::Progress;
use super::row::FromRow;
use super::{json_fast, json_serde, msgpack};
use crate::error::{DecodeError, Error};

/// Decodes the documents of one response into rows of `T`, keeping track
/// of the series left open and of whether any document came at all.
#[derive(Debug)]
pub(crate) struct RowDecoder<T> {
    pub(crate) progress: Progress,
    json: JsonDocuments,
    msgpack_documents: usize,
    marker: PhantomData<fn() -> T>,
}

impl<T: FromRow> RowDecoder<T> {
    /// A decoder for a response whose documents are at most
    /// `max_document` bytes long.
    pub(crate) fn new(max_document: usize) -> Self {
        RowDecoder {
            progress: Progress::default(),
            json: JsonDocuments::new(max_document),
            msgpack_documents: 0,
            marker: PhantomData,
        }
    }

    /// Decodes every document of a run, appending their rows to `out`.
    pub(crate) fn run(&mut self, run: &Run, out: &mut Vec<T>) -> Result<(), Error> {
        self.documents(run.format, &run.bytes, out)
    }

    /// Decodes documents that lie one after another in `bytes`, where they
    /// lie: a run, or a whole body already in memory (which needs no
    /// framing: a MessagePack document cut short is an error of its own).
    fn documents(&mut self, format: Format, bytes: &[u8], out: &mut Vec<T>) -> Result<(), Error> {
        let progress = &mut self.progress;
        match format {
            Format::Json => self.json.run(bytes, |doc| {
                keeping_state(progress, out, |p, out| json(doc, out, p))
            }),
            Format::MessagePack => {
                let mut bytes = bytes;
                while !bytes.is_empty() {
                    let end = keeping_state(progress, out, |p, out| {
                        msgpack::first_document(bytes, out, p)
                    })?;
                    bytes = &bytes[end..];
                    self.msgpack_documents += 1;
                }
                Ok(())
            }
        }
    }

    /// Decodes one whole document, as [`run`](Self::run) would.
    #[cfg(test)]
    pub(crate) fn document(
        &mut self,
        format: Format,
        doc: &[u8],
        out: &mut Vec<T>,
    ) -> Result<(), Error> {
        keeping_state(&mut self.progress, out, |p, out| match format {
            Format::Json => json(doc, out, p),
            Format::MessagePack => msgpack::document(doc, out, p),
        })
    }

    /// The end of the response: fails if it stopped inside a document or
    /// inside a series, or held no document at all (InfluxDB always sends
    /// at least one, even for no rows).
    pub(crate) fn finish(&mut self) -> Result<(), Error> {
        let json_documents = self.json.finish()?;
        if json_documents + self.msgpack_documents == 0 {
            return Err(DecodeError::EmptyResponse.into());
        }
        if let Some(name) = self.progress.open_series.take() {
            return Err(DecodeError::Truncated(name).into());
        }
        Ok(())
    }
}

/// One JSON document: the fast scanner, or the reference path when it
/// gives up.
fn json<T: FromRow>(doc: &[u8], out: &mut Vec<T>, progress: &mut Progress) -> Result<(), Error> {
    let rows_before = out.len();
    match json_fast::document(doc, out) {
        Ok(last_series) => {
            if let Some(open) = last_series {
                progress.open_series = open;
            }
            Ok(())
        }
        Err(json_fast::GiveUp) => {
            out.truncate(rows_before);
            json_serde::document(doc, out, progress)
        }
    }
}

/// Runs `decode`; when it fails, takes back the rows it added and the
/// progress it made, so that a document is decoded whole or not at all.
fn keeping_state<T, R>(
    progress: &mut Progress,
    out: &mut Vec<T>,
    decode: impl FnOnce(&mut Progress, &mut Vec<T>) -> Result<R, Error>,
) -> Result<R, Error> {
    let rows_before = out.len();
    let progress_before = progress.clone();
    let result = decode(progress, out);
    if result.is_err() {
        out.truncate(rows_before);
        *progress = progress_before;
    }
    result
}

/// A body decoded as it arrives, frame by frame: the framer and the
/// decoder together, for reads that need no task of their own.
#[derive(Debug)]
pub(crate) struct BodyDecoder<T> {
    framer: Framer,
    rows: RowDecoder<T>,
}

impl<T: FromRow> BodyDecoder<T> {
    pub(crate) fn new(content_type: Option<String>, max_document: usize) -> Self {
        BodyDecoder {
            framer: Framer::new(content_type, max_document),
            rows: RowDecoder::new(max_document),
        }
    }

    /// Adds a frame of the body; appends the rows of every document it
    /// completes.
    pub(crate) fn push(&mut self, frame: &[u8], out: &mut Vec<T>) -> Result<(), Error> {
        let framed = self.framer.push(frame);
        if let Some(run) = framed.run {
            self.rows.run(&run, out)?;
        }
        framed.error.map_or(Ok(()), Err)
    }

    /// The end of the body.
    pub(crate) fn finish(self, out: &mut Vec<T>) -> Result<(), Error> {
        let BodyDecoder {
            mut framer,
            mut rows,
        } = self;
        if let Some(run) = framer.finish() {
            rows.run(&run, out)?;
        }
        rows.finish()
    }
}

/// Decodes a whole JSON body into rows of `T`.
pub fn decode_rows<T: FromRow>(body: &[u8]) -> Result<Vec<T>, Error> {
    decode_rows_in(Format::Json, body)
}

/// Decodes a whole body of either format into rows of `T`, by the same
/// decoder as a stream, with the same checks at the end. The body is in
/// memory already: its documents are decoded where they lie, with no
/// framing. `format` is what the body is labelled; as for an answer read
/// from the server, its first byte decides where it tells.
pub fn decode_rows_in<T: FromRow>(format: Format, body: &[u8]) -> Result<Vec<T>, Error> {
    // As for an answer off the wire, the first byte tells before the label.
    let format = Format::sniff(Some(format.content_type()), body.first().copied());
    let mut decoder = RowDecoder::new(usize::MAX);
    let mut out = Vec::new();
    decoder.documents(format, body, &mut out)?;
    decoder.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(crate::Measurement, Debug, PartialEq)]
    #[influx(measurement = "cpu")]
    struct Cpu {
        #[influx(time)]
        time: i64,
        #[influx(tag)]
        host: Option<String>,
        v: f64,
    }

    /// Runs `body` through a framer in pieces of `piece` bytes, then the
    /// runs it hands over through a decoder, as a `RowStream` does.
    fn framed(format: Format, body: &[u8], piece: usize) -> (Vec<Cpu>, Result<(), Error>) {
        let mut framer = Framer::new(Some(format.content_type().into()), 1 << 20);
        let mut runs = Vec::new();
        for chunk in body.chunks(piece) {
            let framed = framer.push(chunk);
            assert!(framed.error.is_none());
            runs.extend(framed.run);
        }
        let rest = framer.finish();
        let whole: Vec<u8> = runs
            .iter()
            .chain(rest.iter())
            .flat_map(|r| r.bytes.iter().copied())
            .collect();
        assert_eq!(whole, body, "the framer hands over every byte, in order");
        let mut decoder = RowDecoder::<Cpu>::new(1 << 20);
        let mut out = Vec::new();
        for run in &runs {
            assert_eq!(run.format, format);
            if format == Format::Json {
                assert!(run.bytes.ends_with(b"\n"));
            }
            if let Err(e) = decoder.run(run, &mut out) {
                return (out, Err(e));
            }
        }
        if let Some(rest) = rest {
            if let Err(e) = decoder.run(&rest, &mut out) {
                return (out, Err(e));
            }
        }
        let end = decoder.finish();
        (out, end)
    }

    #[test]
    fn the_framer_hands_over_documents_before_an_error() {
        let doc = br#"{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1,1.5],[2,2.5]]}]}]}"#;
        let mut packed =
            rmp_serde::to_vec(&serde_json::from_slice::<serde_json::Value>(doc).unwrap()).unwrap();
        packed.push(0xc1); // a marker MessagePack never uses
        let mut framer = Framer::new(None, 1 << 20);
        let framed = framer.push(&packed);
        let run = framed.run.expect("the whole document before the bad byte");
        assert!(matches!(
            framed.error,
            Some(Error::Decode(DecodeError::Malformed(_)))
        ));
        let mut decoder = RowDecoder::<Cpu>::new(1 << 20);
        let mut out = Vec::new();
        decoder.run(&run, &mut out).unwrap();
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn the_framer_hands_over_whole_documents() {
        let doc = |t: i64, partial: bool| {
            format!(
                r#"{{"results":[{{"statement_id":0,"series":[{{"name":"cpu","tags":{{"host":"a"}},"columns":["time","v"],"values":[[{t},1.5],[{},2]],"partial":{partial}}}]}}]}}"#,
                t + 1
            )
        };
        let docs = [doc(1, true), doc(3, true), doc(5, false)];
        let json = docs.join("\n") + "\n";
        let packed: Vec<u8> = docs
            .iter()
            .flat_map(|d| {
                rmp_serde::to_vec(&serde_json::from_str::<serde_json::Value>(d).unwrap()).unwrap()
            })
            .collect();
        for piece in [1, 3, 10, 64, 1000] {
            for (format, body) in [
                (Format::Json, json.as_bytes()),
                (Format::MessagePack, &packed[..]),
            ] {
                let (rows, end) = framed(format, body, piece);
                assert!(end.is_ok(), "{format:?} in pieces of {piece}: {end:?}");
                assert_eq!(
                    rows.iter().map(|r| r.time).collect::<Vec<_>>(),
                    [1, 2, 3, 4, 5, 6]
                );
                // Cut short, the stream is an error after the rows it held.
                let (rows, end) = framed(format, &body[..body.len() - 7], piece);
                assert!(end.is_err(), "{format:?} cut short in pieces of {piece}");
                assert_eq!(rows.len(), 4);
            }
        }
    }

    fn stream(body: &[u8], piece: usize) -> (Vec<Cpu>, Result<(), Error>) {
        let mut decoder = BodyDecoder::<Cpu>::new(None, 1 << 20);
        let mut out = Vec::new();
        for chunk in body.chunks(piece) {
            if let Err(e) = decoder.push(chunk, &mut out) {
                return (out, Err(e));
            }
        }
        let end = decoder.finish(&mut out);
        (out, end)
    }

    #[test]
    fn stream_decoder_handles_lines_documents_and_pieces() {
        let doc = |t: i64, partial: bool| {
            format!(
                r#"{{"results":[{{"statement_id":0,"series":[{{"name":"cpu","tags":{{"host":"a"}},"columns":["time","v"],"values":[[{t},1.5]],"partial":{partial}}}]}}]}}"#
            )
        };
        // One document a line, two on one line, one spread over lines.
        let body = format!(
            "{}\n{}{}\n{}\n",
            doc(1, true),
            doc(2, true),
            doc(3, true),
            doc(4, false).replace(',', ",\n  ")
        );
        for piece in [1, 7, 64, body.len()] {
            let (rows, end) = stream(body.as_bytes(), piece);
            end.unwrap();
            let times: Vec<i64> = rows.iter().map(|r| r.time).collect();
            assert_eq!(times, [1, 2, 3, 4], "pieces of {piece}");
            assert!(rows.iter().all(|r| r.host.as_deref() == Some("a")));
        }
        // Without the last document the series never ends.
        let cut = format!("{}\n", doc(1, true));
        let (rows, end) = stream(cut.as_bytes(), 5);
        assert_eq!(rows.len(), 1);
        assert!(matches!(end, Err(Error::Decode(DecodeError::Truncated(_)))));
        // A stream that stops inside a document.
        let (_, end) = stream(&doc(1, false).as_bytes()[..40], 8);
        assert!(matches!(end, Err(Error::Decode(DecodeError::Malformed(_)))));
    }

    #[test]
    fn decode_rows_takes_one_or_several_documents() {
        let one = r#"{"results":[{"series":[{"name":"cpu","columns":["time","v"],"values":[[1,2],[3,4]]}]}]}"#;
        let rows = decode_rows::<Cpu>(one.as_bytes()).unwrap();
        assert_eq!(
            rows,
            [
                Cpu {
                    time: 1,
                    host: None,
                    v: 2.0
                },
                Cpu {
                    time: 3,
                    host: None,
                    v: 4.0
                }
            ]
        );
        let two = format!("{one}{one}");
        assert_eq!(decode_rows::<Cpu>(two.as_bytes()).unwrap().len(), 4);
        assert!(matches!(
            decode_rows::<Cpu>(b"{\"results\":[{\"series\":[{\"columns\":[\"time\"]"),
            Err(Error::Decode(DecodeError::Malformed(_)))
        ));
    }

    #[test]
    fn an_answer_with_no_document_is_an_error() {
        for format in [Format::Json, Format::MessagePack] {
            for body in [&b""[..], b"\n", b" \r\n"] {
                assert!(
                    matches!(
                        decode_rows_in::<Cpu>(format, body),
                        Err(Error::Decode(DecodeError::EmptyResponse))
                    ),
                    "{format:?} {body:?}"
                );
            }
        }
        let none = r#"{"results":[{"statement_id":0}]}"#;
        assert_eq!(decode_rows::<Cpu>(none.as_bytes()).unwrap(), []);
    }

    #[test]
    fn a_whole_body_ending_inside_a_series_is_truncated() {
        let body = r#"{"results":[{"series":[{"name":"cpu","columns":["time","v"],"values":[[1,1]],"partial":true}]}]}"#;
        assert!(matches!(
            decode_rows::<Cpu>(body.as_bytes()),
            Err(Error::Decode(DecodeError::Truncated(name))) if name == "cpu"
        ));
    }
}
