//! Conditions of a `WHERE` clause, built from typed column handles.
//!
//! A [`Condition<M>`] names columns of measurement `M` only: it is made by
//! the comparison methods of [`Tag`](super::Tag), [`Field`](super::Field)
//! and [`Time`](super::Time), and combined with [`and`](Condition::and),
//! [`or`](Condition::or), [`not`](Condition::not) (or `&`, `|`, `!`).
//! Every value is written into the query as a quoted, escaped literal.

use std::fmt::{self, Write as _};
use std::marker::PhantomData;
use std::ops::{BitAnd, BitOr, Not};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};

use super::quote::{duration_literal, push_quoted, quote_regex};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Match,
    NotMatch,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Match => "=~",
            Op::NotMatch => "!~",
        }
    }

    /// The operator that holds exactly when `self` does not.
    fn negate(self) -> Op {
        match self {
            Op::Eq => Op::Ne,
            Op::Ne => Op::Eq,
            Op::Gt => Op::Le,
            Op::Ge => Op::Lt,
            Op::Lt => Op::Ge,
            Op::Le => Op::Gt,
            Op::Match => Op::NotMatch,
            Op::NotMatch => Op::Match,
        }
    }
}

/// A value compared with a column, written into the query as a quoted and
/// escaped InfluxQL literal.
///
/// Field handles accept the value types that convert into it: numbers,
/// booleans, strings and `DateTime<Utc>`. It has no other use.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal(pub(crate) Lit);

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Str(String),
    Regex(String),
    Float(f64),
    Int(i64),
    UInt(u64),
    Bool(bool),
    Time(DateTime<Utc>),
    /// A value that does not fit the column's type: why.
    Invalid(String),
    /// `now() - offset`, or `now() + offset` when `ahead`.
    Now {
        ahead: bool,
        offset: Duration,
    },
}

macro_rules! literal_from {
    ($($ty:ty => $variant:ident as $as:ty),* $(,)?) => {$(
        impl From<$ty> for Literal {
            fn from(value: $ty) -> Self {
                Literal(Lit::$variant(value as $as))
            }
        }
    )*};
}
literal_from!(
    f64 => Float as f64, f32 => Float as f64,
    i64 => Int as i64, i32 => Int as i64, i16 => Int as i64, i8 => Int as i64,
    isize => Int as i64,
    u32 => Int as i64, u16 => Int as i64, u8 => Int as i64,
);

impl From<u64> for Literal {
    fn from(value: u64) -> Self {
        Literal(match i64::try_from(value) {
            Ok(i) => Lit::Int(i),
            Err(_) => Lit::UInt(value),
        })
    }
}

impl From<usize> for Literal {
    fn from(value: usize) -> Self {
        Literal::from(value as u64)
    }
}

impl From<bool> for Literal {
    fn from(value: bool) -> Self {
        Literal(Lit::Bool(value))
    }
}

impl From<String> for Literal {
    fn from(value: String) -> Self {
        Literal(Lit::Str(value))
    }
}

impl From<DateTime<Utc>> for Literal {
    fn from(value: DateTime<Utc>) -> Self {
        Literal(Lit::Time(value))
    }
}

impl Literal {
    /// Why this literal cannot be written into a query, if it cannot.
    fn problem(&self) -> Option<String> {
        match &self.0 {
            Lit::Invalid(why) => Some(why.clone()),
            Lit::Float(f) if !f.is_finite() => Some(format!(
                "{f} cannot be written in InfluxQL: compare with finite numbers only"
            )),
            Lit::Time(t) if t.timestamp_nanos_opt().is_none() => Some(format!(
                "{t} is outside the times InfluxDB can store (years 1677 to 2262)"
            )),
            _ => None,
        }
    }

