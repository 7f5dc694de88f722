//! Exact round trips against a real server, one case per way InfluxDB 1.x
//! was seen to store something other than what was written: every point
//! the client accepts comes back as written, raw and typed, and can be
//! found by its values; every point it refuses is refused before sending,
//! and nothing the server would store is refused.

use std::time::{Duration, Instant};

use inflow::line_protocol::encode;
use inflow::query::quote_ident;
use inflow::{
    Client, EncodeOptions, Error, FieldData, InvalidPoint, Measurement, Point, QueryResults,
};
use inflow_tests::{conformance_dir, fresh_client};
use serde_json::Value;

/// Whether a refusal has the expected reason.
type Check = fn(&InvalidPoint) -> bool;

/// Every series of a measurement, tags grouped. A name InfluxQL cannot
/// write (a carriage return or NUL) is selected by an exact regex.
async fn series(client: &Client, measurement: &str) -> QueryResults {
    let from = if measurement.contains(['\r', '\0']) {
        inflow::query::quote_regex(&format!("^{}$", regex_escape(measurement)))
    } else {
        quote_ident(measurement)
    };
    let query = format!("SELECT * FROM {from} GROUP BY *");
    client
        .query(query.as_str())
        .await
        .unwrap_or_else(|e| panic!("{query:?}: {e}"))
}

async fn measurements(client: &Client) -> Vec<String> {
    let results = client.query("SHOW MEASUREMENTS").await.unwrap();
    results
        .series()
        .flat_map(|s| s.values.iter())
        .map(|row| row[0].as_str().unwrap().to_string())
        .collect()
}

/// Writes one point and reads it back: its measurement, tags and
/// `(field, value)` pairs as the server stored them.
async fn round_trip(
    client: &Client,
    point: &Point,
) -> (
    Vec<String>,
    Vec<(String, String)>,
    Vec<(String, serde_json::Value)>,
) {
    client.write(point).await.unwrap();
    let results = series(client, point.measurement()).await;
    let series: Vec<_> = results.series().collect();
    assert_eq!(series.len(), 1, "{point:?}: {results:?}");
    let s = series[0];
    let tags = s.tags.clone().into_iter().collect();
    let row = &s.values[0];
    let fields = s
        .columns
        .iter()
        .zip(row)
        .filter(|(c, v)| *c != "time" && !v.is_null())
        .map(|(c, v)| (c.clone(), v.clone()))
        .collect();
    (vec![s.name.clone().unwrap_or_default()], tags, fields)
}

#[tokio::test]
async fn what_the_rules_accept_comes_back_as_written() {
    let (client, _) = fresh_client("exact_names").await;
    // Each of these was refused, or stored as something else, before.
    let cases: Vec<Point> = vec![
        Point::new("a=b\"c").field("f", 1i64),
        Point::new("a\\b").field("f", 1i64),
        Point::new(" lead").field("f", 1i64),
        Point::new("esc\\\nnewline").field("f", 1i64),
        Point::new("tags")
            .tag("a\\ b", "c\\,d")
            .tag("e\\\\=f", "\"q\"\r")
            .tag("nl\\\n", "x\\\ny")
            .field("f", 1i64),
        Point::new("keys")
            .field("a\\\"b", 1i64)
            .field("\"", 2i64)
            .field("even\\\\,run", 3i64)
            .field("nl\\\n", 4i64),
        Point::new("first_tab")
            .field("\ttab", 1i64)
            .field("\t", 2i64)
            .field("plain", 3i64),
        Point::new("strings").field("s", "a\"b\\c\nd\re\0f\\"),
        Point::new("long").field("s", "x".repeat(100_000)),
        Point::new("dropped_tags")
            .tag("k", "")
            .tag("k", "v")
            .tag("time", "")
            .field("f", 1i64),
    ];
    for (i, point) in cases.into_iter().enumerate() {
        let point = point.timestamp_nanos(i as i64 + 1);
        let (names, tags, fields) = round_trip(&client, &point).await;
        assert_eq!(names, [point.measurement()], "{point:?}");
        let mut expected_tags: Vec<(String, String)> = point
            .tags()
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .cloned()
            .collect();
        expected_tags.sort();
        assert_eq!(tags, expected_tags, "{point:?}");
        let mut expected_fields: Vec<(String, serde_json::Value)> = point
            .fields()
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    inflow::FieldData::Int(i) => serde_json::json!(i),
                    inflow::FieldData::Str(s) => serde_json::json!(s),
                    other => panic!("{other:?}"),
                };
                (k.clone(), v)
            })
            .collect();
        expected_fields.sort_by(|a, b| a.0.cmp(&b.0));
        let mut fields = fields;
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(fields, expected_fields, "{point:?}");
    }
}

