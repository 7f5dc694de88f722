//! Which statements a query holds, read the way InfluxQL reads them: the
//! leading keyword of each, outside quotes, regexes and comments.

/// Whether any statement of `query` changes something and must be sent by
/// POST: decided by each statement's leading keyword (and `INTO` in a
/// `SELECT`), outside of quotes and comments.
pub(crate) fn is_mutating(query: &str) -> bool {
    statements(query).iter().any(|words| {
        let Some(first) = words.first() else {
            return false;
        };
        match first.as_str() {
            "SELECT" => words.iter().any(|w| w == "INTO"),
            "SHOW" | "EXPLAIN" => false,
            _ => true,
        }
    })
}

/// The upper-cased bare words of each statement, skipping quoted text,
/// regexes and comments.
fn statements(query: &str) -> Vec<Vec<String>> {
    let mut all = vec![Vec::new()];
    let mut word = String::new();
    let mut chars = query.chars().peekable();
    let mut prev_significant: Option<char> = None;
    let flush = |word: &mut String, all: &mut Vec<Vec<String>>| {
        if !word.is_empty() {
            all.last_mut()
                .expect("never empty")
                .push(word.to_ascii_uppercase());
            word.clear();
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                flush(&mut word, &mut all);
                while let Some(d) = chars.next() {
                    if d == '\\' {
                        chars.next();
                    } else if d == c {
                        break;
                    }
                }
            }
            '/' if matches!(prev_significant, Some('~')) => {
                flush(&mut word, &mut all);
                while let Some(d) = chars.next() {
                    if d == '\\' {
                        chars.next();
                    } else if d == '/' {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                flush(&mut word, &mut all);
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            ';' => {
                flush(&mut word, &mut all);
                all.push(Vec::new());
            }
            c if c.is_alphanumeric() || c == '_' => word.push(c),
            _ => flush(&mut word, &mut all),
        }
        if !c.is_whitespace() {
            prev_significant = Some(c);
        }
    }
    flush(&mut word, &mut all);
    all.retain(|s| !s.is_empty());
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_go_by_get_writes_by_post() {
        assert!(!is_mutating("SELECT * FROM cpu"));
        assert!(!is_mutating("  select * from cpu; SHOW DATABASES"));
        assert!(!is_mutating("SELECT * FROM \"into\" WHERE t = 'DROP'"));
        assert!(!is_mutating("SELECT * FROM cpu WHERE h =~ /INTO;DROP/"));
        assert!(!is_mutating("-- DROP\nSELECT 1"));
        assert!(!is_mutating("EXPLAIN SELECT * FROM cpu"));
        assert!(is_mutating("SELECT * INTO b FROM a"));
        assert!(is_mutating("select * into b from a"));
        assert!(is_mutating("SELECT 1; DROP DATABASE x"));
        for q in [
            "CREATE DATABASE x",
            "DROP MEASUREMENT m",
            "DELETE FROM m",
            "ALTER RETENTION POLICY a ON b DEFAULT",
            "GRANT ALL TO u",
            "REVOKE ALL FROM u",
            "KILL QUERY 1",
        ] {
            assert!(is_mutating(q), "{q}");
        }
    }
}
