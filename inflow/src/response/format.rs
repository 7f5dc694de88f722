//! What a `/query` body is made of: its [`Format`], and the one place that
//! finds where its documents end.
//!
//! A body is a sequence of documents: one for a plain answer, one per chunk
//! for `chunked=true`. The [`Framer`] takes the body as it arrives, frame by
//! frame, and hands over runs of whole documents; the decoders never look
//! for a boundary themselves. A whole body is framed the same way, fed in
//! one piece.
//!
//! - JSON: InfluxDB ends every document with a newline and JSON holds no raw
//!   newline, so a run ends at the last newline and each line is almost
//!   always one document. [`JsonDocuments`] hands the documents of a run to
//!   a decoder: each line as it is, or, for a line that is not exactly one
//!   document (several on one line, or one spread over lines, which no
//!   InfluxDB writes), the documents [`DocumentSplitter`] finds in it.
//! - MessagePack: [`msgpack::Splitter`] walks the values to find where each
//!   document ends.
//!
//! No document may grow past a limit ([`ClientBuilder::max_document_bytes`]):
//! a server that never ends one is an error, not an allocation without end.
//!
//! [`ClientBuilder::max_document_bytes`]: crate::ClientBuilder::max_document_bytes

use bytes::{Bytes, BytesMut};

use super::msgpack;
use crate::error::{DecodeError, Error};

/// The largest document a response may hold unless the client says
/// otherwise: 256 MiB. InfluxDB's chunks hold at most `chunk_size` rows
/// (10,000 when inflow streams), a few MiB.
pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = 256 << 20;

/// The encoding of a `/query` response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/json`, the default of every server.
    Json,
    /// `application/x-msgpack`, which InfluxDB 1.x sends when asked.
    MessagePack,
}

impl Format {
    /// The `Content-Type` of this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::MessagePack => "application/x-msgpack",
        }
    }

    /// The format a response's `Content-Type` names; JSON unless it is
    /// MessagePack.
    pub fn from_content_type(content_type: Option<&str>) -> Format {
        match content_type {
            Some(ct) if ct.trim_start().starts_with("application/x-msgpack") => Format::MessagePack,
            _ => Format::Json,
        }
    }

    /// The format of a body, from its first byte where that tells (a JSON
    /// document opens with `{`, a MessagePack one with a map marker), and
    /// from its `Content-Type` otherwise: some servers have sent one format
    /// labelled as the other.
    pub fn sniff(content_type: Option<&str>, first_byte: Option<u8>) -> Format {
        match first_byte {
            Some(0x80..=0x8f | 0xde | 0xdf) => Format::MessagePack,
            Some(b'{' | b'[' | b' ' | b'\t' | b'\r' | b'\n') => Format::Json,
            _ => Format::from_content_type(content_type),
        }
    }
}

/// Whole documents of one format, as the [`Framer`] hands them over.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub(crate) format: Format,
    pub(crate) bytes: Bytes,
}

/// What [`Framer::push`] gives: the documents a frame completed, and then
/// the error that stopped it, if any; the documents come first.
#[derive(Debug)]
pub(crate) struct Framed {
    pub(crate) run: Option<Run>,
    pub(crate) error: Option<Error>,
}

/// Gathers a response's frames into runs of whole documents, so that the
/// decoder is woken once a document rather than once a network read (a
/// server that writes MessagePack in small pieces sends thousands of
/// them), and so that no document grows past the limit.
#[derive(Debug)]
pub(crate) struct Framer {
    content_type: Option<String>,
    /// Known from the first byte of the body.
    format: Option<Format>,
    pending: BytesMut,
    /// How far `pending` has been searched for a newline (JSON).
    scanned: usize,
    /// Where MessagePack documents end.
    splitter: msgpack::Splitter,
    max_document: usize,
}

