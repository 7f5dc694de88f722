//! Shared helpers of inflow's integration tests.

use std::path::PathBuf;

use inflow::testkit::{unique_database, InfluxServer};
use inflow::{Client, FromTag, TagValue};

/// A client on a new, empty database of the shared throwaway server.
pub async fn fresh_client(prefix: &str) -> (Client, String) {
    let server = InfluxServer::shared().await;
    let db = unique_database(prefix);
    server
        .create_database(&db)
        .await
        .unwrap_or_else(|e| panic!("creating database {db}: {e}"));
    let client = Client::new(&format!("{}/{db}", server.url())).expect("client");
    (client, db)
}

/// The conformance corpus: `tests/conformance` (a copy of the project's
/// shared corpus), or `$INFLOW_CONFORMANCE`.
pub fn conformance_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("INFLOW_CONFORMANCE") {
        return PathBuf::from(dir);
    }
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [here.join("conformance")];
    candidates
        .iter()
        .find(|p| p.join("vectors.jsonl").exists())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "conformance corpus not found (looked in {candidates:?}; set INFLOW_CONFORMANCE)"
            )
        })
}

/// One point as line protocol means it: what the server stores.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedPoint {
    /// Measurement name, unescaped.
    pub measurement: String,
    /// Tags, unescaped, sorted by key.
    pub tags: Vec<(String, String)>,
    /// Fields, unescaped, in line order.
    pub fields: Vec<(String, ParsedValue)>,
    /// The timestamp, if the line has one.
    pub timestamp: Option<i64>,
}

/// A field value.
#[derive(Debug, Clone, PartialEq)]
pub enum ParsedValue {
    /// A float.
    Float(f64),
    /// An integer (`i`).
    Int(i64),
    /// An unsigned integer (`u`).
    UInt(u64),
    /// A boolean.
    Bool(bool),
    /// A string.
    Str(String),
}

/// Parses one line of line protocol the way InfluxDB 1.x does: a
/// separator is escaped when the byte before it is a backslash; `\,`,
/// `\=` and `\ ` unescape, other backslashes stay.
pub fn parse_line(line: &str) -> Result<ParsedPoint, String> {
    let b = line.as_bytes();
    let split_unescaped = |s: &[u8], seps: &[u8], start: usize| -> usize {
        let mut i = start;
        while i < s.len() {
            if seps.contains(&s[i]) && (i == 0 || s[i - 1] != b'\\') {
                return i;
            }
            i += 1;
        }
        s.len()
    };
    let end_key = split_unescaped(b, b" ", 0);
    let key = &line[..end_key];
    let rest = line.get(end_key + 1..).ok_or("missing fields")?;
    let kb = key.as_bytes();
    let m_end = split_unescaped(kb, b",", 0);
    let measurement = unescape(&key[..m_end], b", ");
    let mut tags = Vec::new();
    let mut i = m_end;
    while i < kb.len() {
        let next = split_unescaped(kb, b",", i + 1);
        let pair = &key[i + 1..next];
        let eq = split_unescaped(pair.as_bytes(), b"=", 0);
        if eq >= pair.len() {
            return Err(format!("tag without = in {pair:?}"));
        }
        tags.push((
            unescape(&pair[..eq], b",= "),
            unescape(&pair[eq + 1..], b",= "),
        ));
        i = next;
    }
    tags.sort();
    // Fields: split on unescaped commas outside of string quotes.
    let rb = rest.as_bytes();
    let mut fields = Vec::new();
    let mut pos = 0;
    let mut timestamp = None;
    loop {
        let eq = split_unescaped(rb, b"=", pos);
        if eq >= rb.len() {
            return Err("field without =".into());
        }
        let key = unescape(&rest[pos..eq], b",= ");
        let mut j = eq + 1;
        let value;
        if rb.get(j) == Some(&b'"') {
            let mut s = Vec::new();
            j += 1;
            loop {
                match rb.get(j) {
                    None => return Err("unterminated string".into()),
                    Some(b'\\') if matches!(rb.get(j + 1), Some(b'"') | Some(b'\\')) => {
                        s.push(rb[j + 1]);
                        j += 2;
                    }
                    Some(b'"') => {
                        j += 1;
                        break;
                    }
                    Some(&c) => {
                        s.push(c);
                        j += 1;
                    }
                }
            }
            value = ParsedValue::Str(String::from_utf8(s).map_err(|e| e.to_string())?);
        } else {
            let end = split_unescaped(rb, b", ", j);
            value = parse_number(&rest[j..end])?;
            j = end;
        }
        fields.push((key, value));
        match rb.get(j) {
            Some(b',') => pos = j + 1,
            Some(b' ') => {
                let ts = rest[j + 1..].trim_end_matches('\n');
                timestamp = Some(ts.parse::<i64>().map_err(|e| format!("{ts:?}: {e}"))?);
                break;
            }
            None | Some(b'\n') => break,
            Some(c) => return Err(format!("unexpected {:?}", *c as char)),
        }
    }
    Ok(ParsedPoint {
        measurement,
        tags,
        fields,
        timestamp,
    })
}

fn parse_number(text: &str) -> Result<ParsedValue, String> {
    if let Some(i) = text.strip_suffix('i') {
        return i.parse().map(ParsedValue::Int).map_err(|e| e.to_string());
    }
    if let Some(u) = text.strip_suffix('u') {
        return u.parse().map(ParsedValue::UInt).map_err(|e| e.to_string());
    }
    match text {
        "t" | "T" | "true" | "True" | "TRUE" => return Ok(ParsedValue::Bool(true)),
        "f" | "F" | "false" | "False" | "FALSE" => return Ok(ParsedValue::Bool(false)),
        _ => {}
    }
    text.parse::<f64>()
        .map(ParsedValue::Float)
        .map_err(|e| format!("{text:?}: {e}"))
}

fn unescape(text: &str, specials: &[u8]) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() && specials.contains(&b[i + 1]) {
            out.push(b[i + 1]);
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("unescaping keeps UTF-8")
}

/// An enum used as a tag in the tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Room {
    /// `kitchen`
    Kitchen,
    /// `attic`
    Attic,
}

impl TagValue for Room {
    fn as_tag(&self) -> Option<&str> {
        Some(match self {
            Room::Kitchen => "kitchen",
            Room::Attic => "attic",
        })
    }
}

impl FromTag for Room {
    fn from_tag(value: &str) -> Result<Self, String> {
        match value {
            "kitchen" => Ok(Room::Kitchen),
            "attic" => Ok(Room::Attic),
            other => Err(format!("unknown room {other:?}")),
        }
    }
}
