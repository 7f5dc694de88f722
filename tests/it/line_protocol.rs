//! Line protocol conformance: every vector of the corpus, encoded through
//! `Point`, means the same point as the reference line, and the real server
//! stores exactly the vector's values; every invalid input a user could
//! hand us is refused before sending.

use std::collections::BTreeMap;

use inflow::line_protocol::encode;
use inflow::{EncodeOptions, Error, FieldData, InvalidPoint, Point, Precision};
use inflow_tests::{conformance_dir, fresh_client, parse_line, ParsedPoint, ParsedValue};
use serde_json::Value;

/// Whether a refusal has the expected reason.
type Check = fn(&InvalidPoint) -> bool;

struct Vector {
    raw: Value,
    class: String,
    point: Point,
    precision: Precision,
    expected: String,
}

fn vectors(file: &str) -> Vec<Vector> {
    let text = std::fs::read_to_string(conformance_dir().join(file)).expect("corpus file");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let raw: Value = serde_json::from_str(line).expect("vector JSON");
            let mut point = Point::new(raw["measurement"].as_str().unwrap());
            for tag in raw["tags"].as_array().unwrap() {
                point = point.tag(tag[0].as_str().unwrap(), tag[1].as_str().unwrap());
            }
            for field in raw["fields"].as_array().unwrap() {
                let key = field[0].as_str().unwrap();
                let value = &field[1]["value"];
                let data = match field[1]["type"].as_str().unwrap() {
                    "float" => FieldData::Float(match value {
                        Value::String(s) => match s.as_str() {
                            "NaN" => f64::NAN,
                            "+Inf" => f64::INFINITY,
                            "-Inf" => f64::NEG_INFINITY,
                            other => panic!("float {other}"),
                        },
                        v => v.as_f64().unwrap(),
                    }),
                    "int" => FieldData::Int(value.as_i64().unwrap()),
                    "uint" => FieldData::UInt(value.as_u64().unwrap()),
                    "bool" => FieldData::Bool(value.as_bool().unwrap()),
                    "string" => FieldData::Str(value.as_str().unwrap().to_string()),
                    other => panic!("type {other}"),
                };
                point = point.field(key, data);
            }
            if let Some(ts) = raw["timestamp"].as_i64() {
                point = point.timestamp_nanos(ts);
            }
            let precision = raw["precision"]
                .as_str()
                .map(|p| p.parse().unwrap())
                .unwrap_or_default();
            Vector {
                class: raw["class"].as_str().unwrap().to_string(),
                expected: raw["expected"].as_str().unwrap_or_default().to_string(),
                raw,
                point,
                precision,
            }
        })
        .collect()
}

fn encode_line(point: &Point, precision: Precision, unsigned: bool) -> Result<String, Error> {
    let mut buf = Vec::new();
    encode(
        point,
        &mut buf,
        &EncodeOptions {
            precision,
            unsigned,
        },
    )?;
    Ok(String::from_utf8(buf).unwrap())
}

fn same_point(ours: &ParsedPoint, expected: &ParsedPoint, order_sensitive: bool) -> bool {
    let fields =
        |p: &ParsedPoint| -> BTreeMap<String, ParsedValue> { p.fields.iter().cloned().collect() };
    ours.measurement == expected.measurement
        && ours.tags == expected.tags
        && fields(ours) == fields(expected)
        && (!order_sensitive || ours.fields == expected.fields)
        && (expected.timestamp.is_none() || ours.timestamp == expected.timestamp)
}

