//! The line protocol encoder: escaping, validation and number formatting
//! straight into a caller-owned, reusable buffer.
//!
//! What each part of a point can carry, and how it is written, is what
//! InfluxDB 1.x stores exactly, decided by writing every case to a real
//! server and reading it back (the table is in [`inflow_rules::name`]):
//!
//! | part | escaped | refused |
//! |---|---|---|
//! | measurement | `,` space | empty; starting with `#`, a tab or NUL; a bare newline; a trailing backslash; a backslash before `,` space `=` `"` |
//! | tag key | `,` `=` space | empty; `time`; a bare newline; a trailing backslash; a NUL |
//! | tag value | `,` `=` space | a bare newline; a trailing backslash; a NUL (empty: the tag is left out) |
//! | field key | `,` `=` space, `"` after a backslash | empty; `time`; a bare newline; a trailing backslash; an odd run of backslashes before `,` `=` space; a key given twice |
//! | string value | `"` `\` | nothing |
//!
//! A bare newline is one no odd run of backslashes escapes. Besides, the
//! writer keeps a field whose key starts with a tab out of first place
//! (the server drops the tab there), and checks a line with a backslash
//! before a space in a tag as the server will split it
//! ([`inflow_rules::line`]): such a line is refused only if the server
//! would end it somewhere else. A series key with a field key (and 4 bytes
//! between them) may not pass [`MAX_KEY_LEN`].
//!
//! Which names are refused and how they are escaped is decided by
//! `inflow_rules`, which the derive applies at compile time too.

use inflow_rules::escape::{
    escape_field_key_into, escape_into, escape_key_into, is_measurement_special,
};
use inflow_rules::name::{self, Problem};

use crate::error::{Error, InvalidPoint};

/// Anything that can be written as one line: every
/// [`Measurement`](crate::Measurement), and [`Point`](crate::Point).
pub trait ToLine {
    /// The measurement name, for error messages.
    fn measurement_name(&self) -> &str;
    /// Writes the line; see [`Measurement::encode`](crate::Measurement::encode).
    fn encode(&self, writer: &mut LineWriter<'_>) -> Result<(), InvalidPoint>;
}

/// A field value as line protocol knows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldRef<'a> {
    /// A float; NaN and infinities are refused.
    Float(f64),
    /// A signed integer (`i` suffix).
    Int(i64),
    /// An unsigned integer (`u` suffix where enabled, `i` otherwise).
    UInt(u64),
    /// A boolean.
    Bool(bool),
    /// A string.
    Str(&'a str),
}

/// The largest series key (measurement and tags) InfluxDB accepts, in
/// bytes; the series key, 4 bytes and a field key may not pass it either.
pub const MAX_KEY_LEN: usize = 65535;
/// The earliest timestamp InfluxDB can store, in nanoseconds since the epoch.
pub const MIN_TIMESTAMP_NS: i64 = i64::MIN + 2;
/// The latest timestamp InfluxDB can store, in nanoseconds since the epoch.
pub const MAX_TIMESTAMP_NS: i64 = i64::MAX - 1;

/// The unit of the timestamps written and asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Precision {
    /// Nanoseconds (`ns`), the default.
    #[default]
    Nanoseconds,
    /// Microseconds (`u`).
    Microseconds,
    /// Milliseconds (`ms`).
    Milliseconds,
    /// Seconds (`s`).
    Seconds,
    /// Minutes (`m`).
    Minutes,
    /// Hours (`h`).
    Hours,
}

impl Precision {
    /// The value of the `precision` (and `epoch`) parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Nanoseconds => "ns",
            Precision::Microseconds => "u",
            Precision::Milliseconds => "ms",
            Precision::Seconds => "s",
            Precision::Minutes => "m",
            Precision::Hours => "h",
        }
    }

    /// Nanoseconds in one unit.
    pub fn nanos_per_unit(self) -> i64 {
        match self {
            Precision::Nanoseconds => 1,
            Precision::Microseconds => 1_000,
            Precision::Milliseconds => 1_000_000,
            Precision::Seconds => 1_000_000_000,
            Precision::Minutes => 60_000_000_000,
            Precision::Hours => 3_600_000_000_000,
        }
    }

    /// Converts nanoseconds to this unit, truncating toward zero as the
    /// server does.
    pub fn from_nanos(self, nanos: i64) -> i64 {
        nanos / self.nanos_per_unit()
    }
}

impl std::str::FromStr for Precision {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match s {
            "ns" | "n" => Precision::Nanoseconds,
            "u" | "us" | "µ" => Precision::Microseconds,
            "ms" => Precision::Milliseconds,
            "s" => Precision::Seconds,
            "m" => Precision::Minutes,
            "h" => Precision::Hours,
            other => {
                return Err(Error::Config(format!(
                    "unknown precision {other:?} (use ns, u, ms, s, m or h)"
                )))
            }
        })
    }
}