    fn write(&self, out: &mut String) {
        match &self.0 {
            Lit::Str(s) => push_quoted(out, s, '\''),
            Lit::Regex(r) => push_regex(out, r),
            Lit::Float(f) => push_float(out, *f),
            Lit::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
            Lit::UInt(u) => out.push_str(itoa::Buffer::new().format(*u)),
            Lit::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            // Refused before sending (see `problem`); shown for display only.
            Lit::Invalid(why) => out.push_str(&format!("<{why}>")),
            // InfluxDB 1.6 refuses the earliest time it stores as a string
            // ("underflows time literal") and takes it as nanoseconds.
            Lit::Time(t)
                if t.timestamp_nanos_opt() == Some(crate::line_protocol::MIN_TIMESTAMP_NS) =>
            {
                out.push_str(itoa::Buffer::new().format(crate::line_protocol::MIN_TIMESTAMP_NS))
            }
            Lit::Time(t) => push_quoted(out, &t.to_rfc3339_opts(SecondsFormat::Nanos, true), '\''),
            Lit::Now { ahead, offset } => {
                out.push_str(if *ahead { "now() + " } else { "now() - " });
                out.push_str(&duration_literal(*offset));
            }
        }
    }
}

/// Whether a string literal holds what InfluxQL cannot write in one.
fn needs_regex(s: &str) -> bool {
    s.bytes().any(|b| b == b'\r' || b == 0)
}

/// A regular expression that matches exactly `text`: anchored, with every
/// character that means something to the regex escaped.
fn push_exact_regex(out: &mut String, text: &str) {
    out.push_str("/^");
    for c in text.chars() {
        match c {
            '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '/' => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\x00"),
            c => out.push(c),
        }
    }
    out.push_str("$/");
}

/// A regex literal; see [`quote_regex`] for a pattern ending in a backslash.
fn push_regex(out: &mut String, pattern: &str) {
    out.push_str(&quote_regex(pattern));
}

/// Writes a finite float as a plain decimal with a point: InfluxQL has no
/// exponent notation (`1e20` does not parse as a number). A non-finite one
/// is written as `<NaN>`, `<inf>` or `<-inf>`, which no InfluxQL parser
/// accepts; the builder refuses to send such a query anyway.
pub(crate) fn push_float(out: &mut String, value: f64) {
    if !value.is_finite() {
        let _ = write!(out, "<{value}>");
        return;
    }
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(value);
    let Some(e) = text.find('e') else {
        out.push_str(text);
        return;
    };
    let exponent: i64 = text[e + 1..].parse().expect("ryu writes a valid exponent");
    let mantissa = &text[..e];
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: String = int.chars().chain(frac.chars()).collect();
    let point = int.len() as i64 + exponent;
    if negative {
        out.push('-');
    }
    if point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(&digits);
    } else if point as usize >= digits.len() {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', point as usize - digits.len()));
        out.push_str(".0");
    } else {
        out.push_str(&digits[..point as usize]);
        out.push('.');
        out.push_str(&digits[point as usize..]);
    }
}

/// Which column a comparison is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subject {
    /// The `time` column.
    Time,
    /// A tag or a field, by its InfluxDB name.
    Column(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Compare {
        subject: Subject,
        op: Op,
        value: Literal,
    },
    And(Vec<Node>),
    Or(Vec<Node>),
}

impl Node {
    fn negate(self) -> Node {
        match self {
            Node::Compare { subject, op, value } => Node::Compare {
                subject,
                op: op.negate(),
                value,
            },
            Node::And(nodes) => Node::Or(nodes.into_iter().map(Node::negate).collect()),
            Node::Or(nodes) => Node::And(nodes.into_iter().map(Node::negate).collect()),
        }
    }

    pub(crate) fn and(self, other: Node) -> Node {
        let mut nodes = match self {
            Node::And(nodes) => nodes,
            node => vec![node],
        };
        match other {
            Node::And(more) => nodes.extend(more),
            node => nodes.push(node),
        }
        Node::And(nodes)
    }

    fn or(self, other: Node) -> Node {
        let mut nodes = match self {
            Node::Or(nodes) => nodes,
            node => vec![node],
        };
        match other {
            Node::Or(more) => nodes.extend(more),
            node => nodes.push(node),
        }
        Node::Or(nodes)
    }

