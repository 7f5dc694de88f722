//! The rules `#[derive(Measurement)]` and the runtime share (the
//! `inflow-rules` crate), against a real server: every aggregate form the
//! rules accept is one the derive compiles and the server answers with a
//! value, every form they refuse is one the server refuses or answers with
//! nothing, and the rules and the `Select` builder agree on each of them.
//! Names follow the same rules: what is allowed comes back as written.

use chrono::{DateTime, Duration, TimeZone, Utc};
use inflow::__private::{Cell, RowBuilder};
use inflow::line_protocol::LineWriter;
use inflow::{
    Client, Column, ColumnKind, DecodeError, Error, FromRow, InvalidPoint, Measurement, Point,
    WriteOptions,
};
use inflow_tests::fresh_client;

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "sample")]
struct Sample {
    #[influx(time)]
    time: DateTime<Utc>,
    value: f64,
}

/// How many samples: enough that every percentile the rules accept in
/// [`CASES`] has a nearest rank (a percentile `N` needs at least `50 / N`
/// points).
const SAMPLES: i64 = 200;

/// Values 1 to 200, one a second.
fn samples() -> Vec<Sample> {
    let t0 = Utc.with_ymd_and_hms(2024, 1, 15, 0, 0, 0).unwrap();
    (1..=SAMPLES)
        .map(|i| Sample {
            time: t0 + Duration::seconds(i),
            value: i as f64,
        })
        .collect()
}

async fn client_with_samples(prefix: &str) -> Client {
    let (client, _) = fresh_client(prefix).await;
    client.write_all(&samples()).await.unwrap();
    client
}

/// Percentiles written as InfluxQL allows, each of which the derive once
/// refused or accepted differently from the runtime.
#[derive(Measurement, Debug, PartialEq)]
#[influx(from = Sample)]
struct Percentiles {
    #[influx(aggregate = "percentile(value, 95.)")]
    p95: f64,
    #[influx(aggregate = "percentile(value, .5)")]
    p_half: f64,
    #[influx(aggregate = "percentile(value, 100.)")]
    p100: f64,
    #[influx(aggregate = "percentile(value, +5)")]
    p5: f64,
    #[influx(aggregate = "percentile(value, 99.9)")]
    p999: f64,
}

#[tokio::test]
async fn percentiles_in_every_accepted_form_fetch() {
    let client = client_with_samples("rules_pct").await;
    let select = client.select::<Percentiles>();
    assert_eq!(
        select.to_influxql(),
        r#"SELECT percentile("value", 95.) AS "p95", percentile("value", .5) AS "p_half", percentile("value", 100.) AS "p100", percentile("value", +5) AS "p5", percentile("value", 99.9) AS "p999" FROM "sample""#
    );
    // Nearest rank of N among 200 sorted values 1..=200: round(2 * N).
    assert_eq!(
        select.fetch().await.unwrap(),
        vec![Percentiles {
            p95: 190.0,
            p_half: 1.0,
            p100: 200.0,
            p5: 10.0,
            p999: 200.0,
        }]
    );
}

/// Integral units as InfluxQL allows them, compound ones included.
#[derive(Measurement, Debug, PartialEq)]
#[influx(from = Sample)]
struct Integrals {
    #[influx(aggregate = "integral(value)")]
    per_second: f64,
    #[influx(aggregate = "integral(value, 1m1s)")]
    per_61s: f64,
    #[influx(aggregate = "integral(value, 1h30m)")]
    per_90m: f64,
    #[influx(aggregate = "integral(value, 500ms)")]
    per_half_second: f64,
}

#[tokio::test]
async fn integrals_with_every_kind_of_unit_fetch() {
    let client = client_with_samples("rules_int").await;
    let row = client.select::<Integrals>().fetch_one().await.unwrap();
    // Trapezoids between (i, i) and (i + 1, i + 1), seconds 1 to 200.
    let area: f64 = (1..SAMPLES).map(|i| i as f64 + 0.5).sum();
    let close = |got: f64, want: f64| (got - want).abs() <= want.abs() * 1e-12;
    assert!(close(row.per_second, area), "{row:?}");
    assert!(close(row.per_61s, area / 61.0), "{row:?}");
    assert!(close(row.per_90m, area / 5400.0), "{row:?}");
    assert!(close(row.per_half_second, area * 2.0), "{row:?}");
}