/// How points are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EncodeOptions {
    /// The unit timestamps are written in; must match the `precision`
    /// parameter of the write.
    pub precision: Precision,
    /// Write unsigned integers with the `u` suffix (InfluxDB 2.x, 3.x and
    /// 1.x Enterprise). Off: they are written as signed integers when they
    /// fit, and refused when they do not.
    pub unsigned: bool,
}

/// Encodes one value of `T` as a line (with its newline) at the end of `buf`.
///
/// On error, `buf` is left exactly as it was. A point without a time gets
/// the current time now, so sending the buffer again never duplicates it.
pub fn encode<T: ToLine + ?Sized>(
    value: &T,
    buf: &mut Vec<u8>,
    options: &EncodeOptions,
) -> Result<(), Error> {
    let start = buf.len();
    let mut writer = LineWriter {
        buf,
        start,
        fields: 0,
        fields_start: 0,
        last_field: 0,
        skipped_first: false,
        split_risk: None,
        options,
    };
    match value.encode(&mut writer) {
        Ok(()) => Ok(()),
        Err(reason) => {
            buf.truncate(start);
            Err(Error::invalid(value.measurement_name(), reason))
        }
    }
}

/// Tags added to every point a client writes (`host`, `region`, ...),
/// unless the point has a tag with the same key. Set them with
/// [`ClientBuilder::default_tag`](crate::ClientBuilder::default_tag).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DefaultTags {
    /// Escaped keys and values.
    tags: Vec<(String, String)>,
}

impl DefaultTags {
    /// The most default tags a client may have.
    pub const MAX: usize = 64;

    /// Adds (or replaces) a tag, checked as a point's tag is. A value that
    /// a tag of a point could not have, an empty one, or a backslash
    /// before a space (which would need each line checked as the server
    /// splits it) is refused.
    pub(crate) fn set(&mut self, key: &str, value: &str) -> Result<(), Error> {
        let refuse = |why: String| Error::Config(format!("default tag {key:?}: {why}"));
        name::tag_key(key).map_err(|p| refuse(format!("{p:?}")))?;
        name::tag_value(value).map_err(|p| refuse(format!("value {value:?}: {p:?}")))?;
        if key.contains("\\ ") || value.contains("\\ ") {
            return Err(refuse(
                "a backslash before a space is not allowed here".into(),
            ));
        }
        let escaped = |text: &str| {
            let mut out = Vec::new();
            escape_key_into(&mut out, text.as_bytes());
            String::from_utf8(out).expect("escaping keeps UTF-8")
        };
        let (key, value) = (escaped(key), escaped(value));
        let full = self.tags.len() == Self::MAX;
        match self.tags.iter_mut().find(|(k, _)| *k == key) {
            Some(existing) => existing.1 = value,
            None if full => return Err(refuse(format!("more than {} default tags", Self::MAX))),
            None => self.tags.push((key, value)),
        }
        Ok(())
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }
}

/// [`encode`], adding `defaults` to the point's own tags. The line is
/// written as it would be without them, and the defaults the point does
/// not have go in after its tags (the server sorts tags itself), so that a
/// client without defaults pays nothing for them.
pub fn encode_with_defaults<T: ToLine + ?Sized>(
    value: &T,
    buf: &mut Vec<u8>,
    options: &EncodeOptions,
    defaults: &DefaultTags,
) -> Result<(), Error> {
    let start = buf.len();
    encode(value, buf, options)?;
    if defaults.is_empty() {
        return Ok(());
    }
    // The series key ends at the first space no backslash escapes: every
    // space of a name or tag is escaped, and none ends in a backslash.
    let line = &buf[start..];
    let Some(end) = (0..line.len()).find(|&i| line[i] == b' ' && (i == 0 || line[i - 1] != b'\\'))
    else {
        return Ok(());
    };
    let key = &line[..end];
    let mut extra = Vec::new();
    for (k, v) in &defaults.tags {
        // A tag starts at a `,` no backslash escapes.
        let has = key.windows(k.len() + 2).enumerate().any(|(i, w)| {
            w[0] == b','
                && (i == 0 || key[i - 1] != b'\\')
                && &w[1..=k.len()] == k.as_bytes()
                && w[k.len() + 1] == b'='
        });
        if !has {
            extra.push(b',');
            extra.extend_from_slice(k.as_bytes());
            extra.push(b'=');
            extra.extend_from_slice(v.as_bytes());
        }
    }
    if end + extra.len() > MAX_KEY_LEN {
        buf.truncate(start);
        return Err(Error::invalid(
            value.measurement_name(),
            key_too_long(end + extra.len()),
        ));
    }
    buf.splice(start + end..start + end, extra);
    Ok(())
}