#[tokio::test]
async fn names_the_server_would_change_are_refused_before_sending() {
    let (client, _) = fresh_client("exact_refused").await;
    let cases: Vec<(Point, Check)> = vec![
        // Stored as `a=b`, `a"b`, or listed and unreadable.
        (Point::new("a\\=b").field("f", 1i64), |r| {
            matches!(r, InvalidPoint::EscapingBackslash(_))
        }),
        (Point::new("a\\\"b").field("f", 1i64), |r| {
            matches!(r, InvalidPoint::EscapingBackslash(_))
        }),
        (Point::new("\\,").field("f", true), |r| {
            matches!(r, InvalidPoint::EscapingBackslash(_))
        }),
        // The server keeps one value, or refuses the line.
        (Point::new("m").field("f", 1i64).field("f", "x"), |r| {
            matches!(r, InvalidPoint::DuplicateField(_))
        }),
        (Point::new("m").field("\tf", 1i64), |r| {
            *r == InvalidPoint::SkippedFieldKeys
        }),
        // The server would read past the newline into the next line...
        (Point::new("m").tag("a\\ b", "x\"y").field("f", 1i64), |r| {
            matches!(r, InvalidPoint::MisplacedLineEnd { .. })
        }),
        // ...or store `evil f=1i 5`, a point never written.
        (
            Point::new("m")
                .tag("k", "x\\ y\\,z")
                .field("s", "a\nevil f=1i 5\n"),
            |r| matches!(r, InvalidPoint::MisplacedLineEnd { .. }),
        ),
    ];
    for (point, check) in cases {
        let point = point.timestamp_nanos(1);
        match client.write(&point).await {
            Err(Error::InvalidPoint { reason, .. }) => {
                assert!(check(&reason), "{point:?}: {reason:?}")
            }
            other => panic!("{point:?} was not refused: {other:?}"),
        }
    }
    // A batch with the refused points left out is written whole, and
    // nothing was stored.
    client
        .write_all(&[
            Point::new("m")
                .tag("k", "x\\ y")
                .field("f", 1i64)
                .timestamp_nanos(1),
            Point::new("m").field("f", 2i64).timestamp_nanos(2),
        ])
        .await
        .unwrap();
    assert_eq!(measurements(&client).await, ["m"]);
    let results = client.query("SELECT count(f) FROM m").await.unwrap();
    assert_eq!(results.series().next().unwrap().values[0][1], 2);
}

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "typed")]
struct Typed {
    #[influx(time, unit = "ns")]
    time: i64,
    #[influx(tag)]
    name: String,
    #[influx(tag)]
    group: Option<String>,
    text: String,
    n: i64,
}