/// Aggregates with what follows their column, and whether the rules accept
/// them. The server agrees: each accepted one returns a value from
/// [`samples`], each refused one an error or nothing.
const CASES: &[(&str, Option<&str>, bool)] = &[
    ("percentile", Some("95"), true),
    ("percentile", Some("95."), true),
    ("percentile", Some(".5"), true),
    ("percentile", Some("99.9"), true),
    ("percentile", Some("100"), true),
    ("percentile", Some("007"), true),
    ("percentile", Some("+5"), true),
    ("PERCENTILE", Some("50"), true),
    ("percentile", None, false),
    ("percentile", Some("0"), false),
    ("percentile", Some("0.0"), false),
    ("percentile", Some("-1"), false),
    ("percentile", Some("100.5"), false),
    ("percentile", Some("101"), false),
    ("percentile", Some("1e2"), false),
    ("percentile", Some("1.5e1"), false),
    ("percentile", Some("95.0.1"), false),
    ("percentile", Some("."), false),
    ("percentile", Some("1s"), false),
    ("integral", None, true),
    ("integral", Some("1s"), true),
    ("integral", Some("10m"), true),
    ("integral", Some("1h30m"), true),
    ("integral", Some("500ms"), true),
    ("integral", Some("1u"), true),
    ("integral", Some("1µ"), true),
    ("integral", Some("1ns"), true),
    ("integral", Some("2w"), true),
    ("integral", Some("+1s"), true),
    ("integral", Some("0s"), false),
    ("integral", Some("-1s"), false),
    ("integral", Some("1.5s"), false),
    ("integral", Some("1us"), false),
    ("integral", Some("1S"), false),
    ("integral", Some("1y"), false),
    ("integral", Some("1s1"), false),
    ("integral", Some("9223372037s"), false),
    ("integral", Some("95"), false),
    ("count", None, true),
    ("sum", None, true),
    ("mean", None, true),
    ("MEAN", None, true),
    ("median", None, true),
    ("mode", None, true),
    ("min", None, true),
    ("max", None, true),
    ("first", None, true),
    ("last", None, true),
    ("spread", None, true),
    ("stddev", None, true),
    ("distinct", None, true),
    ("mean", Some("3"), false),
    ("max", Some("2"), false),
    ("count", Some("1s"), false),
    ("avg", None, false),
    ("average", Some("95"), false),
];

/// A hand-written aggregate struct selecting `CASES[N]` as column `x`: the
/// way into `Select` for forms the derive does not compile.
struct Case<const N: usize>;

impl<const N: usize> Measurement for Case<N> {
    const NAME: &'static str = "sample";
    const COLUMNS: &'static [Column] = &[Column {
        name: "x",
        kind: ColumnKind::Aggregate {
            function: CASES[N].0,
            of: "value",
            arg: CASES[N].1,
        },
    }];
    fn encode(&self, _: &mut LineWriter<'_>) -> Result<(), InvalidPoint> {
        unreachable!("never written")
    }
}

impl<const N: usize> FromRow for Case<N> {
    type Source = Sample;
    type Builder = NoRows;
}

/// Never fetched: only the queries of [`Case`]s are built.
struct NoRows;

