//! The fast JSON source: a scanner made for `/query` bodies.
//!
//! It reads a document byte by byte for the [walk](super::walk), straight
//! into the sink, with nothing built between them. It only ever succeeds
//! with what the reference path ([`json_serde`](super::json_serde)) would
//! produce; on anything it does not take in its stride (an `error` key, a
//! row that does not decode, malformed or unusual JSON) it gives up, and the
//! caller runs the reference path over the document, which gives the result
//! or the right error. So it may be stricter than JSON, never looser.

use std::borrow::Cow;

use super::cell::Cell;
use super::walk::{self, Progress, Sink, Source};
use crate::error::Error;

/// The scanner gave up; the serde path decides.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct GiveUp;

type Scan<T> = Result<T, GiveUp>;

/// How deep the scanner follows values it skips; deeper ones go to serde.
const MAX_DEPTH: u32 = 64;

/// Walks one document with the scanner.
pub(super) fn document<K: Sink>(doc: &[u8], sink: &mut K, progress: &mut Progress) -> Scan<()> {
    let mut scanner = Scanner { bytes: doc, pos: 0 };
    walk::document(&mut scanner, sink, progress)?;
    scanner.whitespace();
    if scanner.pos != doc.len() {
        return Err(GiveUp);
    }
    Ok(())
}

impl<'a> Source<'a> for Scanner<'a> {
    type Error = GiveUp;
    type Mark = usize;

    #[inline]
    fn map(&mut self, each: impl FnMut(&mut Self, Cow<'a, str>) -> Scan<()>) -> Scan<()> {
        self.object(each)
    }

    #[inline(always)]
    fn seq(&mut self, each: impl FnMut(&mut Self) -> Scan<()>) -> Scan<()> {
        self.array(each)
    }

    #[inline(always)]
    fn cell(&mut self) -> Scan<Cell<'a>> {
        Scanner::cell(self)
    }

    #[inline]
    fn skip(&mut self) -> Scan<()> {
        Scanner::skip(self, 0)
    }

    fn mark(&self) -> usize {
        self.pos
    }

    fn seek(&mut self, mark: usize) {
        self.pos = mark;
    }

    fn malformed(&self, _: String) -> GiveUp {
        GiveUp
    }

    fn fail(&self, _: Error) -> GiveUp {
        GiveUp
    }
}

