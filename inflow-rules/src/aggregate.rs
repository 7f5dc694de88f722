//! Aggregate functions: which ones exist, which need a numeric column, and
//! the grammar of the argument some of them take after the column.
//!
//! What InfluxDB 1.6 does with that argument, and so what is allowed:
//!
//! - `percentile(col, N)`: `N` is a number literal, digits with an
//!   optional fraction (`95`, `99.9`, `95.`, `.5`), optionally after a `+`.
//!   InfluxQL has no exponents (`1e2` is read as a malformed duration) and
//!   no fractions without a digit (`.`). The result is the value at the
//!   nearest rank, which never exists for `N <= 0` and stops existing above
//!   100 once there are enough points: `N` is greater than 0 and at most
//!   100.
//! - `integral(col, UNIT)`: `UNIT`, which may be left out, is a duration
//!   literal, one or more `<digits><unit>` with unit `ns`, `u`, `µ`, `ms`,
//!   `s`, `m`, `h`, `d` or `w` (`1s`, `10m`, `1h30m`), optionally after a
//!   `+`. There are no fractions (`1.5s` does not parse); the server
//!   refuses a duration of zero and one that overflows 64-bit nanoseconds.
//! - `top(col, N)` and `bottom(col, N)`: `N`, required, is how many rows
//!   to keep: digits, at least 1 (the server refuses 0 and anything that
//!   is not an integer literal). Each kept row comes with its own time.
//! - Every other function takes only the column.
//!
//! Function names are matched without regard to ASCII case, as the server
//! does; the names here are lower case.

/// What a function takes after its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Argument {
    /// Nothing: `mean(col)`.
    None,
    /// A percentile, required: `percentile(col, 95)`.
    Percentile,
    /// A duration unit, optional: `integral(col)` or `integral(col, 1s)`.
    Unit,
    /// How many rows, required: `top(col, 3)`.
    Count,
}

/// An InfluxQL aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function {
    /// Its name, lower case.
    pub name: &'static str,
    /// Whether it only applies to numeric columns: the server refuses it
    /// over strings and booleans.
    pub numeric: bool,
    /// Whether it applies to numbers and booleans only: the server refuses
    /// it over strings (`min`, `max`).
    pub ordered: bool,
    /// What it takes after its column.
    pub argument: Argument,
}

const fn function_of(name: &'static str, numeric: bool, argument: Argument) -> Function {
    Function {
        name,
        numeric,
        ordered: false,
        argument,
    }
}

/// `min` and `max`: numbers and booleans, not strings.
const fn ordered(name: &'static str) -> Function {
    Function {
        name,
        numeric: false,
        ordered: true,
        argument: Argument::None,
    }
}

/// Every aggregate function inflow selects, in the order error messages
/// list them.
pub const FUNCTIONS: &[Function] = &[
    function_of("count", false, Argument::None),
    function_of("sum", true, Argument::None),
    function_of("mean", true, Argument::None),
    function_of("median", true, Argument::None),
    function_of("mode", false, Argument::None),
    ordered("min"),
    ordered("max"),
    function_of("first", false, Argument::None),
    function_of("last", false, Argument::None),
    function_of("spread", true, Argument::None),
    function_of("stddev", true, Argument::None),
    function_of("percentile", true, Argument::Percentile),
    function_of("distinct", false, Argument::None),
    function_of(COUNT_DISTINCT, false, Argument::None),
    function_of("integral", true, Argument::Unit),
    function_of("top", true, Argument::Count),
    function_of("bottom", true, Argument::Count),
];

/// `count(distinct(col))`, the number of distinct values: written so in
/// the derive's attribute and in the query.
pub const COUNT_DISTINCT: &str = "count(distinct)";

/// How InfluxQL writes a call of the function named `name` around its
/// column (quoted by the caller) and argument: the function, what opens
/// the call and what closes it: `("mean", "(", ")")`, or
/// `("count", "(distinct(", "))")`.
pub fn call(name: &str) -> (&str, &'static str, &'static str) {
    if name == COUNT_DISTINCT {
        ("count", "(distinct(", "))")
    } else {
        (name, "(", ")")
    }
}

/// Why an aggregate is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The function is not one of [`FUNCTIONS`].
    UnknownFunction,
    /// `percentile` without its percentile.
    MissingPercentile,
    /// The percentile is not a number literal greater than 0 and at most
    /// 100 ([`is_percentile`]).
    BadPercentile,
    /// The unit of `integral` is not a positive duration literal
    /// ([`is_duration`]).
    BadUnit,
    /// An argument after the column of a function that takes only the
    /// column.
    UnexpectedArgument,
    /// `top` or `bottom` without how many rows, or with a count that is
    /// not an integer of at least 1 ([`count`]).
    BadCount,
}