impl<T> RowBuilder<T> for NoRows {
    fn new() -> Self {
        NoRows
    }
    fn slot(_: &str) -> Option<usize> {
        None
    }
    fn set(&mut self, _: usize, _: Cell<'_>) {}
    fn finish(self) -> Result<T, DecodeError> {
        Err(DecodeError::NoRows)
    }
}

/// What `Select` makes of `CASES[N]`: its query, or why it refuses.
fn select_case<const N: usize>(client: &Client) -> Result<String, Error> {
    client
        .select::<Case<N>>()
        .into_query()
        .map(|query| query.to_influxql().to_string())
}

type SelectCase = fn(&Client) -> Result<String, Error>;

macro_rules! select_cases {
    ($($n:literal)*) => {
        [$(select_case::<$n> as SelectCase),*]
    };
}

/// [`select_case`] for each of [`CASES`]: a new case does not compile
/// until its index is added here.
const SELECT_CASES: [SelectCase; CASES.len()] = select_cases!(
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33
    34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55
);

/// The query a case stands for, written by hand.
fn case_query(function: &str, arg: Option<&str>) -> String {
    let arg = arg.map(|a| format!(", {a}")).unwrap_or_default();
    format!(r#"SELECT {function}("value"{arg}) AS "x" FROM "sample""#)
}

#[tokio::test]
async fn rules_builder_and_server_agree_on_every_case() {
    let client = client_with_samples("rules_table").await;
    for (&(function, arg, accepted), select) in CASES.iter().zip(SELECT_CASES) {
        let case = format!(
            "{function}(value{})",
            arg.map(|a| format!(", {a}")).unwrap_or_default()
        );
        let text = case_query(function, arg);

        let ruled = inflow_rules::aggregate::check(function, arg);
        assert_eq!(ruled.is_ok(), accepted, "rules on {case}: {ruled:?}");

        match select(&client) {
            Ok(query) => {
                assert!(accepted, "Select accepts {case}");
                assert_eq!(query, text);
            }
            Err(Error::Misuse(message)) => {
                assert!(!accepted, "Select refuses {case}: {message}");
                assert!(message.contains(r#"column "x""#), "{message}");
            }
            Err(other) => panic!("{case}: {other:?}"),
        }

        // What the server makes of the same query.
        let answered = match client.query(text.as_str()).await {
            Ok(results) => results.series().any(|series| {
                let x = series.column("x").expect("column x");
                series.values.iter().any(|row| !row[x].is_null())
            }),
            Err(_) => false,
        };
        assert_eq!(answered, accepted, "the server on {case}");
    }
}

/// Every aggregate form `CASES` accepts, derived: each compiles, and the
/// derive writes it as the rules and `Select` read it. (`distinct` cannot
/// share a query with other aggregates.)
#[derive(Measurement, Debug)]
#[influx(from = Sample)]
struct Accepted {
    #[influx(aggregate = "percentile(value, 95)")]
    _a: f64,
    #[influx(aggregate = "percentile(value, 95.)")]
    _b: f64,
    #[influx(aggregate = "percentile(value, .5)")]
    _c: f64,
    #[influx(aggregate = "percentile(value, 99.9)")]
    _d: f64,
    #[influx(aggregate = "percentile(value, 100)")]
    _e: f64,
    #[influx(aggregate = "percentile(value, 007)")]
    _f: f64,
    #[influx(aggregate = "percentile(value, +5)")]
    _g: f64,
    #[influx(aggregate = "PERCENTILE(value, 50)")]
    _h: f64,
    #[influx(aggregate = "integral(value)")]
    _i: f64,
    #[influx(aggregate = "integral(value, 1s)")]
    _j: f64,
    #[influx(aggregate = "integral(value, 10m)")]
    _k: f64,
    #[influx(aggregate = "integral(value, 1h30m)")]
    _l: f64,
    #[influx(aggregate = "integral(value, 500ms)")]
    _m: f64,
    #[influx(aggregate = "integral(value, 1u)")]
    _n: f64,
    #[influx(aggregate = "integral(value, 1µ)")]
    _o: f64,
    #[influx(aggregate = "integral(value, 1ns)")]
    _p: f64,
    #[influx(aggregate = "integral(value, 2w)")]
    _q: f64,
    #[influx(aggregate = "integral(value, +1s)")]
    _r: f64,
    #[influx(aggregate = "count(value)")]
    _s: i64,
    #[influx(aggregate = "sum(value)")]
    _t: f64,
    #[influx(aggregate = "mean(value)")]
    _u: f64,
    #[influx(aggregate = "MEAN(value)")]
    _v: f64,
    #[influx(aggregate = "median(value)")]
    _w: f64,
    #[influx(aggregate = "mode(value)")]
    _x: f64,
    #[influx(aggregate = "min(value)")]
    _y: f64,
    #[influx(aggregate = "max(value)")]
    _z: f64,
    #[influx(aggregate = "first(value)")]
    _first: f64,
    #[influx(aggregate = "last(value)")]
    _last: f64,
    #[influx(aggregate = "spread(value)")]
    _spread: f64,
    #[influx(aggregate = "stddev(value)")]
    _stddev: f64,
}

#[derive(Measurement, Debug)]
#[influx(from = Sample)]
struct Distinct {
    #[influx(aggregate = "distinct(value)")]
    _values: f64,
}

#[tokio::test]
async fn the_derive_accepts_every_accepted_case_and_they_fetch() {
    let derived: Vec<(&str, Option<&str>)> = Accepted::COLUMNS
        .iter()
        .chain(Distinct::COLUMNS)
        .map(|column| match column.kind {
            ColumnKind::Aggregate { function, of, arg } => {
                assert_eq!(of, "value");
                (function, arg)
            }
            other => panic!("{other:?}"),
        })
        .collect();
    let accepted: Vec<(String, Option<&str>)> = CASES
        .iter()
        .filter(|case| case.2)
        .map(|&(function, arg, _)| (function.to_ascii_lowercase(), arg))
        .collect();
    assert_eq!(derived.len(), accepted.len());
    for (function, arg) in &accepted {
        assert!(
            derived.contains(&(function.as_str(), *arg)),
            "{function}({arg:?}) has no derived column"
        );
    }
    for &(function, arg) in &derived {
        assert!(inflow_rules::aggregate::check(function, arg).is_ok());
    }

    let client = client_with_samples("rules_derived").await;
    assert_eq!(client.select::<Accepted>().fetch().await.unwrap().len(), 1);
    assert_eq!(
        client.select::<Distinct>().fetch().await.unwrap().len(),
        SAMPLES as usize
    );
}

/// A tag key with a backslash before `,`, `=` or a space: stored as
/// written, so both the derive and the runtime allow it.
#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "escapes")]
struct Escapes {
    #[influx(tag, rename = "a\\ b")]
    spaced: String,
    #[influx(tag, rename = "c\\,d=e")]
    commas: String,
    value: f64,
}

#[tokio::test]
async fn names_the_rules_allow_come_back_as_written() {
    let (client, _) = fresh_client("rules_names").await;
    let row = Escapes {
        spaced: "x\\ y".into(),
        commas: "p\\,q".into(),
        value: 1.5,
    };
    client.write(&row).await.unwrap();
    client
        .write(
            &Point::new("escapes")
                .tag("a\\ b", "second")
                .tag("c\\,d=e", "z")
                .field("value", 2.5),
        )
        .await
        .unwrap();
    let mut rows = client.select::<Escapes>().fetch().await.unwrap();
    rows.sort_by(|a, b| a.value.total_cmp(&b.value));
    assert_eq!(
        rows,
        vec![
            row,
            Escapes {
                spaced: "second".into(),
                commas: "z".into(),
                value: 2.5,
            }
        ]
    );
}

#[tokio::test]
async fn names_the_server_misreads_are_refused_before_sending() {
    let (client, _) = fresh_client("rules_refused").await;
    for (point, what) in [
        (Point::new("disk\\ usage").field("v", 1.0), "measurement"),
        (Point::new("m\\=x").field("v", 1.0), "measurement"),
        (Point::new("m").field("a\\,b", 1.0), "field key"),
    ] {
        match client.write(&point).await {
            Err(Error::InvalidPoint {
                reason: InvalidPoint::EscapingBackslash(_),
                ..
            }) => {}
            other => panic!("{what}: {other:?}"),
        }
    }
    // What the rule prevents: the server drops the backslash of a
    // measurement's pair, so the point would land in another measurement.
    client
        .write_line_protocol("disk\\\\ usage v=1 1\n", &WriteOptions::default())
        .await
        .unwrap();
    let names = client.show_measurements().await.unwrap();
    assert_eq!(names, vec!["disk usage".to_string()]);
}

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "flags")]
struct Flag {
    #[influx(time)]
    time: DateTime<Utc>,
    ok: bool,
    value: f64,
}

#[derive(Measurement, Debug, PartialEq)]
#[influx(from = Flag)]
struct FlagExtremes {
    #[influx(aggregate = "max(ok)")]
    any_ok: bool,
    #[influx(aggregate = "min(ok)")]
    all_ok: bool,
    #[influx(aggregate = "min(value)")]
    lowest: f64,
}

/// `min` and `max` apply to booleans as well as numbers (and, refused at
/// compile time, not to strings: `tests/ui/aggregate-min-of-string.rs`).
#[tokio::test]
async fn min_and_max_over_booleans() {
    let (client, _) = fresh_client("rules_minmax").await;
    let t0 = Utc.with_ymd_and_hms(2024, 1, 15, 0, 0, 0).unwrap();
    let flags: Vec<Flag> = [(true, 2.5), (false, -1.0), (true, 4.0)]
        .into_iter()
        .enumerate()
        .map(|(i, (ok, value))| Flag {
            time: t0 + Duration::seconds(i as i64),
            ok,
            value,
        })
        .collect();
    client.write_all(&flags).await.unwrap();
    assert_eq!(
        client.select::<FlagExtremes>().fetch().await.unwrap(),
        [FlagExtremes {
            any_ok: true,
            all_ok: false,
            lowest: -1.0,
        }]
    );
}

#[derive(Measurement, Debug, PartialEq)]
#[influx(from = Sample)]
struct Highest {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(aggregate = "top(value, 3)")]
    top: f64,
}

#[derive(Measurement, Debug, PartialEq)]
#[influx(from = Sample)]
struct Lowest {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(aggregate = "bottom(value, 2)")]
    bottom: f64,
}