impl Framer {
    /// A framer for a body with this `Content-Type`, whose documents may
    /// be at most `max_document` bytes long.
    pub(crate) fn new(content_type: Option<String>, max_document: usize) -> Self {
        Framer {
            content_type,
            format: None,
            pending: BytesMut::new(),
            scanned: 0,
            splitter: msgpack::Splitter::default(),
            max_document,
        }
    }

    /// Adds a frame; returns the whole documents now complete, if any (for
    /// JSON, everything up to the last newline), then the error that
    /// stopped the search for more, if any.
    pub(crate) fn push(&mut self, frame: &[u8]) -> Framed {
        if frame.is_empty() {
            return Framed {
                run: None,
                error: None,
            };
        }
        let content_type = self.content_type.as_deref();
        let format = *self
            .format
            .get_or_insert_with(|| Format::sniff(content_type, frame.first().copied()));
        self.pending.extend_from_slice(frame);
        let mut error = None;
        let end = match format {
            Format::Json => {
                // Earlier bytes hold no newline: each push cuts at the last.
                let from = self.scanned;
                self.scanned = self.pending.len();
                memchr::memrchr(b'\n', &self.pending[from..]).map_or(0, |i| from + i + 1)
            }
            Format::MessagePack => {
                let mut end = 0;
                loop {
                    match self.splitter.next_end(&self.pending[end..]) {
                        Ok(Some(found)) => {
                            end += found;
                            self.splitter.consumed(found);
                        }
                        Ok(None) => break,
                        Err(e) => {
                            error = Some(e);
                            break;
                        }
                    }
                }
                end
            }
        };
        let run = (end > 0).then(|| {
            self.scanned -= end.min(self.scanned);
            Run {
                format,
                bytes: self.pending.split_to(end).freeze(),
            }
        });
        if error.is_none() && self.pending.len() > self.max_document {
            error = Some(document_too_large(self.max_document));
        }
        Framed { run, error }
    }

    /// The end of the body: what is left, if anything (for JSON, a last
    /// document without a newline; anything else is an unfinished
    /// document, which the decoder reports).
    pub(crate) fn finish(&mut self) -> Option<Run> {
        let format = self.format?;
        (!self.pending.is_empty()).then(|| Run {
            format,
            bytes: self.pending.split().freeze(),
        })
    }
}

pub(crate) fn document_too_large(limit: usize) -> Error {
    DecodeError::DocumentTooLarge { limit }.into()
}

/// Hands each JSON document of the runs of one body to a decoder, and
/// says at the end whether the body held any document and ended between
/// documents.
#[derive(Debug)]
pub(crate) struct JsonDocuments {
    /// The start of a document spread over lines, waiting for its end.
    carry: Vec<u8>,
    /// How far `carry` has been searched: each byte is scanned once, however
    /// many lines a document is spread over.
    splitter: DocumentSplitter,
    max_document: usize,
    documents: usize,
}

impl JsonDocuments {
    pub(crate) fn new(max_document: usize) -> Self {
        JsonDocuments {
            carry: Vec::new(),
            splitter: DocumentSplitter::new(),
            max_document,
            documents: 0,
        }
    }

    /// Calls `decode` on every document of `run`. A line that `decode`
    /// finds malformed is split into documents; the start of a document
    /// left at its end waits for the next run.
    pub(crate) fn run(
        &mut self,
        run: &[u8],
        mut decode: impl FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut start = 0;
        while start < run.len() {
            let end = memchr::memchr(b'\n', &run[start..]).map_or(run.len(), |i| start + i + 1);
            let line = &run[start..end];
            start = end;
            if self.carry.is_empty() {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match decode(line) {
                    Ok(()) => {
                        self.documents += 1;
                        continue;
                    }
                    Err(Error::Decode(DecodeError::Malformed(_))) => {}
                    Err(e) => return Err(e),
                }
            }
            self.carry.extend_from_slice(line);
            let taken = self.split(&mut decode)?;
            self.carry.drain(..taken);
            if self.carry.iter().all(u8::is_ascii_whitespace) {
                self.carry.clear();
                self.splitter = DocumentSplitter::new();
            } else if self.carry.len() > self.max_document {
                return Err(document_too_large(self.max_document));
            }
        }
        Ok(())
    }

