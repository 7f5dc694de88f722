//! The one decoder: runs of whole documents (from the
//! [`Framer`](super::format::Framer)) in, whatever the format; what they
//! become is the [`Sink`]'s business: rows of `T` ([`Rows`]) or untyped
//! results ([`results`](super::results)). A stream feeds it run by run; a
//! whole body is a stream fed once.
//!
//! Each JSON document is walked by the fast scanner
//! ([`json_fast`](super::json_fast)) first and, when the scanner gives up,
//! by the reference path ([`json_serde`](super::json_serde)), which names
//! every error. MessagePack documents are walked by
//! [`msgpack`](super::msgpack), where they lie. The walk itself is
//! [`walk`](super::walk), one for all three.

use std::marker::PhantomData;

use super::format::{Format, Framer, JsonDocuments, Run};
use super::layout::Rows;
use super::row::FromRow;
use super::walk::{Progress, Sink};
use super::{json_fast, json_serde, msgpack};
use crate::error::{DecodeError, Error};

/// Decodes the documents of one response into a sink, keeping track of
/// the series left open and of whether any document came at all.
#[derive(Debug)]
pub(crate) struct Decoder {
    pub(crate) progress: Progress,
    json: JsonDocuments,
    msgpack_documents: usize,
}

impl Decoder {
    /// A decoder for a response whose documents are at most
    /// `max_document` bytes long.
    pub(crate) fn new(max_document: usize) -> Self {
        Decoder {
            progress: Progress::default(),
            json: JsonDocuments::new(max_document),
            msgpack_documents: 0,
        }
    }

    /// Decodes every document of a run into `sink`.
    pub(crate) fn run<K: Sink>(&mut self, run: &Run, sink: &mut K) -> Result<(), Error> {
        self.documents(run.format, &run.bytes, sink)
    }

