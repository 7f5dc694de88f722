//! Decoding `/query` bodies sent as MessagePack (`application/x-msgpack`).
//!
//! InfluxDB 1.x answers a query in MessagePack when asked to: the same
//! maps and arrays as its JSON (`results`, `statement_id`, `series`,
//! `name`, `tags`, `columns`, `values`, `partial`, `error`), with integers,
//! floats and strings typed on the wire. It costs the server about a third
//! less CPU than JSON and is 40 % smaller, and its numbers need no parsing.
//! A chunked response is a run of such documents with nothing between
//! them; [`Splitter`] finds where each ends.
//!
//! [`Reader`] is a [`Source`] for the [walk](super::walk), the same walk
//! as JSON's: the rules (which keys count, the errors a document carries,
//! a series marked `partial` continuing in the next document) are the
//! walk's, not this file's.

use std::borrow::Cow;

use super::cell::Cell;
use super::walk::{self, Progress, Sink, Source};
use crate::error::{DecodeError, Error};

fn malformed(what: impl std::fmt::Display) -> Error {
    DecodeError::Malformed(format!("MessagePack response: {what}")).into()
}

fn truncated() -> Error {
    malformed("it ends in the middle of a value")
}

/// What one MessagePack value starts with.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Head {
    Nil,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    /// A string of this many bytes follows.
    Str(usize),
    /// Binary data of this many bytes follows.
    Bin(usize),
    /// An extension value: its type, then this many bytes.
    Ext(i8, usize),
    /// This many values follow.
    Array(usize),
    /// This many key-value pairs follow.
    Map(usize),
}

impl Head {
    /// How many values follow as its contents (2 per map entry).
    fn children(self) -> u64 {
        match self {
            Head::Array(n) => n as u64,
            Head::Map(n) => 2 * n as u64,
            _ => 0,
        }
    }

    /// How many payload bytes follow the head.
    fn payload(self) -> usize {
        match self {
            Head::Str(n) | Head::Bin(n) | Head::Ext(_, n) => n,
            _ => 0,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Head::Nil => "nil",
            Head::Bool(_) => "a boolean",
            Head::Int(_) | Head::UInt(_) => "an integer",
            Head::Float(_) => "a float",
            Head::Str(_) => "a string",
            Head::Bin(_) => "binary data",
            Head::Ext(..) => "an extension value",
            Head::Array(_) => "an array",
            Head::Map(_) => "a map",
        }
    }
}

/// Reads the head of the value at the start of `bytes`: the head and its
/// length, or `None` when `bytes` ends first.
#[inline(always)]
fn head(bytes: &[u8]) -> Result<Option<(Head, usize)>, Error> {
    let Some(&marker) = bytes.first() else {
        return Ok(None);
    };
    // The big-endian number of `N` bytes after the marker.
    macro_rules! be {
        ($n:literal) => {
            match bytes.get(1..1 + $n) {
                Some(b) => {
                    let mut buf = [0u8; 8];
                    buf[8 - $n..].copy_from_slice(b);
                    u64::from_be_bytes(buf)
                }
                None => return Ok(None),
            }
        };
    }
    let found = match marker {
        0x00..=0x7f => (Head::Int(i64::from(marker)), 1),
        0x80..=0x8f => (Head::Map(usize::from(marker & 0x0f)), 1),
        0x90..=0x9f => (Head::Array(usize::from(marker & 0x0f)), 1),
        0xa0..=0xbf => (Head::Str(usize::from(marker & 0x1f)), 1),
        0xc0 => (Head::Nil, 1),
        0xc1 => return Err(malformed("the unused marker 0xc1")),
        0xc2 => (Head::Bool(false), 1),
        0xc3 => (Head::Bool(true), 1),
        0xc4 => (Head::Bin(be!(1) as usize), 2),
        0xc5 => (Head::Bin(be!(2) as usize), 3),
        0xc6 => (Head::Bin(be!(4) as usize), 5),
        0xc7..=0xc9 => {
            let size = 1usize << (marker - 0xc7);
            let len = match size {
                1 => be!(1),
                2 => be!(2),
                _ => be!(4),
            } as usize;
            let Some(&kind) = bytes.get(1 + size) else {
                return Ok(None);
            };
            (Head::Ext(kind as i8, len), 2 + size)
        }
        0xca => (Head::Float(f64::from(f32::from_bits(be!(4) as u32))), 5),
        0xcb => (Head::Float(f64::from_bits(be!(8))), 9),
        0xcc => (Head::UInt(be!(1)), 2),
        0xcd => (Head::UInt(be!(2)), 3),
        0xce => (Head::UInt(be!(4)), 5),
        0xcf => (Head::UInt(be!(8)), 9),
        0xd0 => (Head::Int(i64::from(be!(1) as u8 as i8)), 2),
        0xd1 => (Head::Int(i64::from(be!(2) as u16 as i16)), 3),
        0xd2 => (Head::Int(i64::from(be!(4) as u32 as i32)), 5),
        0xd3 => (Head::Int(be!(8) as i64), 9),
        0xd4..=0xd8 => {
            let Some(&kind) = bytes.get(1) else {
                return Ok(None);
            };
            (Head::Ext(kind as i8, 1 << (marker - 0xd4)), 2)
        }
        0xd9 => (Head::Str(be!(1) as usize), 2),
        0xda => (Head::Str(be!(2) as usize), 3),
        0xdb => (Head::Str(be!(4) as usize), 5),
        0xdc => (Head::Array(be!(2) as usize), 3),
        0xdd => (Head::Array(be!(4) as usize), 5),
        0xde => (Head::Map(be!(2) as usize), 3),
        0xdf => (Head::Map(be!(4) as usize), 5),
        0xe0..=0xff => (Head::Int(i64::from(marker as i8)), 1),
    };
    Ok(Some(found))
}