#[test]
fn every_canonical_vector_means_the_expected_point() {
    let all = vectors("vectors.jsonl");
    let mut checked = 0;
    let mut failures = Vec::new();
    for v in &all {
        let unsigned = match v.class.as_str() {
            "canonical" => false,
            "canonical-uint" => true,
            _ => continue,
        };
        let ours = match encode_line(&v.point, v.precision, unsigned) {
            Ok(line) => line,
            Err(e) => {
                failures.push(format!("{}: refused: {e}", v.raw["source"]));
                continue;
            }
        };
        let parsed_ours = parse_line(ours.trim_end()).expect("our line parses");
        let parsed_expected = parse_line(&v.expected).expect("expected line parses");
        let order_sensitive = v.raw["order_sensitive"].as_bool().unwrap_or(false);
        if !same_point(&parsed_ours, &parsed_expected, order_sensitive) {
            failures.push(format!(
                "{}\n  ours:     {ours:?}\n  expected: {:?}",
                v.raw["source"], v.expected
            ));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(checked, 182, "177 canonical and 5 canonical-uint vectors");
}

/// The policy vectors whose choice is also inflow's (1.x's) must match; the
/// others must differ from what they expect, in the way the policy says.
#[test]
fn policy_vectors_follow_influxdb_1x() {
    let mut checked = 0;
    for v in vectors("vectors.jsonl")
        .iter()
        .filter(|v| v.class == "policy")
    {
        let result = encode_line(&v.point, v.precision, false);
        let reference = &v.raw["influxdb_1x_models_output"];
        let note = v.raw["note"].as_str().unwrap_or_default();
        if note.contains("non-finite-float") {
            assert!(
                matches!(
                    result,
                    Err(Error::InvalidPoint {
                        reason: InvalidPoint::NonFiniteFloat { .. },
                        ..
                    })
                ),
                "{note}: {result:?}"
            );
        } else if note.contains("uint-without-uint-support") {
            match &v.raw["fields"][0][1]["value"] {
                big if big.as_u64().is_some_and(|u| u > i64::MAX as u64) => {
                    assert!(matches!(
                        result,
                        Err(Error::InvalidPoint {
                            reason: InvalidPoint::UnsignedOverflow { .. },
                            ..
                        })
                    ));
                }
                _ => {
                    let line = result.unwrap();
                    let ours = parse_line(line.trim_end()).unwrap();
                    let want = parse_line(&v.expected).unwrap();
                    assert!(same_point(&ours, &want, false), "{line} vs {}", v.expected);
                }
            }
        } else if note.contains("empty-tag-key") {
            assert!(matches!(
                result,
                Err(Error::InvalidPoint {
                    reason: InvalidPoint::EmptyTagKey,
                    ..
                })
            ));
        } else {
            // float format, empty tag values, backslashes, control
            // characters: the same point as 1.x's own encoder writes.
            let line = result.unwrap_or_else(|e| panic!("{note}: {e}"));
            let reference = reference.as_str().unwrap_or(&v.expected);
            let ours = parse_line(line.trim_end()).unwrap();
            let want = parse_line(reference).unwrap();
            assert!(
                same_point(&ours, &want, false),
                "{note}\n{line}\n{reference}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 16);
}

#[test]
fn divergent_outputs_are_never_produced() {
    let mut checked = 0;
    for v in vectors("vectors_divergent.jsonl") {
        // A refusal (a newline in a name, say) is also not the divergent line.
        if let Ok(line) = encode_line(&v.point, v.precision, false) {
            assert_ne!(line.trim_end(), v.expected, "{}", v.raw["source"]);
        }
        checked += 1;
    }
    assert_eq!(checked, 12);
}

/// Inputs from INVALID.md that a user could hand to `Point`: each is
/// refused before anything is sent, with the reason named.
#[test]
fn invalid_inputs_are_refused_before_sending() {
    let long = "a".repeat(65536);
    let cases: Vec<(&str, Point, Check)> = vec![
        ("NaN", Point::new("cpu").field("value", f64::NAN), |r| {
            matches!(r, InvalidPoint::NonFiniteFloat { .. })
        }),
        (
            "+Inf",
            Point::new("cpu").field("value", f64::INFINITY),
            |r| matches!(r, InvalidPoint::NonFiniteFloat { .. }),
        ),
        (
            "-Inf",
            Point::new("cpu").field("value", f64::NEG_INFINITY),
            |r| matches!(r, InvalidPoint::NonFiniteFloat { .. }),
        ),
        ("no field set", Point::new("cpu"), |r| {
            *r == InvalidPoint::NoFields
        }),
        (
            "tags but no field set",
            Point::new("cpu").tag("host", "serverA"),
            |r| *r == InvalidPoint::NoFields,
        ),
        (
            "empty measurement",
            Point::new("").tag("host", "a").field("value", 1.0),
            |r| *r == InvalidPoint::EmptyMeasurement,
        ),
        (
            "empty tag key",
            Point::new("cpu").tag("", "a").field("value", 1.0),
            |r| *r == InvalidPoint::EmptyTagKey,
        ),
        ("empty field key", Point::new("cpu").field("", 1.0), |r| {
            *r == InvalidPoint::EmptyFieldKey
        }),
        (
            "duplicate tag key",
            Point::new("cpu")
                .tag("host", "a")
                .tag("host", "b")
                .field("value", 1.0),
            |r| matches!(r, InvalidPoint::DuplicateTag(_)),
        ),
        (
            "tag value ending in a backslash",
            Point::new("cpu").tag("host", "C:\\").field("value", 1.0),
            |r| matches!(r, InvalidPoint::TrailingBackslash { .. }),
        ),
        (
            "tag value ending in an escaped backslash",
            Point::new("cpu").tag("host", "C:\\\\").field("value", 1.0),
            |r| matches!(r, InvalidPoint::TrailingBackslash { .. }),
        ),
        (
            "measurement ending in a backslash",
            Point::new("cpu\\").field("value", 1.0),
            |r| matches!(r, InvalidPoint::TrailingBackslash { .. }),
        ),
        (
            "field key ending in a backslash",
            Point::new("cpu").field("value\\", 1.0),
            |r| matches!(r, InvalidPoint::TrailingBackslash { .. }),
        ),
        (
            "newline in a tag value",
            Point::new("cpu").tag("host", "a\nb").field("value", 1.0),
            |r| matches!(r, InvalidPoint::Newline { .. }),
        ),
        (
            "newline in a measurement",
            Point::new("c\npu").field("value", 1.0),
            |r| matches!(r, InvalidPoint::Newline { .. }),
        ),
        (
            "newline in a tag key",
            Point::new("cpu").tag("h\nost", "a").field("value", 1.0),
            |r| matches!(r, InvalidPoint::Newline { .. }),
        ),
        (
            "newline in a field key",
            Point::new("cpu").field("val\nue", 1.0),
            |r| matches!(r, InvalidPoint::Newline { .. }),
        ),
        (
            "timestamp above max",
            Point::new("cpu")
                .field("value", 1.0)
                .timestamp_nanos(i64::MAX),
            |r| *r == InvalidPoint::TimestampOutOfRange,
        ),
        (
            "timestamp below min",
            Point::new("cpu")
                .field("value", 1.0)
                .timestamp_nanos(i64::MIN + 1),
            |r| *r == InvalidPoint::TimestampOutOfRange,
        ),
        (
            "unsigned above i64 on 1.x",
            Point::new("cpu").field("value", u64::MAX),
            |r| matches!(r, InvalidPoint::UnsignedOverflow { .. }),
        ),
        (
            "series key longer than 65535 bytes",
            Point::new(long.as_str()).field("value", 1.0),
            |r| matches!(r, InvalidPoint::KeyTooLong { .. }),
        ),
        (
            "time as tag key",
            Point::new("mymeas").tag("time", "1").field("value", 1.0),
            |r| matches!(r, InvalidPoint::TimeKey { .. }),
        ),
        (
            "time as field key",
            Point::new("mymeas").field("time", 1i64),
            |r| matches!(r, InvalidPoint::TimeKey { .. }),
        ),
        (
            "field key twice",
            Point::new("cpu").field("f", 1i64).field("f", "x"),
            |r| matches!(r, InvalidPoint::DuplicateField(_)),
        ),
    ];
    for (name, point, check) in cases {
        match encode_line(&point, Precision::Nanoseconds, false) {
            Err(Error::InvalidPoint { reason, .. }) => {
                assert!(check(&reason), "{name}: wrong reason {reason:?}");
            }
            other => panic!("{name}: expected a refusal, got {other:?}"),
        }
    }
    // The valid extremes are accepted.
    for ts in [i64::MIN + 2, i64::MAX - 1] {
        encode_line(
            &Point::new("cpu").field("v", 1.0).timestamp_nanos(ts),
            Precision::Nanoseconds,
            false,
        )
        .unwrap();
    }
}

/// Every canonical vector through the real server: the values it stores
/// are the vector's values.
#[tokio::test]
async fn canonical_vectors_round_trip_through_the_server() {
    let (client, _db) = fresh_client("conformance").await;
    let mut checked = 0;
    for (index, v) in vectors("vectors.jsonl")
        .iter()
        .filter(|v| v.class == "canonical")
        .enumerate()
    {
        // One database per vector: vectors reuse measurement names with
        // other field types.
        let db = format!("{}_{index}", client.database().unwrap());
        client.create_database(&db).await.unwrap();
        let line = encode_line(&v.point, Precision::Nanoseconds, false).unwrap();
        let options = inflow::WriteOptions::new().database(db.clone());
        client
            .write_line_protocol(line.clone(), &options)
            .await
            .unwrap_or_else(|e| panic!("{}: {line:?}: {e}", v.raw["source"]));
        let measurement = v.point.measurement();
        let results = client
            .query(format!(
                "SELECT * FROM {}",
                inflow::query::quote_ident(measurement)
            ))
            .database(db.clone())
            .epoch(Precision::Nanoseconds)
            .await
            .unwrap();
        let series: Vec<_> = results.series().collect();
        assert_eq!(
            series.len(),
            1,
            "{}: {line:?} -> {results:?}",
            v.raw["source"]
        );
        let s = series[0];
        assert_eq!(s.values.len(), 1, "{line:?}");
        let row = &s.values[0];
        let cell = |name: &str| s.column(name).map(|i| &row[i]);
        for (key, value) in v.point.tags() {
            if value.is_empty() {
                continue;
            }
            assert_eq!(
                cell(key),
                Some(&Value::String(value.clone())),
                "tag {key} of {line:?}"
            );
        }
        for (key, value) in v.point.fields() {
            let stored = cell(key).unwrap_or_else(|| panic!("field {key} of {line:?} not stored"));
            let ok = match value {
                FieldData::Float(f) => stored.as_f64() == Some(*f),
                FieldData::Int(i) => stored.as_i64() == Some(*i),
                FieldData::UInt(u) => stored.as_u64() == Some(*u),
                FieldData::Bool(b) => stored.as_bool() == Some(*b),
                FieldData::Str(s) => stored.as_str() == Some(s.as_str()),
            };
            assert!(
                ok,
                "field {key} of {line:?}: stored {stored}, wanted {value:?}"
            );
        }
        client.drop_database(&db).await.unwrap();
        checked += 1;
    }
    assert_eq!(checked, 177);
}