/// `top` and `bottom` keep N rows, each with its own time.
#[tokio::test]
async fn top_and_bottom_keep_their_rows_and_times() {
    let client = client_with_samples("rules_top").await;
    let samples = samples();
    let highest = client.select::<Highest>().fetch().await.unwrap();
    let expected: Vec<Highest> = samples[samples.len() - 3..]
        .iter()
        .map(|s| Highest {
            time: s.time,
            top: s.value,
        })
        .collect();
    assert_eq!(highest, expected);
    let lowest = client.select::<Lowest>().fetch().await.unwrap();
    let expected: Vec<Lowest> = samples[..2]
        .iter()
        .map(|s| Lowest {
            time: s.time,
            bottom: s.value,
        })
        .collect();
    assert_eq!(lowest, expected);
}

#[derive(Measurement, Debug, PartialEq)]
#[influx(from = Flag)]
struct DistinctCounts {
    #[influx(aggregate = "count(distinct(ok))")]
    kinds: i64,
    #[influx(aggregate = "count(value)")]
    values: i64,
}

/// `count(distinct(col))`, the one nested call InfluxQL has, written as
/// InfluxQL writes it.
#[tokio::test]
async fn count_distinct_counts_distinct_values() {
    let (client, _) = fresh_client("rules_count_distinct").await;
    let t0 = Utc.with_ymd_and_hms(2024, 1, 15, 0, 0, 0).unwrap();
    let flags: Vec<Flag> = [true, false, true, true]
        .into_iter()
        .enumerate()
        .map(|(i, ok)| Flag {
            time: t0 + Duration::seconds(i as i64),
            ok,
            value: i as f64,
        })
        .collect();
    client.write_all(&flags).await.unwrap();
    let select = client.select::<DistinctCounts>();
    assert_eq!(
        select.to_influxql(),
        r#"SELECT count(distinct("ok")) AS "kinds", count("value") AS "values" FROM "flags""#
    );
    assert_eq!(
        select.fetch().await.unwrap(),
        [DistinctCounts {
            kinds: 2,
            values: 4
        }]
    );
}