// ---------------------------------------------------------------------------
// Splitting a stream into documents
// ---------------------------------------------------------------------------

/// Finds where each MessagePack document of a concatenated stream ends.
/// Feed it the growing buffer; it remembers how far it has walked.
#[derive(Debug, Default, Clone)]
pub(crate) struct Splitter {
    /// How far the buffer has been walked.
    walked: usize,
    /// Values still to come in each open array or map, innermost last.
    open: Vec<u64>,
    started: bool,
}

impl Splitter {
    /// The end (exclusive) of the first complete document in `buf`, which
    /// holds everything since the last document returned.
    pub(crate) fn next_end(&mut self, buf: &[u8]) -> Result<Option<usize>, Error> {
        loop {
            if self.started && self.open.is_empty() {
                self.started = false;
                let end = self.walked;
                return Ok(Some(end));
            }
            let Some((head, len)) = head(&buf[self.walked..])? else {
                return Ok(None);
            };
            let whole = len.checked_add(head.payload()).ok_or_else(truncated)?;
            if buf.len() - self.walked < whole {
                return Ok(None);
            }
            self.walked += whole;
            self.started = true;
            if let Some(remaining) = self.open.last_mut() {
                *remaining -= 1;
            }
            let children = head.children();
            if children > 0 {
                self.open.push(children);
            }
            while self.open.last() == Some(&0) {
                self.open.pop();
            }
        }
    }

    /// Tells the splitter that the first `n` bytes (a whole number of
    /// documents) were removed from the buffer.
    pub(crate) fn consumed(&mut self, n: usize) {
        self.walked -= n.min(self.walked);
    }
}

// ---------------------------------------------------------------------------
// Decoding one document
// ---------------------------------------------------------------------------

/// The message of an error body in MessagePack: `{"error": ...}`.
pub(crate) fn error_message(body: &[u8]) -> Option<String> {
    let mut reader = Reader {
        bytes: body,
        pos: 0,
    };
    for _ in 0..reader.map_len().ok()? {
        let key = reader.string().ok()?;
        if key == "error" || key == "message" {
            return reader.string().ok().map(Cow::into_owned);
        }
        reader.skip().ok()?;
    }
    None
}

/// Walks one whole document, and nothing after it.
#[cfg(test)]
pub(crate) fn document<K: Sink>(
    doc: &[u8],
    sink: &mut K,
    progress: &mut Progress,
) -> Result<(), Error> {
    let end = first_document(doc, sink, progress)?;
    if end != doc.len() {
        return Err(malformed(format!(
            "{} bytes after the end of the document",
            doc.len() - end
        )));
    }
    Ok(())
}

