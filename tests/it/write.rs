//! The write path against a real server: every field, tag and time type of
//! the derive, and every escaping case, survive a round trip (written with
//! the derive, read back with a raw query).

use std::borrow::Cow;

use chrono::{DateTime, TimeZone, Utc};
use inflow::{Client, Error, InvalidPoint, Measurement, Point, Precision, TagValue, WriteOptions};
use inflow_tests::{fresh_client, Room};
use serde_json::{json, Value};

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "all_types")]
struct AllTypes {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(tag)]
    t_string: String,
    #[influx(tag)]
    t_cow: Cow<'static, str>,
    #[influx(tag)]
    t_option: Option<String>,
    #[influx(tag)]
    t_room: Room,
    f_f64: f64,
    f_f32: f32,
    f_i64: i64,
    f_i32: i32,
    f_i16: i16,
    f_i8: i8,
    f_u64: u64,
    f_u32: u32,
    f_u16: u16,
    f_u8: u8,
    f_bool: bool,
    f_string: String,
    f_cow: Cow<'static, str>,
    f_opt_f64: Option<f64>,
    f_opt_i64: Option<i64>,
    f_opt_u32: Option<u32>,
    f_opt_bool: Option<bool>,
    f_opt_string: Option<String>,
}

#[derive(Measurement, Debug)]
#[influx(measurement = "borrowed")]
struct Borrowed<'a> {
    #[influx(time, unit = "ns")]
    time: i64,
    #[influx(tag)]
    host: &'a str,
    #[influx(tag)]
    zone: Option<&'a str>,
    message: &'a str,
    maybe: Option<&'a str>,
}

#[derive(Measurement, Debug)]
#[influx(measurement = "nowish")]
struct NoTime {
    #[influx(time)]
    time: Option<DateTime<Utc>>,
    value: i64,
}

fn sample(i: i64, full: bool) -> AllTypes {
    AllTypes {
        time: Utc.timestamp_nanos(1_700_000_000_000_000_000 + i),
        t_string: format!("host-{i}"),
        t_cow: Cow::Borrowed("eu west"),
        t_option: full.then(|| "opt".to_string()),
        t_room: if i % 2 == 0 {
            Room::Kitchen
        } else {
            Room::Attic
        },
        f_f64: -1.5e-300 * i as f64,
        f_f32: 3.25,
        f_i64: i64::MIN + 1 + i,
        f_i32: i32::MAX,
        f_i16: i16::MIN,
        f_i8: -8,
        f_u64: i64::MAX as u64,
        f_u32: u32::MAX,
        f_u16: u16::MAX,
        f_u8: 255,
        f_bool: i % 2 == 0,
        f_string: "say \"hi\", \\ 🌍\nnext line".into(),
        f_cow: Cow::Owned("cow".into()),
        f_opt_f64: full.then_some(0.1),
        f_opt_i64: full.then_some(-7),
        f_opt_u32: full.then_some(7),
        f_opt_bool: full.then_some(false),
        f_opt_string: full.then(|| "x".into()),
    }
}

async fn rows(client: &Client, query: &str) -> (Vec<String>, Vec<Vec<Value>>) {
    let results = client
        .query(query)
        .epoch(Precision::Nanoseconds)
        .await
        .unwrap();
    let series = results.series().next().expect("one series").clone();
    (series.columns, series.values)
}

fn cell<'a>(columns: &[String], row: &'a [Value], name: &str) -> &'a Value {
    let i = columns
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    &row[i]
}

