//! A seeded property test of exact round trips.
//!
//! Hostile measurement names, tag keys, tag values, field keys and field
//! values are written through [`Point`], through a derived struct and
//! through a [`Session`](inflow::Session), in batches, to a fresh
//! database; then every accepted point is read back raw (with inflow's
//! own quoting) and, for the derived struct, typed and filtered on. It
//! establishes:
//!
//! - every point the client accepts is stored exactly as given (bit for
//!   bit for floats), alone and in a batch, and no other point appears;
//! - every point it refuses is refused before sending, with
//!   `Error::InvalidPoint`, never by the server;
//! - the derived struct reads back as written, and its typed filters
//!   (`eq`, `matches`) and bound parameters find exactly the rows that
//!   hold a value.
//!
//! A batch the server refuses is written again point by point, to tell a
//! point refused alone from points refused only together. The read-back
//! lists every measurement and reads each whole (`SELECT * ... GROUP BY
//! *`, its name quoted by `quote_ident`; through an exact regex where
//! that fails), and matches rows to points by their time, which is unique
//! per case.
//!
//! Refused points that the server would have stored exactly when written
//! by hand, with the next line of the request intact ("false refusals"),
//! are reported, not failed.
//!
//! `INFLOW_HOSTILE_SEED` (decimal or `0x` hex) replays a run, and
//! `INFLOW_HOSTILE_CASES` sets the number of cases (default 2,000, about
//! ten seconds). The seed is in every failure message. Run it alone with
//! `cargo test -p inflow-tests --test it hostile_points -- --nocapture`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};
use futures_util::stream::{self, StreamExt};
use inflow::line_protocol::{self, MAX_TIMESTAMP_NS, MIN_TIMESTAMP_NS};
use inflow::query::{quote_ident, quote_regex};
use inflow::testkit::{unique_database, InfluxServer};
use inflow::{
    Client, EncodeOptions, Error, FieldData, Measurement, Point, Precision, RetryPolicy, ToLine,
};
use inflow_tests::fresh_client;
use serde_json::Value;

/// Points per write request and per session commit.
const BATCH: usize = 50;
/// Examples kept per failure category (the shortest ones).
const MAX_EXAMPLES: usize = 10;
/// Statements per raw query when reading back or filtering.
const STATEMENTS_PER_QUERY: usize = 20;
/// Queries in flight at once when filtering.
const IN_FLIGHT: usize = 3;
/// Values per column the filters are checked for (a seeded sample when
/// there are more): each filter on a field reads every row.
const MAX_FILTER_VALUES: usize = 400;
/// Typed rows at each end of the time range fetched by their time.
const EDGE_ROWS: usize = 10;
/// The time most points get, plus a per-case offset.
const BASE_NS: i64 = 1_700_000_000_000_000_000;
/// The derived struct's measurement; no generated name can be this.
const TYPED_NAME: &str = "inflow_hostile_typed";
/// The line written after each refused point written by hand.
const SENTINEL: &str = "inflow_hostile_sentinel";

#[derive(Measurement, Debug, Clone)]
#[influx(measurement = "inflow_hostile_typed")]
struct Typed {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(tag)]
    host: String,
    #[influx(tag)]
    zone: Option<String>,
    note: String,
    count: i64,
    ratio: f64,
    ok: bool,
}

// ---------------------------------------------------------------------------
// Random generation
// ---------------------------------------------------------------------------

/// xorshift64*, seeded through splitmix64 so that every seed works.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(z.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn word(&mut self, words: &[&'static str]) -> &'static str {
        words[self.below(words.len())]
    }
}

const PLAIN: &[&str] = &[
    "cpu",
    "mem",
    "disk",
    "host",
    "region",
    "value",
    "load",
    "temp",
    "level",
    "server01",
    "us-west",
    "eu",
    "ok",
    "x",
    "a1",
    "Zeta",
    "h2o_feet",
    "usage_idle",
    "1.5",
    "0",
];

const KEYWORDS: &[&str] = &[
    "time",
    "Time",
    "TIME",
    "SELECT",
    "select",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "GROUP",
    "BY",
    "ORDER",
    "LIMIT",
    "DROP",
    "DATABASE",
    "MEASUREMENT",
    "TAG",
    "KEY",
    "FIELD",
    "SHOW",
    "INTO",
    "_measurement",
    "_field",
    "_time",
    "true",
    "false",
    "null",
    "NaN",
    "inf",
    "1i",
    "-0",
    "now()",
];

const SPECIAL: &[&str] = &[
    ",", " ", "=", "\"", "'", ", ", " =", "=\"", "\",", "/", ";", "$", "*", ".", "(", ")", "[",
    "]", "{", "}", "|", "^", "?", "+", "%", "&", "<", ">", "`", "~", "@", "!", ":", "-", "#",
];

const UNICODE: &[&str] = &[
    "é",
    "ß",
    "Ω",
    "日本語",
    "中文",
    "e\u{301}",
    "a\u{308}\u{301}",
    "🦀",
    "👩\u{200d}👩\u{200d}👧",
    "🇳🇱",
    "\u{202e}abc",
    "\u{200f}",
    "שלום",
    "مرحبا",
    "\u{feff}",
    "\u{2028}",
    "\u{2029}",
    "\u{200b}",
    "\u{fffd}",
    "\u{10ffff}",
    "𝔘𝔫𝔦",
    "\u{85}",
    "\u{a0}",
    "\u{3000}",
    "ǅ",
    "ﬃ",
];

const PREFIXES: &[&str] = &[
    "#", "\t", "\0", " ", "  ", "\t\t", "\0\t", " \t", "-", "_", "0",
];

/// Snippets that trap line protocol parsers: a backslash before a
/// separator or a quote or a line end, quotes where the server's line
/// splitter counts them.
const TRAPS: &[&str] = &[
    "a\\ b", "\\\\\\ ", "x\"y", "\" ", "=\"", "\\\"", "a\\\nb", "\\\r\n", "a\\,b", "a\\=b", "\"\\",
    " \"x=", "\\\\\"",
];

/// What follows a run of backslashes.
const AFTER_BACKSLASHES: &[&str] = &[
    ",", "=", " ", "\"", "", "a", "\t", "n", "'", "\\", "\n", "\r\n", " \"",
];

/// Field types as the server knows them; an unsigned value is an integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Float,
    Int,
    Bool,
    Str,
}

struct Gen {
    rng: Rng,
    counter: i64,
    used_edges: HashSet<i64>,
    /// One type per (measurement, field key): a conflict would be the
    /// server's refusal, which no client can foresee.
    types: HashMap<(String, String), Kind>,
}

impl Gen {
    fn new(seed: u64) -> Self {
        Gen {
            rng: Rng::new(seed),
            counter: 0,
            used_edges: HashSet::new(),
            types: HashMap::new(),
        }
    }

    /// A timestamp no other case has. Most are near one time; some near
    /// each end of the storable range and around the epoch (few shard
    /// groups in all); a few just outside the range, once each.
    fn time(&mut self) -> i64 {
        self.counter += 1;
        let c = self.counter;
        let regular = BASE_NS + c * 1_000 + self.rng.below(1_000) as i64;
        match self.rng.below(100) {
            0..=62 => regular,
            63..=72 => MIN_TIMESTAMP_NS + c,
            73..=82 => MAX_TIMESTAMP_NS - c,
            83..=90 => -c,
            91..=97 => c,
            _ => {
                let edge = *self.rng.pick(&[
                    i64::MIN,
                    i64::MIN + 1,
                    MIN_TIMESTAMP_NS,
                    MAX_TIMESTAMP_NS,
                    i64::MAX,
                    0,
                ]);
                if self.used_edges.insert(edge) {
                    edge
                } else {
                    regular
                }
            }
        }
    }