    /// Decodes documents that lie one after another in `bytes`, where they
    /// lie: a run, or a whole body already in memory (which needs no
    /// framing: a MessagePack document cut short is an error of its own).
    fn documents<K: Sink>(
        &mut self,
        format: Format,
        bytes: &[u8],
        sink: &mut K,
    ) -> Result<(), Error> {
        let progress = &mut self.progress;
        match format {
            Format::Json => self.json.run(bytes, |doc| {
                whole(progress, sink, |p, sink| json(doc, sink, p))
            }),
            Format::MessagePack => {
                let mut bytes = bytes;
                while !bytes.is_empty() {
                    let end = whole(progress, sink, |p, sink| {
                        msgpack::first_document(bytes, sink, p)
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
    pub(crate) fn document<K: Sink>(
        &mut self,
        format: Format,
        doc: &[u8],
        sink: &mut K,
    ) -> Result<(), Error> {
        whole(&mut self.progress, sink, |p, sink| match format {
            Format::Json => json(doc, sink, p),
            Format::MessagePack => msgpack::document(doc, sink, p),
        })
    }

    /// The end of the response: fails if it stopped inside a document, or
    /// held no document at all (InfluxDB always sends at least one, even
    /// for no rows); with `open_series_is_cut`, also if it stopped inside
    /// a series the server marked as continuing.
    pub(crate) fn finish(&mut self, open_series_is_cut: bool) -> Result<(), Error> {
        let json_documents = self.json.finish()?;
        if json_documents + self.msgpack_documents == 0 {
            return Err(DecodeError::EmptyResponse.into());
        }
        if open_series_is_cut {
            if let Some(name) = self.progress.open_series.take() {
                return Err(DecodeError::Truncated(name).into());
            }
        }
        Ok(())
    }
}

/// One JSON document: the fast scanner, or the reference path when it
/// gives up.
fn json<K: Sink>(doc: &[u8], sink: &mut K, progress: &mut Progress) -> Result<(), Error> {
    let before = progress.clone();
    match json_fast::document(doc, sink, progress) {
        Ok(()) => Ok(()),
        Err(json_fast::GiveUp) => {
            sink.rollback();
            *progress = before;
            json_serde::document(doc, sink, progress)
        }
    }
}

/// Runs `decode` over one document, so that it goes in whole or not at
/// all: when it fails, the sink takes back what it added and the progress
/// it made is undone.
fn whole<K: Sink, R>(
    progress: &mut Progress,
    sink: &mut K,
    decode: impl FnOnce(&mut Progress, &mut K) -> Result<R, Error>,
) -> Result<R, Error> {
    let before = progress.clone();
    let result = decode(progress, sink);
    match result {
        Ok(_) => sink.commit(),
        Err(_) => {
            sink.rollback();
            *progress = before;
        }
    }
    result
}

/// The documents of a response decoded into rows of `T`, run by run.
#[derive(Debug)]
pub(crate) struct RowDecoder<T> {
    decoder: Decoder,
    marker: PhantomData<fn() -> T>,
}

impl<T: FromRow> RowDecoder<T> {
    pub(crate) fn new(max_document: usize) -> Self {
        RowDecoder {
            decoder: Decoder::new(max_document),
            marker: PhantomData,
        }
    }

    /// Decodes every document of a run, appending their rows to `out`.
    pub(crate) fn run(&mut self, run: &Run, out: &mut Vec<T>) -> Result<(), Error> {
        self.decoder.run(run, &mut Rows::new(out))
    }

    /// The end of the response: a series left open was cut.
    pub(crate) fn finish(&mut self) -> Result<(), Error> {
        self.decoder.finish(true)
    }
}

/// A body decoded as it arrives, frame by frame: the framer and the
/// decoder together, for reads that need no task of their own.
#[derive(Debug)]
pub(crate) struct Body {
    framer: Framer,
    decoder: Decoder,
}

impl Body {
    pub(crate) fn new(content_type: Option<String>, max_document: usize) -> Self {
        Body {
            framer: Framer::new(content_type, max_document),
            decoder: Decoder::new(max_document),
        }
    }

    /// Adds a frame of the body; decodes every document it completes.
    pub(crate) fn push<K: Sink>(&mut self, frame: &[u8], sink: &mut K) -> Result<(), Error> {
        let framed = self.framer.push(frame);
        if let Some(run) = framed.run {
            self.decoder.run(&run, sink)?;
        }
        framed.error.map_or(Ok(()), Err)
    }

    /// The end of the body (see [`Decoder::finish`]).
    pub(crate) fn finish<K: Sink>(
        mut self,
        sink: &mut K,
        open_series_is_cut: bool,
    ) -> Result<(), Error> {
        if let Some(run) = self.framer.finish() {
            self.decoder.run(&run, sink)?;
        }
        self.decoder.finish(open_series_is_cut)
    }
}

/// A body decoded into rows of `T` as it arrives.
#[derive(Debug)]
pub(crate) struct BodyDecoder<T> {
    body: Body,
    marker: PhantomData<fn() -> T>,
}

impl<T: FromRow> BodyDecoder<T> {
    pub(crate) fn new(content_type: Option<String>, max_document: usize) -> Self {
        BodyDecoder {
            body: Body::new(content_type, max_document),
            marker: PhantomData,
        }
    }

    /// Adds a frame of the body; appends the rows of every document it
    /// completes.
    pub(crate) fn push(&mut self, frame: &[u8], out: &mut Vec<T>) -> Result<(), Error> {
        self.body.push(frame, &mut Rows::new(out))
    }

    /// The end of the body.
    pub(crate) fn finish(self, out: &mut Vec<T>) -> Result<(), Error> {
        self.body.finish(&mut Rows::new(out), true)
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
    let mut decoder = Decoder::new(usize::MAX);
    let mut out = Vec::new();
    decoder.documents(format, body, &mut Rows::new(&mut out))?;
    decoder.finish(true)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(crate::Measurement, Debug, PartialEq)]
    #[influx(measurement = "cpu")]
    struct Cpu {
        #[influx(time, unit = "ns")]
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
