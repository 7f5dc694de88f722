//! Measurement names, tag keys, field keys and tag values that line
//! protocol cannot carry, or that InfluxDB 1.x reads as something else.
//! Each was seen on InfluxDB 1.6:
//!
//! - a newline anywhere ends the line;
//! - a trailing backslash escapes the separator written after it;
//! - a measurement that starts with `#` makes the line a comment, and
//!   leading tabs and NULs are skipped;
//! - a backslash before `,`, `=` or a space is read as an escape: a
//!   measurement `a\ b` is stored as `a b`, and a line with a field key
//!   `a\ b` is refused. In tag keys and tag values the pair is stored as
//!   written, so it is allowed there;
//! - a tag or field named `time` is dropped;
//! - a name or key is never empty, nor is a tag value (the writer leaves a
//!   tag with an empty value out).

/// The name of the time column, which no tag or field may have.
pub const TIME: &str = "time";

/// Why a name, key or tag value cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// It is empty.
    Empty,
    /// It contains a newline.
    Newline,
    /// It ends in a backslash.
    TrailingBackslash,
    /// A measurement starts with `#`, a tab or a NUL.
    CommentOrSkippedStart,
    /// A backslash comes before `,`, `=` or a space.
    EscapingBackslash,
    /// A tag or field key is `time`.
    Time,
}

/// Checks a measurement name.
#[inline]
pub fn measurement(name: &str) -> Result<(), Problem> {
    if name.is_empty() {
        return Err(Problem::Empty);
    }
    if name.starts_with(['#', '\t', '\0']) {
        return Err(Problem::CommentOrSkippedStart);
    }
    line_safe(name)?;
    if has_escaping_backslash(name) {
        return Err(Problem::EscapingBackslash);
    }
    Ok(())
}

/// Checks a tag key.
#[inline]
pub fn tag_key(key: &str) -> Result<(), Problem> {
    if key.is_empty() {
        return Err(Problem::Empty);
    }
    if key == TIME {
        return Err(Problem::Time);
    }
    line_safe(key)
}

/// Checks a field key.
#[inline]
pub fn field_key(key: &str) -> Result<(), Problem> {
    tag_key(key)?;
    if has_escaping_backslash(key) {
        return Err(Problem::EscapingBackslash);
    }
    Ok(())
}

/// Checks a tag value.
#[inline]
pub fn tag_value(value: &str) -> Result<(), Problem> {
    if value.is_empty() {
        return Err(Problem::Empty);
    }
    line_safe(value)
}

/// What every name, key and tag value satisfies: no newline, no trailing
/// backslash.
#[inline(always)]
fn line_safe(text: &str) -> Result<(), Problem> {
    if text.as_bytes().contains(&b'\n') {
        Err(Problem::Newline)
    } else if text.ends_with('\\') {
        Err(Problem::TrailingBackslash)
    } else {
        Ok(())
    }
}

/// A backslash before a character the server unescapes after one.
fn has_escaping_backslash(text: &str) -> bool {
    text.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'\\' && matches!(w[1], b',' | b'=' | b' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measurements() {
        for name in [
            "cpu",
            "c#pu",
            "a b,c=d",
            "m\\x",
            "\\lead",
            "cpu\t",
            " cpu",
            "température 🌡",
        ] {
            assert_eq!(measurement(name), Ok(()), "{name:?}");
        }
        for (name, problem) in [
            ("", Problem::Empty),
            ("#cpu", Problem::CommentOrSkippedStart),
            ("\tcpu", Problem::CommentOrSkippedStart),
            ("\0cpu", Problem::CommentOrSkippedStart),
            ("c\npu", Problem::Newline),
            ("\n", Problem::Newline),
            ("cpu\\", Problem::TrailingBackslash),
            ("\\", Problem::TrailingBackslash),
            ("a\\ b", Problem::EscapingBackslash),
            ("a\\,b", Problem::EscapingBackslash),
            ("a\\=b", Problem::EscapingBackslash),
            ("a\\\\ b", Problem::EscapingBackslash),
        ] {
            assert_eq!(measurement(name), Err(problem), "{name:?}");
        }
        // "time" is a fine measurement name.
        assert_eq!(measurement(TIME), Ok(()));
    }

    #[test]
    fn tag_keys_keep_backslash_pairs() {
        for key in [
            "host", "#k", "a\\ b", "a\\,b", "a\\=b", "k\\x", "Time", "times",
        ] {
            assert_eq!(tag_key(key), Ok(()), "{key:?}");
        }
        for (key, problem) in [
            ("", Problem::Empty),
            ("time", Problem::Time),
            ("a\nb", Problem::Newline),
            ("k\\", Problem::TrailingBackslash),
        ] {
            assert_eq!(tag_key(key), Err(problem), "{key:?}");
        }
    }

    #[test]
    fn field_keys_refuse_backslash_pairs() {
        for key in ["value", "a b,c=d", "a\\b", "#f", "\\lead"] {
            assert_eq!(field_key(key), Ok(()), "{key:?}");
        }
        for (key, problem) in [
            ("", Problem::Empty),
            ("time", Problem::Time),
            ("a\nb", Problem::Newline),
            ("f\\", Problem::TrailingBackslash),
            ("a\\ b", Problem::EscapingBackslash),
            ("a\\,b", Problem::EscapingBackslash),
            ("a\\=b", Problem::EscapingBackslash),
        ] {
            assert_eq!(field_key(key), Err(problem), "{key:?}");
        }
    }

    #[test]
    fn tag_values() {
        for value in ["a", "time", "#x", "a\\ b", "C:\\dir", "\"quoted\""] {
            assert_eq!(tag_value(value), Ok(()), "{value:?}");
        }
        for (value, problem) in [
            ("", Problem::Empty),
            ("a\nb", Problem::Newline),
            ("v\\", Problem::TrailingBackslash),
        ] {
            assert_eq!(tag_value(value), Err(problem), "{value:?}");
        }
    }
}