    /// Decodes the whole documents at the start of `carry`; returns how
    /// many bytes they took.
    fn split(
        &mut self,
        decode: &mut impl FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<usize, Error> {
        let mut taken = 0;
        while let Some(end) = self.splitter.next_end(&self.carry[taken..]) {
            decode(&self.carry[taken..taken + end])?;
            self.documents += 1;
            taken += end;
            self.splitter.consumed(end);
        }
        Ok(taken)
    }

    /// The end of the body: an error when it stopped inside a document;
    /// otherwise how many documents it held.
    pub(crate) fn finish(&mut self) -> Result<usize, Error> {
        if !self.carry.is_empty() {
            let rest = std::mem::take(&mut self.carry);
            return Err(DecodeError::Malformed(format!(
                "the response ends in the middle of a JSON document: {}",
                snippet(&rest)
            ))
            .into());
        }
        Ok(self.documents)
    }
}

/// The start of `bytes` as text, for an error message.
pub(crate) fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(480)]);
    let mut s: String = text.chars().take(120).collect();
    if s.len() < text.len() || bytes.len() > 480 {
        s.push('…');
    }
    s
}

/// Finds where each JSON document of a concatenated stream ends, whether
/// or not documents are separated by newlines. Feed it the growing buffer;
/// it remembers how far it has scanned.
#[derive(Debug, Default, Clone)]
pub(crate) struct DocumentSplitter {
    scanned: usize,
    depth: u32,
    in_string: bool,
    escaped: bool,
    started: bool,
}

