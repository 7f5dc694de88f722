//! Measurement names, tag keys, field keys and tag values that line
//! protocol cannot carry, or that InfluxDB 1.x reads as something else.
//! Each rule was decided by writing the text to InfluxDB 1.6.7 and reading
//! it back (`SHOW MEASUREMENTS`, `SHOW TAG KEYS`, `SHOW FIELD KEYS`, and a
//! `SELECT` naming it):
//!
//! | part | escaped by the writer | refused |
//! |---|---|---|
//! | measurement | `,` space | empty; starting with `#` (a comment), a tab or NUL (skipped); a bare newline; a trailing backslash; a backslash before `,` space `=` `"` |
//! | tag key | `,` `=` space | empty; `time`; a bare newline; a trailing backslash; a NUL |
//! | tag value | `,` `=` space | a bare newline; a trailing backslash; a NUL (an empty value leaves the tag out) |
//! | field key | `,` `=` space, `"` after a backslash | empty; `time`; a bare newline; a trailing backslash; an odd run of backslashes before `,` `=` space |
//! | string field value | `"` `\` | nothing |
//!
//! Why:
//! - a bare newline ends the line wherever it stands outside a string
//!   field; after an odd run of backslashes it is skipped as escaped, and
//!   the backslash and the newline are stored as they are;
//! - a trailing backslash escapes the separator written after it, and
//!   nothing makes a backslash stand for itself there;
//! - the server unescapes a measurement twice (once in the series key,
//!   once in its index), so a backslash before `,`, space, `=` or `"` is
//!   lost or leaves the name listed but unreadable;
//! - in a field key the server pairs backslashes: after an even run the
//!   escaped character is stored as written, after an odd run the line is
//!   refused; a `"` after a backslash is escaped, so the backslash stays;
//! - InfluxQL has no way to write a carriage return (its scanner reads one
//!   as a newline) or a NUL (the end of the query) in a name: the server
//!   stores such names, but only a regular expression can select them
//!   (`FROM /^a\rb$/`). The derive, whose queries name every column,
//!   refuses them ([`queryable`]); a point may hold them. In tag values
//!   and string fields the query builder compares them with a regular
//!   expression instead of a string literal;
//! - the query engine joins a series' tags with NULs to group it: two
//!   series whose tags differ only in where a NUL stands (`host=a,zone=\0`
//!   and `host=a\0`) come back as one, so tags may not hold a NUL;
//! - a first field key starting with a tab or NUL loses it (the server
//!   skips whitespace there): the writer puts another field first, and
//!   refuses the point only when every field key starts so;
//! - a backslash right before an escaped space in a tag makes the server
//!   misjudge where the line ends when a `"` follows later in the line:
//!   the writer checks such a line as the server will split it, and
//!   refuses it only if the split would be wrong.

/// The name of the time column, which no tag or field may have.
pub const TIME: &str = "time";

/// Why a name, key or tag value cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// It is empty.
    Empty,
    /// It contains a newline that no backslash escapes.
    Newline,
    /// It ends in a backslash.
    TrailingBackslash,
    /// A measurement starts with `#`, a tab or a NUL.
    CommentOrSkippedStart,
    /// A backslash comes before a character the server unescapes after
    /// one (see the table above).
    EscapingBackslash,
    /// A carriage return or NUL, which InfluxQL cannot write in a name
    /// (see [`queryable`]).
    NotQueryable,
    /// A NUL in a tag: the server's query engine joins a series' tags with
    /// NULs to group it, so a tag holding one can be read back, grouped,
    /// as another series' tags.
    NulInTag,
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
    let bytes = name.as_bytes();
    if bytes
        .windows(2)
        .any(|w| w[0] == b'\\' && matches!(w[1], b',' | b' ' | b'=' | b'"'))
    {
        return Err(Problem::EscapingBackslash);
    }
    Ok(())
}

/// What tag and field keys share.
#[inline]
fn any_key(key: &str) -> Result<(), Problem> {
    if key.is_empty() {
        return Err(Problem::Empty);
    }
    if key == TIME {
        return Err(Problem::Time);
    }
    line_safe(key)
}

/// Checks a tag key: a key, without a NUL.
#[inline]
pub fn tag_key(key: &str) -> Result<(), Problem> {
    any_key(key)?;
    no_nul(key)
}

