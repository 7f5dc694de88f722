//! Every `/query` and `/write` body of the conformance corpus, served with
//! its status by the fault proxy (the real server cannot be made to send
//! most of them), decodes into the right value or the right typed error.

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use inflow::testkit::{unique_database, Fault, FaultProxy, InfluxServer};
use inflow::{Client, DecodeError, Error, Measurement, Point, QueryResults, RetryPolicy};
use inflow_tests::conformance_dir;
use serde_json::json;

fn body(file: &str) -> String {
    std::fs::read_to_string(conformance_dir().join("responses").join(file)).expect("corpus file")
}

struct Served {
    proxy: FaultProxy,
    client: Client,
}

impl Served {
    async fn new() -> Self {
        let server = InfluxServer::shared().await;
        let db = unique_database("responses");
        server.create_database(&db).await.unwrap();
        let proxy = FaultProxy::for_server(server).await.unwrap();
        let client = Client::builder(&format!("{}/{db}", proxy.url()))
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap();
        Served { proxy, client }
    }

    fn serve(&self, status: u16, body: String) {
        self.proxy.set_fault(Fault::Respond {
            status,
            retry_after: None,
            body,
            times: 1,
        });
    }

    async fn query(&self, file: &str, status: u16) -> Result<QueryResults, Error> {
        self.serve(status, body(file));
        self.client.query("SELECT * FROM anything").await
    }

    async fn chunked(&self, file: &str) -> Result<QueryResults, Error> {
        self.serve(200, body(file));
        self.client.query_chunked("SELECT * FROM anything").await
    }

    async fn write(&self, file: &str, status: u16) -> Result<(), Error> {
        self.serve(status, body(file));
        self.client
            .write(&Point::new("m").field("v", 1.0).timestamp_nanos(1))
            .await
            .map(drop)
    }
}

#[derive(Measurement, Debug, PartialEq)]
#[influx(measurement = "mymeas")]
struct MyMeas {
    #[influx(time)]
    time: DateTime<Utc>,
    myfield: f64,
    #[influx(tag)]
    mytag1: Option<String>,
    #[influx(tag)]
    mytag2: Option<String>,
}

#[derive(Measurement, Debug, PartialEq)]
#[influx(measurement = "cpu")]
struct CpuCount {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(tag)]
    host: String,
    count: i64,
}

#[derive(Measurement, Debug, PartialEq)]
#[influx(measurement = "cpu")]
struct CpuValue {
    #[influx(time)]
    time: DateTime<Utc>,
    value: f64,
}

/// Each statement's id with its series' names and row counts.
type Shape = Vec<(usize, Vec<(Option<String>, usize)>)>;

fn shape(results: &QueryResults) -> Shape {
    results
        .statements
        .iter()
        .map(|s| {
            (
                s.statement_id,
                s.series
                    .iter()
                    .map(|x| (x.name.clone(), x.values.len()))
                    .collect(),
            )
        })
        .collect()
}

fn named(name: &str, rows: usize) -> (Option<String>, usize) {
    (Some(name.to_string()), rows)
}