/// The function named `name`, in any ASCII case.
pub fn function(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

/// Checks `function(column, argument)` (the argument as written, without
/// surrounding white space; `None` when there is none) and returns the
/// function.
pub fn check(function: &str, argument: Option<&str>) -> Result<&'static Function, Problem> {
    let found = self::function(function).ok_or(Problem::UnknownFunction)?;
    match (found.argument, argument) {
        (Argument::None | Argument::Unit, None) => Ok(found),
        (Argument::None, Some(_)) => Err(Problem::UnexpectedArgument),
        (Argument::Percentile, None) => Err(Problem::MissingPercentile),
        (Argument::Percentile, Some(n)) if !is_percentile(n) => Err(Problem::BadPercentile),
        (Argument::Unit, Some(unit)) if !is_duration(unit) => Err(Problem::BadUnit),
        (Argument::Count, None) => Err(Problem::BadCount),
        (Argument::Count, Some(n)) if count(n).is_none() => Err(Problem::BadCount),
        (Argument::Percentile | Argument::Unit | Argument::Count, Some(_)) => Ok(found),
    }
}

/// The row count of `top(col, N)` / `bottom(col, N)`: digits, at least 1.
pub fn count(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|n| *n >= 1)
}

/// The value of a percentile literal: a number literal ([`number`])
/// greater than 0 and at most 100.
pub fn percentile(text: &str) -> Option<f64> {
    number(text).filter(|n| *n > 0.0 && *n <= 100.0)
}

/// Whether `text` is a percentile `percentile(col, N)` accepts.
pub fn is_percentile(text: &str) -> bool {
    percentile(text).is_some()
}

/// The value of an InfluxQL number literal: `+`, if any, then digits with
/// an optional fraction, where either side of the `.` may be empty but not
/// both (`95`, `95.`, `.5`, `+99.9`). `None` for anything else, such as
/// `-1`, `1e2`, `.`, ` 5` or `inf`.
pub fn number(text: &str) -> Option<f64> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    // Rust reads `95.` and `.5` as InfluxQL does, correctly rounded.
    digits.parse().ok()
}

/// The units of a duration literal and their length in nanoseconds. `ms`
/// comes before `m`: an `m` followed by `s` is always milliseconds.
const UNITS: &[(&str, i64)] = &[
    ("ns", 1),
    ("u", 1_000),
    ("µ", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("d", 86_400_000_000_000),
    ("w", 604_800_000_000_000),
];

/// The length in nanoseconds of an InfluxQL duration literal that the
/// server accepts as a unit: `+`, if any, then one or more
/// `<digits><unit>` (`1s`, `500ms`, `1h30m`), in all greater than zero and
/// at most `i64::MAX` nanoseconds. `None` for anything else, such as `0s`,
/// `-1s`, `1.5s`, `1us`, `1S` or `1y`.
pub fn duration_nanos(text: &str) -> Option<i64> {
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    let mut total: i64 = 0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let unit_at = rest.find(|c: char| !c.is_ascii_digit())?;
        if unit_at == 0 {
            return None;
        }
        let count: i64 = rest[..unit_at].parse().ok()?;
        rest = &rest[unit_at..];
        let &(unit, nanos) = UNITS.iter().find(|(unit, _)| rest.starts_with(unit))?;
        rest = &rest[unit.len()..];
        total = total.checked_add(count.checked_mul(nanos)?)?;
    }
    (total > 0).then_some(total)
}