/// Writes one line. Handed to [`ToLine::encode`]; generated code and
/// [`Point`](crate::Point) call its methods in order: measurement, tags
/// (sorted by key), fields, then [`finish`](LineWriter::finish).
#[derive(Debug)]
pub struct LineWriter<'a> {
    buf: &'a mut Vec<u8>,
    start: usize,
    fields: u32,
    /// Where the first field starts.
    fields_start: usize,
    /// Where the last field starts.
    last_field: usize,
    /// Every field so far has a key starting with a tab or NUL, which the
    /// server would skip in the first one.
    skipped_first: bool,
    /// A tag key or value with a backslash before a space: the line is
    /// checked as the server will split it.
    split_risk: Option<(&'static str, String)>,
    options: &'a EncodeOptions,
}

impl LineWriter<'_> {
    /// Writes a measurement name that is already escaped and valid (the
    /// derive checks and escapes it at compile time).
    #[inline]
    pub fn measurement_escaped(&mut self, escaped: &str) {
        self.buf.extend_from_slice(escaped.as_bytes());
    }

    /// Checks, escapes and writes a measurement name.
    pub fn measurement(&mut self, name: &str) -> Result<(), InvalidPoint> {
        if let Err(problem) = name::measurement(name) {
            return Err(invalid_name("measurement", name, problem));
        }
        escape_into(self.buf, name.as_bytes(), is_measurement_special);
        Ok(())
    }

    /// Writes a tag whose key is already escaped and valid. An empty value
    /// leaves the tag out, as the server does not accept empty tag values.
    ///
    /// A key with a backslash before a space is announced first with
    /// [`tag_key_with_backslash`](Self::tag_key_with_backslash) (the derive
    /// does so when it escapes the key).
    #[inline(always)]
    pub fn tag_escaped(&mut self, escaped_key: &str, value: &str) -> Result<(), InvalidPoint> {
        if value.is_empty() {
            return Ok(());
        }
        self.buf.push(b',');
        self.buf.extend_from_slice(escaped_key.as_bytes());
        self.buf.push(b'=');
        if escape_key_into(self.buf, value.as_bytes()) {
            self.tag_value_with_backslash(value)?;
        }
        Ok(())
    }

    /// Checks, escapes and writes a tag. An empty value leaves the tag out
    /// (unchecked: it is not written).
    pub fn tag(&mut self, key: &str, value: &str) -> Result<(), InvalidPoint> {
        if value.is_empty() {
            return Ok(());
        }
        if let Err(problem) = name::tag_key(key) {
            return Err(invalid_name("tag key", key, problem));
        }
        self.buf.push(b',');
        if escape_key_into(self.buf, key.as_bytes()) {
            self.note_split_risk("tag key", key);
        }
        self.buf.push(b'=');
        if escape_key_into(self.buf, value.as_bytes()) {
            self.tag_value_with_backslash(value)?;
        }
        Ok(())
    }

    /// Tells the writer that the next tag's key, escaped by the derive,
    /// has a backslash before a space (see [`inflow_rules::line`]).
    #[doc(hidden)]
    #[cold]
    pub fn tag_key_with_backslash(&mut self, key: &str) {
        self.note_split_risk("tag key", key);
    }

    /// The checks a tag value needs beyond emptiness, for the values that
    /// hold a backslash or a newline.
    #[cold]
    #[inline(never)]
    fn tag_value_with_backslash(&mut self, value: &str) -> Result<(), InvalidPoint> {
        if let Err(problem) = name::tag_value(value) {
            return Err(invalid_name("tag value", value, problem));
        }
        self.note_split_risk("tag value", value);
        Ok(())
    }

    /// Remembers a tag part with a backslash before a space (see
    /// [`inflow_rules::line`]).
    fn note_split_risk(&mut self, what: &'static str, text: &str) {
        if self.split_risk.is_none() && text.as_bytes().windows(2).any(|w| w == b"\\ ") {
            self.split_risk = Some((what, text.to_string()));
        }
    }

    /// Writes a field whose key is already escaped and valid.
    #[inline(always)]
    pub fn field_escaped(
        &mut self,
        escaped_key: &str,
        value: FieldRef<'_>,
    ) -> Result<(), InvalidPoint> {
        self.check_value(escaped_key, &value)?;
        let skipped = name::skipped_as_first_field(escaped_key);
        self.separator()?;
        self.buf.extend_from_slice(escaped_key.as_bytes());
        self.check_field_key_len()?;
        self.buf.push(b'=');
        self.write_value(value);
        self.after_field(skipped);
        Ok(())
    }

    /// Checks, escapes and writes a field.
    pub fn field(&mut self, key: &str, value: FieldRef<'_>) -> Result<(), InvalidPoint> {
        if let Err(problem) = name::field_key(key) {
            return Err(invalid_name("field key", key, problem));
        }
        self.check_value(key, &value)?;
        let skipped = name::skipped_as_first_field(key);
        self.separator()?;
        escape_field_key_into(self.buf, key.as_bytes());
        self.check_field_key_len()?;
        self.buf.push(b'=');
        self.write_value(value);
        self.after_field(skipped);
        Ok(())
    }

    /// Keeps a field whose key the server would skip the start of out of
    /// first place: the first field whose key it would not is moved to the
    /// front (the order of fields means nothing to the server).
    #[inline(always)]
    fn after_field(&mut self, skipped: bool) {
        if self.fields == 1 {
            self.skipped_first = skipped;
        } else if self.skipped_first && !skipped {
            self.move_last_field_first();
        }
    }

    #[cold]
    fn move_last_field_first(&mut self) {
        // `F,g` → `g,F`, where `g` is the field just written.
        let before = self.last_field - 1 - self.fields_start;
        let region = &mut self.buf[self.fields_start..];
        region.rotate_left(before); // `,gF`
        let last = region.len() - before - 1;
        region[..last + 1].rotate_left(1); // `g,F`
        self.skipped_first = false;
    }

    /// Ends the line with its timestamp: `Some(nanoseconds since the epoch)`,
    /// or `None` for the current time.
    #[inline]
    pub fn finish(&mut self, time_ns: Option<i64>) -> Result<(), InvalidPoint> {
        if self.fields == 0 {
            return Err(InvalidPoint::NoFields);
        }
        if self.skipped_first {
            return Err(InvalidPoint::SkippedFieldKeys);
        }
        let nanos = match time_ns {
            Some(t) => t,
            None => now_nanos()?,
        };
        if !(MIN_TIMESTAMP_NS..=MAX_TIMESTAMP_NS).contains(&nanos) {
            return Err(InvalidPoint::TimestampOutOfRange);
        }
        let time = match self.options.precision {
            Precision::Nanoseconds => nanos,
            precision => precision.from_nanos(nanos),
        };
        self.buf.push(b' ');
        let mut digits = itoa::Buffer::new();
        self.buf.extend_from_slice(digits.format(time).as_bytes());
        self.buf.push(b'\n');
        if let Some((what, text)) = &self.split_risk {
            if !inflow_rules::line::splits_whole(&self.buf[self.start..]) {
                return Err(InvalidPoint::MisplacedLineEnd {
                    what,
                    text: text.clone(),
                });
            }
        }
        Ok(())
    }

    #[inline(always)]
    fn check_value(&self, key: &str, value: &FieldRef<'_>) -> Result<(), InvalidPoint> {
        match *value {
            FieldRef::Float(f) if !f.is_finite() => Err(non_finite(key, f)),
            FieldRef::UInt(u) if !self.options.unsigned && u > i64::MAX as u64 => {
                Err(unsigned_overflow(key, u))
            }
            _ => Ok(()),
        }
    }

    /// The server stores each field under the series key, a 4-byte
    /// separator and the field key, all as written, and refuses a line
    /// where that passes [`MAX_KEY_LEN`].
    #[inline(always)]
    fn check_field_key_len(&self) -> Result<(), InvalidPoint> {
        let series_key = self.fields_start - 1 - self.start;
        let field_key = self.buf.len() - self.last_field;
        let len = series_key + 4 + field_key;
        if len > MAX_KEY_LEN {
            return Err(key_too_long(len));
        }
        Ok(())
    }

    #[inline(always)]
    fn separator(&mut self) -> Result<(), InvalidPoint> {
        if self.fields == 0 {
            let key_len = self.buf.len() - self.start;
            if key_len > MAX_KEY_LEN {
                return Err(key_too_long(key_len));
            }
            self.buf.push(b' ');
            self.fields_start = self.buf.len();
        } else {
            self.buf.push(b',');
        }
        self.last_field = self.buf.len();
        self.fields += 1;
        Ok(())
    }

    #[inline(always)]
    fn write_value(&mut self, value: FieldRef<'_>) {
        match value {
            FieldRef::Float(f) => {
                let mut digits = ryu::Buffer::new();
                self.buf
                    .extend_from_slice(digits.format_finite(f).as_bytes());
            }
            FieldRef::Int(i) => {
                let mut digits = itoa::Buffer::new();
                self.buf.extend_from_slice(digits.format(i).as_bytes());
                self.buf.push(b'i');
            }
            FieldRef::UInt(u) => {
                let mut digits = itoa::Buffer::new();
                self.buf.extend_from_slice(digits.format(u).as_bytes());
                self.buf
                    .push(if self.options.unsigned { b'u' } else { b'i' });
            }
            FieldRef::Bool(b) => {
                self.buf
                    .extend_from_slice(if b { b"true" } else { b"false" });
            }
            FieldRef::Str(s) => {
                self.buf.push(b'"');
                escape_into(self.buf, s.as_bytes(), |b| b == b'"' || b == b'\\');
                self.buf.push(b'"');
            }
        }
    }
}

