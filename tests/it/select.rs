//! The typed `SELECT` builder against a real server: for each feature, the
//! InfluxQL it writes and the rows the server returns for it; hostile
//! values that must match literally and change nothing; every field and
//! tag type written and read back; aggregates grouped by time and tags;
//! and a stream of 50,000 rows.

use std::borrow::Cow;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use futures_util::StreamExt;
use inflow::testkit::InfluxServer;
use inflow::{Client, Error, Fill, Measurement, WriteOptions};
use inflow_tests::{fresh_client, Room};

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "reading")]
struct Reading {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(tag)]
    location: String,
    #[influx(tag, rename = "sensor_type")]
    sensor: Option<String>,
    #[influx(tag)]
    room: Room,
    value: f64,
    count: i64,
    label: String,
    ok: bool,
}

const SELECT_READING: &str =
    r#"SELECT "location", "sensor_type", "room", "value", "count", "label", "ok" FROM "reading""#;

/// An hour's aggregates of `Reading`, per location.
#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(from = Reading)]
struct Hourly {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(tag)]
    location: String,
    #[influx(aggregate = "mean(value)")]
    mean_value: Option<f64>,
    #[influx(aggregate = "percentile(value, 95)")]
    p95: Option<f64>,
    #[influx(aggregate = "count(value)")]
    n: Option<i64>,
    #[influx(aggregate = "max(count)")]
    max_count: Option<i64>,
}

const SELECT_HOURLY: &str = r#"SELECT mean("value") AS "mean_value", percentile("value", 95) AS "p95", count("value") AS "n", max("count") AS "max_count" FROM "reading""#;

/// A fixed start: 2024-01-15T00:00:00Z.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 15, 0, 0, 0).unwrap()
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

fn reading(seconds: i64, location: &str, value: f64) -> Reading {
    Reading {
        time: t0() + Duration::seconds(seconds),
        location: location.to_string(),
        sensor: (seconds % 2 == 0).then(|| "pt100".to_string()),
        room: if seconds % 3 == 0 {
            Room::Kitchen
        } else {
            Room::Attic
        },
        value,
        count: seconds,
        label: format!("label {seconds}"),
        ok: seconds % 2 == 1,
    }
}

/// Ten readings in two locations, one a second, values 0.5 to 9.5.
fn readings() -> Vec<Reading> {
    (0..10)
        .map(|i| {
            let location = if i < 5 { "groningen" } else { "utrecht" };
            reading(i, location, i as f64 + 0.5)
        })
        .collect()
}

async fn with_readings(prefix: &str) -> (Client, String, Vec<Reading>) {
    let (client, db) = fresh_client(prefix).await;
    let points = readings();
    client.write_all(&points).await.unwrap();
    (client, db, points)
}

fn sorted_by_time(mut rows: Vec<Reading>) -> Vec<Reading> {
    rows.sort_by_key(|r| r.time);
    rows
}

// ---------------------------------------------------------------------------
// Columns and types
// ---------------------------------------------------------------------------

#[tokio::test]
async fn selects_every_column_of_the_struct() {
    let (client, _, points) = with_readings("sel_all").await;
    let select = client.select::<Reading>();
    assert_eq!(select.to_influxql(), SELECT_READING);
    assert_eq!(select.to_string(), SELECT_READING);
    let rows = select.fetch().await.unwrap();
    assert_eq!(rows, points);
}

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "everything")]
struct Everything {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(tag)]
    name: String,
    #[influx(tag)]
    maybe: Option<String>,
    #[influx(tag)]
    room: Room,
    #[influx(tag)]
    cow: Cow<'static, str>,
    float64: f64,
    float32: f32,
    int64: i64,
    int32: i32,
    int16: i16,
    int8: i8,
    int: isize,
    uint64: u64,
    uint32: u32,
    uint16: u16,
    uint8: u8,
    uint: usize,
    flag: bool,
    text: String,
    opt_float: Option<f64>,
    opt_int: Option<i64>,
    opt_flag: Option<bool>,
    opt_text: Option<String>,
    #[influx(rename = "renamed field")]
    renamed: f64,
}

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "nanos")]
struct Nanos {
    #[influx(time, unit = "ns")]
    time: i64,
    value: f64,
}

#[tokio::test]
async fn every_field_and_tag_type_round_trips() {
    let (client, _) = fresh_client("sel_types").await;
    let full = Everything {
        time: t0() + Duration::nanoseconds(123_456_789),
        name: "full, with = and spaces".into(),
        maybe: Some("present".into()),
        room: Room::Attic,
        cow: Cow::Borrowed("cow"),
        float64: -1.7976931348623157e308,
        float32: 0.1,
        int64: i64::MIN,
        int32: i32::MAX,
        int16: i16::MIN,
        int8: -8,
        int: -1,
        uint64: i64::MAX as u64,
        uint32: u32::MAX,
        uint16: u16::MAX,
        uint8: u8::MAX,
        uint: 12345,
        flag: true,
        text: "quote \" backslash \\ newline \n tab \t '; DROP DATABASE x".into(),
        opt_float: Some(5e-324),
        opt_int: Some(i64::MAX),
        opt_flag: Some(false),
        opt_text: Some(String::new()),
        renamed: 1e300,
    };
    let sparse = Everything {
        time: t0() + Duration::seconds(1),
        name: "sparse".into(),
        maybe: None,
        room: Room::Kitchen,
        cow: Cow::Owned("owned".into()),
        float64: 0.0,
        float32: -2.5,
        int64: 0,
        int32: 0,
        int16: 0,
        int8: i8::MIN,
        int: isize::MAX,
        uint64: 0,
        uint32: 0,
        uint16: 0,
        uint8: 0,
        uint: 0,
        flag: false,
        text: "ünïcødé ✓".into(),
        opt_float: None,
        opt_int: None,
        opt_flag: None,
        opt_text: None,
        renamed: -0.5,
    };
    client
        .write_all(&[full.clone(), sparse.clone()])
        .await
        .unwrap();

    let select = client.select::<Everything>();
    assert_eq!(
        select.to_influxql(),
        r#"SELECT "name", "maybe", "room", "cow", "float64", "float32", "int64", "int32", "int16", "int8", "int", "uint64", "uint32", "uint16", "uint8", "uint", "flag", "text", "opt_float", "opt_int", "opt_flag", "opt_text", "renamed field" FROM "everything""#
    );
    assert_eq!(
        select.fetch().await.unwrap(),
        vec![full.clone(), sparse.clone()]
    );

    // The typed handles compare with each type, and find the same rows.
    let only_full = client
        .select::<Everything>()
        .filter(Everything::int64().eq(i64::MIN))
        .filter(Everything::float32().eq(0.1f32))
        .filter(Everything::uint64().eq(i64::MAX as u64))
        .filter(Everything::int8().gt(-100))
        .filter(Everything::flag().eq(true))
        .filter(Everything::text().eq(full.text.clone()))
        .filter(Everything::maybe().eq("present"))
        .filter(Everything::room().eq(Room::Attic))
        .filter(Everything::renamed().gt(1e299))
        .filter(Everything::opt_float().lt(1e-300));
    assert_eq!(only_full.fetch().await.unwrap(), vec![full.clone()]);
    let only_sparse = client
        .select::<Everything>()
        .filter(Everything::maybe().eq(None::<String>))
        .filter(Everything::uint().le(0u16))
        .filter(Everything::text().matches("^ü.*✓$"));
    assert_eq!(only_sparse.fetch().await.unwrap(), vec![sparse]);

    // Time as integer nanoseconds.
    let nanos = vec![
        Nanos {
            time: 1,
            value: 1.0,
        },
        Nanos {
            time: 1_700_000_000_123_456_789,
            value: 2.0,
        },
    ];
    client.write_all(&nanos).await.unwrap();
    assert_eq!(client.select::<Nanos>().fetch().await.unwrap(), nanos);
}