    fn has_time(&self) -> bool {
        match self {
            Node::Compare { subject, .. } => *subject == Subject::Time,
            Node::And(nodes) | Node::Or(nodes) => nodes.iter().any(Node::has_time),
        }
    }

    /// The first reason this condition cannot be sent, if any.
    pub(crate) fn problem(&self) -> Option<String> {
        match self {
            Node::Compare { subject, op, value } => value
                .problem()
                .or_else(|| match (op, &value.0) {
                    (Op::Gt | Op::Ge | Op::Lt | Op::Le, Lit::Str(s)) if needs_regex(s) => Some(
                        "a string with a carriage return or NUL cannot be written in InfluxQL, \
                         and can only be compared for (in)equality"
                            .to_string(),
                    ),
                    _ => None,
                })
                .map(|p| match subject {
                    Subject::Time => format!("condition on time: {p}"),
                    Subject::Column(c) => format!("condition on {c:?}: {p}"),
                }),
            Node::And(nodes) => nodes.iter().find_map(Node::problem),
            Node::Or(nodes) => {
                if nodes.iter().any(Node::has_time) {
                    return Some(
                        "InfluxQL does not support conditions on time inside OR (the server \
                         ignores or misreads them): combine time conditions with AND only"
                            .to_string(),
                    );
                }
                nodes.iter().find_map(Node::problem)
            }
        }
    }

    pub(crate) fn write(&self, out: &mut String) {
        match self {
            Node::Compare { subject, op, value } => {
                match subject {
                    Subject::Time => out.push_str("time"),
                    Subject::Column(name) => push_quoted(out, name, '"'),
                }
                out.push(' ');
                match (op, &value.0) {
                    // InfluxQL cannot write a carriage return (its scanner
                    // reads one as a newline) or a NUL (the end of the
                    // query) in a string literal; a regular expression
                    // matching exactly the string can.
                    (Op::Eq | Op::Ne, Lit::Str(s)) if needs_regex(s) => {
                        out.push_str(if *op == Op::Eq { "=~" } else { "!~" });
                        out.push(' ');
                        push_exact_regex(out, s);
                    }
                    _ => {
                        out.push_str(op.as_str());
                        out.push(' ');
                        value.write(out);
                    }
                }
            }
            Node::And(nodes) => write_joined(out, nodes, " AND "),
            Node::Or(nodes) => write_joined(out, nodes, " OR "),
        }
    }
}

/// Writes `nodes` joined by `separator`, each compound one in parentheses.
fn write_joined(out: &mut String, nodes: &[Node], separator: &str) {
    for (i, node) in nodes.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        if matches!(node, Node::Compare { .. }) {
            node.write(out);
        } else {
            out.push('(');
            node.write(out);
            out.push(')');
        }
    }
}