fn now_nanos() -> Result<i64, InvalidPoint> {
    chrono::Utc::now()
        .timestamp_nanos_opt()
        .ok_or(InvalidPoint::TimestampOutOfRange)
}

// The errors are built out of line, so that the checks stay small enough
// to inline into every generated encoder.

/// The error for `text`, the `what` ("measurement", "tag key", "tag value"
/// or "field key") that `inflow_rules::name` refused.
#[cold]
#[inline(never)]
fn invalid_name(what: &'static str, text: &str, problem: Problem) -> InvalidPoint {
    let text = text.to_string();
    match problem {
        Problem::Empty => match what {
            "measurement" => InvalidPoint::EmptyMeasurement,
            "tag key" => InvalidPoint::EmptyTagKey,
            // A tag with an empty value is left out before it is checked.
            _ => InvalidPoint::EmptyFieldKey,
        },
        Problem::Newline => InvalidPoint::Newline { what, text },
        Problem::TrailingBackslash => InvalidPoint::TrailingBackslash { what, text },
        Problem::CommentOrSkippedStart => InvalidPoint::BadMeasurementStart(text),
        Problem::EscapingBackslash => InvalidPoint::EscapingBackslash(text),
        // The writer does not apply this rule: the server stores such names.
        Problem::NotQueryable => InvalidPoint::Newline { what, text },
        Problem::NulInTag => InvalidPoint::NulInTag { what, text },
        Problem::Time => InvalidPoint::TimeKey { what },
    }
}