    fn string(&mut self) -> String {
        match self.rng.below(1000) {
            0..=549 => self.plain(),
            550..=569 => String::new(),
            570..=574 => self.long(),
            _ => self.composite(),
        }
    }

    fn plain(&mut self) -> String {
        let word = *self.rng.pick(PLAIN);
        if self.rng.chance(35) {
            format!("{word}{}", self.rng.below(10))
        } else {
            word.to_string()
        }
    }

    fn backslashes(&mut self, out: &mut String) {
        for _ in 0..1 + self.rng.below(4) {
            out.push('\\');
        }
    }

    fn control(&mut self) -> String {
        match self.rng.below(8) {
            0 => "\r".into(),
            1 => "\n".into(),
            2 => "\t".into(),
            3 => "\0".into(),
            4 => "\r\n".into(),
            5 => "\u{7f}".into(),
            _ => char::from(1 + self.rng.below(0x1f) as u8).to_string(),
        }
    }

    fn piece(&mut self, out: &mut String) {
        match self.rng.below(100) {
            0..=26 => out.push_str(&self.plain()),
            27..=43 => out.push_str(self.rng.word(SPECIAL)),
            44..=58 => {
                self.backslashes(out);
                out.push_str(self.rng.word(AFTER_BACKSLASHES));
            }
            59..=64 => out.push_str(&self.control()),
            65..=69 => out.push_str(self.rng.word(TRAPS)),
            70..=86 => out.push_str(self.rng.word(UNICODE)),
            _ => out.push_str(self.rng.word(KEYWORDS)),
        }
    }

    fn composite(&mut self) -> String {
        let mut s = String::new();
        if self.rng.chance(15) {
            s.push_str(self.rng.word(PREFIXES));
        }
        for _ in 0..1 + self.rng.below(4) {
            self.piece(&mut s);
        }
        if self.rng.chance(12) {
            self.backslashes(&mut s);
        }
        s
    }

    /// Up to 64 KiB, and a few just beyond.
    fn long(&mut self) -> String {
        let len = match self.rng.below(10) {
            0 => 65_535,
            1 => 65_536,
            2 => 65_537,
            3 => 65_537 + self.rng.below(16),
            // A series key or field key near the server's limit.
            4 | 5 => 65_480 + self.rng.below(56),
            _ => 256 + self.rng.below(16_384),
        };
        let unit = if self.rng.chance(50) {
            self.plain()
        } else {
            self.composite()
        };
        let unit = if unit.is_empty() {
            "x".to_string()
        } else {
            unit
        };
        let mut s = String::with_capacity(len + unit.len());
        while s.len() < len {
            s.push_str(&unit);
        }
        let mut cut = len;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        while s.len() < len {
            s.push('x');
        }
        s
    }

    fn float(&mut self) -> f64 {
        const FLOATS: &[f64] = &[
            -0.0,
            0.0,
            1.0,
            -1.0,
            0.1,
            -2.5,
            5e-324,
            -5e-324,
            f64::from_bits(0x000F_FFFF_FFFF_FFFF),
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            f64::EPSILON,
            1e21,
            1e20,
            1e-7,
            9_007_199_254_740_993.0,
            123_456.789,
            1e100,
            -1e-300,
        ];
        match self.rng.below(100) {
            0..=44 => *self.rng.pick(FLOATS),
            45..=48 => *self.rng.pick(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY]),
            49..=74 => f64::from_bits(self.rng.next()),
            _ => (self.rng.below(2_000_001) as f64 - 1_000_000.0) / 1_000.0,
        }
    }

    fn int(&mut self) -> i64 {
        const INTS: &[i64] = &[
            i64::MIN,
            i64::MIN + 1,
            i64::MAX,
            i64::MAX - 1,
            0,
            -1,
            1,
            1 << 53,
            (1 << 53) + 1,
        ];
        if self.rng.chance(60) {
            *self.rng.pick(INTS)
        } else {
            self.rng.next() as i64
        }
    }

    fn uint(&mut self) -> u64 {
        const UINTS: &[u64] = &[
            0,
            1,
            i64::MAX as u64,
            i64::MAX as u64 + 1,
            u64::MAX,
            u64::MAX - 1,
        ];
        if self.rng.chance(60) {
            *self.rng.pick(UINTS)
        } else {
            self.rng.next() >> self.rng.below(64)
        }
    }

    fn value_of(&mut self, kind: Kind) -> FieldData {
        match kind {
            Kind::Float => FieldData::Float(self.float()),
            Kind::Int if self.rng.chance(25) => FieldData::UInt(self.uint()),
            Kind::Int => FieldData::Int(self.int()),
            Kind::Bool => FieldData::Bool(self.rng.chance(50)),
            Kind::Str => FieldData::Str(self.string()),
        }
    }

    fn field(&mut self, measurement: &str, key: &str) -> FieldData {
        let slot = (measurement.to_string(), key.to_string());
        let kind = match self.types.get(&slot) {
            Some(kind) => *kind,
            None => {
                let kind = match self.rng.below(100) {
                    0..=29 => Kind::Float,
                    30..=59 => Kind::Int,
                    60..=69 => Kind::Bool,
                    _ => Kind::Str,
                };
                self.types.insert(slot, kind);
                kind
            }
        };
        self.value_of(kind)
    }

    fn point_spec(&mut self) -> Spec {
        let measurement = self.string();
        let mut tags = Vec::new();
        for _ in 0..self.rng.below(4) {
            tags.push((self.string(), self.string()));
        }
        if !tags.is_empty() && self.rng.chance(3) {
            let key = tags[0].0.clone();
            tags.push((key, self.string()));
        }
        let mut fields = Vec::new();
        let count = if self.rng.chance(1) {
            0
        } else {
            1 + self.rng.below(3)
        };
        for _ in 0..count {
            let key = self.string();
            let value = self.field(&measurement, &key);
            fields.push((key, value));
        }
        if !fields.is_empty() && self.rng.chance(3) {
            let key = fields[0].0.clone();
            let value = self.field(&measurement, &key);
            fields.push((key, value));
        }
        Spec {
            measurement,
            tags,
            fields,
            time: self.time(),
        }
    }

    fn typed(&mut self) -> Typed {
        Typed {
            time: Utc.timestamp_nanos(self.time()),
            host: self.string(),
            zone: (!self.rng.chance(30)).then(|| self.string()),
            note: self.string(),
            count: self.int(),
            ratio: self.float(),
            ok: self.rng.chance(50),
        }
    }
}

// ---------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------

/// A point as the user gives it.
#[derive(Debug, Clone)]
struct Spec {
    measurement: String,
    tags: Vec<(String, String)>,
    fields: Vec<(String, FieldData)>,
    time: i64,
}

impl Spec {
    fn of_typed(t: &Typed) -> Spec {
        let mut tags = vec![("host".to_string(), t.host.clone())];
        if let Some(zone) = &t.zone {
            tags.push(("zone".to_string(), zone.clone()));
        }
        Spec {
            measurement: TYPED_NAME.to_string(),
            tags,
            fields: vec![
                ("note".into(), FieldData::Str(t.note.clone())),
                ("count".into(), FieldData::Int(t.count)),
                ("ratio".into(), FieldData::Float(t.ratio)),
                ("ok".into(), FieldData::Bool(t.ok)),
            ],
            time: t.time.timestamp_nanos_opt().expect("generated times fit"),
        }
    }