impl DocumentSplitter {
    /// A splitter at the start of a stream.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The end (exclusive) of the first complete document in `buf`, which
    /// must hold everything since the last document returned. After a
    /// document is taken, call [`consumed`](Self::consumed).
    pub(crate) fn next_end(&mut self, buf: &[u8]) -> Option<usize> {
        while self.scanned < buf.len() {
            let b = buf[self.scanned];
            self.scanned += 1;
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.depth += 1;
                    self.started = true;
                }
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 && self.started {
                        self.started = false;
                        return Some(self.scanned);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Tells the splitter that the first `n` bytes were removed from the
    /// buffer.
    pub(crate) fn consumed(&mut self, n: usize) {
        self.scanned -= n.min(self.scanned);
    }

    /// Whether a document has begun but not ended.
    #[cfg(test)]
    pub(crate) fn in_document(&self) -> bool {
        self.started
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitter_finds_documents_with_and_without_newlines() {
        let body = br#"{"a":"}{\"x"}{"b":[1,{"c":2}]}
{"d":3}"#;
        let mut splitter = DocumentSplitter::new();
        let mut docs = Vec::new();
        let mut start = 0;
        while let Some(end) = splitter.next_end(&body[start..]) {
            docs.push(
                std::str::from_utf8(&body[start..start + end])
                    .unwrap()
                    .trim(),
            );
            start += end;
            splitter.consumed(end);
        }
        assert_eq!(
            docs,
            [r#"{"a":"}{\"x"}"#, r#"{"b":[1,{"c":2}]}"#, r#"{"d":3}"#]
        );
    }

    #[test]
    fn splitter_works_byte_by_byte() {
        let body = br#"{"results":[{"x":"a\\"}]}{"results":[]}"#;
        let mut splitter = DocumentSplitter::new();
        let mut buf = Vec::new();
        let mut docs = 0;
        for &b in body.iter() {
            buf.push(b);
            if let Some(end) = splitter.next_end(&buf) {
                serde_json::from_slice::<serde_json::Value>(&buf[..end]).unwrap();
                buf.drain(..end);
                splitter.consumed(end);
                docs += 1;
            }
        }
        assert_eq!(docs, 2);
        assert!(!splitter.in_document());
    }

    #[test]
    fn a_body_tells_its_format_before_its_label() {
        let json = Some("application/json");
        let packed = Some("application/x-msgpack");
        assert_eq!(Format::sniff(json, Some(0x81)), Format::MessagePack);
        assert_eq!(Format::sniff(packed, Some(b'{')), Format::Json);
        assert_eq!(Format::sniff(packed, Some(b'\n')), Format::Json);
        assert_eq!(Format::sniff(packed, None), Format::MessagePack);
        assert_eq!(Format::sniff(json, None), Format::Json);
        assert_eq!(Format::sniff(None, Some(b'<')), Format::Json);
        assert_eq!(
            Format::sniff(Some("application/x-msgpack; charset=utf-8"), Some(b'x')),
            Format::MessagePack
        );
    }

    #[test]
    fn a_document_past_the_limit_is_an_error_in_either_format() {
        let mut framer = Framer::new(Some("application/json".into()), 100);
        let framed = framer.push(b"{\"a\":1}\n{\"results\":");
        assert_eq!(&framed.run.unwrap().bytes[..], b"{\"a\":1}\n");
        assert!(framed.error.is_none());
        let framed = framer.push(&[b' '; 100]);
        assert!(framed.run.is_none());
        assert!(matches!(
            framed.error,
            Some(Error::Decode(DecodeError::DocumentTooLarge { limit: 100 }))
        ));
        // A MessagePack map that promises a value it never sends.
        let mut framer = Framer::new(None, 100);
        let framed = framer.push(&[0x81, 0xa1, b'a', 0xdd, 0xff, 0xff, 0xff, 0xff]);
        assert!(framed.run.is_none() && framed.error.is_none());
        let framed = framer.push(&[0xc0; 100]);
        assert!(matches!(
            framed.error,
            Some(Error::Decode(DecodeError::DocumentTooLarge { limit: 100 }))
        ));
        // A document spread over lines is held to the limit too.
        let mut documents = JsonDocuments::new(100);
        let lines = "{\n".to_string() + &"\"a\": 1,\n".repeat(20);
        let error = documents
            .run(lines.as_bytes(), |doc| {
                serde_json::from_slice::<serde_json::Value>(doc)
                    .map(drop)
                    .map_err(|e| DecodeError::Malformed(e.to_string()).into())
            })
            .unwrap_err();
        assert!(matches!(
            error,
            Error::Decode(DecodeError::DocumentTooLarge { limit: 100 })
        ));
    }

    #[test]
    fn a_document_spread_over_lines_and_runs_is_found_whole() {
        let doc = |n: usize| {
            let values: Vec<String> = (0..n).map(|i| format!("\n  [{i}, {i}]")).collect();
            format!("{{\"results\": [{}]}}\n", values.join(","))
        };
        let body = format!("{}{}{}", doc(3), doc(20_000), doc(1));
        let mut documents = JsonDocuments::new(1 << 20);
        let mut seen = Vec::new();
        for line in body.split_inclusive('\n') {
            documents
                .run(line.as_bytes(), |d| {
                    let value: serde_json::Value = serde_json::from_slice(d)
                        .map_err(|e| Error::from(DecodeError::Malformed(e.to_string())))?;
                    seen.push(value["results"].as_array().unwrap().len());
                    Ok(())
                })
                .unwrap();
        }
        assert_eq!(documents.finish().unwrap(), 3);
        assert_eq!(seen, [3, 20_000, 1]);
    }

    #[test]
    fn a_body_without_a_document_is_empty() {
        for body in [&b""[..], b"\n", b"  \r\n\t"] {
            let mut documents = JsonDocuments::new(100);
            documents.run(body, |_| panic!("no document")).unwrap();
            assert_eq!(documents.finish().unwrap(), 0);
        }
        let mut framer = Framer::new(None, 100);
        assert!(framer.push(b"").run.is_none());
        assert!(framer.finish().is_none());
    }
}