#[tokio::test]
async fn every_field_tag_and_time_type_round_trips() {
    let (client, _) = fresh_client("alltypes").await;
    let points = [sample(0, true), sample(1, false)];
    let summary = client.write_all(&points).await.unwrap();
    assert_eq!(summary.points, 2);
    let (columns, values) = rows(&client, "SELECT * FROM all_types ORDER BY time").await;
    assert_eq!(values.len(), 2);
    for (p, row) in points.iter().zip(&values) {
        let c = |name: &str| cell(&columns, row, name);
        assert_eq!(c("time"), &json!(p.time.timestamp_nanos_opt().unwrap()));
        assert_eq!(c("t_string"), &json!(p.t_string));
        assert_eq!(c("t_cow"), &json!("eu west"));
        assert_eq!(c("t_option"), &json!(p.t_option));
        assert_eq!(c("t_room"), &json!(p.t_room.as_tag().unwrap()));
        assert_eq!(c("f_f64").as_f64(), Some(p.f_f64));
        assert_eq!(c("f_f32").as_f64(), Some(p.f_f32 as f64));
        assert_eq!(c("f_i64"), &json!(p.f_i64));
        assert_eq!(c("f_i32"), &json!(p.f_i32));
        assert_eq!(c("f_i16"), &json!(p.f_i16));
        assert_eq!(c("f_i8"), &json!(p.f_i8));
        assert_eq!(c("f_u64"), &json!(p.f_u64));
        assert_eq!(c("f_u32"), &json!(p.f_u32));
        assert_eq!(c("f_u16"), &json!(p.f_u16));
        assert_eq!(c("f_u8"), &json!(p.f_u8));
        assert_eq!(c("f_bool"), &json!(p.f_bool));
        assert_eq!(c("f_string"), &json!(p.f_string));
        assert_eq!(c("f_cow"), &json!("cow"));
        assert_eq!(c("f_opt_f64"), &json!(p.f_opt_f64));
        assert_eq!(c("f_opt_i64"), &json!(p.f_opt_i64));
        assert_eq!(c("f_opt_u32"), &json!(p.f_opt_u32));
        assert_eq!(c("f_opt_bool"), &json!(p.f_opt_bool));
        assert_eq!(c("f_opt_string"), &json!(p.f_opt_string));
    }
    // The field types the server recorded.
    let types: std::collections::BTreeMap<String, String> = client
        .show_field_keys("all_types")
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(types["f_f32"], "float");
    assert_eq!(types["f_u64"], "integer");
    assert_eq!(types["f_bool"], "boolean");
    assert_eq!(types["f_cow"], "string");
}

#[tokio::test]
async fn borrowed_structs_and_missing_times() {
    let (client, _) = fresh_client("borrowed").await;
    let owner = String::from("web 1");
    let point = Borrowed {
        time: 42,
        host: &owner,
        zone: None,
        message: "hello, world",
        maybe: None,
    };
    client.write(&point).await.unwrap();
    let (columns, values) = rows(&client, "SELECT * FROM borrowed").await;
    assert_eq!(cell(&columns, &values[0], "time"), &json!(42));
    assert_eq!(cell(&columns, &values[0], "host"), &json!("web 1"));
    assert_eq!(
        cell(&columns, &values[0], "message"),
        &json!("hello, world")
    );
    assert!(!columns.iter().any(|c| c == "maybe" || c == "zone"));

    let before = Utc::now().timestamp_nanos_opt().unwrap();
    client
        .write(&NoTime {
            time: None,
            value: 1,
        })
        .await
        .unwrap();
    let after = Utc::now().timestamp_nanos_opt().unwrap();
    let (_, values) = rows(&client, "SELECT * FROM nowish").await;
    let t = values[0][0].as_i64().unwrap();
    assert!(
        (before..=after).contains(&t),
        "the time is filled when the point is encoded"
    );
}

/// Names and values with every character line protocol escapes, written
/// with the derive and with `Point`, come back exactly.
#[tokio::test]
async fn every_escaping_case_round_trips() {
    #[derive(Measurement)]
    #[influx(measurement = "esc, m=1")]
    struct Hostile {
        #[influx(tag, rename = "tag key, =x")]
        tag: String,
        #[influx(rename = "field key, =\"y\"")]
        field: String,
        #[influx(time, unit = "ns")]
        time: i64,
    }
    let (client, _) = fresh_client("escaping").await;
    let tag_values = [
        "plain",
        "with space",
        "with,comma",
        "with=equals",
        "a\\b (inner backslash)",
        "\\leading",
        "\"quoted\"",
        "'single'",
        "ünïcödé ✓ 🚀",
        "tab\there",
    ];
    let field_values = [
        "\"",
        "\\",
        "\\\"",
        "end\\",
        "new\nline",
        "a,b=c d",
        "🦀",
        "",
        "'; DROP DATABASE x",
    ];
    let mut i = 0;
    let mut written = Vec::new();
    for tag in tag_values {
        for field in field_values {
            written.push(Hostile {
                tag: tag.to_string(),
                field: field.to_string(),
                time: i,
            });
            i += 1;
        }
    }
    client.write_all(&written).await.unwrap();
    let (columns, values) = rows(&client, "SELECT * FROM \"esc, m=1\" ORDER BY time").await;
    assert_eq!(values.len(), written.len());
    for (w, row) in written.iter().zip(&values) {
        assert_eq!(cell(&columns, row, "tag key, =x"), &json!(w.tag));
        assert_eq!(cell(&columns, row, "field key, =\"y\""), &json!(w.field));
    }

    // The same through `Point`, with hostile measurement and keys.
    let point = Point::new("p m,=")
        .tag("k ,=", "v ,=\\x")
        .field("f ,=", "\"\\\n")
        .timestamp_nanos(1);
    client.write(&point).await.unwrap();
    let (columns, values) = rows(&client, "SELECT * FROM \"p m,=\"").await;
    assert_eq!(cell(&columns, &values[0], "k ,="), &json!("v ,=\\x"));
    assert_eq!(cell(&columns, &values[0], "f ,="), &json!("\"\\\n"));
}