#[tokio::test]
async fn successful_query_bodies_decode() {
    let s = Served::new().await;
    let nulls = s.query("query_select_nulls.json", 200).await.unwrap();
    assert_eq!(shape(&nulls), vec![(0, vec![named("mymeas", 2)])]);
    let series = nulls.series().next().unwrap();
    assert_eq!(series.columns, ["time", "myfield", "mytag1", "mytag2"]);
    assert_eq!(
        series.values[0],
        vec![
            json!("2017-03-01T00:16:18Z"),
            json!(33.1),
            json!(null),
            json!(null)
        ]
    );
    assert_eq!(
        s.query("query_select_pretty.json", 200).await.unwrap(),
        nulls
    );

    let epoch = s.query("query_epoch_s.json", 200).await.unwrap();
    assert_eq!(
        epoch.series().next().unwrap().values[0][0],
        json!(1488327378)
    );

    let variants: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&body("query_epoch_variants.json")).unwrap();
    for (epoch, text) in &variants {
        s.serve(200, text.as_str().unwrap().to_string());
        let r = s.client.query("SELECT * FROM mymeas").await.unwrap();
        assert_eq!(
            shape(&r),
            vec![(0, vec![named("mymeas", 2)])],
            "epoch {epoch}"
        );
        assert!(
            r.series().next().unwrap().values[0][0].is_i64(),
            "epoch {epoch}"
        );
    }

    let multi = s.query("query_multi_statement.json", 200).await.unwrap();
    assert_eq!(multi.statements.len(), 2);
    assert_eq!(multi.statements[1].statement_id, 1);

    let into = s.query("query_select_into.json", 200).await.unwrap();
    assert_eq!(shape(&into), vec![(0, vec![named("result", 1)])]);

    let empty = s
        .query("query_empty_create_database.json", 200)
        .await
        .unwrap();
    assert_eq!(shape(&empty), vec![(0, vec![])]);
    let empty2 = s
        .query("query_empty_multi_statement.json", 200)
        .await
        .unwrap();
    assert_eq!(shape(&empty2), vec![(0, vec![]), (1, vec![])]);

    let names = s.query("query_name_only_series.json", 200).await.unwrap();
    assert_eq!(
        shape(&names),
        vec![
            (1, vec![named("series0", 0)]),
            (2, vec![named("series1", 0)])
        ]
    );

    let grouped = s.query("query_group_by_tag.json", 200).await.unwrap();
    let hosts: Vec<_> = grouped.series().map(|x| x.tags["host"].clone()).collect();
    assert_eq!(hosts, ["server01", "server02", "server03"]);
    let two = s.query("query_group_by_two_tags.json", 200).await.unwrap();
    assert!(two.series().all(|x| x.tags.len() == 2));
    let empty_tags = s
        .query("query_group_by_empty_tag_values.json", 200)
        .await
        .unwrap();
    assert_eq!(empty_tags.series().next().unwrap().tags["t1"], "");
    let time_nulls = s
        .query("query_group_by_time_nulls.json", 200)
        .await
        .unwrap();
    assert_eq!(
        time_nulls.series().nth(1).unwrap().values[0][1],
        json!(null)
    );
    let ms = s
        .query("query_epoch_ms_group_by_time.json", 200)
        .await
        .unwrap();
    assert!(ms.series().next().unwrap().values[0][0].is_i64());
    let nanos = s
        .query("query_rfc3339_nanoseconds.json", 200)
        .await
        .unwrap();
    assert!(nanos.series().next().unwrap().values[0][0]
        .as_str()
        .unwrap()
        .contains('.'));
    let tz = s.query("query_tz_offset_times.json", 200).await.unwrap();
    assert_eq!(tz.series().next().unwrap().values.len(), 2);
    let bools = s.query("query_bool_values.json", 200).await.unwrap();
    assert!(bools.series().next().unwrap().values[0]
        .iter()
        .any(|v| v.is_boolean()));
    let show_series = s.query("query_show_series.json", 200).await.unwrap();
    assert!(show_series.series().next().unwrap().name.is_none());
    let users = s.query("query_show_users_no_name.json", 200).await.unwrap();
    assert_eq!(
        users.series().next().unwrap().values[0],
        vec![json!("jdoe"), json!(true)]
    );
    let rps = s
        .query("query_show_retention_policies.json", 200)
        .await
        .unwrap();
    assert!(!rps.series().next().unwrap().values.is_empty());
    let field_keys = s
        .query("query_show_field_keys_multi_series.json", 200)
        .await
        .unwrap();
    assert!(field_keys.series().count() > 1);
    // A plain answer cut by max-row-limit ends inside a series marked as
    // continuing: never a shorter result.
    match s
        .query("query_max_row_limit_partial_series.json", 200)
        .await
    {
        Err(Error::Decode(DecodeError::Truncated(name))) => assert_eq!(name, "cpu"),
        other => panic!("a cut answer gave {other:?}"),
    }
    let warning = s.query("query_messages_warning.json", 200).await.unwrap();
    assert_eq!(warning.statements[0].messages[0].level, "warning");
    assert_eq!(warning.statements[0].messages[0].text, "deprecation test");
    let openapi = s
        .query("query_openapi_example_200.json", 200)
        .await
        .unwrap();
    assert!(!openapi.statements.is_empty());
    let merged = s.query("query_merge_results.json", 200).await.unwrap();
    assert_eq!(merged.statements.len(), 1);
    let merged_series = s
        .query("query_merge_partial_series.json", 200)
        .await
        .unwrap();
    assert_eq!(shape(&merged_series), vec![(1, vec![named("series0", 2)])]);
}

