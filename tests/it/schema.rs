//! `check_schema` against a real server: a struct compared with what the
//! server holds for its measurement, before anything is written.

use chrono::{DateTime, TimeZone, Utc};
use inflow::{FieldType, Measurement, Point, SchemaMismatch};
use inflow_tests::fresh_client;

#[derive(Measurement, Debug)]
#[influx(measurement = "reading")]
struct Reading {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(tag)]
    host: String,
    #[influx(tag)]
    zone: Option<String>,
    value: f64,
    count: Option<i64>,
    note: String,
    typo_d: Option<bool>,
}

#[tokio::test]
async fn a_struct_is_compared_with_the_servers_schema() {
    let (client, _) = fresh_client("schema").await;
    // What others wrote: `count` as a float, `zone` as a field, `note` as a
    // tag; `host` and `value` as the struct writes them.
    client
        .write(
            &Point::new("reading")
                .tag("host", "a")
                .tag("note", "x")
                .field("value", 1.5)
                .field("count", 2.5)
                .field("zone", "eu")
                .timestamp(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()),
        )
        .await
        .unwrap();
    let mismatches = client.check_schema::<Reading>().await.unwrap();
    assert_eq!(
        mismatches,
        [
            SchemaMismatch::KindDiffers {
                column: "zone".into(),
                expected: "tag"
            },
            SchemaMismatch::FieldType {
                field: "count".into(),
                expected: FieldType::Integer,
                server: vec!["float".into()],
            },
            SchemaMismatch::KindDiffers {
                column: "note".into(),
                expected: "field"
            },
            SchemaMismatch::UnknownField {
                field: "typo_d".into()
            },
        ]
    );
    assert_eq!(
        mismatches[1].to_string(),
        r#"field "count" is integer in the struct but float on the server"#
    );
    // A measurement the server has never seen: every field is unknown.
    let (fresh, _) = fresh_client("schema_empty").await;
    assert_eq!(fresh.check_schema::<Reading>().await.unwrap().len(), 4);
}