/// Which bytes end the plain run of a string: `"`, `\` and the control
/// characters JSON does not allow raw.
static STRING_STOP: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = true;
        i += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    #[inline(always)]
    fn whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next byte that is not whitespace, left in place.
    #[inline(always)]
    fn peek(&mut self) -> Scan<u8> {
        self.whitespace();
        self.bytes.get(self.pos).copied().ok_or(GiveUp)
    }

    #[inline(always)]
    fn expect(&mut self, byte: u8) -> Scan<()> {
        if self.peek()? == byte {
            self.pos += 1;
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    #[inline]
    fn literal(&mut self, word: &[u8]) -> Scan<()> {
        self.whitespace();
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    /// `{ "key": value, ... }`, calling `each` at every value.
    #[inline]
    fn object(&mut self, mut each: impl FnMut(&mut Self, Cow<'a, str>) -> Scan<()>) -> Scan<()> {
        self.expect(b'{')?;
        if self.peek()? == b'}' {
            self.pos += 1;
            return Ok(());
        }
        loop {
            let key = self.string()?;
            self.expect(b':')?;
            each(self, key)?;
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(GiveUp),
            }
        }
    }

    /// `[ value, ... ]`, calling `each` at every value.
    #[inline(always)]
    fn array(&mut self, mut each: impl FnMut(&mut Self) -> Scan<()>) -> Scan<()> {
        self.expect(b'[')?;
        if self.peek()? == b']' {
            self.pos += 1;
            return Ok(());
        }
        loop {
            each(self)?;
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(GiveUp),
            }
        }
    }

    /// One cell of a row.
    #[inline(always)]
    fn cell(&mut self) -> Scan<Cell<'a>> {
        match self.peek()? {
            b'"' => self.string().map(Cell::Str),
            b'-' | b'0'..=b'9' => self.number(),
            b't' => self.literal(b"true").map(|()| Cell::Bool(true)),
            b'f' => self.literal(b"false").map(|()| Cell::Bool(false)),
            b'n' => self.literal(b"null").map(|()| Cell::Null),
            _ => Err(GiveUp),
        }
    }

    /// Any value, checked and thrown away.
    fn skip(&mut self, depth: u32) -> Scan<()> {
        if depth > MAX_DEPTH {
            return Err(GiveUp);
        }
        match self.peek()? {
            b'{' => self.object(|s, _| s.skip(depth + 1)),
            b'[' => self.array(|s| s.skip(depth + 1)),
            _ => self.cell().map(drop),
        }
    }

    /// A number, as serde_json reads it: an integer without fraction or
    /// exponent is `Int` (`UInt` above `i64::MAX`); anything else, `-0`,
    /// and integers too large for 64 bits are `Float`.
    #[inline(always)]
    fn number(&mut self) -> Scan<Cell<'a>> {
        self.whitespace();
        let bytes = self.bytes;
        let start = self.pos;
        let mut pos = start;
        let negative = bytes.get(pos) == Some(&b'-');
        if negative {
            pos += 1;
        }
        // All the digits, integer and fraction, as one integer while they
        // fit; `wide` once they do not.
        let mut mantissa = Mantissa::default();
        match bytes.get(pos) {
            Some(b'0') => {
                pos += 1;
                if let Some(b'0'..=b'9') = bytes.get(pos) {
                    return Err(GiveUp);
                }
            }
            Some(b'1'..=b'9') => pos = mantissa.digits(bytes, pos),
            _ => return Err(GiveUp),
        }
        let mut float = false;
        let mut exponent: i64 = 0;
        if bytes.get(pos) == Some(&b'.') {
            pos += 1;
            let first = pos;
            pos = mantissa.digits(bytes, pos);
            if pos == first {
                return Err(GiveUp);
            }
            exponent -= (pos - first) as i64;
            float = true;
        }
        if let Some(b'e' | b'E') = bytes.get(pos) {
            pos += 1;
            let minus = match bytes.get(pos) {
                Some(b'-') => {
                    pos += 1;
                    true
                }
                Some(b'+') => {
                    pos += 1;
                    false
                }
                _ => false,
            };
            let first = pos;
            let mut written: i64 = 0;
            while let Some(&digit @ b'0'..=b'9') = bytes.get(pos) {
                written = (written * 10 + i64::from(digit - b'0')).min(1 << 40);
                pos += 1;
            }
            if pos == first {
                return Err(GiveUp);
            }
            exponent += if minus { -written } else { written };
            float = true;
        }
        self.pos = pos;
        let Mantissa {
            value: mantissa,
            wide,
            ..
        } = mantissa;
        if !float && !wide {
            if !negative {
                return Ok(match i64::try_from(mantissa) {
                    Ok(i) => Cell::Int(i),
                    Err(_) => Cell::UInt(mantissa),
                });
            }
            if mantissa != 0 && mantissa <= 1 << 63 {
                return Ok(Cell::Int((mantissa as i64).wrapping_neg()));
            }
        }
        // Clinger's fast path: a mantissa and a power of ten that are both
        // exact in an f64 give the correctly rounded value in one operation.
        if !wide && mantissa <= 1 << 53 && (-22..=22).contains(&exponent) {
            let m = mantissa as f64;
            let power = POWERS_OF_TEN[exponent.unsigned_abs() as usize];
            let value = if exponent < 0 { m / power } else { m * power };
            return Ok(Cell::Float(if negative { -value } else { value }));
        }
        // Checked above to be ASCII digits, signs, `.` and `e`.
        let text = std::str::from_utf8(&bytes[start..pos]).map_err(|_| GiveUp)?;
        let value: f64 = text.parse().map_err(|_| GiveUp)?;
        // serde_json refuses numbers out of range.
        if !value.is_finite() {
            return Err(GiveUp);
        }
        Ok(Cell::Float(value))
    }

    /// A string, borrowed unless it holds escapes.
    #[inline(always)]
    fn string(&mut self) -> Scan<Cow<'a, str>> {
        self.expect(b'"')?;
        let bytes = self.bytes;
        let start = self.pos;
        let mut pos = start;
        // The OR of every byte: below 0x80 means all of them are ASCII.
        let mut high = 0;
        loop {
            let b = *bytes.get(pos).ok_or(GiveUp)?;
            if STRING_STOP[usize::from(b)] {
                if b == b'"' {
                    self.pos = pos + 1;
                    let raw = &bytes[start..pos];
                    let text = if high < 0x80 {
                        // SAFETY: every byte of `raw` is below 0x80 (checked
                        // one by one above), and ASCII is valid UTF-8.
                        unsafe { std::str::from_utf8_unchecked(raw) }
                    } else {
                        std::str::from_utf8(raw).map_err(|_| GiveUp)?
                    };
                    return Ok(Cow::Borrowed(text));
                }
                if b == b'\\' {
                    self.pos = pos;
                    return self.escaped_string(start).map(Cow::Owned);
                }
                return Err(GiveUp);
            }
            high |= b;
            pos += 1;
        }
    }

    /// The rest of a string that holds escapes, from `start` (just after
    /// its opening quote); `self.pos` is at the first backslash.
    #[cold]
    fn escaped_string(&mut self, start: usize) -> Scan<String> {
        let bytes = self.bytes;
        let mut out = bytes[start..self.pos].to_vec();
        let mut pos = self.pos;
        loop {
            let b = *bytes.get(pos).ok_or(GiveUp)?;
            pos += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let escape = *bytes.get(pos).ok_or(GiveUp)?;
                    pos += 1;
                    let plain = match escape {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let first = hex4(bytes, pos)?;
                            pos += 4;
                            let code = match first {
                                0xD800..=0xDBFF => {
                                    if bytes.get(pos..pos + 2) != Some(b"\\u") {
                                        return Err(GiveUp);
                                    }
                                    let second = hex4(bytes, pos + 2)?;
                                    if !(0xDC00..=0xDFFF).contains(&second) {
                                        return Err(GiveUp);
                                    }
                                    pos += 6;
                                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                                }
                                0xDC00..=0xDFFF => return Err(GiveUp),
                                code => code,
                            };
                            let c = char::from_u32(code).ok_or(GiveUp)?;
                            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                            continue;
                        }
                        _ => return Err(GiveUp),
                    };
                    out.push(plain);
                }
                0x00..=0x1f => return Err(GiveUp),
                _ => out.push(b),
            }
        }
        self.pos = pos;
        String::from_utf8(out).map_err(|_| GiveUp)
    }
}