/// Walks the document at the start of `bytes`; returns where it ends.
pub(crate) fn first_document<K: Sink>(
    bytes: &[u8],
    sink: &mut K,
    progress: &mut Progress,
) -> Result<usize, Error> {
    let mut reader = Reader { bytes, pos: 0 };
    walk::document(&mut reader, sink, progress)?;
    Ok(reader.pos)
}

impl<'a> Source<'a> for Reader<'a> {
    type Error = Error;
    type Mark = usize;

    #[inline]
    fn map(
        &mut self,
        mut each: impl FnMut(&mut Self, Cow<'a, str>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        for _ in 0..self.map_len()? {
            let key = self.string()?;
            each(self, key)?;
        }
        Ok(())
    }

    #[inline(always)]
    fn seq(&mut self, mut each: impl FnMut(&mut Self) -> Result<(), Error>) -> Result<(), Error> {
        for _ in 0..self.array_len()? {
            each(self)?;
        }
        Ok(())
    }

    /// The count of an array, capped by the bytes left (every value takes
    /// at least one).
    fn seq_len(&self) -> Option<usize> {
        let rest = &self.bytes[self.pos..];
        match head(rest) {
            Ok(Some((Head::Array(n), _))) => Some(n.min(rest.len())),
            _ => None,
        }
    }

    #[inline(always)]
    fn cell(&mut self) -> Result<Cell<'a>, Error> {
        Reader::cell(self)
    }

    fn skip(&mut self) -> Result<(), Error> {
        Reader::skip(self)
    }

    fn mark(&self) -> usize {
        self.pos
    }

    fn seek(&mut self, mark: usize) {
        self.pos = mark;
    }

    fn malformed(&self, what: String) -> Error {
        malformed(what)
    }

    fn fail(&self, error: Error) -> Error {
        error
    }
}