#[cold]
#[inline(never)]
fn non_finite(key: &str, value: f64) -> InvalidPoint {
    InvalidPoint::NonFiniteFloat {
        field: key.to_string(),
        value: value.to_string(),
    }
}

#[cold]
#[inline(never)]
fn unsigned_overflow(key: &str, value: u64) -> InvalidPoint {
    InvalidPoint::UnsignedOverflow {
        field: key.to_string(),
        value,
    }
}

#[cold]
#[inline(never)]
fn key_too_long(len: usize) -> InvalidPoint {
    InvalidPoint::KeyTooLong { len }
}

/// Escapes a measurement name; what the derive does at compile time.
pub fn escape_measurement(name: &str) -> String {
    inflow_rules::escape::measurement(name)
}

/// Escapes a tag key, tag value or field key.
pub fn escape_key(key: &str) -> String {
    inflow_rules::escape::key(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Point;

    fn line(p: &Point) -> Result<String, Error> {
        line_with(p, EncodeOptions::default())
    }

    fn line_with(p: &Point, opts: EncodeOptions) -> Result<String, Error> {
        let mut buf = Vec::new();
        encode(p, &mut buf, &opts)?;
        Ok(String::from_utf8(buf).unwrap())
    }

    fn reason(p: &Point) -> InvalidPoint {
        match line(p) {
            Err(Error::InvalidPoint { reason, .. }) => reason,
            other => panic!("expected an invalid point, got {other:?}"),
        }
    }

    #[test]
    fn plain_point() {
        let p = Point::new("cpu")
            .tag("host", "a")
            .field("v", 1.5)
            .timestamp_nanos(10);
        assert_eq!(line(&p).unwrap(), "cpu,host=a v=1.5 10\n");
    }

    #[test]
    fn measurement_escapes_comma_and_space_only() {
        let p = Point::new("a b,c=d").field("v", 1i64).timestamp_nanos(0);
        assert_eq!(line(&p).unwrap(), "a\\ b\\,c=d v=1i 0\n");
    }

    #[test]
    fn keys_and_tag_values_escape_comma_equals_space() {
        let p = Point::new("m")
            .tag("k =,", "v =,")
            .field("f =,", true)
            .timestamp_nanos(0);
        assert_eq!(
            line(&p).unwrap(),
            "m,k\\ \\=\\,=v\\ \\=\\, f\\ \\=\\,=true 0\n"
        );
    }

    #[test]
    fn backslashes_are_not_escaped_in_names() {
        let p = Point::new("m\\x")
            .tag("k", "C:\\dir")
            .field("f", 1i64)
            .timestamp_nanos(0);
        assert_eq!(line(&p).unwrap(), "m\\x,k=C:\\dir f=1i 0\n");
    }

    #[test]
    fn string_fields_escape_quote_and_backslash_and_keep_newlines() {
        let p = Point::new("m")
            .field("s", "say \"hi\"\\\nbye")
            .timestamp_nanos(0);
        assert_eq!(line(&p).unwrap(), "m s=\"say \\\"hi\\\"\\\\\nbye\" 0\n");
    }

    #[test]
    fn unicode_and_emoji_pass_through() {
        let p = Point::new("température 🌡")
            .tag("lieu", "Gröningen 🚲")
            .field("naïve", "日本語")
            .timestamp_nanos(0);
        assert_eq!(
            line(&p).unwrap(),
            "température\\ 🌡,lieu=Gröningen\\ 🚲 naïve=\"日本語\" 0\n"
        );
    }

    #[test]
    fn quotes_in_tags_are_plain_characters() {
        let p = Point::new("m")
            .tag("k", "\"quoted\"")
            .field("f", 1i64)
            .timestamp_nanos(0);
        assert_eq!(line(&p).unwrap(), "m,k=\"quoted\" f=1i 0\n");
    }

    #[test]
    fn leading_backslash_is_fine_trailing_is_refused() {
        let p = Point::new("m")
            .tag("k", "\\lead")
            .field("f", 1i64)
            .timestamp_nanos(0);
        assert_eq!(line(&p).unwrap(), "m,k=\\lead f=1i 0\n");
        for p in [
            Point::new("m\\").field("f", 1i64),
            Point::new("m").tag("k\\", "v").field("f", 1i64),
            Point::new("m").tag("k", "v\\").field("f", 1i64),
            Point::new("m").field("f\\", 1i64),
        ] {
            assert!(matches!(reason(&p), InvalidPoint::TrailingBackslash { .. }));
        }
    }

    #[test]
    fn numbers() {
        let p = Point::new("m")
            .field("i", -42i64)
            .field("u", 42u64)
            .field("f", 1e300)
            .field("g", 0.1)
            .field("z", -0.0)
            .field("b", false)
            .timestamp_nanos(-5);
        assert_eq!(
            line(&p).unwrap(),
            "m i=-42i,u=42i,f=1e300,g=0.1,z=-0.0,b=false -5\n"
        );
    }

    #[test]
    fn unsigned_suffix_and_overflow() {
        let big = Point::new("m").field("u", u64::MAX).timestamp_nanos(0);
        assert_eq!(
            reason(&big),
            InvalidPoint::UnsignedOverflow {
                field: "u".into(),
                value: u64::MAX
            }
        );
        let opts = EncodeOptions {
            unsigned: true,
            ..Default::default()
        };
        assert_eq!(
            line_with(&big, opts).unwrap(),
            "m u=18446744073709551615u 0\n"
        );
        let edge = Point::new("m")
            .field("u", i64::MAX as u64)
            .timestamp_nanos(0);
        assert_eq!(line(&edge).unwrap(), "m u=9223372036854775807i 0\n");
    }

    #[test]
    fn rejections() {
        assert!(matches!(
            reason(&Point::new("m").field("f", f64::NAN)),
            InvalidPoint::NonFiniteFloat { .. }
        ));
        assert!(matches!(
            reason(&Point::new("m").field("f", f64::INFINITY)),
            InvalidPoint::NonFiniteFloat { .. }
        ));
        assert!(matches!(
            reason(&Point::new("m").field("f", f64::NEG_INFINITY)),
            InvalidPoint::NonFiniteFloat { .. }
        ));
        assert_eq!(reason(&Point::new("m")), InvalidPoint::NoFields);
        assert_eq!(
            reason(&Point::new("m").tag("h", "a")),
            InvalidPoint::NoFields
        );
        assert_eq!(
            reason(&Point::new("").field("f", 1i64)),
            InvalidPoint::EmptyMeasurement
        );
        assert_eq!(
            reason(&Point::new("m").tag("", "a").field("f", 1i64)),
            InvalidPoint::EmptyTagKey
        );
        assert_eq!(
            reason(&Point::new("m").field("", 1i64)),
            InvalidPoint::EmptyFieldKey
        );
        for p in [
            Point::new("c\npu").field("f", 1i64),
            Point::new("m").tag("a\nb", "v").field("f", 1i64),
            Point::new("m").tag("k", "a\nb").field("f", 1i64),
            Point::new("m").field("a\nb", 1i64),
        ] {
            assert!(matches!(reason(&p), InvalidPoint::Newline { .. }));
        }
        // The server stores strings of any length its body limit lets in.
        let long = Point::new("m")
            .field("s", "x".repeat(100_000))
            .timestamp_nanos(0);
        assert_eq!(line(&long).unwrap().len(), 100_000 + 9);
        assert_eq!(
            reason(&Point::new("m").field("f", 1i64).timestamp_nanos(i64::MAX)),
            InvalidPoint::TimestampOutOfRange
        );
        assert_eq!(
            reason(&Point::new("m").field("f", 1i64).timestamp_nanos(i64::MIN)),
            InvalidPoint::TimestampOutOfRange
        );
        assert!(matches!(
            reason(&Point::new("a".repeat(65536)).field("f", 1i64)),
            InvalidPoint::KeyTooLong { len: 65536 }
        ));
        // The series key, 4 bytes and the field key: 65535 at most (the
        // server stores 65530 and refuses 65531 bytes of key after `m`).
        assert!(line(&Point::new("m").field("k".repeat(65_530), 1i64)).is_ok());
        assert!(matches!(
            reason(&Point::new("m").field("k".repeat(65_531), 1i64)),
            InvalidPoint::KeyTooLong { len: 65_536 }
        ));
        assert_eq!(
            reason(&Point::new("m").tag("time", "x").field("f", 1i64)),
            InvalidPoint::TimeKey { what: "tag key" }
        );
        assert_eq!(
            reason(&Point::new("m").field("time", 1i64)),
            InvalidPoint::TimeKey { what: "field key" }
        );
        assert_eq!(
            reason(&Point::new("m").tag("h", "a").tag("h", "b").field("f", 1i64)),
            InvalidPoint::DuplicateTag("h".into())
        );
        assert_eq!(
            reason(&Point::new("m").field("f", 1i64).field("f", "x")),
            InvalidPoint::DuplicateField("f".into())
        );
    }

    #[test]
    fn what_the_server_would_not_refuse_is_not_refused() {
        let at = |p: Point| line(&p.timestamp_nanos(0)).unwrap();
        // An empty tag is left out before anything is checked.
        assert_eq!(
            at(Point::new("m").tag("k", "").tag("k", "v").field("f", 1i64)),
            "m,k=v f=1i 0\n"
        );
        assert_eq!(
            at(Point::new("m")
                .tag("time", "")
                .tag("a\nb", "")
                .field("f", 1i64)),
            "m f=1i 0\n"
        );
        // Names and values may hold a carriage return or NUL (tags no NUL).
        assert_eq!(
            at(Point::new("m\r\0").tag("k\r", "a\rb").field("s\0", "c\r\0")),
            "m\r\0,k\r=a\rb s\0=\"c\r\0\" 0\n"
        );
        for p in [
            Point::new("m").tag("k\0", "v").field("f", 1i64),
            Point::new("m").tag("k", "v\0").field("f", 1i64),
        ] {
            assert!(matches!(reason(&p), InvalidPoint::NulInTag { .. }), "{p:?}");
        }
        // An even run of backslashes before an escaped character in a
        // field key is stored as written; a `"` is escaped.
        assert_eq!(
            at(Point::new("m").field("a\\\\=b", 1i64).field("q\\\"", 2i64)),
            "m a\\\\\\=b=1i,q\\\\\"=2i 0\n"
        );
    }

    #[test]
    fn a_field_key_the_server_would_cut_is_not_first() {
        let at = |p: Point| line(&p.timestamp_nanos(0));
        assert_eq!(
            at(Point::new("m")
                .field("\tf", 1i64)
                .field("\t", 2i64)
                .field("h", "x,y"))
            .unwrap(),
            "m h=\"x,y\",\tf=1i,\t=2i 0\n"
        );
        assert_eq!(
            at(Point::new("m").field("f", 1i64).field("\tg", 2i64)).unwrap(),
            "m f=1i,\tg=2i 0\n"
        );
        assert_eq!(
            at(Point::new("m").field("\tf", 1i64))
                .unwrap_err()
                .to_string(),
            Error::invalid("m", InvalidPoint::SkippedFieldKeys).to_string()
        );
    }

    #[test]
    fn a_line_the_server_would_split_elsewhere_is_refused() {
        let at = |p: Point| line(&p.timestamp_nanos(1));
        // Alone, a backslash before a space in a tag is fine.
        assert_eq!(
            at(Point::new("m").tag("a\\ b", "x").field("f", 1i64)).unwrap(),
            "m,a\\\\ b=x f=1i 1\n"
        );
        // With a `"` after it, the server would join the next line to it.
        assert!(matches!(
            reason(&Point::new("m").tag("a\\ b", "x\"y").field("f", 1i64)),
            InvalidPoint::MisplacedLineEnd {
                what: "tag key",
                ..
            }
        ));
        // Or cut the string: `evil f=1i 5` would be a point of its own.
        assert!(matches!(
            reason(
                &Point::new("m")
                    .tag("k", "x\\ y\\,z")
                    .field("s", "a\nevil f=1i 5\n")
            ),
            InvalidPoint::MisplacedLineEnd {
                what: "tag value",
                ..
            }
        ));
    }

    #[test]
    fn names_the_server_would_skip_or_misread_are_refused() {
        for name in ["#cpu", "\tcpu", "\0cpu"] {
            assert!(matches!(
                reason(&Point::new(name).field("f", 1i64)),
                InvalidPoint::BadMeasurementStart(_)
            ));
        }
        assert!(line(&Point::new("c#pu").field("f", 1i64).timestamp_nanos(0)).is_ok());
        for key in ["a\\ b", "a\\,b", "a\\=b", "a\\\\\\=b"] {
            assert!(matches!(
                reason(&Point::new("m").field(key, 1i64)),
                InvalidPoint::EscapingBackslash(_)
            ));
        }
        let p = Point::new("m").field("a\\b", 1i64).timestamp_nanos(0);
        assert_eq!(line(&p).unwrap(), "m a\\b=1i 0\n");
        // The server stores a measurement `a\ b` as `a b`.
        for name in ["a\\ b", "a\\,b", "a\\=b", "a\\\"b", "a\\\\,b"] {
            assert!(matches!(
                reason(&Point::new(name).field("f", 1i64)),
                InvalidPoint::EscapingBackslash(_)
            ));
        }
        // In a tag key the pair is stored as written.
        let p = Point::new("m")
            .tag("a\\ b", "c\\,d")
            .field("f", 1i64)
            .timestamp_nanos(0);
        assert_eq!(line(&p).unwrap(), "m,a\\\\ b=c\\\\,d f=1i 0\n");
    }

    #[test]
    fn error_leaves_buffer_unchanged() {
        let mut buf = b"existing\n".to_vec();
        let bad = Point::new("m")
            .tag("k", "v")
            .field("a", 1i64)
            .field("b", f64::NAN);
        assert!(encode(&bad, &mut buf, &EncodeOptions::default()).is_err());
        assert_eq!(buf, b"existing\n");
    }

    #[test]
    fn empty_tag_values_are_left_out() {
        let p = Point::new("m")
            .tag("a", "")
            .tag("b", "x")
            .field("f", 1i64)
            .timestamp_nanos(0);
        assert_eq!(line(&p).unwrap(), "m,b=x f=1i 0\n");
    }

    #[test]
    fn tags_are_sorted_by_key() {
        let p = Point::new("m")
            .tag("zone", "1")
            .tag("app", "2")
            .tag("Host", "3")
            .field("f", 1i64)
            .timestamp_nanos(0);
        assert_eq!(line(&p).unwrap(), "m,Host=3,app=2,zone=1 f=1i 0\n");
    }

    #[test]
    fn precision_truncates_exactly() {
        let ns = 1_700_000_000_123_456_789i64;
        let expect = [
            (Precision::Nanoseconds, 1_700_000_000_123_456_789),
            (Precision::Microseconds, 1_700_000_000_123_456),
            (Precision::Milliseconds, 1_700_000_000_123),
            (Precision::Seconds, 1_700_000_000),
            (Precision::Minutes, 28_333_333),
            (Precision::Hours, 472_222),
        ];
        for (precision, want) in expect {
            assert_eq!(precision.from_nanos(ns), want, "{precision:?}");
            let p = Point::new("m").field("f", 1i64).timestamp_nanos(ns);
            let opts = EncodeOptions {
                precision,
                unsigned: false,
            };
            assert_eq!(line_with(&p, opts).unwrap(), format!("m f=1i {want}\n"));
        }
        assert_eq!(Precision::Seconds.from_nanos(-1_500_000_000), -1);
    }

    #[test]
    fn missing_time_is_filled_at_encode() {
        let before = chrono::Utc::now().timestamp_nanos_opt().unwrap();
        let text = line(&Point::new("m").field("f", 1i64)).unwrap();
        let after = chrono::Utc::now().timestamp_nanos_opt().unwrap();
        let ts: i64 = text.trim_end().rsplit(' ').next().unwrap().parse().unwrap();
        assert!(
            (before..=after).contains(&ts),
            "{before} <= {ts} <= {after}"
        );
    }
}