/// A condition on the columns of measurement `M`, for
/// [`Select::filter`](super::Select::filter).
///
/// Made by the comparison methods of the column handles and combined with
/// [`and`](Self::and) / `&`, [`or`](Self::or) / `|` and
/// [`not`](Self::not) / `!`. Nested conditions are parenthesised as they
/// were built. InfluxQL has no `NOT`, so `not` is pushed down to the
/// comparisons (`NOT (a > 1 AND b = 'x')` is written `a <= 1 OR b != 'x'`).
///
/// InfluxDB 1.x cannot evaluate a condition on `time` inside an `OR`; such
/// a condition makes the query fail with [`Error::Misuse`](crate::Error::Misuse)
/// before it is sent, as do literals that InfluxQL cannot express (NaN,
/// infinities, times outside InfluxDB's range).
///
/// ```
/// use inflow::query::{Condition, Field, Tag};
///
/// struct Temperature;
/// let location: Tag<Temperature> = Tag::new("location");
/// let value: Field<Temperature, f64> = Field::new("value");
///
/// let hot_or_away: Condition<Temperature> =
///     value.gt(30).or(location.ne("home")) & !location.matches("^test");
/// assert_eq!(
///     hot_or_away.to_string(),
///     r#"("value" > 30.0 OR "location" != 'home') AND "location" !~ /^test/"#,
/// );
/// ```
///
/// Values of the wrong type do not compile: a float field does not compare
/// with a string,
///
/// ```compile_fail,E0277
/// # use inflow::query::Field;
/// # struct Temperature;
/// let value: Field<Temperature, f64> = Field::new("value");
/// let _ = value.gt("x");
/// ```
///
/// only string fields match regular expressions, and only numbers are
/// ordered:
///
/// ```compile_fail,E0599
/// # use inflow::query::Field;
/// # struct Temperature;
/// let value: Field<Temperature, f64> = Field::new("value");
/// let _ = value.matches("^1");
/// ```
///
/// ```compile_fail,E0599
/// # use inflow::query::Field;
/// # struct Temperature;
/// let ok: Field<Temperature, bool> = Field::new("ok");
/// let _ = ok.gt(false);
/// ```
pub struct Condition<M> {
    pub(crate) node: Node,
    marker: PhantomData<fn() -> M>,
}

impl<M> Condition<M> {
    pub(crate) fn from_node(node: Node) -> Self {
        Condition {
            node,
            marker: PhantomData,
        }
    }

    pub(crate) fn compare(subject: Subject, op: Op, value: Literal) -> Self {
        Self::from_node(Node::Compare { subject, op, value })
    }

    /// Both conditions hold.
    pub fn and(self, other: Condition<M>) -> Self {
        Self::from_node(self.node.and(other.node))
    }

    /// At least one of the conditions holds.
    pub fn or(self, other: Condition<M>) -> Self {
        Self::from_node(self.node.or(other.node))
    }

    /// The condition does not hold. InfluxQL has no `NOT`: the negation is
    /// pushed down to the comparisons (`=` becomes `!=`, `>` becomes `<=`,
    /// `=~` becomes `!~`, `AND` becomes `OR`, ...).
    ///
    /// A comparison with a field that a row lacks is false either way: such
    /// rows match neither a condition nor its negation. A tag a row lacks
    /// compares as the empty string.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Self {
        Self::from_node(self.node.negate())
    }

    /// Why this condition cannot be sent, if it cannot: a NaN or infinite
    /// float, a time out of range, or a time comparison inside `OR`.
    pub fn problem(&self) -> Option<String> {
        self.node.problem()
    }

    /// The condition as InfluxQL, as it appears after `WHERE`.
    pub fn to_influxql(&self) -> String {
        let mut out = String::new();
        self.node.write(&mut out);
        out
    }
}

impl<M> Clone for Condition<M> {
    fn clone(&self) -> Self {
        Self::from_node(self.node.clone())
    }
}

impl<M> PartialEq for Condition<M> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

impl<M> fmt::Debug for Condition<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Condition")
            .field(&self.to_influxql())
            .finish()
    }
}

impl<M> fmt::Display for Condition<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_influxql())
    }
}

impl<M> BitAnd for Condition<M> {
    type Output = Condition<M>;

    fn bitand(self, other: Condition<M>) -> Condition<M> {
        self.and(other)
    }
}

impl<M> BitOr for Condition<M> {
    type Output = Condition<M>;

    fn bitor(self, other: Condition<M>) -> Condition<M> {
        self.or(other)
    }
}

impl<M> Not for Condition<M> {
    type Output = Condition<M>;