/// The digits of a number read so far, as one integer.
#[derive(Default)]
struct Mantissa {
    value: u64,
    /// How many digits `value` took in; up to 19 always fit a `u64`.
    count: u32,
    /// The digits no longer fit.
    wide: bool,
}

impl Mantissa {
    /// Takes in the ASCII digits from `pos`; returns the position after
    /// them.
    #[inline(always)]
    fn digits(&mut self, bytes: &[u8], mut pos: usize) -> usize {
        // Eight at a time while the total stays within 19 digits.
        while self.count <= 11 {
            let Some(Ok(chunk)) = bytes.get(pos..pos + 8).map(<[u8; 8]>::try_from) else {
                break;
            };
            let word = u64::from_le_bytes(chunk);
            if !all_digits(word) {
                break;
            }
            self.value = self.value * 100_000_000 + eight_digits(word);
            self.count += 8;
            pos += 8;
        }
        while let Some(&digit @ b'0'..=b'9') = bytes.get(pos) {
            let digit = u64::from(digit - b'0');
            if self.count < 19 {
                self.value = self.value * 10 + digit;
            } else if !self.wide {
                match self
                    .value
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(digit))
                {
                    Some(v) => self.value = v,
                    None => self.wide = true,
                }
            }
            self.count += 1;
            pos += 1;
        }
        pos
    }
}

/// Whether all eight bytes of `word` are ASCII digits.
#[inline(always)]
fn all_digits(word: u64) -> bool {
    let above = word.wrapping_add(0x4646_4646_4646_4646);
    let below = word.wrapping_sub(0x3030_3030_3030_3030);
    (above | below) & 0x8080_8080_8080_8080 == 0
}

/// The value of eight ASCII digits, the first in the lowest byte.
#[inline(always)]
fn eight_digits(word: u64) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 100 + (1_000_000 << 32);
    const MUL2: u64 = 1 + (10_000 << 32);
    let mut value = word - 0x3030_3030_3030_3030;
    value = value * 10 + (value >> 8);
    ((value & MASK).wrapping_mul(MUL1) + ((value >> 16) & MASK).wrapping_mul(MUL2)) >> 32
}