    fn point(&self) -> Point {
        let mut p = Point::new(self.measurement.as_str());
        for (k, v) in &self.tags {
            p = p.tag(k.as_str(), v.as_str());
        }
        for (k, v) in &self.fields {
            p = p.field(k.as_str(), v.clone());
        }
        p.timestamp_nanos(self.time)
    }

    /// The tags the server keeps: a tag with an empty value is left out.
    fn stored_tags(&self) -> BTreeMap<&str, &str> {
        self.tags
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// Straightforward line protocol, written by hand: what a user of no
    /// client would send (tags sorted by key, as inflow writes them).
    fn hand_line(&self) -> String {
        let mut line = escape(&self.measurement, &[',', ' ']);
        let mut tags: Vec<&(String, String)> = self.tags.iter().collect();
        tags.sort_by(|a, b| a.0.cmp(&b.0));
        for (k, v) in tags {
            if v.is_empty() {
                continue;
            }
            line.push(',');
            line.push_str(&escape(k, &[',', '=', ' ']));
            line.push('=');
            line.push_str(&escape(v, &[',', '=', ' ']));
        }
        for (i, (k, v)) in self.fields.iter().enumerate() {
            line.push(if i == 0 { ' ' } else { ',' });
            line.push_str(&escape(k, &[',', '=', ' ']));
            line.push('=');
            match v {
                FieldData::Float(f) => write!(line, "{f:?}").unwrap(),
                FieldData::Int(i) => write!(line, "{i}i").unwrap(),
                FieldData::UInt(u) if *u <= i64::MAX as u64 => write!(line, "{u}i").unwrap(),
                FieldData::UInt(u) => write!(line, "{u}u").unwrap(),
                FieldData::Bool(b) => write!(line, "{b}").unwrap(),
                FieldData::Str(s) => {
                    line.push('"');
                    line.push_str(&escape(s, &['"', '\\']));
                    line.push('"');
                }
            }
        }
        writeln!(line, " {}", self.time).unwrap();
        line
    }
}

fn escape(text: &str, specials: &[char]) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if specials.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    Point,
    Derived,
    SessionPoint,
    SessionDerived,
}

impl Path {
    fn name(self) -> &'static str {
        match self {
            Path::Point => "Point",
            Path::Derived => "derive",
            Path::SessionPoint => "Session+Point",
            Path::SessionDerived => "Session+derive",
        }
    }

    fn session(self) -> bool {
        matches!(self, Path::SessionPoint | Path::SessionDerived)
    }
}

/// What became of a case's point.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// Refused by the client, with this reason.
    Refused(String),
    /// Encoded; not sent yet.
    Encoded,
    /// The server said it stored it.
    Stored,
    /// The server refused it.
    ServerRefused,
    /// The answer could not be read: stored or not, nobody knows.
    Unknown,
}

struct Case {
    id: usize,
    path: Path,
    spec: Spec,
    typed: Option<Typed>,
    point: Point,
    /// The line inflow encodes, when it accepts the point.
    line: Option<String>,
    outcome: Outcome,
}

impl Case {
    fn item(&self) -> &dyn ToLine {
        match &self.typed {
            Some(t) => t,
            None => &self.point,
        }
    }

    fn describe(&self) -> String {
        let mut s = format!(
            "#{} {}: m={}",
            self.id,
            self.path.name(),
            show(&self.spec.measurement)
        );
        if let Some(t) = &self.typed {
            write!(
                s,
                " host={} zone={} note={} count={} ratio={:?} ok={}",
                show(&t.host),
                t.zone.as_deref().map_or("None".to_string(), show),
                show(&t.note),
                t.count,
                t.ratio,
                t.ok
            )
            .unwrap();
        } else {
            s.push_str(" tags=[");
            for (i, (k, v)) in self.spec.tags.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                write!(s, "{}={}", show(k), show(v)).unwrap();
            }
            s.push_str("] fields=[");
            for (i, (k, v)) in self.spec.fields.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                write!(s, "{}={}", show(k), show_value(v)).unwrap();
            }
            s.push(']');
        }
        write!(s, " t={}", self.spec.time).unwrap();
        if let Some(line) = &self.line {
            write!(s, "; line={}", show(line)).unwrap();
        }
        s
    }
}

/// A string as Rust writes it, shortened when long.
fn show(s: &str) -> String {
    let d = format!("{s:?}");
    let chars = d.chars().count();
    if chars <= 160 {
        return d;
    }
    let head: String = d.chars().take(100).collect();
    let tail: String = d.chars().skip(chars - 30).collect();
    format!("{head}…[{} bytes]…{tail}", s.len())
}