#[tokio::test]
async fn values_with_carriage_returns_and_nuls_are_found_by_their_value() {
    let (client, _) = fresh_client("exact_filter").await;
    let values = [
        "cr\rhere",
        "nul\0here",
        "both\r\0",
        "plain",
        "a\\\nb",
        "sl/ash.*",
    ];
    let rows: Vec<Typed> = values
        .iter()
        .enumerate()
        .map(|(i, v)| Typed {
            time: i as i64 + 1,
            // Tags hold no NUL (the server's grouping would confuse it).
            name: v.replace('\0', "\u{1}"),
            group: Some(format!("g{v}").replace('\0', "\u{1}")),
            text: format!("t{v}"),
            n: i as i64,
        })
        .collect();
    client.write_all(&rows).await.unwrap();
    for row in &rows {
        let by_tag = client
            .select::<Typed>()
            .filter(Typed::name().eq(row.name.as_str()))
            .fetch()
            .await
            .unwrap();
        assert_eq!(by_tag, std::slice::from_ref(row), "{:?}", row.name);
        let by_field = client
            .select::<Typed>()
            .filter(Typed::text().eq(row.text.as_str()))
            .fetch()
            .await
            .unwrap();
        assert_eq!(by_field, std::slice::from_ref(row), "{:?}", row.text);
        let others = client
            .select::<Typed>()
            .filter(Typed::name().ne(row.name.as_str()))
            .fetch()
            .await
            .unwrap();
        assert_eq!(others.len(), rows.len() - 1, "{:?}", row.name);
        let pattern = format!("^{}$", regex_escape(&row.name));
        let by_regex = client
            .select::<Typed>()
            .filter(Typed::name().matches(pattern.as_str()))
            .fetch()
            .await
            .unwrap();
        assert_eq!(by_regex, std::slice::from_ref(row), "{pattern:?}");
    }
}

/// `text` with every regex metacharacter escaped.
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

#[tokio::test]
async fn an_empty_string_tag_reads_back_empty() {
    let (client, _) = fresh_client("exact_empty_tag").await;
    let row = Typed {
        time: 1,
        name: String::new(),
        group: None,
        text: "t".into(),
        n: 1,
    };
    client.write(&row).await.unwrap();
    assert_eq!(
        client.select::<Typed>().fetch().await.unwrap(),
        std::slice::from_ref(&row)
    );
    // With another row that has the tags, the column exists and is empty
    // for this one.
    let full = Typed {
        time: 2,
        name: "n".into(),
        group: Some("g".into()),
        ..row.clone()
    };
    client.write(&full).await.unwrap();
    assert_eq!(
        client.select::<Typed>().fetch().await.unwrap(),
        [row.clone(), full.clone()]
    );
    assert_eq!(
        client
            .query_as::<Typed>("SELECT * FROM typed")
            .fetch()
            .await
            .unwrap(),
        [row, full]
    );
}

#[tokio::test]
async fn a_write_answered_unreadably_is_isolated_not_retried() {
    let (client, _) = fresh_client("exact_unreadable").await;
    // A field type conflict: the server's message names the measurement,
    // control character and all, in a header the HTTP stack cannot read.
    let name = "ctl\u{1}m";
    client
        .write(&Point::new(name).field("f", 1i64).timestamp_nanos(1))
        .await
        .unwrap();
    let mut session = client.session();
    for i in 0..8 {
        session
            .add(&Point::new("ok").field("f", i).timestamp_nanos(i + 1))
            .await
            .unwrap();
    }
    session
        .add(&Point::new(name).field("f", "text").timestamp_nanos(2))
        .await
        .unwrap();
    let started = Instant::now();
    let error = session.commit().await.unwrap_err();
    // The default policy retries for up to a minute; isolating takes a few
    // requests.
    assert!(started.elapsed() < Duration::from_secs(20), "{error}");
    let Error::Rejected { rejected } = &error else {
        panic!("expected the point isolated, got {error:?}");
    };
    assert_eq!(rejected.len(), 1, "{error}");
    assert!(
        rejected[0].line.starts_with("ctl\u{1}m f=\"text\""),
        "{error}"
    );
    let results = client.query("SELECT count(f) FROM ok").await.unwrap();
    assert_eq!(results.series().next().unwrap().values[0][1], 8);
    // Alone, the answer is an error of its own kind, not a lost connection.
    let alone = client
        .write(&Point::new(name).field("f", "text").timestamp_nanos(3))
        .await
        .unwrap_err();
    assert!(matches!(alone, Error::UnreadableAnswer { .. }), "{alone:?}");
    assert!(!alone.is_retryable());
}