/// The powers of ten that an f64 holds exactly.
const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Four hex digits at `pos`.
fn hex4(bytes: &[u8], pos: usize) -> Scan<u32> {
    let digits = bytes.get(pos..pos + 4).ok_or(GiveUp)?;
    let text = std::str::from_utf8(digits).map_err(|_| GiveUp)?;
    if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(GiveUp);
    }
    u32::from_str_radix(text, 16).map_err(|_| GiveUp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::json_serde;
    use crate::response::layout::Rows;
    use crate::response::testing::{Random, Row};
    use serde::Deserialize;

    /// Runs the scanner and the serde path over `doc`; when the scanner
    /// succeeds, the serde path must succeed with the same rows and the
    /// same partial series. Returns whether the scanner succeeded.
    fn agree(doc: &[u8]) -> bool {
        let mut fast: Vec<Row> = Vec::new();
        let mut progress = Progress::default();
        if document(doc, &mut Rows::new(&mut fast), &mut progress).is_err() {
            return false;
        }
        let mut reference = Progress::default();
        let mut slow = Vec::new();
        let outcome = json_serde::document(doc, &mut Rows::new(&mut slow), &mut reference);
        let text = String::from_utf8_lossy(doc);
        assert!(
            outcome.is_ok(),
            "the scanner took a document serde refuses ({outcome:?}): {text}"
        );
        assert_eq!(fast, slow, "rows differ for {text}");
        assert_eq!(
            progress.open_series, reference.open_series,
            "partial series differ for {text}"
        );
        assert_eq!(
            progress.next_statement, reference.next_statement,
            "statement numbers differ for {text}"
        );
        true
    }

    /// One cell, read by the scanner and by serde_json; when the scanner
    /// reads it, serde_json must read the same value, to the bit.
    fn cell_agrees(text: &str) -> bool {
        let mut scanner = Scanner {
            bytes: text.as_bytes(),
            pos: 0,
        };
        let fast = scanner.cell();
        scanner.whitespace();
        let Ok(fast) = fast else { return false };
        if scanner.pos != text.len() {
            return false;
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let slow = Cell::deserialize(&mut de).and_then(|c| de.end().map(|()| c));
        let Ok(slow) = slow else {
            panic!("the scanner read {text:?} as {fast:?}; serde_json refuses it: {slow:?}");
        };
        let same = match (&fast, &slow) {
            (Cell::Float(a), Cell::Float(b)) => a.to_bits() == b.to_bits(),
            (a, b) => a == b,
        };
        assert!(same, "{text:?}: scanner {fast:?}, serde_json {slow:?}");
        true
    }

    #[test]
    fn numbers_read_as_serde_json_reads_them() {
        let fixed = [
            "0",
            "-0",
            "0.0",
            "-0.0",
            "1",
            "-1",
            "1e400",
            "-1e400",
            "1e-400",
            "4.9e-324",
            "5e-324",
            "2.2250738585072014e-308",
            "2.2250738585072011e-308",
            "1.7976931348623157e308",
            "1.7976931348623159e308",
            "9007199254740992",
            "9007199254740993",
            "9007199254740993.0",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "-18446744073709551616",
            "123456789012345678901234567890",
            "0.1",
            "0.2",
            "0.30000000000000004",
            "12345678.12345678",
            "1E5",
            "1e+5",
            "1e-5",
            "1.5E+22",
            "1e22",
            "1e23",
            "123456789e-22",
            "0.000000000000000000000000000001234",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "1e+",
            "--1",
            "+1",
            "0x10",
            "1.0e",
            "00",
            "-01",
            " 7 ",
            "\t8\n",
            "6.22629646249231",
            "62.063508210538146",
            "1704067200000000000",
        ];
        let mut read = 0;
        for text in fixed {
            read += usize::from(cell_agrees(text));
        }
        assert!(read >= 40, "only {read} of the fixed numbers were read");

        let mut random = Random(0x2545_F491_4F6C_DD1D);
        let mut read = 0;
        for _ in 0..200_000 {
            let mut text = String::new();
            if random.below(3) == 0 {
                text.push('-');
            }
            let digits = random.below(24) + 1;
            for i in 0..digits {
                let d = if i == 0 && digits > 1 {
                    b'1' + random.below(9) as u8
                } else {
                    b'0' + random.below(10) as u8
                };
                text.push(d as char);
            }
            if random.below(2) == 0 {
                text.push('.');
                for _ in 0..random.below(24) + 1 {
                    text.push((b'0' + random.below(10) as u8) as char);
                }
            }
            if random.below(3) == 0 {
                text.push(*random.pick(&['e', 'E']));
                let sign: &&str = random.pick(&["", "+", "-"]);
                text.push_str(sign);
                text.push_str(&random.below(400).to_string());
            }
            read += usize::from(cell_agrees(&text));
            // And the shortest text of a random f64, as servers print them.
            let float = f64::from_bits(random.next());
            if float.is_finite() {
                read += usize::from(cell_agrees(&float.to_string()));
                read += usize::from(cell_agrees(&format!("{float:e}")));
            }
        }
        assert!(read > 300_000, "only {read} random numbers were read");
    }

    #[test]
    fn strings_read_as_serde_json_reads_them() {
        let cases = [
            r#""""#,
            r#""plain""#,
            r#""tab\there""#,
            r#""quote \" and \\""#,
            r#""\/\b\f\n\r\t""#,
            r#""\u00e9\u0041""#,
            r#""\ud83d\ude00""#,
            r#""\ud83d""#,
            r#""\ude00""#,
            r#""\ud83dx""#,
            r#""\u12""#,
            r#""\x""#,
            r#""\u003c\u003e\u0026""#,
            "\"é ü 日本\"",
            "\"raw\ttab\"",
            "\"raw\nnewline\"",
            r#""unterminated"#,
            r#""ends in \"#,
            r#""\uD834\uDD1E""#,
        ];
        let mut read = 0;
        for text in cases {
            read += usize::from(cell_agrees(text));
        }
        assert!(read >= 10, "only {read} strings were read");
        // Bytes that are not UTF-8 are refused by both.
        let mut scanner = Scanner {
            bytes: b"\"a\xff\"",
            pos: 0,
        };
        assert_eq!(scanner.cell(), Err(GiveUp));
    }

    /// Every corpus body and the captured fixture, whole and mutated.
    #[test]
    fn documents_decode_as_the_serde_path_decodes_them() {
        let mut docs: Vec<Vec<u8>> = Vec::new();
        let corpus = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/conformance/responses"
        );
        for entry in std::fs::read_dir(corpus).expect("the response corpus") {
            let body = std::fs::read(entry.expect("a corpus entry").path()).expect("a file");
            docs.push(body.clone());
            for line in body.split(|&b| b == b'\n') {
                docs.push(line.to_vec());
            }
        }
        let fixture = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../benches/fixtures/cpu_10000_epoch_ns.json"
        ))
        .expect("the captured fixture");
        let mut fast: Vec<Row> = Vec::new();
        assert!(
            document(
                &fixture,
                &mut Rows::new(&mut fast),
                &mut Progress::default()
            )
            .is_ok(),
            "the scanner reads the captured fixture"
        );
        assert_eq!(fast.len(), 10_000);
        assert!(agree(&fixture));
        // A short copy of the fixture, with tags, nulls and escapes.
        let head = br#"{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a\"b","zone":null,"region":""},"columns":["time","count","host","ok","region","usage","text","extra"],"values":[[1704067200000000000,1000,"server-000",true,"us-east-1",6.22629646249231,"caf\u00e9",[1,{"x":2}]],[1704067200001000000,-7,null,false,"eu",-0.5e-3,"tab\tnew\nline",null],[1704067200002000000,3,"h",null,"r",1E2,"",{}]],"partial":true}],"messages":[{"level":"warning","text":"deprecated"}]}]}"#;
        docs.push(head.to_vec());
        let mut taken = 0;
        for doc in &docs {
            taken += usize::from(agree(doc));
        }
        assert!(
            taken >= 20,
            "the scanner took only {taken} corpus documents"
        );

        let bytes = b"0123456789-+.eE\"\\,:[]{} \nutfnlx\xff\xc3";
        let mut random = Random(0x9E37_79B9_7F4A_7C15);
        let mut taken = 0;
        let mut seeds: Vec<&[u8]> = docs
            .iter()
            .map(Vec::as_slice)
            .filter(|d| d.len() < 4000)
            .collect();
        seeds.push(head);
        for _ in 0..60_000 {
            let mut doc = random.pick(&seeds).to_vec();
            for _ in 0..random.below(3) + 1 {
                if doc.is_empty() {
                    break;
                }
                let at = random.below(doc.len());
                match random.below(3) {
                    0 => doc[at] = *random.pick(bytes),
                    1 => {
                        doc.remove(at);
                    }
                    _ => doc.insert(at, *random.pick(bytes)),
                }
            }
            taken += usize::from(agree(&doc));
        }
        assert!(
            taken > 1_000,
            "the scanner took only {taken} mutated documents"
        );
    }

    #[test]
    fn eight_digits_at_a_time() {
        for text in ["00000000", "12345678", "99999999", "10000001", "00000009"] {
            let word = u64::from_le_bytes(text.as_bytes().try_into().unwrap());
            assert!(all_digits(word), "{text}");
            assert_eq!(eight_digits(word), text.parse::<u64>().unwrap(), "{text}");
        }
        for bytes in [
            b"1234567a",
            b"/2345678",
            b"1234:678",
            b"12 45678",
            b"1234567\xff",
        ] {
            let word = u64::from_le_bytes(*bytes);
            assert!(!all_digits(word), "{bytes:?}");
        }
    }
}
