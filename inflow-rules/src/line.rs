//! Where InfluxDB 1.x decides a line ends.
//!
//! The server splits a request body into lines before it parses them, and
//! the splitter reads escapes and quotes its own way: it pairs backslashes
//! from the left wherever they stand, and from the first space it takes
//! for unescaped it counts `=` and `,` and follows double quotes, so that
//! a newline inside a quoted string does not end the line. The parser that
//! then reads each line treats a character after any backslash as
//! escaped. The two agree on every line the writer produces except one
//! whose measurement or tags hold an even run of backslashes before a
//! space: the splitter then starts counting early, and a `"` later in the
//! line can make it read past the line's end (joining the next line to
//! it) or stop inside a string (making a line of the string's rest).
//!
//! [`end`] is the splitter, step for step, so that such a line can be
//! checked before it is sent.

/// Where the server's line splitter ends the line that starts `body`: the
/// index of the newline that ends it, or `body.len()` when it runs to the
/// end.
pub fn end(body: &[u8]) -> usize {
    let mut i = 0;
    let mut quoted = false;
    let mut fields = false;
    let mut equals = 0usize;
    let mut commas = 0usize;
    while i < body.len() {
        let b = body[i];
        if b == b'\\' && i + 2 < body.len() {
            i += 2;
            continue;
        }
        if b == b' ' {
            fields = true;
        }
        if fields {
            if !quoted && b == b'=' {
                equals += 1;
                i += 1;
                continue;
            } else if !quoted && b == b',' {
                commas += 1;
                i += 1;
                continue;
            } else if b == b'"' && equals > commas {
                quoted = !quoted;
                i += 1;
                continue;
            }
        }
        if b == b'\n' && !quoted {
            return i;
        }
        i += 1;
    }
    body.len()
}

/// Whether `line` (one encoded line, with its newline) is split by the
/// server exactly where it ends.
pub fn splits_whole(line: &[u8]) -> bool {
    end(line) + 1 == line.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_end_at_their_newline() {
        for line in [
            &b"m f=1i 1\n"[..],
            b"m,k=v f=\"a\\nb\" 1\n",
            b"m,k=v f=\"a\nb\",g=\"x\\\"y\" 1\n",
            b"m,k=x\\ y f=\"q\" 1\n",
            b"m,a\\\\\\ b=x\"y f=1i 1\n",
        ] {
            assert!(splits_whole(line), "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn a_backslash_before_an_escaped_space_can_join_lines() {
        // Refused together by the server: the splitter reads the first
        // line's `"` as opening a string, and the newline as inside it.
        let line = b"m,a\\\\ b=x\"y f=1i 1\n";
        assert!(!splits_whole(line));
        // The splitter ends this one inside the string: its rest would be
        // a point of its own.
        let line = b"m,k=x\\\\ y\\\\,z s=\"a\nevil f=1i 5\n\" 1\n";
        assert!(!splits_whole(line));
    }
}