fn show_value(v: &FieldData) -> String {
    match v {
        FieldData::Str(s) => format!("Str({})", show(s)),
        other => format!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Findings
// ---------------------------------------------------------------------------

const ACCEPTED_BUT_REFUSED: &str = "accepted by inflow, refused by the server alone";
const REFUSED_TOGETHER: &str = "each accepted alone, refused together";
const UNREADABLE: &str = "write/commit failed with a transport or unreadable answer";
const WRONG_REFUSAL: &str = "refused without InvalidPoint, or inconsistently";
const MISSING: &str = "accepted and stored, but not found";
const DIFFERENT: &str = "stored differently from what was given";
const EXTRA: &str = "a point nobody wrote";
const READBACK_FAILED: &str = "raw read-back failed, with quote_ident and with an exact regex";
const QUOTE_IDENT: &str =
    "an accepted measurement inflow's quote_ident cannot query, without a CR or NUL (its points were read with an exact regex)";
const UNSPELLABLE: &str =
    "report only: an accepted measurement with a CR or NUL, which InfluxQL cannot write as a name (its points were read with an exact regex)";
const TYPED: &str = "typed read-back";
const TIME_RANGE: &str = "typed read-back of one row by time_range(t..=t)";
const FILTER_EQ: &str = "filter with a typed handle's eq";
const FILTER_MATCHES: &str = "filter with a typed handle's matches (exact regex)";
const FILTER_BOUND: &str = "filter with a bound parameter";
const FALSE_REFUSAL: &str =
    "report only: false refusal (refused, but stored exactly when written by hand, next line intact)";
const SCRATCH_UNREADABLE: &str =
    "report only: a refused point written by hand whose measurement inflow's quote_ident cannot query";

const NUL_IN_TAG: &str = "report only: refused for a NUL in a tag (stored alone, but GROUP BY merges series whose tags differ in where a NUL stands)";

/// Categories that are reported without failing the test.
const REPORT_ONLY: &[&str] = &[FALSE_REFUSAL, SCRATCH_UNREADABLE, UNSPELLABLE, NUL_IN_TAG];

#[derive(Default)]
struct Category {
    count: usize,
    examples: Vec<String>,
}

#[derive(Default)]
struct Findings {
    categories: BTreeMap<&'static str, Category>,
}

impl Findings {
    /// Counts a finding and keeps the shortest examples.
    fn add(&mut self, category: &'static str, example: String) {
        let c = self.categories.entry(category).or_default();
        c.count += 1;
        c.examples.push(example);
        if c.examples.len() > MAX_EXAMPLES {
            let longest = (0..c.examples.len())
                .max_by_key(|&i| c.examples[i].len())
                .unwrap();
            c.examples.remove(longest);
        }
    }

    fn failures(&self) -> usize {
        self.categories
            .iter()
            .filter(|(name, _)| !REPORT_ONLY.contains(name))
            .map(|(_, c)| c.count)
            .sum()
    }

    fn report(&self, header: &str, seed: u64) -> String {
        let mut out = format!("{header}\n");
        for (name, c) in &self.categories {
            writeln!(out, "\n[{name}] {} (seed {seed:#x})", c.count).unwrap();
            let mut examples = c.examples.clone();
            examples.sort_by_key(|e| e.len());
            for e in examples {
                writeln!(out, "  - {e}").unwrap();
            }
        }
        out
    }
}

fn is_server_refusal(e: &Error) -> bool {
    matches!(e, Error::WriteFailed { .. } | Error::PartialWrite { .. })
}

/// An error, shortened.
fn err_text(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    if text.chars().count() > 300 {
        let head: String = text.chars().take(300).collect();
        format!("{head}…")
    } else {
        text
    }
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

struct Run<'a> {
    seed: u64,
    server: &'a InfluxServer,
    client: Client,
    cases: Vec<Case>,
    findings: Findings,
    /// A database for throwaway writes (finding pairs refused together).
    junk: Option<String>,
}

impl Run<'_> {
    /// Encodes every point as inflow would, and checks that a refused one
    /// is refused by `write` too, before sending.
    async fn encode_all(&mut self, options: &EncodeOptions) {
        for i in 0..self.cases.len() {
            let mut buf = Vec::new();
            let encoded = line_protocol::encode(self.cases[i].item(), &mut buf, options);
            let case = &mut self.cases[i];
            match encoded {
                Ok(()) => {
                    case.line = Some(String::from_utf8(buf).expect("inflow writes UTF-8"));
                    case.outcome = Outcome::Encoded;
                }
                Err(Error::InvalidPoint { reason, .. }) => {
                    case.outcome = Outcome::Refused(show(&format!("{reason:?}")));
                }
                Err(other) => {
                    let example = format!("{}; encode: {}", case.describe(), err_text(&other));
                    case.outcome = Outcome::Refused(format!("{other:?}"));
                    self.findings.add(WRONG_REFUSAL, example);
                }
            }
            let case = &self.cases[i];
            if matches!(case.outcome, Outcome::Refused(_)) && !case.path.session() {
                match self.client.write(case.item()).await {
                    Err(Error::InvalidPoint { .. }) => {}
                    other => {
                        let example = format!(
                            "{}; encode refused it, write gave {:?}",
                            case.describe(),
                            other.map_err(|e| err_text(&e))
                        );
                        self.findings.add(WRONG_REFUSAL, example);
                    }
                }
            }
        }
    }

    /// Writes the accepted points of the plain and derived paths in
    /// batches, and isolates the points of a batch the server refuses.
    async fn write_batches(&mut self, path: Path) {
        let ids: Vec<usize> = self
            .cases
            .iter()
            .filter(|c| c.path == path && c.outcome == Outcome::Encoded)
            .map(|c| c.id)
            .collect();
        for chunk in ids.chunks(BATCH) {
            let result = self
                .client
                .write_all(chunk.iter().map(|&i| self.cases[i].item()))
                .await;
            match result {
                Ok(summary) => {
                    assert_eq!(summary.points, chunk.len(), "seed {:#x}", self.seed);
                    for &i in chunk {
                        self.cases[i].outcome = Outcome::Stored;
                    }
                }
                Err(e) => self.isolate(chunk, &e, "write_all").await,
            }
        }
    }

    /// Writes each point of a failed request alone, to learn which the
    /// server refuses.
    async fn isolate(&mut self, chunk: &[usize], batch_error: &Error, what: &str) {
        if !is_server_refusal(batch_error) {
            let example = format!(
                "{what} of {} points: {} (its points written alone are reported apart)",
                chunk.len(),
                err_text(batch_error),
            );
            self.findings.add(UNREADABLE, example);
        }
        let mut refused_alone = 0;
        for &i in chunk {
            let result = self.client.write(self.cases[i].item()).await;
            let case = &mut self.cases[i];
            match result {
                Ok(_) => case.outcome = Outcome::Stored,
                Err(e) if is_server_refusal(&e) => {
                    refused_alone += 1;
                    case.outcome = Outcome::ServerRefused;
                    let example = format!("{}; server: {}", case.describe(), err_text(&e));
                    self.findings.add(ACCEPTED_BUT_REFUSED, example);
                }
                Err(e) => {
                    refused_alone += 1;
                    case.outcome = Outcome::Unknown;
                    let example = format!("{}; write alone: {}", case.describe(), err_text(&e));
                    self.findings.add(UNREADABLE, example);
                }
            }
        }
        if refused_alone == 0 {
            let pair = self.refused_pair(chunk).await;
            let example = format!(
                "{what} of {} points: {}; {pair}",
                chunk.len(),
                err_text(batch_error)
            );
            self.findings.add(REFUSED_TOGETHER, example);
        }
    }

    /// Two neighbouring lines the server refuses together, written to a
    /// throwaway database.
    async fn refused_pair(&mut self, chunk: &[usize]) -> String {
        let junk = match &self.junk {
            Some(db) => db.clone(),
            None => {
                let db = unique_database("hostile_junk");
                self.server
                    .create_database(&db)
                    .await
                    .unwrap_or_else(|e| panic!("seed {:#x}: creating {db}: {e}", self.seed));
                self.junk = Some(db.clone());
                db
            }
        };
        for pair in chunk.windows(2) {
            let (a, b) = (&self.cases[pair[0]], &self.cases[pair[1]]);
            let body = format!(
                "{}{}",
                a.line.as_deref().unwrap_or(""),
                b.line.as_deref().unwrap_or("")
            );
            if let Err(e) = self.server.write_lines(&junk, &body).await {
                return format!(
                    "the pair {} + {} is refused: {}",
                    a.describe(),
                    b.describe(),
                    err_text(&e)
                );
            }
        }
        "no neighbouring pair is refused on its own".to_string()
    }

    /// Adds points to sessions (refusals must come from `add`), commits
    /// every `BATCH` points.
    async fn write_sessions(&mut self) {
        let ids: Vec<usize> = self
            .cases
            .iter()
            .filter(|c| c.path.session())
            .map(|c| c.id)
            .collect();
        for chunk in ids.chunks(BATCH) {
            let mut session = self.client.session();
            let mut added = Vec::new();
            for &i in chunk {
                let case = &self.cases[i];
                let result = session.add(case.item()).await;
                let encoded = case.outcome == Outcome::Encoded;
                match result {
                    Ok(()) if encoded => added.push(i),
                    Err(Error::InvalidPoint { .. }) if !encoded => {}
                    other => {
                        let example = format!(
                            "{}; Session::add gave {:?}",
                            case.describe(),
                            other.map_err(|e| err_text(&e))
                        );
                        self.findings.add(WRONG_REFUSAL, example);
                    }
                }
            }
            if added.is_empty() {
                continue;
            }
            match session.commit().await {
                Ok(summary) => {
                    assert_eq!(summary.points, added.len(), "seed {:#x}", self.seed);
                    for &i in &added {
                        self.cases[i].outcome = Outcome::Stored;
                    }
                }
                Err(Error::Rejected { rejected }) => {
                    let by_line: HashMap<&str, usize> = added
                        .iter()
                        .filter_map(|&i| Some((self.cases[i].line.as_deref()?.trim_end(), i)))
                        .collect();
                    let mut refused = HashSet::new();
                    let mut examples = Vec::new();
                    for r in &rejected {
                        match by_line.get(r.line.as_str()) {
                            Some(&i) => {
                                refused.insert(i);
                                examples.push(format!(
                                    "{}; commit: {}",
                                    self.cases[i].describe(),
                                    err_text(&r.message)
                                ));
                            }
                            None => examples.push(format!(
                                "commit rejected a line no case has: {}: {}",
                                show(&r.line),
                                err_text(&r.message)
                            )),
                        }
                    }
                    for e in examples {
                        self.findings.add(ACCEPTED_BUT_REFUSED, e);
                    }
                    for &i in &added {
                        self.cases[i].outcome = if refused.contains(&i) {
                            Outcome::ServerRefused
                        } else {
                            Outcome::Stored
                        };
                    }
                }
                Err(e) => {
                    session.rollback();
                    self.isolate(&added, &e, "Session::commit").await;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Reading back
// ---------------------------------------------------------------------------

/// A point as the server returns it.
#[derive(Debug, Clone)]
struct Row {
    measurement: String,
    /// Tags with a value.
    tags: BTreeMap<String, String>,
    /// Fields with a value, sorted by key.
    fields: Vec<(String, Value)>,
    time: i64,
}

impl Row {
    fn describe(&self) -> String {
        let mut s = format!("m={} tags=[", show(&self.measurement));
        for (i, (k, v)) in self.tags.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            write!(s, "{}={}", show(k), show(v)).unwrap();
        }
        s.push_str("] fields=[");
        for (i, (k, v)) in self.fields.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            write!(s, "{}={}", show(k), show_json(v)).unwrap();
        }
        write!(s, "] t={}", self.time).unwrap();
        s
    }
}

fn show_json(v: &Value) -> String {
    match v {
        Value::String(s) => show(s),
        other => other.to_string(),
    }
}

/// Everything in a database, read with raw queries.
#[derive(Default)]
struct Dump {
    rows: Vec<Row>,
    /// Field types per measurement and key (`float`, `integer`, ...).
    types: HashMap<(String, String), BTreeSet<String>>,
    /// Nothing could be listed (`SHOW MEASUREMENTS` failed).
    incomplete: bool,
    /// Measurements that could not be read.
    unreadable: HashSet<String>,
}

/// The statements that read one measurement whole.
fn dump_statements(measurement: &str) -> String {
    let q = quote_ident(measurement);
    format!("SHOW FIELD KEYS FROM {q}; SELECT * FROM {q} GROUP BY *")
}

impl Dump {
    fn take(&mut self, measurement: &str, results: &inflow::QueryResults) {
        for statement in &results.statements {
            for series in &statement.series {
                if let (Some(k), Some(t)) = (series.column("fieldKey"), series.column("fieldType"))
                {
                    for row in &series.values {
                        if let (Some(key), Some(kind)) = (
                            row.get(k).and_then(Value::as_str),
                            row.get(t).and_then(Value::as_str),
                        ) {
                            self.types
                                .entry((measurement.to_string(), key.to_string()))
                                .or_default()
                                .insert(kind.to_string());
                        }
                    }
                    continue;
                }
                let Some(time) = series.column("time") else {
                    continue;
                };
                let name = series.name.clone().unwrap_or_default();
                let tags: BTreeMap<String, String> = series
                    .tags
                    .iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                for values in &series.values {
                    let mut fields: Vec<(String, Value)> = series
                        .columns
                        .iter()
                        .zip(values)
                        .enumerate()
                        .filter(|(i, (_, v))| *i != time && !v.is_null())
                        .map(|(_, (c, v))| (c.clone(), v.clone()))
                        .collect();
                    fields.sort_by(|a, b| a.0.cmp(&b.0));
                    self.rows.push(Row {
                        measurement: name.clone(),
                        tags: tags.clone(),
                        fields,
                        time: values[time].as_i64().unwrap_or(i64::MIN),
                    });
                }
            }
        }
    }
}

/// Reads a whole database: `SHOW MEASUREMENTS`, then each measurement's
/// field types and points, several measurements per query.
async fn dump(client: &Client, findings: &mut Findings, what: &str) -> Dump {
    let mut out = Dump::default();
    let names = match client.show_measurements().await {
        Ok(names) => names,
        Err(e) => {
            findings.add(
                READBACK_FAILED,
                format!("{what}: SHOW MEASUREMENTS: {}", err_text(&e)),
            );
            out.incomplete = true;
            return out;
        }
    };
    for group in names.chunks(STATEMENTS_PER_QUERY / 2) {
        let text: Vec<String> = group.iter().map(|m| dump_statements(m)).collect();
        let together = client
            .query(text.join("; "))
            .epoch(Precision::Nanoseconds)
            .await;
        if let (Ok(results), [name]) = (&together, group) {
            out.take(name, results);
            continue;
        }
        if let Ok(results) = &together {
            // Split the statements back up by measurement.
            for (j, name) in group.iter().enumerate() {
                let part = inflow::QueryResults {
                    statements: results
                        .statements
                        .iter()
                        .skip(2 * j)
                        .take(2)
                        .cloned()
                        .collect(),
                };
                out.take(name, &part);
            }
            continue;
        }
        for name in group {
            let quoted = client
                .query(dump_statements(name))
                .epoch(Precision::Nanoseconds)
                .await;
            let e = match quoted {
                Ok(results) => {
                    out.take(name, &results);
                    continue;
                }
                Err(e) => e,
            };
            // The name as an exact regex instead, to read its points all
            // the same.
            let re = quote_regex(&exact_name_regex(name));
            let by_regex = client
                .query(format!(
                    "SHOW FIELD KEYS FROM {re}; SELECT * FROM {re} GROUP BY *"
                ))
                .epoch(Precision::Nanoseconds)
                .await;
            let example = format!(
                "{what}: measurement {}: {} (query {})",
                show(name),
                err_text(&e),
                show(&dump_statements(name))
            );
            match by_regex {
                Ok(results) => {
                    out.take(name, &results);
                    // InfluxQL has no way to write these two in a name:
                    // such names are documented to be read by regex.
                    let category = if name.contains(['\r', '\0']) {
                        UNSPELLABLE
                    } else {
                        QUOTE_IDENT
                    };
                    findings.add(category, example);
                }
                Err(e) => {
                    out.unreadable.insert(name.clone());
                    findings.add(
                        READBACK_FAILED,
                        format!("{example}; by regex {re}: {}", err_text(&e)),
                    );
                }
            }
        }
    }
    out
}

/// Whether a stored value is exactly the given one.
fn same_value(given: &FieldData, stored: &Value, types: Option<&BTreeSet<String>>) -> bool {
    let typed = |kind: &str| types.is_none_or(|t| t.contains(kind));
    match given {
        FieldData::Float(f) => {
            typed("float") && stored.as_f64().is_some_and(|s| s.to_bits() == f.to_bits())
        }
        FieldData::Int(i) => typed("integer") && stored.as_i64() == Some(*i),
        FieldData::UInt(u) => {
            typed("integer") && i64::try_from(*u).is_ok_and(|u| stored.as_i64() == Some(u))
        }
        FieldData::Bool(b) => typed("boolean") && stored.as_bool() == Some(*b),
        FieldData::Str(s) => typed("string") && stored.as_str() == Some(s.as_str()),
    }
}

/// How a stored row differs from the point given, if it does.
fn difference(spec: &Spec, row: &Row, dump: &Dump) -> Option<String> {
    if row.measurement != spec.measurement {
        return Some(format!("measurement stored as {}", show(&row.measurement)));
    }
    let want_tags = spec.stored_tags();
    let got_tags: BTreeMap<&str, &str> = row
        .tags
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if want_tags != got_tags {
        return Some(format!("tags stored as {}", row.describe()));
    }
    let mut want: Vec<&(String, FieldData)> = spec.fields.iter().collect();
    want.sort_by(|a, b| a.0.cmp(&b.0));
    let want_keys: Vec<&str> = want.iter().map(|(k, _)| k.as_str()).collect();
    let got_keys: Vec<&str> = row.fields.iter().map(|(k, _)| k.as_str()).collect();
    if want_keys != got_keys {
        return Some(format!("fields stored as {}", row.describe()));
    }
    for ((key, given), (_, stored)) in want.iter().zip(&row.fields) {
        let types = dump.types.get(&(row.measurement.clone(), key.clone()));
        if !same_value(given, stored, types) {
            return Some(format!(
                "field {} stored as {} ({:?})",
                show(key),
                show_json(stored),
                types
            ));
        }
    }
    None
}

/// Compares a dump with the cases that should (or should not) be in it.
/// `expected(case)`: `Some(true)` must be there, `Some(false)` may be
/// there, `None` must not be. Returns the rows of the cases stored
/// exactly.
fn compare(
    cases: &[Case],
    dump: &Dump,
    findings: &mut Findings,
    what: &str,
    expected: impl Fn(&Case) -> Option<bool>,
) -> HashSet<usize> {
    let mut by_time: HashMap<i64, Vec<&Row>> = HashMap::new();
    for row in &dump.rows {
        by_time.entry(row.time).or_default().push(row);
    }
    let mut exact = HashSet::new();
    let mut claimed: HashSet<i64> = HashSet::new();
    for case in cases {
        let rows = by_time.get(&case.spec.time).map_or(&[][..], Vec::as_slice);
        claimed.insert(case.spec.time);
        let matching = rows
            .iter()
            .position(|r| difference(&case.spec, r, dump).is_none());
        match (expected(case), matching) {
            (Some(_), Some(m)) => {
                exact.insert(case.id);
                for (j, row) in rows.iter().enumerate() {
                    if j != m {
                        findings.add(
                            EXTRA,
                            format!("{what}: {} beside {}", row.describe(), case.describe()),
                        );
                    }
                }
            }
            (Some(_), None) if !rows.is_empty() => {
                let why = difference(&case.spec, rows[0], dump).unwrap_or_default();
                findings.add(DIFFERENT, format!("{what}: {}; {why}", case.describe()));
                for row in &rows[1..] {
                    findings.add(
                        EXTRA,
                        format!("{what}: {} beside {}", row.describe(), case.describe()),
                    );
                }
            }
            (Some(true), None) => {
                if !dump.incomplete && !dump.unreadable.contains(&case.spec.measurement) {
                    findings.add(MISSING, format!("{what}: {}", case.describe()));
                }
            }
            (Some(false), None) => {}
            (None, _) => {
                for row in rows {
                    findings.add(
                        EXTRA,
                        format!(
                            "{what}: {} at the time of a point not stored ({:?}): {}",
                            row.describe(),
                            case.outcome,
                            case.describe()
                        ),
                    );
                }
            }
        }
    }
    for row in &dump.rows {
        if !claimed.contains(&row.time) {
            findings.add(
                EXTRA,
                format!("{what}: {} at no case's time", row.describe()),
            );
        }
    }
    exact
}

// ---------------------------------------------------------------------------
// Typed reads and filters
// ---------------------------------------------------------------------------

/// What a derived row reads back as: an empty `String` tag as `""`, an
/// `Option<String>` tag that was `Some("")` as `None` (both are left out
/// of the line).
fn typed_expected(t: &Typed) -> Typed {
    Typed {
        zone: t.zone.clone().filter(|z| !z.is_empty()),
        ..t.clone()
    }
}

fn typed_difference(want: &Typed, got: &Typed) -> Option<String> {
    let same = want.time == got.time
        && want.host == got.host
        && want.zone == got.zone
        && want.note == got.note
        && want.count == got.count
        && want.ratio.to_bits() == got.ratio.to_bits()
        && want.ok == got.ok;
    (!same).then(|| {
        format!(
            "read back host={} zone={:?} note={} count={} ratio={:?} ok={} time={:?}",
            show(&got.host),
            got.zone.as_deref().map(show),
            show(&got.note),
            got.count,
            got.ratio,
            got.ok,
            got.time.timestamp_nanos_opt()
        )
    })
}

async fn typed_readback(client: &Client, cases: &[&Case], findings: &mut Findings) {
    // The rows nearest each end of the storable range, fetched by their
    // time alone.
    let mut by_time: Vec<&Case> = cases.to_vec();
    by_time.sort_by_key(|c| c.spec.time);
    let first = by_time.len().min(EDGE_ROWS);
    let last = by_time.len().saturating_sub(EDGE_ROWS).max(first);
    for case in by_time[..first].iter().chain(&by_time[last..]) {
        let want = typed_expected(case.typed.as_ref().unwrap());
        let got = client
            .select::<Typed>()
            .time_range(want.time..=want.time)
            .fetch()
            .await;
        let why = match got {
            Ok(rows) if rows.len() == 1 => typed_difference(&want, &rows[0]),
            Ok(rows) => Some(format!("{} rows", rows.len())),
            Err(e) => Some(err_text(&e)),
        };
        if let Some(why) = why {
            findings.add(
                TIME_RANGE,
                format!("{}; time_range(t..=t): {why}", case.describe()),
            );
        }
    }
    match client.select::<Typed>().fetch().await {
        Ok(rows) => {
            let by_time: HashMap<DateTime<Utc>, &Typed> =
                rows.iter().map(|t| (t.time, t)).collect();
            for case in cases {
                let want = typed_expected(case.typed.as_ref().unwrap());
                match by_time.get(&want.time) {
                    Some(got) => {
                        if let Some(why) = typed_difference(&want, got) {
                            findings.add(TYPED, format!("{}; {why}", case.describe()));
                        }
                    }
                    None => findings.add(
                        TYPED,
                        format!("{}; not in select::<Typed>().fetch()", case.describe()),
                    ),
                }
            }
        }
        Err(e) => {
            findings.add(
                TYPED,
                format!("select::<Typed>().fetch() of all rows: {}", err_text(&e)),
            );
            // By time ranges, then row by row where a range fails, to see
            // which rows do not read back.
            let mut sorted: Vec<&Case> = cases.to_vec();
            sorted.sort_by_key(|c| c.spec.time);
            for chunk in sorted.chunks(64) {
                let (first, last) = (chunk[0].spec.time, chunk[chunk.len() - 1].spec.time);
                let range = Utc.timestamp_nanos(first)..=Utc.timestamp_nanos(last);
                if let Ok(rows) = client.select::<Typed>().time_range(range).fetch().await {
                    let by_time: HashMap<DateTime<Utc>, &Typed> =
                        rows.iter().map(|t| (t.time, t)).collect();
                    for case in chunk {
                        let want = typed_expected(case.typed.as_ref().unwrap());
                        let why = match by_time.get(&want.time) {
                            Some(got) => typed_difference(&want, got),
                            None => Some("not in the fetch of its time range".to_string()),
                        };
                        if let Some(why) = why {
                            findings.add(TYPED, format!("{}; {why}", case.describe()));
                        }
                    }
                    continue;
                }
                for case in chunk {
                    let want = typed_expected(case.typed.as_ref().unwrap());
                    let got = client
                        .select::<Typed>()
                        .time_range(want.time..=want.time)
                        .fetch()
                        .await;
                    let why = match got {
                        Ok(rows) if rows.len() == 1 => typed_difference(&want, &rows[0]),
                        Ok(rows) => Some(format!("{} rows", rows.len())),
                        Err(e) => Some(format!("fetch of its row: {}", err_text(&e))),
                    };
                    if let Some(why) = why {
                        findings.add(TYPED, format!("{}; {why}", case.describe()));
                    }
                }
            }
        }
    }
}

/// One filter to run: its text, bound parameters, and the times of the
/// rows it must return.
struct Filter {
    category: &'static str,
    label: String,
    text: String,
    param: Option<(String, String)>,
    want: BTreeSet<i64>,
}

/// Go's `regexp.QuoteMeta`, anchored: a regex that matches exactly `value`.
fn exact_regex(value: &str) -> String {
    let mut re = String::from("^");
    for c in value.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            re.push('\\');
        }
        re.push(c);
    }
    re.push('$');
    re
}

/// An exact regex with control characters written as `\x{..}`: for a name
/// that InfluxQL cannot write quoted.
fn exact_name_regex(value: &str) -> String {
    let mut re = String::new();
    for c in exact_regex(value).chars() {
        if c.is_ascii_control() {
            write!(re, "\\x{{{:02x}}}", c as u32).unwrap();
        } else {
            re.push(c);
        }
    }
    re
}

/// The filters of the derived struct's tags and string field: for each
/// value of an exactly stored row, `eq`, `matches` and a bound parameter,
/// each of which must return exactly the stored rows with that value.
fn filters(client: &Client, exact_rows: &[&Row], all_rows: &[&Row], rng: &mut Rng) -> Vec<Filter> {
    let base = client
        .select::<Typed>()
        .into_query()
        .map(|q| q.to_influxql().to_string())
        .expect("the plain select builds");
    let stored = |row: &Row, column: &str| -> String {
        match column {
            "note" => row
                .fields
                .iter()
                .find(|(k, _)| k == "note")
                .and_then(|(_, v)| v.as_str())
                .unwrap_or_default()
                .to_string(),
            tag => row.tags.get(tag).cloned().unwrap_or_default(),
        }
    };
    let mut out = Vec::new();
    let mut n = 0;
    for column in ["host", "zone", "note"] {
        let mut holding: HashMap<String, BTreeSet<i64>> = HashMap::new();
        for row in all_rows {
            holding
                .entry(stored(row, column))
                .or_default()
                .insert(row.time);
        }
        let values: BTreeSet<String> = exact_rows.iter().map(|r| stored(r, column)).collect();
        let mut values: Vec<String> = values.into_iter().collect();
        while values.len() > MAX_FILTER_VALUES {
            let drop = rng.below(values.len());
            values.swap_remove(drop);
        }
        for value in values {
            let want = holding.get(&value).cloned().unwrap_or_default();
            let (eq, matches) = match column {
                "host" => (
                    Typed::host().eq(value.as_str()),
                    Typed::host().matches(exact_regex(&value)),
                ),
                "zone" => (
                    Typed::zone().eq(value.as_str()),
                    Typed::zone().matches(exact_regex(&value)),
                ),
                _ => (
                    Typed::note().eq(value.clone()),
                    Typed::note().matches(exact_regex(&value)),
                ),
            };
            for (category, op, condition) in
                [(FILTER_EQ, "eq", eq), (FILTER_MATCHES, "matches", matches)]
            {
                let text = client
                    .select::<Typed>()
                    .filter(condition)
                    .into_query()
                    .map(|q| q.to_influxql().to_string())
                    .unwrap_or_else(|e| format!("(not built: {})", err_text(&e)));
                out.push(Filter {
                    category,
                    label: format!("Typed::{column}().{op}({})", show(&value)),
                    text,
                    param: None,
                    want: want.clone(),
                });
            }
            let name = format!("p{n}");
            n += 1;
            out.push(Filter {
                category: FILTER_BOUND,
                label: format!(
                    "{} = ${name} bound to {}",
                    quote_ident(column),
                    show(&value)
                ),
                text: format!("{base} WHERE {} = ${name}", quote_ident(column)),
                param: Some((name, value.clone())),
                want,
            });
        }
    }
    out
}

fn times(results: &inflow::StatementResult) -> BTreeSet<i64> {
    results
        .series
        .iter()
        .flat_map(|s| {
            let time = s.column("time").unwrap_or(0);
            s.values.iter().filter_map(move |r| r[time].as_i64())
        })
        .collect()
}

async fn run_filters(client: &Client, filters: &[Filter], findings: &mut Findings) {
    let check = |f: &Filter, got: &BTreeSet<i64>, findings: &mut Findings| {
        if *got != f.want {
            findings.add(
                f.category,
                format!(
                    "{}: {} rows, expected {} (query {})",
                    f.label,
                    got.len(),
                    f.want.len(),
                    show(&f.text)
                ),
            );
        }
    };
    // Several statements per query, a few queries in flight: a filter on
    // a field reads every series of the measurement.
    let answers: Vec<_> = stream::iter(filters.chunks(STATEMENTS_PER_QUERY))
        .map(|group| async move {
            let text: Vec<&str> = group.iter().map(|f| f.text.as_str()).collect();
            let mut query = client.query(text.join("; ")).epoch(Precision::Nanoseconds);
            for f in group {
                if let Some((name, value)) = &f.param {
                    query = query.bind(name, value.as_str());
                }
            }
            (group, query.await)
        })
        .buffered(IN_FLIGHT)
        .collect()
        .await;
    for (group, answer) in answers {
        if let Ok(results) = answer {
            if results.statements.len() == group.len() {
                for (f, statement) in group.iter().zip(&results.statements) {
                    check(f, &times(statement), findings);
                }
                continue;
            }
        }
        for f in group {
            let mut query = client.query(f.text.as_str()).epoch(Precision::Nanoseconds);
            if let Some((name, value)) = &f.param {
                query = query.bind(name, value.as_str());
            }
            match query.await {
                Ok(results) => {
                    let got = results.statements.first().map(times).unwrap_or_default();
                    check(f, &got, findings);
                }
                Err(e) => findings.add(
                    f.category,
                    format!("{}: {} (query {})", f.label, err_text(&e), show(&f.text)),
                ),
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------

fn seed() -> u64 {
    match std::env::var("INFLOW_HOSTILE_SEED") {
        Ok(text) => {
            let text = text.trim();
            let parsed = match text.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse(),
            };
            parsed.unwrap_or_else(|e| panic!("INFLOW_HOSTILE_SEED={text:?}: {e}"))
        }
        Err(_) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            now.as_nanos() as u64 ^ u64::from(std::process::id()).rotate_left(32)
        }
    }
}

fn case_count() -> usize {
    std::env::var("INFLOW_HOSTILE_CASES")
        .ok()
        .map(|n| n.trim().parse().expect("INFLOW_HOSTILE_CASES is a number"))
        .unwrap_or(2_000)
}

fn generate(seed: u64, n: usize) -> Vec<Case> {
    let mut gen = Gen::new(seed);
    (0..n)
        .map(|id| {
            let path = match gen.rng.below(100) {
                0..=39 => Path::Point,
                40..=69 => Path::Derived,
                70..=84 => Path::SessionPoint,
                _ => Path::SessionDerived,
            };
            let (spec, typed) = match path {
                Path::Point | Path::SessionPoint => (gen.point_spec(), None),
                Path::Derived | Path::SessionDerived => {
                    let t = gen.typed();
                    (Spec::of_typed(&t), Some(t))
                }
            };
            Case {
                id,
                path,
                point: spec.point(),
                spec,
                typed,
                line: None,
                outcome: Outcome::Encoded,
            }
        })
        .collect()
}

/// A client without retries: an answer that cannot be read is reported
/// at once, not retried for a minute.
fn client_for(server: &InfluxServer, db: &str) -> Client {
    Client::builder(&format!("{}/{db}", server.url()))
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client")
}

#[tokio::test]
async fn hostile_points_round_trip_exactly() {
    let started = Instant::now();
    let seed = seed();
    let n = case_count();
    let cases = generate(seed, n);
    let server = InfluxServer::shared().await;
    let (_, db) = fresh_client("hostile").await;
    let client = client_for(server, &db);
    let options = client.encode_options();
    let mut run = Run {
        seed,
        server,
        client,
        cases,
        findings: Findings::default(),
        junk: None,
    };

    run.encode_all(&options).await;
    run.write_batches(Path::Point).await;
    run.write_batches(Path::Derived).await;
    run.write_sessions().await;
    let mut phases = vec![("write", started.elapsed())];
    let mark = |name: &'static str, phases: &mut Vec<(&'static str, std::time::Duration)>| {
        let before: std::time::Duration = phases.iter().map(|(_, d)| *d).sum();
        phases.push((name, started.elapsed() - before));
    };

    // Raw read-back of everything.
    let dump_main = dump(&run.client, &mut run.findings, "read-back").await;
    let exact = compare(
        &run.cases,
        &dump_main,
        &mut run.findings,
        "read-back",
        |c| match c.outcome {
            Outcome::Stored => Some(true),
            Outcome::Unknown => Some(false),
            _ => None,
        },
    );

    // Typed read-back and filters of the derived rows stored exactly.
    let typed_cases: Vec<&Case> = run
        .cases
        .iter()
        .filter(|c| c.typed.is_some() && exact.contains(&c.id))
        .collect();
    mark("raw read-back", &mut phases);
    typed_readback(&run.client, &typed_cases, &mut run.findings).await;
    mark("typed read-back", &mut phases);
    let typed_rows: Vec<&Row> = dump_main
        .rows
        .iter()
        .filter(|r| r.measurement == TYPED_NAME)
        .collect();
    let exact_times: HashSet<i64> = typed_cases.iter().map(|c| c.spec.time).collect();
    let exact_rows: Vec<&Row> = typed_rows
        .iter()
        .copied()
        .filter(|r| exact_times.contains(&r.time))
        .collect();
    let filters = filters(
        &run.client,
        &exact_rows,
        &typed_rows,
        &mut Rng::new(seed ^ 0xF1),
    );
    run_filters(&run.client, &filters, &mut run.findings).await;
    mark("filters", &mut phases);

    // False refusals: refused points written by hand to a scratch
    // database, each followed by a sentinel line that must survive it (a
    // point that swallows the next line of a batch is rightly refused).
    let scratch = unique_database("hostile_scratch");
    server
        .create_database(&scratch)
        .await
        .unwrap_or_else(|e| panic!("seed {seed:#x}: creating {scratch}: {e}"));
    let mut candidates = HashSet::new();
    for case in &run.cases {
        let Outcome::Refused(reason) = &case.outcome else {
            continue;
        };
        let expressible = case.spec.fields.iter().all(|(_, v)| match v {
            FieldData::Float(f) => f.is_finite(),
            _ => true,
        });
        if !expressible || case.spec.fields.is_empty() || reason.starts_with("Refused") {
            continue;
        }
        candidates.insert(case.id);
        let body = format!(
            "{}{SENTINEL},case={} ok=true {}\n",
            case.spec.hand_line(),
            case.id,
            case.spec.time
        );
        let _ = server.write_lines(&scratch, &body).await;
    }
    let scratch_client = client_for(server, &scratch);
    let mut scratch_findings = Findings::default();
    let dump_scratch = dump(&scratch_client, &mut scratch_findings, "scratch").await;
    for category in scratch_findings.categories.into_values() {
        for example in category.examples {
            run.findings.add(SCRATCH_UNREADABLE, example);
        }
    }
    let stored_by_hand = compare(
        &run.cases,
        &dump_scratch,
        &mut Findings::default(),
        "scratch",
        |c| candidates.contains(&c.id).then_some(false),
    );
    let sentinels: HashSet<(String, i64)> = dump_scratch
        .rows
        .iter()
        .filter(|r| r.measurement == SENTINEL)
        .filter_map(|r| Some((r.tags.get("case")?.clone(), r.time)))
        .collect();
    for case in &run.cases {
        let survived = sentinels.contains(&(case.id.to_string(), case.spec.time));
        if let (true, true, Outcome::Refused(reason)) =
            (stored_by_hand.contains(&case.id), survived, &case.outcome)
        {
            // A NUL in a tag is stored alone, but the server's grouping
            // merges series whose tags differ only in where it stands: a
            // deliberate refusal, counted apart.
            let category = if reason.contains("NulInTag") {
                NUL_IN_TAG
            } else {
                FALSE_REFUSAL
            };
            run.findings.add(
                category,
                format!(
                    "{}; refused as {reason}; by hand {}",
                    case.describe(),
                    show(&case.spec.hand_line())
                ),
            );
        }
    }
    let _ = server.drop_database(&scratch).await;
    if let Some(junk) = &run.junk {
        let _ = server.drop_database(junk).await;
    }

    mark("false refusals", &mut phases);
    let count = |f: &dyn Fn(&Case) -> bool| run.cases.iter().filter(|c| f(c)).count();
    let header = format!(
        "hostile round trips, seed {seed:#x} (INFLOW_HOSTILE_SEED={seed:#x} INFLOW_HOSTILE_CASES={n}): \
         {n} cases, {} refused by inflow, {} stored by the server, {} stored exactly, {} rows read back \
         ({} typed rows checked, {} filters) in {:.1?} ({})",
        count(&|c| matches!(c.outcome, Outcome::Refused(_))),
        count(&|c| c.outcome == Outcome::Stored),
        exact.len(),
        dump_main.rows.len(),
        typed_cases.len(),
        filters.len(),
        started.elapsed(),
        phases
            .iter()
            .map(|(name, d)| format!("{name} {d:.1?}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let mut header = header;
    for path in [
        Path::Point,
        Path::Derived,
        Path::SessionPoint,
        Path::SessionDerived,
    ] {
        let of = |c: &Case| c.path == path;
        write!(
            header,
            "\n  {}: {} cases, {} refused, {} stored exactly",
            path.name(),
            count(&of),
            count(&|c| of(c) && matches!(c.outcome, Outcome::Refused(_))),
            run.cases
                .iter()
                .filter(|c| of(c) && exact.contains(&c.id))
                .count(),
        )
        .unwrap();
    }
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for case in &run.cases {
        if let Outcome::Refused(reason) = &case.outcome {
            let variant = reason
                .trim_start_matches('"')
                .split([' ', '(', '{', '"'])
                .next()
                .unwrap_or_default();
            *reasons.entry(variant.to_string()).or_default() += 1;
        }
    }
    write!(header, "\n  refusals by reason: {reasons:?}").unwrap();
    let report = run.findings.report(&header, seed);
    eprintln!("{report}");
    let failures = run.findings.failures();
    assert!(
        failures == 0,
        "{failures} failure(s), seed {seed:#x}\n{report}"
    );
}