/// `raw` with every byte that is not part of a valid UTF-8 sequence
/// replaced by U+FFFD, one for each byte: what InfluxDB's JSON (Go's
/// encoder) sends for the same string, where MessagePack carries the bytes
/// as they are. (`String::from_utf8_lossy` would replace a cut-off sequence
/// with a single U+FFFD.)
fn replace_invalid_utf8(mut raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len() + 8);
    loop {
        match std::str::from_utf8(raw) {
            Ok(text) => {
                out.push_str(text);
                return out;
            }
            Err(e) => {
                let (valid, rest) = raw.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let invalid = e.error_len().unwrap_or(rest.len());
                out.extend(std::iter::repeat_n('\u{FFFD}', invalid));
                raw = &rest[invalid..];
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    #[inline(always)]
    fn head(&mut self) -> Result<Head, Error> {
        let (head, len) = head(&self.bytes[self.pos..])?.ok_or_else(truncated)?;
        self.pos += len;
        Ok(head)
    }

    /// The `n` payload bytes of the value just read.
    #[inline(always)]
    fn payload(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(n).ok_or_else(truncated)?;
        let bytes = self.bytes.get(self.pos..end).ok_or_else(truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    fn map_len(&mut self) -> Result<usize, Error> {
        match self.head()? {
            Head::Map(n) => Ok(n),
            other => Err(malformed(format!(
                "expected a map, found {}",
                other.describe()
            ))),
        }
    }

    #[inline(always)]
    fn array_len(&mut self) -> Result<usize, Error> {
        match self.head()? {
            Head::Array(n) => Ok(n),
            other => Err(malformed(format!(
                "expected an array, found {}",
                other.describe()
            ))),
        }
    }

    fn string(&mut self) -> Result<Cow<'a, str>, Error> {
        match self.cell()? {
            Cell::Str(s) => Ok(s),
            other => Err(malformed(format!(
                "expected a string, found {}",
                other.describe()
            ))),
        }
    }

    /// One value as a cell.
    #[inline(always)]
    fn cell(&mut self) -> Result<Cell<'a>, Error> {
        Ok(match self.head()? {
            Head::Nil => Cell::Null,
            Head::Bool(b) => Cell::Bool(b),
            Head::Int(i) => Cell::Int(i),
            Head::UInt(u) => match i64::try_from(u) {
                Ok(i) => Cell::Int(i),
                Err(_) => Cell::UInt(u),
            },
            Head::Float(f) => Cell::Float(f),
            Head::Str(n) => {
                let raw = self.payload(n)?;
                match std::str::from_utf8(raw) {
                    Ok(text) => Cell::Str(Cow::Borrowed(text)),
                    Err(_) => Cell::Str(Cow::Owned(replace_invalid_utf8(raw))),
                }
            }
            // A time, when the query did not ask for `epoch`: seconds then
            // nanoseconds (the server's own extension, 5), or nanoseconds
            // then seconds (MessagePack's timestamp, -1).
            Head::Ext(kind @ (-1 | 5), 12) => {
                let raw = self.payload(12)?;
                let word = |at: usize, n: usize| {
                    raw[at..at + n]
                        .iter()
                        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
                };
                let (seconds, nanos) = if kind == 5 {
                    (word(0, 8) as i64, word(8, 4) as i64)
                } else {
                    (word(4, 8) as i64, word(0, 4) as i64)
                };
                seconds
                    .checked_mul(1_000_000_000)
                    .and_then(|ns| ns.checked_add(nanos))
                    .map(Cell::Int)
                    .ok_or_else(|| malformed("a time out of range"))?
            }
            other => {
                return Err(malformed(format!(
                    "expected a value, found {}",
                    other.describe()
                )))
            }
        })
    }

    /// Any value, thrown away.
    fn skip(&mut self) -> Result<(), Error> {
        let mut remaining: u64 = 1;
        while remaining > 0 {
            let head = self.head()?;
            self.payload(head.payload())?;
            remaining = remaining - 1 + head.children();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::decoder::decode_rows_in;
    use crate::response::decoder::{BodyDecoder, Decoder};
    use crate::response::format::Format;
    use crate::response::layout::Rows;
    use crate::response::testing::{corpus_json_documents, Random, Row};

    /// The same document as MessagePack, by an independent encoder.
    fn packed(json: &[u8]) -> Vec<u8> {
        let value: serde_json::Value = serde_json::from_slice(json).expect("JSON");
        rmp_serde::to_vec(&value).expect("MessagePack")
    }

    fn decode(format: Format, doc: &[u8]) -> (Result<(), Error>, Vec<Row>, Option<String>) {
        let mut decoder = Decoder::new(1 << 30);
        let mut out = Vec::new();
        let result = decoder.document(format, doc, &mut Rows::new(&mut out));
        (result, out, decoder.progress.open_series)
    }

    /// Both formats give the same rows and partial series, or errors of
    /// the same kind (with the same message, unless the JSON was
    /// malformed for the row type in a way each format words its own way).
    fn assert_alike(json: (Result<(), Error>, Vec<Row>), packed: (Result<(), Error>, Vec<Row>)) {
        match (&json.0, &packed.0) {
            (Ok(()), Ok(())) => assert_eq!(json.1, packed.1),
            (
                Err(Error::Decode(DecodeError::Malformed(_))),
                Err(Error::Decode(DecodeError::Malformed(_))),
            ) => {}
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            (a, b) => panic!("JSON gave {a:?}, MessagePack {b:?}"),
        }
    }

    #[test]
    fn every_corpus_document_decodes_alike_in_both_formats() {
        let docs = corpus_json_documents();
        let mut decoded = 0;
        for json in &docs {
            let packed = packed(json);
            let (a, rows_a, open_a) = decode(Format::Json, json);
            let (b, rows_b, open_b) = decode(Format::MessagePack, &packed);
            decoded += usize::from(a.is_ok() && !rows_a.is_empty());
            assert_eq!(open_a, open_b, "{}", String::from_utf8_lossy(json));
            assert_alike((a, rows_a), (b, rows_b));
        }
        assert!(docs.len() >= 60, "only {} corpus documents", docs.len());
        assert!(decoded >= 5, "only {decoded} documents had rows");
    }

    #[test]
    fn the_fixture_decodes_alike_whole_and_streamed() {
        let json = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../benches/fixtures/cpu_10000_epoch_ns.json"
        ))
        .unwrap();
        let packed = packed(&json);
        assert!(packed.len() < json.len() * 3 / 4);
        let whole = decode_rows_in::<Row>(Format::MessagePack, &packed).unwrap();
        assert_eq!(whole.len(), 10_000);
        assert_eq!(whole, decode_rows_in::<Row>(Format::Json, &json).unwrap());
        // Three copies back to back, fed in pieces of every awkward size.
        let stream: Vec<u8> = packed.repeat(3);
        for piece in [1, 2, 7, 4096, 65_536, stream.len()] {
            let mut decoder =
                BodyDecoder::<Row>::new(Some("application/x-msgpack".into()), 1 << 30);
            let mut out = Vec::new();
            for chunk in stream.chunks(piece) {
                decoder.push(chunk, &mut out).unwrap();
            }
            decoder.finish(&mut out).unwrap();
            assert_eq!(out.len(), 30_000, "pieces of {piece}");
            assert_eq!(out[20_000..], whole[..]);
        }
    }

    #[test]
    fn chunked_corpus_streams_alike_in_both_formats() {
        let corpus = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/conformance/responses"
        );
        let mut streams = 0;
        for entry in std::fs::read_dir(corpus).unwrap() {
            let path = entry.unwrap().path();
            if !path.to_string_lossy().contains("chunked_") {
                continue;
            }
            let json = std::fs::read(&path).unwrap();
            let docs: Vec<&[u8]> = json
                .split(|&b| b == b'\n')
                .filter(|l| serde_json::from_slice::<serde_json::Value>(l).is_ok())
                .collect();
            let packed: Vec<u8> = docs.iter().flat_map(|d| packed(d)).collect();
            let run = |format: Format, body: &[u8]| {
                let mut decoder =
                    BodyDecoder::<Row>::new(Some(format.content_type().into()), 1 << 30);
                let mut out = Vec::new();
                let mut result = Ok(());
                for chunk in body.chunks(5) {
                    result = decoder.push(chunk, &mut out);
                    if result.is_err() {
                        break;
                    }
                }
                if result.is_ok() {
                    result = decoder.finish(&mut out);
                }
                (result, out)
            };
            let joined: Vec<u8> = docs.join(&b'\n');
            assert_alike(
                run(Format::Json, &joined),
                run(Format::MessagePack, &packed),
            );
            streams += 1;
        }
        assert!(streams >= 5, "only {streams} chunked bodies");
    }

    #[test]
    fn the_splitter_finds_each_document_byte_by_byte() {
        let docs: Vec<Vec<u8>> = corpus_json_documents()
            .iter()
            .filter(|d| d.len() < 5_000)
            .map(|d| packed(d))
            .collect();
        let stream: Vec<u8> = docs.concat();
        let mut splitter = Splitter::default();
        let mut buffer = Vec::new();
        let mut found = Vec::new();
        for &byte in &stream {
            buffer.push(byte);
            while let Some(end) = splitter.next_end(&buffer).unwrap() {
                found.push(buffer.drain(..end).collect::<Vec<u8>>());
                splitter.consumed(end);
            }
        }
        assert!(buffer.is_empty());
        assert_eq!(found, docs);
    }

    #[test]
    fn a_document_cut_short_is_an_error_at_every_length() {
        let json = br#"{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a"},"columns":["time","value","text"],"values":[[1,1.5,"x"],[2,-3,null]],"partial":true}]}]}"#;
        let whole = packed(json);
        let (result, rows, open) = decode(Format::MessagePack, &whole);
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].value, Some(-3.0));
        assert_eq!(open.as_deref(), Some("cpu"));
        for len in 0..whole.len() {
            let cut = &whole[..len];
            assert_eq!(Splitter::default().next_end(cut).unwrap(), None, "{len}");
            let (result, rows, _) = decode(Format::MessagePack, cut);
            assert!(result.is_err(), "{len} bytes decoded");
            assert!(rows.is_empty());
        }
    }

    #[test]
    fn errors_in_the_document_are_typed() {
        let top = packed(br#"{"error":"error parsing query: found EOF"}"#);
        assert!(matches!(
            decode(Format::MessagePack, &top).0,
            Err(Error::QueryAborted { ref message }) if message == "error parsing query: found EOF"
        ));
        // The server writes a failed statement as `{"error": ...}` alone:
        // its index is its place in the list.
        let statement =
            packed(br#"{"results":[{"statement_id":0},{"error":"shard 3 is closed"}]}"#);
        assert!(matches!(
            decode(Format::MessagePack, &statement).0,
            Err(Error::Statement { statement: 1, ref message }) if message == "shard 3 is closed"
        ));
        // The unused marker, binary data and trailing bytes.
        for bad in [&[0xc1][..], &[0xc4, 1, 0], &[0x80, 0x00]] {
            assert!(matches!(
                decode(Format::MessagePack, bad).0,
                Err(Error::Decode(DecodeError::Malformed(_)))
            ));
        }
        // Lengths far beyond the document are refused, not allocated.
        let huge = [
            0x81, 0xa7, b'r', b'e', b's', b'u', b'l', b't', b's', 0xdd, 0xff, 0xff, 0xff, 0xff,
        ];
        assert!(decode(Format::MessagePack, &huge).0.is_err());
        assert_eq!(Splitter::default().next_end(&huge).unwrap(), None);
    }

    #[test]
    fn bytes_that_are_not_utf8_become_one_replacement_each() {
        let cases: [(&[u8], &str); 6] = [
            (b"plain", "plain"),
            (b"a\xE2\x82b", "a\u{FFFD}\u{FFFD}b"),
            (b"\xFF", "\u{FFFD}"),
            (b"\xC0\x80", "\u{FFFD}\u{FFFD}"),
            (b"\xED\xA0\x80x", "\u{FFFD}\u{FFFD}\u{FFFD}x"),
            (b"end\xF0\x9F\x98", "end\u{FFFD}\u{FFFD}\u{FFFD}"),
        ];
        for (raw, expected) in cases {
            assert_eq!(replace_invalid_utf8(raw), expected, "{raw:?}");
        }
    }

    #[test]
    fn error_bodies_give_their_message() {
        let body = packed(br#"{"error":"error parsing query: found EOF"}"#);
        assert_eq!(
            error_message(&body).as_deref(),
            Some("error parsing query: found EOF")
        );
        assert_eq!(error_message(&packed(br#"{"results":[]}"#)), None);
        assert_eq!(error_message(b"<html>"), None);
    }

    #[test]
    fn times_without_epoch_are_nanoseconds() {
        let seconds: i64 = 1_704_067_200;
        let nanos: u32 = 123_456_789;
        let expected = Cell::Int(seconds * 1_000_000_000 + i64::from(nanos));
        let mut own = vec![0xc7, 12, 5];
        own.extend_from_slice(&seconds.to_be_bytes());
        own.extend_from_slice(&nanos.to_be_bytes());
        let mut standard = vec![0xc7, 12, 0xff];
        standard.extend_from_slice(&nanos.to_be_bytes());
        standard.extend_from_slice(&seconds.to_be_bytes());
        for bytes in [own, standard] {
            let mut reader = Reader {
                bytes: &bytes,
                pos: 0,
            };
            assert_eq!(reader.cell().unwrap(), expected);
            assert_eq!(reader.pos, bytes.len());
        }
    }

    #[test]
    fn mutated_documents_never_panic() {
        let seeds: Vec<Vec<u8>> = corpus_json_documents()
            .iter()
            .filter(|d| d.len() < 5_000)
            .map(|d| packed(d))
            .collect();
        let mut random = Random(0x5851_F42D_4C95_7F2D);
        let mut decoded = 0;
        for _ in 0..50_000 {
            let mut doc = random.pick(&seeds).clone();
            for _ in 0..random.below(3) + 1 {
                if doc.is_empty() {
                    break;
                }
                let at = random.below(doc.len());
                let byte = random.next() as u8;
                match random.below(3) {
                    0 => doc[at] = byte,
                    1 => {
                        doc.remove(at);
                    }
                    _ => doc.insert(at, byte),
                }
            }
            let _ = Splitter::default().next_end(&doc);
            let (result, rows, _) = decode(Format::MessagePack, &doc);
            if result.is_ok() {
                decoded += 1;
            } else {
                assert!(rows.is_empty(), "rows kept from a failed document");
            }
        }
        assert!(decoded > 1_000, "only {decoded} mutated documents decoded");
    }
}
