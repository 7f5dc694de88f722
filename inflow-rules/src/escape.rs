//! Line-protocol escaping of measurement names and keys, as InfluxDB 1.x
//! reads them: a measurement escapes `,` and space; tag keys and tag
//! values escape `,`, `=` and space; field keys escape `,`, `=`, space, and
//! a `"` that follows a backslash. A backslash is put before each such
//! character; backslashes themselves are written as they are, since 1.x
//! does not unescape them (see [`name`](crate::name) for the names that
//! this leaves unwritable).

/// Whether a measurement name escapes `b`: `,` and space.
#[inline]
pub fn is_measurement_special(b: u8) -> bool {
    b == b',' || b == b' '
}

/// Whether a tag key, tag value or field key escapes `b`: `,`, `=` and
/// space.
#[inline]
pub fn is_key_special(b: u8) -> bool {
    b == b',' || b == b'=' || b == b' '
}

/// Appends a field key to `buf`: `,`, `=` and space escaped, and a `"`
/// that follows a backslash. (The server unescapes `\"` in field keys, so
/// a backslash before a bare `"` would be lost; a `"` after anything else
/// is written bare, as every line-protocol writer does.)
#[inline]
pub fn escape_field_key_into(buf: &mut Vec<u8>, bytes: &[u8]) {
    let mut run_start = 0;
    let mut after_backslash = false;
    for (i, &b) in bytes.iter().enumerate() {
        if is_key_special(b) || (b == b'"' && after_backslash) {
            buf.extend_from_slice(&bytes[run_start..i]);
            buf.push(b'\\');
            run_start = i;
        }
        after_backslash = b == b'\\';
    }
    buf.extend_from_slice(&bytes[run_start..]);
}

/// Appends `bytes` to `buf` with a backslash before each byte for which
/// `special` holds. Runs without special bytes are copied in one go.
#[inline]
pub fn escape_into(buf: &mut Vec<u8>, bytes: &[u8], special: impl Fn(u8) -> bool) {
    let mut run_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if special(b) {
            buf.extend_from_slice(&bytes[run_start..i]);
            buf.push(b'\\');
            run_start = i;
        }
    }
    buf.extend_from_slice(&bytes[run_start..]);
}

/// How [`escape_key_into`] treats each byte: 0 copied, 1 escaped, 2 copied
/// and reported.
static KEY_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    table[b',' as usize] = 1;
    table[b'=' as usize] = 1;
    table[b' ' as usize] = 1;
    table[b'\\' as usize] = 2;
    table[b'\n' as usize] = 2;
    table[0] = 2;
    table
};

/// Appends a tag key or tag value to `buf`, escaped as [`escape_into`]
/// with [`is_key_special`] would, and tells in the same pass whether it
/// holds a backslash, a newline or a NUL: the only bytes that make a tag
/// need the checks of [`name`](crate::name) beyond emptiness.
#[inline]
pub fn escape_key_into(buf: &mut Vec<u8>, bytes: &[u8]) -> bool {
    let mut run_start = 0;
    let mut noted = false;
    for (i, &b) in bytes.iter().enumerate() {
        match KEY_CLASS[usize::from(b)] {
            0 => {}
            1 => {
                buf.extend_from_slice(&bytes[run_start..i]);
                buf.push(b'\\');
                run_start = i;
            }
            _ => noted = true,
        }
    }
    buf.extend_from_slice(&bytes[run_start..]);
    noted
}

/// A measurement name, escaped.
pub fn measurement(name: &str) -> String {
    escaped(name, is_measurement_special)
}

/// A tag key or tag value, escaped.
pub fn key(key: &str) -> String {
    escaped(key, is_key_special)
}

/// A field key, escaped.
pub fn field_key(key: &str) -> String {
    let mut out = Vec::with_capacity(key.len());
    escape_field_key_into(&mut out, key.as_bytes());
    // Only ASCII bytes are escaped, and a backslash is put before them.
    String::from_utf8(out).expect("escaping keeps UTF-8")
}

fn escaped(text: &str, special: impl Fn(u8) -> bool) -> String {
    let mut out = Vec::with_capacity(text.len());
    escape_into(&mut out, text.as_bytes(), special);
    // Only ASCII bytes are escaped, and a backslash is put before them.
    String::from_utf8(out).expect("escaping keeps UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measurements_escape_comma_and_space_only() {
        assert_eq!(measurement("a b,c=d"), "a\\ b\\,c=d");
        assert_eq!(measurement("plain"), "plain");
        assert_eq!(measurement(""), "");
        assert_eq!(measurement(" ,"), "\\ \\,");
    }

    #[test]
    fn keys_escape_comma_equals_and_space() {
        assert_eq!(key("a b,c=d"), "a\\ b\\,c\\=d");
        assert_eq!(key("=="), "\\=\\=");
    }

    #[test]
    fn field_keys_escape_a_quote_after_a_backslash() {
        assert_eq!(field_key("a b,c=d\"e"), "a\\ b\\,c\\=d\"e");
        assert_eq!(field_key("x\\\""), "x\\\\\"");
        assert_eq!(field_key("x\\\\\"\""), "x\\\\\\\"\"");
    }

    #[test]
    fn backslashes_quotes_and_unicode_are_kept() {
        assert_eq!(key("C:\\dir"), "C:\\dir");
        assert_eq!(key("x\\"), "x\\");
        assert_eq!(key("\"q\""), "\"q\"");
        assert_eq!(measurement("température 🌡"), "température\\ 🌡");
        assert_eq!(key("naïve=日本"), "naïve\\=日本");
    }

    #[test]
    fn escape_key_into_reports_backslashes_and_newlines() {
        for (text, escaped, noted) in [
            ("plain", "plain", false),
            ("a b,c=d", "a\\ b\\,c\\=d", false),
            ("a\\ b", "a\\\\ b", true),
            ("x\ny", "x\ny", true),
            ("", "", false),
        ] {
            let mut buf = Vec::new();
            assert_eq!(
                escape_key_into(&mut buf, text.as_bytes()),
                noted,
                "{text:?}"
            );
            assert_eq!(buf, escaped.as_bytes(), "{text:?}");
            assert_eq!(key(text), escaped);
        }
    }

    #[test]
    fn escape_into_appends() {
        let mut buf = b"m,".to_vec();
        escape_into(&mut buf, b"k y", is_key_special);
        assert_eq!(buf, b"m,k\\ y");
    }

    #[test]
    fn special_bytes() {
        let all: Vec<u8> = (0..=255).collect();
        let m: Vec<u8> = all
            .iter()
            .copied()
            .filter(|&b| is_measurement_special(b))
            .collect();
        let k: Vec<u8> = all.iter().copied().filter(|&b| is_key_special(b)).collect();
        assert_eq!(m, b" ,");
        assert_eq!(k, b" ,=");
    }
}