/// Whether `text` is a unit `integral(col, UNIT)` accepts.
pub fn is_duration(text: &str) -> bool {
    duration_nanos(text).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_and_bottom_take_a_row_count() {
        assert_eq!(check("top", Some("3")).map(|f| f.name), Ok("top"));
        assert_eq!(check("BOTTOM", Some("1")).map(|f| f.name), Ok("bottom"));
        for bad in [
            None,
            Some("0"),
            Some("-1"),
            Some("1.5"),
            Some("+2"),
            Some("x"),
            Some(""),
        ] {
            assert_eq!(check("top", bad), Err(Problem::BadCount), "{bad:?}");
        }
    }

    #[test]
    fn functions_are_found_in_any_case() {
        assert_eq!(function("mean").map(|f| f.name), Some("mean"));
        assert_eq!(function("MEAN").map(|f| f.name), Some("mean"));
        assert_eq!(function("Percentile").map(|f| f.name), Some("percentile"));
        for name in ["", "avg", "moving_average", "mean ", "mean(", "meanx"] {
            assert!(function(name).is_none(), "{name:?}");
        }
    }

    #[test]
    fn the_table_is_lower_case_and_unique() {
        for (i, f) in FUNCTIONS.iter().enumerate() {
            let name = f.name.replace("(", "").replace(")", "");
            assert!(name.bytes().all(|b| b.is_ascii_lowercase()), "{}", f.name);
            assert!(
                FUNCTIONS[..i].iter().all(|g| g.name != f.name),
                "{}",
                f.name
            );
        }
    }

    #[test]
    fn which_need_numbers() {
        let numeric: Vec<&str> = FUNCTIONS
            .iter()
            .filter(|f| f.numeric)
            .map(|f| f.name)
            .collect();
        assert_eq!(
            numeric,
            [
                "sum",
                "mean",
                "median",
                "spread",
                "stddev",
                "percentile",
                "integral",
                "top",
                "bottom"
            ]
        );
    }

    #[test]
    fn numbers() {
        for (text, value) in [
            ("95", 95.0),
            ("0", 0.0),
            ("007", 7.0),
            ("99.9", 99.9),
            ("95.", 95.0),
            (".5", 0.5),
            ("+5", 5.0),
            ("+.5", 0.5),
            ("+95.", 95.0),
            ("100.000", 100.0),
        ] {
            assert_eq!(number(text), Some(value), "{text:?}");
        }
        for text in [
            "", ".", "+", "+.", "-1", "- 1", "++5", "1e2", "1E2", "1.5e1", "1e", "95..", "95.0.1",
            "1_000", " 5", "5 ", "inf", "NaN", "0x10", "1s", "½", "٣",
        ] {
            assert_eq!(number(text), None, "{text:?}");
        }
    }

    #[test]
    fn percentiles_are_above_0_and_at_most_100() {
        for text in [
            "95",
            "95.",
            ".5",
            "0.5",
            "99.9",
            "100",
            "100.",
            "100.0",
            "1",
            "+5",
            "0.0001",
            "00000000000000000000000000000095",
        ] {
            assert!(is_percentile(text), "{text:?}");
        }
        for text in [
            "0",
            "0.0",
            ".0",
            "-1",
            "100.5",
            "101",
            "1000",
            "100.0000001",
            "1e2",
            "",
            "x",
            // Rounds to 0.0, as it does on the server.
            "0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001",
        ] {
            assert!(!is_percentile(text), "{text:?}");
        }
    }

    #[test]
    fn durations() {
        let s = 1_000_000_000;
        for (text, nanos) in [
            ("1ns", 1),
            ("1u", 1_000),
            ("1µ", 1_000),
            ("1ms", 1_000_000),
            ("1s", s),
            ("10m", 600 * s),
            ("1h", 3_600 * s),
            ("1d", 86_400 * s),
            ("2w", 2 * 604_800 * s),
            ("1h30m", 5_400 * s),
            ("1m1s", 61 * s),
            ("1s1s", 2 * s),
            ("01s", s),
            ("+1s", s),
            ("0s1ns", 1),
            ("9223372036854775807ns", i64::MAX),
            ("9223372036s", 9_223_372_036 * s),
        ] {
            assert_eq!(duration_nanos(text), Some(nanos), "{text:?}");
        }
        for text in [
            "",
            "s",
            "1",
            "+",
            "0s",
            "0ns0s",
            "-1s",
            "1.5s",
            "1us",
            "1n",
            "1S",
            "1M",
            "1y",
            "1s1",
            "1sm",
            "1mss",
            "1 s",
            " 1s",
            "1s)",
            "++1s",
            "1μ", // Greek mu, not the micro sign
            "9223372037s",
            "9223372036854775808ns",
            "99999999999999999999s",
            "9223372036854775807ns1ns",
        ] {
            assert_eq!(duration_nanos(text), None, "{text:?}");
        }
    }

    #[test]
    fn checks() {
        let name = |r: Result<&Function, Problem>| r.map(|f| f.name);
        assert_eq!(name(check("mean", None)), Ok("mean"));
        assert_eq!(name(check("MAX", None)), Ok("max"));
        assert_eq!(name(check("percentile", Some("95."))), Ok("percentile"));
        assert_eq!(name(check("percentile", Some(".5"))), Ok("percentile"));
        assert_eq!(name(check("integral", None)), Ok("integral"));
        assert_eq!(name(check("integral", Some("1h30m"))), Ok("integral"));
        assert_eq!(name(check("avg", None)), Err(Problem::UnknownFunction));
        assert_eq!(name(check("avg", Some("1"))), Err(Problem::UnknownFunction));
        assert_eq!(
            name(check("mean", Some("3"))),
            Err(Problem::UnexpectedArgument)
        );
        assert_eq!(
            name(check("mean", Some(""))),
            Err(Problem::UnexpectedArgument)
        );
        assert_eq!(
            name(check("percentile", None)),
            Err(Problem::MissingPercentile)
        );
        assert_eq!(
            name(check("percentile", Some("0"))),
            Err(Problem::BadPercentile)
        );
        assert_eq!(
            name(check("percentile", Some("1e2"))),
            Err(Problem::BadPercentile)
        );
        assert_eq!(
            name(check("percentile", Some("1s"))),
            Err(Problem::BadPercentile)
        );
        assert_eq!(name(check("integral", Some("1.5s"))), Err(Problem::BadUnit));
        assert_eq!(name(check("integral", Some("0s"))), Err(Problem::BadUnit));
        assert_eq!(name(check("integral", Some("95"))), Err(Problem::BadUnit));
    }
}