// ---------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------

#[tokio::test]
async fn tag_conditions() {
    let (client, _, points) = with_readings("sel_tags").await;
    type Keep = dyn Fn(&Reading) -> bool;
    let cases: Vec<(inflow::Condition<Reading>, &str, Box<Keep>)> = vec![
        (
            Reading::location().eq("utrecht"),
            r#""location" = 'utrecht'"#,
            Box::new(|r| r.location == "utrecht"),
        ),
        (
            Reading::location().ne("utrecht"),
            r#""location" != 'utrecht'"#,
            Box::new(|r: &Reading| r.location != "utrecht"),
        ),
        (
            Reading::location().matches("^gro"),
            r#""location" =~ /^gro/"#,
            Box::new(|r: &Reading| r.location.starts_with("gro")),
        ),
        (
            Reading::location().not_matches("ch"),
            r#""location" !~ /ch/"#,
            Box::new(|r: &Reading| !r.location.contains("ch")),
        ),
        (
            Reading::sensor().eq(None::<&str>),
            r#""sensor_type" = ''"#,
            Box::new(|r: &Reading| r.sensor.is_none()),
        ),
        (
            Reading::sensor().ne(""),
            r#""sensor_type" != ''"#,
            Box::new(|r: &Reading| r.sensor.is_some()),
        ),
        (
            Reading::sensor().eq(Some("pt100")),
            r#""sensor_type" = 'pt100'"#,
            Box::new(|r: &Reading| r.sensor.as_deref() == Some("pt100")),
        ),
        (
            Reading::room().eq(Room::Kitchen),
            r#""room" = 'kitchen'"#,
            Box::new(|r: &Reading| r.room == Room::Kitchen),
        ),
    ];
    for (condition, text, keep) in cases {
        let select = client.select::<Reading>().filter(condition);
        assert_eq!(
            select.to_influxql(),
            format!("{SELECT_READING} WHERE {text}")
        );
        let expected: Vec<Reading> = points.iter().filter(|r| keep(r)).cloned().collect();
        assert!(
            !expected.is_empty() && expected.len() < points.len(),
            "{text}"
        );
        assert_eq!(
            sorted_by_time(select.fetch().await.unwrap()),
            expected,
            "{text}"
        );
    }
}