/// The cases decided against the server, with their reasons
/// (`tests/conformance/vectors_inflow.jsonl`): each is written as expected,
/// byte for byte, and stored exactly, or refused for the reason given.
#[tokio::test]
async fn decided_vectors_encode_as_written_and_round_trip() {
    let text = std::fs::read_to_string(conformance_dir().join("vectors_inflow.jsonl")).unwrap();
    let mut written = 0;
    let mut refused = 0;
    for (index, raw) in text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .enumerate()
    {
        let reason = raw["reason"].as_str().unwrap();
        let mut point = Point::new(raw["measurement"].as_str().unwrap());
        for tag in raw["tags"].as_array().unwrap() {
            point = point.tag(tag[0].as_str().unwrap(), tag[1].as_str().unwrap());
        }
        for field in raw["fields"].as_array().unwrap() {
            let value = &field[1]["value"];
            let data = match field[1]["type"].as_str().unwrap() {
                "int" => FieldData::Int(value.as_i64().unwrap()),
                "string" => FieldData::Str(value.as_str().unwrap().to_string()),
                other => panic!("type {other}"),
            };
            point = point.field(field[0].as_str().unwrap(), data);
        }
        let point = point.timestamp_nanos(raw["timestamp"].as_i64().unwrap());
        let mut line = Vec::new();
        let result = encode(&point, &mut line, &EncodeOptions::default());
        if let Some(expected) = raw["expected"].as_str() {
            result.unwrap_or_else(|e| panic!("{reason}: {e}"));
            assert_eq!(
                String::from_utf8(line).unwrap(),
                format!("{expected}\n"),
                "{reason}"
            );
            // Stored exactly: each in a database of its own.
            let (client, _) = fresh_client(&format!("decided_{index}")).await;
            let (names, tags, fields) = round_trip(&client, &point).await;
            assert_eq!(names, [point.measurement()], "{reason}");
            let mut want_tags: Vec<(String, String)> = point
                .tags()
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .cloned()
                .collect();
            want_tags.sort();
            assert_eq!(tags, want_tags, "{reason}");
            let mut want_fields: Vec<(String, Value)> = point
                .fields()
                .iter()
                .map(|(k, v)| match v {
                    FieldData::Int(i) => (k.clone(), serde_json::json!(i)),
                    FieldData::Str(s) => (k.clone(), serde_json::json!(s)),
                    other => panic!("{other:?}"),
                })
                .collect();
            want_fields.sort_by(|a, b| a.0.cmp(&b.0));
            let mut fields = fields;
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            assert_eq!(fields, want_fields, "{reason}");
            written += 1;
        } else {
            let want = raw["refused"].as_str().unwrap();
            match result {
                Err(Error::InvalidPoint { reason: got, .. }) => {
                    let got = format!("{got:?}");
                    assert!(
                        got.starts_with(want),
                        "{reason}: refused as {got}, not {want}"
                    );
                }
                other => panic!("{reason}: not refused: {other:?}"),
            }
            refused += 1;
        }
    }
    assert_eq!((written, refused), (12, 14));
}

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "bs")]
struct BackslashKey {
    #[influx(time, unit = "ns")]
    time: i64,
    #[influx(tag, rename = "a\\ b")]
    tag: String,
    f: i64,
}

#[tokio::test]
async fn a_derived_tag_key_with_a_backslash_is_checked_like_a_points() {
    let (client, _) = fresh_client("exact_derived_bs").await;
    let fine = BackslashKey {
        time: 1,
        tag: "x".into(),
        f: 1,
    };
    client.write(&fine).await.unwrap();
    assert_eq!(
        client.select::<BackslashKey>().fetch().await.unwrap(),
        [fine]
    );
    let joining = BackslashKey {
        time: 2,
        tag: "x\"y".into(),
        f: 2,
    };
    let error = client.write(&joining).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::InvalidPoint {
                reason: InvalidPoint::MisplacedLineEnd {
                    what: "tag key",
                    ..
                },
                ..
            }
        ),
        "{error:?}"
    );
}