#[tokio::test]
async fn chunked_bodies_reassemble() {
    let s = Served::new().await;
    let encoder = s.chunked("chunked_encoder_test.jsonl").await.unwrap();
    let first = &encoder.statements[0];
    assert_eq!(
        first.series.len(),
        2,
        "server01 joined across chunks, then server02"
    );
    assert_eq!(first.series[0].values.len(), 3);
    assert_eq!(first.series[0].tags["host"], "server01");
    assert_eq!(first.series[1].tags["host"], "server02");
    assert_eq!(encoder.statements[1].statement_id, 1);

    let v1 = s.chunked("chunked_v1tests.jsonl").await.unwrap();
    assert_eq!(shape(&v1), vec![(0, vec![named("cpu", 2)])]);
    let show = s.chunked("chunked_python_show_series.jsonl").await.unwrap();
    assert!(show.series().all(|x| x.name.is_none()));
    assert!(show.series().map(|x| x.values.len()).sum::<usize>() > 4);
    let no_partial = s.chunked("chunked_handler_no_partial.jsonl").await.unwrap();
    assert_eq!(
        shape(&no_partial),
        vec![(1, vec![named("series0", 0), named("series1", 0)])]
    );

    match s.chunked("chunked_error_in_second_chunk.jsonl").await {
        Err(Error::Statement { message, .. }) => assert_eq!(message, "expected err"),
        other => panic!("{other:?}"),
    }
    // A stream cut inside a document is an error, not fewer rows.
    s.serve(200, body("chunked_v1tests.jsonl")[..60].to_string());
    assert!(matches!(
        s.client.query_chunked("SELECT 1").await,
        Err(Error::Decode(DecodeError::Malformed(_)))
    ));
    match s.chunked("chunked_truncated_series.json").await {
        Err(Error::Decode(DecodeError::Truncated(name))) => assert_eq!(name, "cpu"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn bodies_decode_into_structs() {
    let s = Served::new().await;
    s.serve(200, body("query_select_nulls.json"));
    let rows: Vec<MyMeas> = s
        .client
        .query_as("SELECT * FROM mymeas")
        .fetch()
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].myfield, 33.1);
    assert_eq!(rows[0].mytag1, None);
    assert_eq!(rows[1].mytag2.as_deref(), Some("14"));
    assert_eq!(rows[1].time.to_rfc3339(), "2017-03-01T00:17:18+00:00");

    s.serve(200, body("query_group_by_tag.json"));
    let rows: Vec<CpuCount> = s
        .client
        .query_as("SELECT count(*) FROM cpu")
        .fetch()
        .await
        .unwrap();
    let hosts: Vec<_> = rows.iter().map(|r| r.host.as_str()).collect();
    assert_eq!(
        hosts,
        ["server01", "server02", "server03"],
        "tags from each series"
    );

    s.serve(200, body("chunked_v1tests.jsonl"));
    let mut stream = s
        .client
        .query_as::<CpuValue>("SELECT value FROM cpu")
        .fetch_stream()
        .await
        .unwrap();
    let mut n = 0;
    while let Some(row) = stream.next().await {
        assert_eq!(row.unwrap().value, 1.0);
        n += 1;
    }
    assert_eq!(n, 2);

    s.serve(200, body("chunked_truncated_series.json"));
    let mut stream = s
        .client
        .query_as::<CpuValue>("SELECT value FROM cpu")
        .fetch_stream()
        .await
        .unwrap();
    assert!(stream.next().await.unwrap().is_ok());
    assert!(matches!(
        stream.next().await,
        Some(Err(Error::Decode(DecodeError::Truncated(_))))
    ));

    // A struct that needs a column the body lacks: a typed error naming it.
    s.serve(200, body("query_group_by_tag.json"));
    match s
        .client
        .query_as::<CpuValue>("SELECT * FROM cpu")
        .fetch()
        .await
    {
        Err(Error::Decode(DecodeError::MissingColumn {
            measurement,
            column,
            ..
        })) => {
            assert_eq!((measurement, column), ("cpu", "value"));
        }
        other => panic!("{other:?}"),
    }
    // A value of the wrong type: named with what was found.
    s.serve(
        200,
        body("query_show_users_no_name.json")
            .replace("\"admin\"", "\"value\"")
            .replace("\"user\"", "\"time\""),
    );
    match s.client.query_as::<CpuValue>("SHOW USERS").fetch().await {
        Err(Error::Decode(DecodeError::WrongType { column, found, .. })) => {
            assert!(column == "time" || column == "value", "{column}");
            assert!(
                found.contains("string") || found.contains("boolean"),
                "{found}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn query_error_bodies_become_typed_errors() {
    let s = Served::new().await;
    match s
        .query("query_statement_error_db_not_found.json", 200)
        .await
    {
        Err(Error::DatabaseNotFound { message }) => {
            assert!(message.starts_with("database not found"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    for file in [
        "query_statement_error_handler.json",
        "query_statement_error_quoted.json",
        "query_statement_error_max_select_series.json",
    ] {
        match s.query(file, 200).await {
            Err(Error::Statement { message, .. }) => assert!(!message.is_empty(), "{file}"),
            other => panic!("{file}: {other:?}"),
        }
    }
    let quoted = s
        .query("query_statement_error_quoted.json", 200)
        .await
        .unwrap_err();
    assert!(quoted.to_string().contains('"'), "{quoted}");
    for file in [
        "query_top_level_error_parse.json",
        "query_top_level_error_parse_handler.json",
        "query_top_level_error_missing_q.json",
    ] {
        match s.query(file, 400).await {
            Err(Error::QueryFailed {
                status: 400,
                message,
            }) => assert!(!message.is_empty(), "{file}"),
            other => panic!("{file}: {other:?}"),
        }
    }
    for file in [
        "query_top_level_error_auth.json",
        "query_top_level_error_jwt.json",
    ] {
        assert!(
            matches!(s.query(file, 401).await, Err(Error::Unauthorized { .. })),
            "{file}"
        );
    }
    match s.query("query_500_json_error.json", 500).await {
        Err(Error::Server {
            status: 500,
            message,
            ..
        }) => assert!(!message.starts_with('{'), "{message}"),
        other => panic!("{other:?}"),
    }
    match s.query("nonjson_500_html.html", 500).await {
        Err(Error::Server { message, .. }) => assert!(
            message.contains("<html>") || message.contains("<"),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
    match s.query("nonjson_403_html.html", 403).await {
        Err(Error::Forbidden { message }) => assert!(message.contains('<'), "{message}"),
        other => panic!("{other:?}"),
    }
    match s.query("nonjson_403_empty.txt", 403).await {
        Err(Error::Forbidden { message }) => assert_eq!(message, "empty body"),
        other => panic!("{other:?}"),
    }
    // Garbage with a 200 is a decode error, not a panic.
    s.serve(200, "{\"results\":[{\"series\":[{\"columns\":".to_string());
    assert!(matches!(
        s.client.query("SELECT 1").await,
        Err(Error::Decode(_))
    ));
    s.serve(200, "<html>proxy page</html>".to_string());
    assert!(matches!(
        s.client.query("SELECT 1").await,
        Err(Error::Decode(_))
    ));
}

#[tokio::test]
async fn write_bodies_become_typed_errors() {
    let s = Served::new().await;
    s.write("write_204_no_content.txt", 204).await.unwrap();
    for (file, status) in [
        ("write_400_bad_timestamp.json", 400),
        ("write_400_field_type_conflict_docs.json", 400),
        ("write_400_database_required.json", 400),
    ] {
        match s.write(file, status).await {
            Err(Error::WriteFailed {
                status: 400,
                message,
            }) => assert!(!message.is_empty()),
            other => panic!("{file}: {other:?}"),
        }
    }
    for (file, dropped) in [
        ("write_400_partial_write_field_type_conflict.json", Some(1)),
        ("write_400_partial_write_unparsable_lines.json", Some(0)),
        ("write_400_points_beyond_retention.json", Some(1)),
        ("write_400_max_values_per_tag.json", Some(1)),
    ] {
        match s.write(file, 400).await {
            Err(Error::PartialWrite {
                dropped: d,
                message,
            }) => {
                assert_eq!(d, dropped, "{file}: {message}")
            }
            other => panic!("{file}: {other:?}"),
        }
    }
    match s
        .write("write_400_max_key_length_escaped_gt.json", 400)
        .await
    {
        Err(Error::WriteFailed { message, .. }) => {
            assert!(message.contains("65572 > 65535"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        s.write("write_401_authorization_failed.json", 401).await,
        Err(Error::Unauthorized { .. })
    ));
    for file in [
        "write_403_not_authorized.json",
        "write_403_user_required.json",
    ] {
        assert!(
            matches!(s.write(file, 403).await, Err(Error::Forbidden { .. })),
            "{file}"
        );
    }
    assert!(matches!(
        s.write("write_404_database_not_found.json", 404).await,
        Err(Error::DatabaseNotFound { .. })
    ));
    assert!(matches!(
        s.write("write_413_request_entity_too_large.json", 413)
            .await,
        Err(Error::PayloadTooLarge { .. })
    ));
    match s
        .write("write_500_retention_policy_not_found.json", 500)
        .await
    {
        Err(Error::Server {
            status: 500,
            message,
            ..
        }) => assert!(message.contains("retention policy not found")),
        other => panic!("{other:?}"),
    }
}

/// Every file of the corpus is used by one of the tests above.
#[test]
fn every_corpus_file_is_covered() {
    let source = include_str!("responses.rs");
    let index: Vec<serde_json::Value> = serde_json::from_str(&body("index.json")).unwrap();
    for entry in index {
        let file = entry["file"].as_str().unwrap();
        assert!(
            source.contains(&format!("\"{file}\"")),
            "{file} is not tested"
        );
    }
}