#[tokio::test]
async fn field_conditions() {
    let (client, _, points) = with_readings("sel_fields").await;
    type Keep = dyn Fn(&Reading) -> bool;
    let cases: Vec<(inflow::Condition<Reading>, &str, Box<Keep>)> = vec![
        (
            Reading::value().eq(2.5),
            r#""value" = 2.5"#,
            Box::new(|r| r.value == 2.5),
        ),
        (
            Reading::value().ne(2.5f32),
            r#""value" != 2.5"#,
            Box::new(|r| r.value != 2.5),
        ),
        (
            Reading::value().gt(7),
            r#""value" > 7.0"#,
            Box::new(|r| r.value > 7.0),
        ),
        (
            Reading::value().ge(7.5),
            r#""value" >= 7.5"#,
            Box::new(|r| r.value >= 7.5),
        ),
        (
            Reading::value().lt(1),
            r#""value" < 1.0"#,
            Box::new(|r| r.value < 1.0),
        ),
        (
            Reading::value().le(-0.0),
            r#""value" <= -0.0"#,
            Box::new(|r| r.value <= 0.0),
        ),
        (
            Reading::count().gt(3),
            r#""count" > 3"#,
            Box::new(|r| r.count > 3),
        ),
        (
            Reading::count().le(3),
            r#""count" <= 3"#,
            Box::new(|r| r.count <= 3),
        ),
        (Reading::ok().eq(true), r#""ok" = true"#, Box::new(|r| r.ok)),
        (
            Reading::ok().ne(true),
            r#""ok" != true"#,
            Box::new(|r| !r.ok),
        ),
        (
            Reading::label().eq("label 4"),
            r#""label" = 'label 4'"#,
            Box::new(|r| r.label == "label 4"),
        ),
        (
            Reading::label().ne(String::from("label 4")),
            r#""label" != 'label 4'"#,
            Box::new(|r| r.label != "label 4"),
        ),
        (
            Reading::label().matches("[13]$"),
            r#""label" =~ /[13]$/"#,
            Box::new(|r| r.label.ends_with('1') || r.label.ends_with('3')),
        ),
        (
            Reading::label().not_matches("[13]$"),
            r#""label" !~ /[13]$/"#,
            Box::new(|r| !(r.label.ends_with('1') || r.label.ends_with('3'))),
        ),
        (
            Reading::value().gt(1e20),
            r#""value" > 100000000000000000000.0"#,
            Box::new(|r| r.value > 1e20),
        ),
        (
            Reading::value().gt(1e-20),
            r#""value" > 0.00000000000000000001"#,
            Box::new(|r| r.value > 1e-20),
        ),
    ];
    for (condition, text, keep) in cases {
        let select = client.select::<Reading>().filter(condition);
        assert_eq!(
            select.to_influxql(),
            format!("{SELECT_READING} WHERE {text}")
        );
        let expected: Vec<Reading> = points.iter().filter(|r| keep(r)).cloned().collect();
        assert_eq!(
            sorted_by_time(select.fetch().await.unwrap()),
            expected,
            "{text}"
        );
    }
}

#[tokio::test]
async fn combined_conditions_mean_what_they_say() {
    let (client, _, points) = with_readings("sel_logic").await;
    let utrecht = || Reading::location().eq("utrecht");
    let kitchen = || Reading::room().eq(Room::Kitchen);
    let big = || Reading::value().gt(3);
    let odd = || Reading::ok().eq(true);
    type Keep = dyn Fn(&Reading) -> bool;
    let is_utrecht = |r: &Reading| r.location == "utrecht";
    let is_kitchen = |r: &Reading| r.room == Room::Kitchen;
    let is_big = |r: &Reading| r.value > 3.0;
    let is_odd = |r: &Reading| r.ok;
    let cases: Vec<(inflow::Condition<Reading>, &str, Box<Keep>)> = vec![
        (
            utrecht().or(kitchen()).and(big()),
            r#"("location" = 'utrecht' OR "room" = 'kitchen') AND "value" > 3.0"#,
            Box::new(move |r| (is_utrecht(r) || is_kitchen(r)) && is_big(r)),
        ),
        (
            utrecht().or(kitchen().and(big())),
            r#""location" = 'utrecht' OR ("room" = 'kitchen' AND "value" > 3.0)"#,
            Box::new(move |r| is_utrecht(r) || (is_kitchen(r) && is_big(r))),
        ),
        (
            (utrecht() & odd()) | (kitchen() & !big()),
            r#"("location" = 'utrecht' AND "ok" = true) OR ("room" = 'kitchen' AND "value" <= 3.0)"#,
            Box::new(move |r| (is_utrecht(r) && is_odd(r)) || (is_kitchen(r) && !is_big(r))),
        ),
        (
            !(utrecht() | (kitchen() & odd())),
            r#""location" != 'utrecht' AND ("room" != 'kitchen' OR "ok" != true)"#,
            Box::new(move |r| !(is_utrecht(r) || (is_kitchen(r) && is_odd(r)))),
        ),
        (
            utrecht().not().not(),
            r#""location" = 'utrecht'"#,
            Box::new(move |r| is_utrecht(r)),
        ),
        (
            !Reading::label().matches("^label [0-4]$") & !Reading::count().ge(8),
            r#""label" !~ /^label [0-4]$/ AND "count" < 8"#,
            Box::new(|r| r.count >= 5 && r.count < 8),
        ),
    ];
    for (condition, text, keep) in cases {
        let select = client.select::<Reading>().filter(condition);
        assert_eq!(
            select.to_influxql(),
            format!("{SELECT_READING} WHERE {text}")
        );
        let expected: Vec<Reading> = points.iter().filter(|r| keep(r)).cloned().collect();
        assert_eq!(
            sorted_by_time(select.fetch().await.unwrap()),
            expected,
            "{text}"
        );
    }

    // Several filters AND together.
    let select = client
        .select::<Reading>()
        .filter(utrecht() | kitchen())
        .filter(odd());
    assert_eq!(
        select.to_influxql(),
        format!(
            r#"{SELECT_READING} WHERE ("location" = 'utrecht' OR "room" = 'kitchen') AND "ok" = true"#
        )
    );
    let expected: Vec<Reading> = points
        .iter()
        .filter(|r| (is_utrecht(r) || is_kitchen(r)) && is_odd(r))
        .cloned()
        .collect();
    assert_eq!(sorted_by_time(select.fetch().await.unwrap()), expected);
}

#[tokio::test]
async fn time_ranges() {
    let (client, _, points) = with_readings("sel_time").await;
    let (a, b) = (t0() + Duration::seconds(2), t0() + Duration::seconds(5));
    let between = |lo: i64, hi: i64| -> Vec<Reading> {
        points
            .iter()
            .filter(|r| (lo..=hi).contains(&(r.time - t0()).num_seconds()))
            .cloned()
            .collect()
    };
    let cases = [
        (
            client.select::<Reading>().time_range(a..b),
            format!("time >= '{}' AND time < '{}'", rfc(a), rfc(b)),
            between(2, 4),
        ),
        (
            client.select::<Reading>().time_range(a..=b),
            format!("time >= '{}' AND time <= '{}'", rfc(a), rfc(b)),
            between(2, 5),
        ),
        (
            client.select::<Reading>().time_range(a..),
            format!("time >= '{}'", rfc(a)),
            between(2, 9),
        ),
        (
            client.select::<Reading>().time_range(..b),
            format!("time < '{}'", rfc(b)),
            between(0, 4),
        ),
        (
            client.select::<Reading>().time_range(..=b),
            format!("time <= '{}'", rfc(b)),
            between(0, 5),
        ),
        (
            client
                .select::<Reading>()
                .filter(Reading::time().gt(a) & Reading::time().le(b)),
            format!("time > '{}' AND time <= '{}'", rfc(a), rfc(b)),
            between(3, 5),
        ),
        (
            client.select::<Reading>().filter(!Reading::time().lt(b)),
            format!("time >= '{}'", rfc(b)),
            between(5, 9),
        ),
    ];
    for (select, text, expected) in cases {
        assert_eq!(
            select.to_influxql(),
            format!("{SELECT_READING} WHERE {text}")
        );
        assert_eq!(select.fetch().await.unwrap(), expected, "{text}");
    }

    // Nanosecond precision in the literal.
    let exact = t0() + Duration::seconds(3);
    let just_after = exact + Duration::nanoseconds(1);
    let rows = client
        .select::<Reading>()
        .time_range(exact..just_after)
        .fetch()
        .await
        .unwrap();
    assert_eq!(rows, between(3, 3));
    let rows = client
        .select::<Reading>()
        .time_range(just_after..)
        .filter(Reading::time().le(exact + Duration::seconds(1)))
        .fetch()
        .await
        .unwrap();
    assert_eq!(rows, between(4, 4));
}

#[tokio::test]
async fn since_is_relative_to_the_server_clock() {
    let (client, _) = fresh_client("sel_since").await;
    let now = Utc::now();
    let points: Vec<Reading> = [-7200, -1800, -60]
        .into_iter()
        .enumerate()
        .map(|(i, offset)| Reading {
            time: now + Duration::seconds(offset),
            ..reading(i as i64, "x", i as f64)
        })
        .collect();
    client.write_all(&points).await.unwrap();
    let select = client.select::<Reading>().since(Duration::hours(1));
    assert_eq!(
        select.to_influxql(),
        format!("{SELECT_READING} WHERE time >= now() - 1h")
    );
    assert_eq!(select.fetch().await.unwrap(), points[1..].to_vec());
    let select = client.select::<Reading>().since(Duration::minutes(10));
    assert_eq!(
        select.to_influxql(),
        format!("{SELECT_READING} WHERE time >= now() - 10m")
    );
    assert_eq!(select.fetch().await.unwrap(), points[2..].to_vec());
    let select = client
        .select::<Reading>()
        .filter(Reading::time().within_last(StdDuration::from_secs(3 * 3600)));
    assert_eq!(
        select.to_influxql(),
        format!("{SELECT_READING} WHERE time >= now() - 3h")
    );
    assert_eq!(select.fetch().await.unwrap(), points);
    let select = client.select::<Reading>().since(Duration::minutes(-10));
    assert_eq!(
        select.to_influxql(),
        format!("{SELECT_READING} WHERE time >= now() + 10m")
    );
    assert_eq!(select.fetch().await.unwrap(), vec![]);
}

// ---------------------------------------------------------------------------
// Order, limits, series, retention policies
// ---------------------------------------------------------------------------

#[tokio::test]
async fn order_limit_and_offset() {
    let (client, _, points) = with_readings("sel_order").await;
    let select = client
        .select::<Reading>()
        .order_by_time_desc()
        .limit(3)
        .offset(1);
    assert_eq!(
        select.to_influxql(),
        format!("{SELECT_READING} ORDER BY time DESC LIMIT 3 OFFSET 1")
    );
    let expected: Vec<Reading> = points.iter().rev().skip(1).take(3).cloned().collect();
    assert_eq!(select.fetch().await.unwrap(), expected);

    let select = client.select::<Reading>().order_by_time_asc().limit(2);
    assert_eq!(
        select.to_influxql(),
        format!("{SELECT_READING} ORDER BY time ASC LIMIT 2")
    );
    assert_eq!(select.fetch().await.unwrap(), points[..2].to_vec());

    // An OFFSET alone returns one row on InfluxDB 1.x: the builder adds
    // the largest LIMIT that cannot overflow.
    let select = client.select::<Reading>().offset(8);
    assert_eq!(
        select.to_influxql(),
        format!("{SELECT_READING} LIMIT 9223372036854775799 OFFSET 8")
    );
    assert_eq!(select.fetch().await.unwrap(), points[8..].to_vec());
    let select = client
        .select::<Reading>()
        .order_by_time_desc()
        .limit(u64::MAX)
        .offset(7);
    assert_eq!(
        select.to_influxql(),
        format!("{SELECT_READING} ORDER BY time DESC LIMIT 9223372036854775800 OFFSET 7")
    );
    assert_eq!(
        select.fetch().await.unwrap(),
        vec![points[2].clone(), points[1].clone(), points[0].clone()]
    );

    // fetch_one and fetch_optional.
    let newest = client
        .select::<Reading>()
        .order_by_time_desc()
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(newest, points[9]);
    let oldest_utrecht = client
        .select::<Reading>()
        .filter(Reading::location().eq("utrecht"))
        .fetch_optional()
        .await
        .unwrap();
    assert_eq!(oldest_utrecht, Some(points[5].clone()));
    let nothing = client
        .select::<Reading>()
        .filter(Reading::location().eq("nowhere"));
    assert_eq!(nothing.clone().fetch_optional().await.unwrap(), None);
    assert!(matches!(
        nothing.fetch_one().await,
        Err(Error::Decode(inflow::DecodeError::NoRows))
    ));
}

#[tokio::test]
async fn group_by_tags_slimit_and_soffset() {
    let (client, _, points) = with_readings("sel_series").await;
    let select = client
        .select::<Reading>()
        .group_by(Reading::location())
        .limit(2);
    assert_eq!(
        select.to_influxql(),
        format!(r#"{SELECT_READING} GROUP BY "location" LIMIT 2"#)
    );
    // Two rows of each series; series in tag order.
    let expected = vec![
        points[0].clone(),
        points[1].clone(),
        points[5].clone(),
        points[6].clone(),
    ];
    assert_eq!(select.fetch().await.unwrap(), expected);

    let select = client
        .select::<Reading>()
        .group_by(Reading::location())
        .slimit(1)
        .soffset(1);
    assert_eq!(
        select.to_influxql(),
        format!(r#"{SELECT_READING} GROUP BY "location" SLIMIT 1 SOFFSET 1"#)
    );
    assert_eq!(select.fetch().await.unwrap(), points[5..].to_vec());

    // An SOFFSET alone returns nothing on InfluxDB 1.x: the builder adds
    // an SLIMIT.
    let select = client
        .select::<Reading>()
        .group_by(Reading::location())
        .soffset(1);
    assert_eq!(
        select.to_influxql(),
        format!(r#"{SELECT_READING} GROUP BY "location" SLIMIT 9223372036854775806 SOFFSET 1"#)
    );
    assert_eq!(select.fetch().await.unwrap(), points[5..].to_vec());

    let select = client
        .select::<Reading>()
        .group_by(Reading::room())
        .group_by(Reading::location())
        .order_by_time_desc()
        .slimit(1);
    assert_eq!(
        select.to_influxql(),
        format!(r#"{SELECT_READING} GROUP BY "room", "location" ORDER BY time DESC SLIMIT 1"#)
    );
    // The first series: room=attic, location=groningen, newest first.
    let expected: Vec<Reading> = points
        .iter()
        .rev()
        .filter(|r| r.room == Room::Attic && r.location == "groningen")
        .cloned()
        .collect();
    assert_eq!(select.fetch().await.unwrap(), expected);
}

#[tokio::test]
async fn retention_policy_and_database() {
    let (client, db, points) = with_readings("sel_rp").await;
    client
        .create_retention_policy("short", StdDuration::ZERO, 1, false)
        .await
        .unwrap();
    let elsewhere = reading(100, "rp only", 42.0);
    client
        .write_all_with([&elsewhere], &WriteOptions::new().retention_policy("short"))
        .await
        .unwrap();

    let select = client.select::<Reading>().retention_policy("short");
    assert_eq!(
        select.to_influxql(),
        SELECT_READING.replace(
            r#"FROM "reading""#,
            &format!(r#"FROM "{db}"."short"."reading""#)
        )
    );
    assert_eq!(select.fetch().await.unwrap(), vec![elsewhere.clone()]);
    assert_eq!(
        client
            .select::<Reading>()
            .retention_policy("autogen")
            .fetch()
            .await
            .unwrap(),
        points
    );
    assert_eq!(client.select::<Reading>().fetch().await.unwrap(), points);

    // A client whose default retention policy is `short` reads from it.
    let server = InfluxServer::shared().await;
    let short = Client::builder(&format!("{}/{db}", server.url()))
        .retention_policy("short")
        .build()
        .unwrap();
    assert_eq!(
        short.select::<Reading>().fetch().await.unwrap(),
        vec![elsewhere.clone()]
    );

    // A client without a database, told which one per query.
    let bare = Client::new(server.url()).unwrap();
    let select = bare.select::<Reading>().database(&db);
    assert_eq!(select.to_influxql(), SELECT_READING);
    assert_eq!(select.fetch().await.unwrap(), points);
    let select = bare
        .select::<Reading>()
        .database(&db)
        .retention_policy("short");
    assert_eq!(
        select.to_influxql(),
        SELECT_READING.replace(
            r#"FROM "reading""#,
            &format!(r#"FROM "{db}"."short"."reading""#)
        )
    );
    assert_eq!(select.fetch().await.unwrap(), vec![elsewhere]);
    assert!(bare.select::<Reading>().fetch().await.is_err());
}

// ---------------------------------------------------------------------------
// Aggregates
// ---------------------------------------------------------------------------

/// Readings at minutes 0, 10 and 20 of hours 0 and 2 (none in hour 1), in
/// two locations.
fn hourly_readings() -> Vec<Reading> {
    let mut out = Vec::new();
    for (l, location) in ["groningen", "utrecht"].into_iter().enumerate() {
        for hour in [0i64, 2] {
            for (m, minute) in [0i64, 10, 20].into_iter().enumerate() {
                let value = (l * 100) as f64 + (hour * 10) as f64 + m as f64;
                out.push(Reading {
                    time: t0() + Duration::minutes(hour * 60 + minute),
                    count: hour * 10 + m as i64,
                    ..reading(m as i64, location, value)
                });
            }
        }
    }
    out
}

fn hour(h: i64) -> DateTime<Utc> {
    t0() + Duration::hours(h)
}

fn hourly(h: i64, location: &str, mean: f64, p95: f64, n: i64, max: i64) -> Hourly {
    Hourly {
        time: hour(h),
        location: location.into(),
        mean_value: Some(mean),
        p95: Some(p95),
        n: Some(n),
        max_count: Some(max),
    }
}

#[tokio::test]
async fn aggregates_group_by_time_tags_and_fill() {
    let (client, _) = fresh_client("sel_agg").await;
    client.write_all(&hourly_readings()).await.unwrap();
    let base = || {
        client
            .select::<Hourly>()
            .time_range(hour(0)..hour(3))
            .group_by_time(StdDuration::from_secs(3600))
    };
    let range = format!(
        "WHERE time >= '{}' AND time < '{}'",
        rfc(hour(0)),
        rfc(hour(3))
    );

    // Groningen: hour 0 values 0,1,2; hour 2 values 20,21,22. Utrecht +100.
    let g0 = hourly(0, "groningen", 1.0, 2.0, 3, 2);
    let g2 = hourly(2, "groningen", 21.0, 22.0, 3, 22);
    let u0 = hourly(0, "utrecht", 101.0, 102.0, 3, 2);
    let u2 = hourly(2, "utrecht", 121.0, 122.0, 3, 22);
    let empty = |location: &str| Hourly {
        time: hour(1),
        location: location.into(),
        mean_value: None,
        p95: None,
        n: Some(0),
        max_count: None,
    };

    let select = base().fill(Fill::None);
    assert_eq!(
        select.to_influxql(),
        format!(r#"{SELECT_HOURLY} {range} GROUP BY time(1h), "location" fill(none)"#)
    );
    assert_eq!(
        select.fetch().await.unwrap(),
        vec![g0.clone(), g2.clone(), u0.clone(), u2.clone()]
    );

    // The server's default fill is null: the empty hour has no values,
    // and counts are 0.
    let select = base();
    assert_eq!(
        select.to_influxql(),
        format!(r#"{SELECT_HOURLY} {range} GROUP BY time(1h), "location""#)
    );
    let rows = select.fetch().await.unwrap();
    assert_eq!(
        rows,
        vec![
            g0.clone(),
            empty("groningen"),
            g2.clone(),
            u0.clone(),
            empty("utrecht"),
            u2.clone()
        ]
    );

    let select = base().fill(Fill::Null);
    assert!(select.to_influxql().ends_with("fill(null)"));
    assert_eq!(select.fetch().await.unwrap(), rows);

    // A fill value is truncated for integer columns.
    let select = base().fill(Fill::Value(-1.5));
    assert!(select.to_influxql().ends_with("fill(-1.5)"));
    let filled = |location: &str| Hourly {
        time: hour(1),
        location: location.into(),
        mean_value: Some(-1.5),
        p95: Some(-1.5),
        n: Some(-1),
        max_count: Some(-1),
    };
    assert_eq!(
        select.fetch().await.unwrap(),
        vec![
            g0.clone(),
            filled("groningen"),
            g2.clone(),
            u0.clone(),
            filled("utrecht"),
            u2.clone()
        ]
    );

    let select = base().fill(Fill::Previous);
    assert!(select.to_influxql().ends_with("fill(previous)"));
    let rows = select.fetch().await.unwrap();
    assert_eq!(
        rows[1],
        Hourly {
            time: hour(1),
            ..g0.clone()
        }
    );
    assert_eq!(
        rows[4],
        Hourly {
            time: hour(1),
            ..u0.clone()
        }
    );

    let select = base().fill(Fill::Linear);
    assert!(select.to_influxql().ends_with("fill(linear)"));
    let rows = select.fetch().await.unwrap();
    assert_eq!(
        rows[1],
        Hourly {
            time: hour(1),
            location: "groningen".into(),
            mean_value: Some(11.0),
            p95: Some(12.0),
            n: Some(3),
            max_count: Some(12),
        }
    );
    assert_eq!(rows[4].mean_value, Some(111.0));

    // Conditions on the source measurement, and an extra GROUP BY tag.
    let select = base()
        .filter(Reading::location().eq("utrecht"))
        .filter(Reading::count().lt(22))
        .group_by(Reading::location())
        .fill(Fill::None)
        .order_by_time_desc();
    assert_eq!(
        select.to_influxql(),
        format!(
            r#"{SELECT_HOURLY} {range} AND "location" = 'utrecht' AND "count" < 22 GROUP BY time(1h), "location" fill(none) ORDER BY time DESC"#
        )
    );
    assert_eq!(
        select.fetch().await.unwrap(),
        vec![hourly(2, "utrecht", 120.5, 121.0, 2, 21), u0.clone()]
    );

    // Without GROUP BY time: one row per location, at time zero.
    let select = client.select::<Hourly>();
    assert_eq!(
        select.to_influxql(),
        format!(r#"{SELECT_HOURLY} GROUP BY "location""#)
    );
    let rows = select.fetch().await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].location, "groningen");
    assert_eq!(rows[0].mean_value, Some(11.0));
    assert_eq!(rows[0].n, Some(6));
    assert_eq!(rows[1].location, "utrecht");
    assert_eq!(rows[1].max_count, Some(22));

    // Series limits apply to the location series.
    let rows = base()
        .fill(Fill::None)
        .slimit(1)
        .soffset(1)
        .fetch()
        .await
        .unwrap();
    assert_eq!(rows, vec![u0, u2]);
    let rows = base().fill(Fill::None).limit(1).fetch().await.unwrap();
    assert_eq!(rows, vec![g0, hourly(0, "utrecht", 101.0, 102.0, 3, 2)]);
}

/// Daily aggregates, for time zones and offsets.
#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(from = Reading)]
struct Bucket {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(aggregate = "count(value)")]
    n: i64,
    #[influx(aggregate = "sum(value)")]
    total: f64,
}

#[tokio::test]
async fn group_by_time_offset_and_time_zone() {
    let (client, _) = fresh_client("sel_tz").await;
    // 22:30Z is 23:30 in Amsterdam (January, UTC+1); 23:30Z is 00:30 the
    // next day there.
    let late = Utc.with_ymd_and_hms(2024, 1, 15, 22, 30, 0).unwrap();
    let later = Utc.with_ymd_and_hms(2024, 1, 15, 23, 30, 0).unwrap();
    let points = vec![
        Reading {
            time: late,
            ..reading(0, "x", 1.0)
        },
        Reading {
            time: later,
            ..reading(1, "x", 2.0)
        },
    ];
    client.write_all(&points).await.unwrap();
    let from = Utc.with_ymd_and_hms(2024, 1, 14, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2024, 1, 17, 0, 0, 0).unwrap();
    let day = StdDuration::from_secs(86400);

    let utc = client
        .select::<Bucket>()
        .time_range(from..to)
        .group_by_time(day)
        .fill(Fill::None);
    assert_eq!(
        utc.to_influxql(),
        format!(
            r#"SELECT count("value") AS "n", sum("value") AS "total" FROM "reading" WHERE time >= '{}' AND time < '{}' GROUP BY time(1d) fill(none)"#,
            rfc(from),
            rfc(to)
        )
    );
    assert_eq!(
        utc.clone().fetch().await.unwrap(),
        vec![Bucket {
            time: Utc.with_ymd_and_hms(2024, 1, 15, 0, 0, 0).unwrap(),
            n: 2,
            total: 3.0
        }]
    );

    let amsterdam = utc.clone().tz("Europe/Amsterdam");
    assert!(amsterdam
        .to_influxql()
        .ends_with("GROUP BY time(1d) fill(none) tz('Europe/Amsterdam')"));
    assert_eq!(
        amsterdam.fetch().await.unwrap(),
        vec![
            Bucket {
                time: Utc.with_ymd_and_hms(2024, 1, 14, 23, 0, 0).unwrap(),
                n: 1,
                total: 1.0
            },
            Bucket {
                time: Utc.with_ymd_and_hms(2024, 1, 15, 23, 0, 0).unwrap(),
                n: 1,
                total: 2.0
            },
        ]
    );

    // Hours starting at a quarter past: 22:15-23:15 and 23:15-00:15.
    let shifted = client
        .select::<Bucket>()
        .time_range(from..to)
        .group_by_time_offset(StdDuration::from_secs(3600), StdDuration::from_secs(900))
        .fill(Fill::None);
    assert!(shifted
        .to_influxql()
        .ends_with("GROUP BY time(1h, 15m) fill(none)"));
    assert_eq!(
        shifted.fetch().await.unwrap(),
        vec![
            Bucket {
                time: Utc.with_ymd_and_hms(2024, 1, 15, 22, 15, 0).unwrap(),
                n: 1,
                total: 1.0
            },
            Bucket {
                time: Utc.with_ymd_and_hms(2024, 1, 15, 23, 15, 0).unwrap(),
                n: 1,
                total: 2.0
            },
        ]
    );

    // tz on a raw select changes nothing but is accepted.
    let select = client.select::<Reading>().tz("Europe/Amsterdam");
    assert_eq!(
        select.to_influxql(),
        format!("{SELECT_READING} tz('Europe/Amsterdam')")
    );
    assert_eq!(select.fetch().await.unwrap(), points);
}

// ---------------------------------------------------------------------------
// Hostile values
// ---------------------------------------------------------------------------

const HOSTILE: &[&str] = &[
    "'; DROP DATABASE x",
    "' OR ''='",
    "o'neil",
    "\"double\" quotes",
    "back\\slash",
    "\\'",
    "a/b",
    "/ OR 1=1 --",
    "x\\/ --",
    "$loc",
    "a;b",
    "-- not a comment",
    "tab\there",
    "ünïcødé ✓",
];

#[tokio::test]
async fn hostile_values_match_literally_and_change_nothing() {
    let (client, db) = fresh_client("sel_hostile").await;
    let server = InfluxServer::shared().await;
    let mut points = Vec::new();
    for (i, value) in HOSTILE.iter().enumerate() {
        points.push(Reading {
            label: format!("{value}\nline two"),
            ..reading(i as i64, value, i as f64)
        });
    }
    client.write_all(&points).await.unwrap();
    let total = points.len() as u64;

    for (i, value) in HOSTILE.iter().enumerate() {
        // Tag equality.
        let select = client
            .select::<Reading>()
            .filter(Reading::location().eq(*value));
        assert_eq!(
            select.fetch().await.unwrap(),
            vec![points[i].clone()],
            "{value:?}"
        );
        // Tag inequality: every other row.
        let rows = client
            .select::<Reading>()
            .filter(Reading::location().ne(*value))
            .fetch()
            .await
            .unwrap();
        assert_eq!(rows.len(), points.len() - 1, "{value:?}");
        assert!(!rows.contains(&points[i]));
        // String field equality, with a newline in the value.
        let rows = client
            .select::<Reading>()
            .filter(Reading::label().eq(points[i].label.clone()))
            .fetch()
            .await
            .unwrap();
        assert_eq!(rows, vec![points[i].clone()], "{value:?}");
        // A regex made of the escaped value matches it alone.
        let rows = client
            .select::<Reading>()
            .filter(Reading::location().matches(format!("^{}$", regex_escape(value))))
            .fetch()
            .await
            .unwrap();
        assert_eq!(rows, vec![points[i].clone()], "{value:?}");
    }

    // `/` in a regex needs no escaping from the caller.
    let select = client
        .select::<Reading>()
        .filter(Reading::location().matches("^a/b$"));
    assert!(select
        .to_influxql()
        .ends_with(r#"WHERE "location" =~ /^a\/b$/"#));
    assert_eq!(select.fetch().await.unwrap(), vec![points[6].clone()]);
    // A regex with a newline escape matches the label's second line.
    let rows = client
        .select::<Reading>()
        .filter(Reading::label().matches("\nline two$"))
        .fetch()
        .await
        .unwrap();
    assert_eq!(rows.len(), points.len());

    // A regex ending in a backslash cannot escape its closing slash and
    // swallow the next literal: it is the invalid regex it is.
    let select = client
        .select::<Reading>()
        .filter(Reading::location().matches("x\\") | Reading::location().eq("/ OR 1=1 --"));
    assert_eq!(
        select.to_influxql(),
        format!(r#"{SELECT_READING} WHERE "location" =~ /x\(?:)/ OR "location" = '/ OR 1=1 --'"#)
    );
    match select.fetch().await {
        Err(Error::QueryFailed { message, .. }) => assert!(message.contains("regexp"), "{message}"),
        other => panic!("expected the server to refuse the regex, got {other:?}"),
    }
    // An even number of trailing backslashes is a literal backslash.
    let rows = client
        .select::<Reading>()
        .filter(Reading::location().matches("k\\\\"))
        .fetch()
        .await
        .unwrap();
    assert_eq!(rows, vec![points[4].clone()]);

    // Hostile time zones, retention policies and databases are names, not
    // statements.
    let bad_tz = client
        .select::<Reading>()
        .tz("x') ; DROP DATABASE x; SELECT ('");
    assert!(bad_tz
        .to_influxql()
        .ends_with(r#"tz('x\') ; DROP DATABASE x; SELECT (\'')"#));
    assert!(bad_tz.fetch().await.is_err());
    let hostile_rp = "autogen\".\"reading\"; DROP DATABASE x; --";
    let bad_rp = client.select::<Reading>().retention_policy(hostile_rp);
    match bad_rp.fetch().await {
        Err(Error::Statement { message, .. }) => {
            assert!(message.contains(hostile_rp), "{message}")
        }
        other => panic!("expected an unknown retention policy, got {other:?}"),
    }
    let bad_db = client
        .select::<Reading>()
        .database("x\"; DROP DATABASE x; --")
        .retention_policy("autogen");
    assert!(bad_db.fetch().await.is_err());

    // Nothing changed: the database and every row are still there.
    assert!(client.show_databases().await.unwrap().contains(&db));
    assert_eq!(
        server.count_field(&db, "reading", "value").await.unwrap(),
        total
    );
    assert_eq!(client.select::<Reading>().fetch().await.unwrap(), points);
}

/// Escapes RE2's special characters.
fn regex_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------
// Refused before sending
// ---------------------------------------------------------------------------

#[tokio::test]
async fn what_influxql_cannot_express_is_never_sent() {
    let (client, _, points) = with_readings("sel_refused").await;
    let refused = [
        client
            .select::<Reading>()
            .filter(Reading::value().gt(f64::NAN)),
        client
            .select::<Reading>()
            .filter(Reading::value().ne(f64::INFINITY)),
        client
            .select::<Reading>()
            .filter(Reading::time().gt(t0()) | Reading::location().eq("x")),
        client.select::<Reading>().limit(0),
        client.select::<Reading>().slimit(0),
        client.select::<Reading>().time_range(
            ..DateTime::parse_from_rfc3339("3000-01-01T00:00:00Z")
                .unwrap()
                .to_utc(),
        ),
    ];
    for select in refused {
        let text = select.to_influxql();
        assert!(
            matches!(select.fetch().await, Err(Error::Misuse(_))),
            "{text}"
        );
    }
    let refused = [
        client.select::<Hourly>().fill(Fill::Value(f64::NAN)),
        client.select::<Hourly>().group_by_time(StdDuration::ZERO),
    ];
    for select in refused {
        let text = select.to_influxql();
        assert!(
            matches!(select.fetch().await, Err(Error::Misuse(_))),
            "{text}"
        );
    }
    // The same condition with the time part moved out of the OR works.
    let rows = client
        .select::<Reading>()
        .filter(Reading::time().ge(t0() + Duration::seconds(8)))
        .filter(Reading::location().eq("utrecht") | Reading::location().eq("x"))
        .fetch()
        .await
        .unwrap();
    assert_eq!(rows, points[8..].to_vec());
}

// ---------------------------------------------------------------------------
// Streaming
// ---------------------------------------------------------------------------

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "many")]
struct Many {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(tag)]
    shard: String,
    index: i64,
    value: f64,
}

#[tokio::test]
async fn fetch_stream_yields_every_row_in_order() {
    const ROWS: i64 = 50_000;
    let (client, _) = fresh_client("sel_stream").await;
    let points: Vec<Many> = (0..ROWS)
        .map(|i| Many {
            time: t0() + Duration::milliseconds(i),
            shard: "s".into(),
            index: i,
            value: i as f64 / 4.0,
        })
        .collect();
    for chunk in points.chunks(10_000) {
        client.write_all(chunk).await.unwrap();
    }

    let select = client.select::<Many>();
    assert_eq!(
        select.to_influxql(),
        r#"SELECT "shard", "index", "value" FROM "many""#
    );
    let mut stream = select.fetch_stream().await.unwrap();
    let mut seen = 0i64;
    while let Some(row) = stream.next().await {
        let row = row.unwrap();
        assert_eq!(row, points[seen as usize]);
        seen += 1;
    }
    assert_eq!(seen, ROWS);

    // Newest first, with a condition, through the same stream.
    let mut stream = client
        .select::<Many>()
        .filter(Many::index().ge(ROWS - 25_000))
        .order_by_time_desc()
        .fetch_stream()
        .await
        .unwrap();
    let mut expected = ROWS - 1;
    while let Some(row) = stream.next().await {
        assert_eq!(row.unwrap().index, expected);
        expected -= 1;
    }
    assert_eq!(expected, ROWS - 25_000 - 1);

    // And all at once.
    let rows = client.select::<Many>().fetch().await.unwrap();
    assert_eq!(rows.len() as i64, ROWS);
    assert_eq!(rows, points);
}

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "battery")]
struct Battery {
    #[influx(time)]
    time: DateTime<Utc>,
    battery_mv: u64,
    level: u8,
    ratio: f32,
}

/// Integer literals of any type that fits compare with unsigned and
/// float fields; one that does not fit is refused before sending.
#[tokio::test]
async fn integer_literals_compare_with_any_numeric_field() {
    let (client, _) = fresh_client("literals").await;
    let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let rows: Vec<Battery> = (0..5u64)
        .map(|i| Battery {
            time: t0 + chrono::Duration::seconds(i as i64),
            battery_mv: 3_000 + 200 * i,
            level: 10 * i as u8,
            ratio: i as f32 / 4.0,
        })
        .collect();
    client.write_all(&rows).await.unwrap();
    let over = client
        .select::<Battery>()
        .filter(Battery::battery_mv().gt(3500))
        .fetch()
        .await
        .unwrap();
    assert_eq!(over, rows[3..]);
    let low = client
        .select::<Battery>()
        .filter(Battery::level().ge(20).and(Battery::ratio().lt(1)))
        .fetch()
        .await
        .unwrap();
    assert_eq!(low, rows[2..4]);
    for (what, select) in [
        (
            "negative",
            client.select::<Battery>().filter(Battery::level().gt(-1)),
        ),
        (
            "too big",
            client.select::<Battery>().filter(Battery::level().lt(300)),
        ),
        (
            "not exact",
            client
                .select::<Battery>()
                .filter(Battery::ratio().eq((1i64 << 40) + 1)),
        ),
    ] {
        match select.fetch().await {
            Err(Error::Misuse(message)) => assert!(
                message.contains("level") || message.contains("ratio"),
                "{what}: {message}"
            ),
            other => panic!("{what}: {other:?}"),
        }
    }
}

/// `GROUP BY *`: one series per tag set; every tag field filled from its
/// series, as the same rows grouped by naming each tag.
#[tokio::test]
async fn group_by_all_tags_fills_every_tag() {
    let (client, _, points) = with_readings("sel_group_all").await;
    let all = client.select::<Reading>().group_by_all_tags().limit(2);
    assert!(
        all.to_influxql().ends_with(" GROUP BY * LIMIT 2"),
        "{}",
        all.to_influxql()
    );
    let named = client
        .select::<Reading>()
        .group_by(Reading::location())
        .group_by(Reading::room())
        .group_by(Reading::sensor())
        .limit(2);
    let mut by_all = all.fetch().await.unwrap();
    let mut by_name = named.fetch().await.unwrap();
    assert!(!by_all.is_empty());
    by_all.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    by_name.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    assert_eq!(by_all, by_name);
    assert!(by_all.iter().all(|r| points.contains(r)));
}
