//! A point's time in any Rust type, against a real server: integers in the
//! unit their field names (the write's precision does not change their
//! meaning), `SystemTime`, `time::OffsetDateTime`, and the `Point` setters.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{TimeZone, Utc};
use inflow::{Client, Measurement, Point, Precision, WriteOptions};
use inflow_tests::fresh_client;

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "secs")]
struct Secs {
    #[influx(time, unit = "s")]
    time: i64,
    value: f64,
}

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "fine")]
struct Fine {
    #[influx(time, unit = "ms")]
    time: i64,
    #[influx(tag)]
    kind: String,
    value: i64,
}

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "micro")]
struct Micro {
    #[influx(time, unit = "us")]
    time: Option<i64>,
    value: i64,
}

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "system")]
struct System {
    #[influx(time)]
    time: SystemTime,
    value: i64,
}

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "offset")]
struct Offset {
    #[influx(time)]
    time: time::OffsetDateTime,
    value: i64,
}

/// The stored times of a measurement, in nanoseconds.
async fn stored_nanos(client: &Client, measurement: &str) -> Vec<i64> {
    client
        .query(format!("SELECT * FROM {measurement}"))
        .epoch(Precision::Nanoseconds)
        .await
        .unwrap()
        .series()
        .flat_map(|s| s.values.iter().map(|row| row[0].as_i64().unwrap()))
        .collect()
}

#[tokio::test]
async fn seconds_are_seconds_whatever_the_writes_precision() {
    let (client, _) = fresh_client("time_secs").await;
    let rows = [
        Secs {
            time: 1_717_200_000,
            value: 1.0,
        },
        Secs {
            time: 1_717_200_001,
            value: 2.0,
        },
    ];
    // Written once at the default precision (nanoseconds) and once more,
    // the same rows, in seconds: the same two points either way.
    client.write_all(&rows).await.unwrap();
    client
        .write_all_with(&rows, &WriteOptions::new().precision(Precision::Seconds))
        .await
        .unwrap();
    assert_eq!(
        stored_nanos(&client, "secs").await,
        [1_717_200_000_000_000_000, 1_717_200_001_000_000_000]
    );
    assert_eq!(
        Utc.timestamp_nanos(1_717_200_000_000_000_000).to_rfc3339(),
        "2024-06-01T00:00:00+00:00"
    );
    assert_eq!(client.select::<Secs>().fetch().await.unwrap(), rows);
}

#[tokio::test]
async fn milliseconds_and_microseconds_round_trip_before_and_after_1970() {
    let (client, _) = fresh_client("time_fine").await;
    let fine = [
        Fine {
            time: -1_500,
            kind: "before".into(),
            value: 1,
        },
        Fine {
            time: 1_717_200_000_123,
            kind: "after".into(),
            value: 2,
        },
    ];
    client.write_all(&fine).await.unwrap();
    assert_eq!(
        stored_nanos(&client, "fine").await,
        [-1_500_000_000, 1_717_200_000_123_000_000]
    );
    assert_eq!(client.select::<Fine>().fetch().await.unwrap(), fine);
    let micro = Micro {
        time: Some(1_717_200_000_123_456),
        value: 3,
    };
    client.write(&micro).await.unwrap();
    assert_eq!(client.select::<Micro>().fetch().await.unwrap(), [micro]);
    // A time the unit cannot carry to nanoseconds is refused, not wrapped.
    let too_far = Fine {
        time: i64::MAX / 1_000,
        kind: "far".into(),
        value: 4,
    };
    assert!(client.write(&too_far).await.is_err());
}

#[tokio::test]
async fn system_times_and_offset_date_times_round_trip() {
    let (client, _) = fresh_client("time_system").await;
    let rows = [
        System {
            time: UNIX_EPOCH + Duration::from_nanos(1_717_200_000_123_456_789),
            value: 1,
        },
        System {
            time: UNIX_EPOCH - Duration::from_secs(86_400),
            value: 2,
        },
    ];
    client.write_all(&rows).await.unwrap();
    let mut back = client.select::<System>().fetch().await.unwrap();
    back.sort_by_key(|r| r.value);
    assert_eq!(back, rows);
    let offset = Offset {
        time: time::OffsetDateTime::from_unix_timestamp_nanos(1_717_200_000_987_654_321).unwrap(),
        value: 5,
    };
    client.write(&offset).await.unwrap();
    assert_eq!(client.select::<Offset>().fetch().await.unwrap(), [offset]);
}

#[tokio::test]
async fn points_take_time_in_any_unit_and_type() {
    let (client, _) = fresh_client("time_points").await;
    let points = [
        Point::new("p")
            .field("v", 1i64)
            .timestamp_secs(1_717_200_000),
        Point::new("p")
            .field("v", 2i64)
            .timestamp_millis(1_717_200_000_001),
        Point::new("p")
            .field("v", 3i64)
            .timestamp_micros(1_717_200_000_000_002),
        Point::new("p")
            .field("v", 4i64)
            .timestamp(UNIX_EPOCH + Duration::from_nanos(1_717_200_000_000_000_003)),
        Point::new("p").field("v", 5i64).timestamp(
            time::OffsetDateTime::from_unix_timestamp_nanos(1_717_200_000_000_000_004).unwrap(),
        ),
    ];
    client.write_all(&points).await.unwrap();
    assert_eq!(
        stored_nanos(&client, "p").await,
        [
            1_717_200_000_000_000_000,
            1_717_200_000_001_000_000,
            1_717_200_000_000_002_000,
            1_717_200_000_000_000_003,
            1_717_200_000_000_000_004,
        ]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
    // Out of range in its unit: refused before sending.
    assert!(client
        .write(&Point::new("p").field("v", 6i64).timestamp_secs(i64::MAX))
        .await
        .is_err());
}