#[tokio::test]
async fn precision_and_retention_policy_per_call() {
    let (client, db) = fresh_client("precision").await;
    client
        .create_retention_policy("short", std::time::Duration::from_secs(3600 * 24), 1, false)
        .await
        .unwrap();
    // Recent enough for a one-day retention policy.
    let ns =
        Utc::now().timestamp_nanos_opt().unwrap() / 1_000_000_000 * 1_000_000_000 + 123_456_789;
    let t = Utc.timestamp_nanos(ns);
    let p = Point::new("m").field("v", 1i64).timestamp(t);
    for precision in [
        Precision::Seconds,
        Precision::Milliseconds,
        Precision::Microseconds,
    ] {
        let options = WriteOptions::new()
            .precision(precision)
            .retention_policy("short");
        client.write_all_with([&p], &options).await.unwrap();
        let (_, values) = rows(
            &client,
            "SELECT v FROM \"short\".\"m\" ORDER BY time DESC LIMIT 1",
        )
        .await;
        let stored = values[0][0].as_i64().unwrap();
        let unit = precision.nanos_per_unit();
        assert_eq!(stored, ns / unit * unit, "{precision:?}");
        client.query("DELETE FROM m").await.unwrap();
    }
    let rps = client.show_retention_policies().await.unwrap();
    assert!(
        rps.iter().any(|rp| rp.name == "short" && !rp.default),
        "{rps:?}"
    );
    assert!(client.show_databases().await.unwrap().contains(&db));
}

#[tokio::test]
async fn unsigned_integers_need_the_option_on_1x() {
    let (client, db) = fresh_client("unsigned").await;
    let p = Point::new("m").field("u", u64::MAX).timestamp_nanos(1);
    assert!(matches!(
        client.write(&p).await,
        Err(Error::InvalidPoint {
            reason: InvalidPoint::UnsignedOverflow { .. },
            ..
        })
    ));
    // With the `u` suffix on, 1.x OSS refuses the line: the option is for
    // servers that have unsigned integers.
    let server = inflow::testkit::InfluxServer::shared().await;
    let unsigned = Client::builder(&format!("{}/{db}", server.url()))
        .unsigned_integers(true)
        .build()
        .unwrap();
    match unsigned.write(&p).await.unwrap_err() {
        Error::WriteFailed { message, .. } => {
            assert!(message.contains("invalid number"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

/// Default tags on a client: added to every point it writes, through
/// `write` and sessions alike, unless the point has the tag itself.
#[tokio::test]
async fn default_tags_are_added_unless_the_point_has_them() {
    let (plain, db) = fresh_client("default_tags").await;
    let server = inflow::testkit::InfluxServer::shared().await;
    let client = Client::builder(&format!("{}/{db}", server.url()))
        .default_tag("host", "h1")
        .default_tag("region", "eu west")
        .build()
        .unwrap();
    client
        .write_all(&[
            Point::new("m").field("v", 1i64).timestamp_nanos(1),
            Point::new("m")
                .tag("host", "own")
                .field("v", 2i64)
                .timestamp_nanos(2),
        ])
        .await
        .unwrap();
    let mut session = client.session();
    session
        .add(
            &Point::new("m")
                .tag("a", "x")
                .field("v", 3i64)
                .timestamp_nanos(3),
        )
        .await
        .unwrap();
    session.commit().await.unwrap();
    let results = plain
        .query("SELECT v, host, region, a FROM m")
        .await
        .unwrap();
    let rows: Vec<String> = results
        .series()
        .flat_map(|s| s.values.iter())
        .map(|row| format!("{} {} {} {}", row[1], row[2], row[3], row[4]))
        .collect();
    assert_eq!(
        rows,
        [
            r#"1 "h1" "eu west" null"#,
            r#"2 "own" "eu west" null"#,
            r#"3 "h1" "eu west" "x""#,
        ]
    );
    // A default tag no point's tag could have is refused when building.
    for (key, value) in [("time", "x"), ("k", ""), ("k", "v\\")] {
        let built = Client::builder(&format!("{}/{db}", server.url()))
            .default_tag(key, value)
            .build();
        assert!(matches!(built, Err(Error::Config(_))), "{key:?}={value:?}");
    }
}