    fn not(self) -> Condition<M> {
        Condition::not(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(f: f64) -> String {
        let mut out = String::new();
        push_float(&mut out, f);
        out
    }

    #[test]
    fn floats_have_no_exponent() {
        assert_eq!(float(1.5), "1.5");
        assert_eq!(float(0.0), "0.0");
        assert_eq!(float(-0.0), "-0.0");
        assert_eq!(float(30.0), "30.0");
        assert_eq!(float(1e20), "100000000000000000000.0");
        assert_eq!(float(-1.25e17), "-125000000000000000.0");
        assert_eq!(float(1.5e-7), "0.00000015");
        assert_eq!(float(-2.5e-10), "-0.00000000025");
        assert_eq!(float(1.2345e16), "12345000000000000.0");
        assert_eq!(float(5e-324), format!("0.{}5", "0".repeat(323)));
        assert_eq!(float(f64::MAX).parse::<f64>().unwrap(), f64::MAX);
        assert!(!float(f64::MAX).contains('e'));
        for f in [0.1, 123456.789, 1e-5, 9.999e15, 1e16, 3.3e-5, 7.0e22] {
            let text = float(f);
            assert!(!text.contains('e'), "{text}");
            assert!(text.contains('.'), "{text}");
            assert_eq!(text.parse::<f64>().unwrap(), f, "{text}");
        }
        assert_eq!(float(f64::NAN), "<NaN>");
        assert_eq!(float(f64::INFINITY), "<inf>");
        assert_eq!(float(f64::NEG_INFINITY), "<-inf>");
    }

    fn written(subject: Subject, op: Op, value: Literal) -> String {
        let mut out = String::new();
        Node::Compare { subject, op, value }.write(&mut out);
        out
    }

    #[test]
    fn strings_influxql_cannot_write_become_exact_regexes() {
        let col = || Subject::Column("k");
        assert_eq!(
            written(col(), Op::Eq, Literal::from(String::from("a\rb"))),
            r#""k" =~ /^a\rb$/"#
        );
        assert_eq!(
            written(col(), Op::Ne, Literal::from(String::from("x.\0/"))),
            r#""k" !~ /^x\.\x00\/$/"#
        );
        assert_eq!(
            written(col(), Op::Eq, Literal::from(String::from("plain\n"))),
            r#""k" = 'plain\n'"#
        );
        let ordered = Node::Compare {
            subject: col(),
            op: Op::Gt,
            value: Literal::from(String::from("a\r")),
        };
        assert!(ordered.problem().unwrap().contains("(in)equality"));
    }

    #[test]
    fn the_earliest_time_is_written_in_nanoseconds() {
        use chrono::TimeZone;
        let min = Utc.timestamp_nanos(crate::line_protocol::MIN_TIMESTAMP_NS);
        assert_eq!(
            written(Subject::Time, Op::Ge, Literal::from(min)),
            "time >= -9223372036854775806"
        );
        let next = Utc.timestamp_nanos(crate::line_protocol::MIN_TIMESTAMP_NS + 1);
        assert_eq!(
            written(Subject::Time, Op::Ge, Literal::from(next)),
            "time >= '1677-09-21T00:12:43.145224195Z'"
        );
    }

    #[test]
    fn regex_ending_in_backslash_keeps_its_delimiter() {
        let mut out = String::new();
        push_regex(&mut out, r"a\\");
        assert_eq!(out, r"/a\\(?:)/");
        out.clear();
        push_regex(&mut out, r"a\");
        assert_eq!(out, r"/a\(?:)/");
        out.clear();
        push_regex(&mut out, r"a/b");
        assert_eq!(out, r"/a\/b/");
    }

    #[test]
    fn negation_is_pushed_down() {
        let c = |op| Node::Compare {
            subject: Subject::Column("x"),
            op,
            value: Literal::from(1i64),
        };
        for op in [
            Op::Eq,
            Op::Ne,
            Op::Gt,
            Op::Ge,
            Op::Lt,
            Op::Le,
            Op::Match,
            Op::NotMatch,
        ] {
            assert_eq!(op.negate().negate(), op);
            assert_ne!(op.negate(), op);
        }
        let node = c(Op::Gt).and(c(Op::Eq).or(c(Op::Lt))).negate();
        let mut out = String::new();
        node.write(&mut out);
        assert_eq!(out, r#""x" <= 1 OR ("x" != 1 AND "x" >= 1)"#);
    }
}