/// Checks a field key.
#[inline]
pub fn field_key(key: &str) -> Result<(), Problem> {
    any_key(key)?;
    // An odd run of backslashes before `,`, `=` or a space: with the
    // writer's escape, the server sees an even run and an unescaped
    // separator.
    let mut run = 0usize;
    for &b in key.as_bytes() {
        if b == b'\\' {
            run += 1;
            continue;
        }
        if run % 2 == 1 && matches!(b, b',' | b'=' | b' ') {
            return Err(Problem::EscapingBackslash);
        }
        run = 0;
    }
    Ok(())
}

/// Checks a tag value that is not empty (an empty value leaves the tag
/// out, and is not checked).
#[inline]
pub fn tag_value(value: &str) -> Result<(), Problem> {
    if value.is_empty() {
        return Err(Problem::Empty);
    }
    line_safe(value)?;
    no_nul(value)
}

#[inline(always)]
fn no_nul(text: &str) -> Result<(), Problem> {
    if text.as_bytes().contains(&0) {
        Err(Problem::NulInTag)
    } else {
        Ok(())
    }
}

/// Whether a first field key loses its first character: the server skips
/// tabs and NULs where the fields begin.
#[inline]
pub fn skipped_as_first_field(key: &str) -> bool {
    matches!(key.as_bytes().first(), Some(b'\t' | b'\0'))
}

/// What every name, key and tag value satisfies: no newline but one that
/// a backslash escapes, no trailing backslash.
#[inline(always)]
fn line_safe(text: &str) -> Result<(), Problem> {
    if text.as_bytes().contains(&b'\n') && unescaped_newline(text.as_bytes()) {
        Err(Problem::Newline)
    } else if text.ends_with('\\') {
        Err(Problem::TrailingBackslash)
    } else {
        Ok(())
    }
}

/// Whether InfluxQL can write `text` as a name. It cannot write a carriage
/// return (its scanner reads one as a newline) or a NUL (the end of the
/// query). The server stores such names, and a writer may write them; a
/// type that reads its columns back by name (the derive) may not have them.
#[inline]
pub fn queryable(text: &str) -> Result<(), Problem> {
    if text.bytes().any(|b| b == b'\r' || b == 0) {
        Err(Problem::NotQueryable)
    } else {
        Ok(())
    }
}

/// A newline after an even run of backslashes (none, or pairs): the
/// server ends the line there. After an odd run the server skips it as
/// escaped, and stores the backslash and the newline as they are.
fn unescaped_newline(bytes: &[u8]) -> bool {
    let mut run = 0usize;
    for &b in bytes {
        if b == b'\\' {
            run += 1;
            continue;
        }
        if b == b'\n' && run % 2 == 0 {
            return true;
        }
        run = 0;
    }
    false
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
            "a\\\nb",
            "a\\\\\\\nb",
        ] {
            assert_eq!(measurement(name), Ok(()), "{name:?}");
        }
        for (name, problem) in [
            ("", Problem::Empty),
            ("#cpu", Problem::CommentOrSkippedStart),
            ("\tcpu", Problem::CommentOrSkippedStart),
            ("\0cpu", Problem::CommentOrSkippedStart),
            ("c\npu", Problem::Newline),
            ("c\\\\\npu", Problem::Newline),
            ("\n", Problem::Newline),
            ("cpu\\", Problem::TrailingBackslash),
            ("\\", Problem::TrailingBackslash),
            ("a\\ b", Problem::EscapingBackslash),
            ("a\\,b", Problem::EscapingBackslash),
            ("a\\=b", Problem::EscapingBackslash),
            ("a\\\\ b", Problem::EscapingBackslash),
            ("a\\\"b", Problem::EscapingBackslash),
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
        for key in [
            "value",
            "a b,c=d",
            "a\\b",
            "#f",
            "\\lead",
            "a\\\\=b",
            "a\\\\\\\\ b",
            "q\\\"",
            "\tf",
        ] {
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
            ("a\\\\\\,b", Problem::EscapingBackslash),
        ] {
            assert_eq!(field_key(key), Err(problem), "{key:?}");
        }
        for name in ["a\rb", "a\0b", "\r"] {
            assert_eq!(field_key(name), Ok(()));
            assert_eq!(queryable(name), Err(Problem::NotQueryable));
        }
    }

    #[test]
    fn tag_values() {
        for value in ["a", "time", "#x", "a\\ b", "C:\\dir", "\"quoted\"", "cr\r"] {
            assert_eq!(tag_value(value), Ok(()), "{value:?}");
        }
        for (value, problem) in [
            ("", Problem::Empty),
            ("nul\0", Problem::NulInTag),
            ("a\nb", Problem::Newline),
            ("v\\", Problem::TrailingBackslash),
        ] {
            assert_eq!(tag_value(value), Err(problem), "{value:?}");
        }
    }
}
