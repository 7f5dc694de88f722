//! InfluxQL quoting: every identifier and literal the client emits goes
//! through here, so that no value can change the query around it.

use std::fmt::Write as _;
use std::time::Duration;

/// A double-quoted identifier: `"` and `\` are escaped, a newline is
/// written as `\n`.
pub fn quote_ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    push_quoted(&mut out, name, '"');
    out
}

/// A single-quoted string literal: `'` and `\` are escaped, a newline is
/// written as `\n`.
pub fn quote_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    push_quoted(&mut out, value, '\'');
    out
}

pub(crate) fn push_quoted(out: &mut String, text: &str, quote: char) {
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// A regular expression literal: `/` is escaped, a newline, carriage
/// return or NUL (which InfluxQL's scanner cannot carry) is written as the
/// regex escape for it, everything else is the regex syntax the server
/// understands.
///
/// InfluxQL's scanner reads every `\/` as an escaped `/`, whatever comes
/// before the backslash, so a pattern ending in a backslash would escape
/// the closing delimiter and let the rest of the query into the regex. An
/// empty group `(?:)` after it keeps the delimiter a delimiter (a lone
/// trailing backslash stays the invalid regex it was).
pub fn quote_regex(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 6);
    out.push('/');
    let mut escaped = false;
    for c in pattern.chars() {
        match c {
            '/' if !escaped => out.push_str("\\/"),
            // After a backslash, the letter alone completes the escape.
            '\n' => out.push_str(if escaped { "n" } else { "\\n" }),
            '\r' => out.push_str(if escaped { "r" } else { "\\r" }),
            '\0' => out.push_str(if escaped { "x00" } else { "\\x00" }),
            c => out.push(c),
        }
        escaped = c == '\\' && !escaped;
    }
    if pattern.ends_with('\\') {
        out.push_str("(?:)");
    }
    out.push('/');
    out
}

/// A span of time a query takes: `std::time::Duration` or
/// `chrono::Duration` (which may be negative), wherever the builder takes
/// one.
pub trait IntoDuration {
    /// Whether the span is negative, and its length.
    fn into_signed(self) -> (bool, Duration);
}

impl IntoDuration for Duration {
    fn into_signed(self) -> (bool, Duration) {
        (false, self)
    }
}

impl IntoDuration for chrono::Duration {
    fn into_signed(self) -> (bool, Duration) {
        (
            self < chrono::Duration::zero(),
            self.abs().to_std().unwrap_or(Duration::MAX),
        )
    }
}

/// A duration literal (`90s`, `1h`, `7d`), in the largest unit that
/// represents it exactly. InfluxQL durations have no fractions.
pub fn duration_literal(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".to_string();
    }
    const UNITS: [(u128, &str); 8] = [
        (604_800_000_000_000, "w"),
        (86_400_000_000_000, "d"),
        (3_600_000_000_000, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "u"),
        (1, "ns"),
    ];
    let (size, unit) = UNITS
        .iter()
        .find(|(size, _)| nanos % size == 0)
        .copied()
        .unwrap_or((1, "ns"));
    let mut out = String::new();
    let _ = write!(out, "{}{unit}", nanos / size);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert_eq!(quote_ident("cpu"), r#""cpu""#);
        assert_eq!(quote_ident(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(quote_ident("a\nb"), r#""a\nb""#);
        assert_eq!(quote_ident("it's"), r#""it's""#);
    }

    #[test]
    fn strings() {
        assert_eq!(quote_string("x"), "'x'");
        assert_eq!(quote_string("'; DROP DATABASE x"), r"'\'; DROP DATABASE x'");
        assert_eq!(quote_string("a\\'b\nc\"d"), r#"'a\\\'b\nc"d'"#);
    }

    #[test]
    fn regexes() {
        assert_eq!(quote_regex("^a/b$"), r"/^a\/b$/");
        assert_eq!(quote_regex(r"a\/b"), r"/a\/b/");
        assert_eq!(quote_regex(r"a\\/b"), r"/a\\\/b/");
        assert_eq!(quote_regex(r"a\\"), r"/a\\(?:)/");
        assert_eq!(quote_regex(r"x\"), r"/x\(?:)/");
        assert_eq!(quote_regex("a\rb\0c\nd"), r"/a\rb\x00c\nd/");
        assert_eq!(quote_regex("a\\\r"), r"/a\r/");
    }

    #[test]
    fn durations() {
        assert_eq!(duration_literal(Duration::from_secs(3600)), "1h");
        assert_eq!(duration_literal(Duration::from_secs(90)), "90s");
        assert_eq!(duration_literal(Duration::from_secs(7 * 86400)), "1w");
        assert_eq!(duration_literal(Duration::from_secs(2 * 86400)), "2d");
        assert_eq!(duration_literal(Duration::from_millis(1500)), "1500ms");
        assert_eq!(duration_literal(Duration::from_nanos(7)), "7ns");
        assert_eq!(duration_literal(Duration::ZERO), "0s");
    }
}
