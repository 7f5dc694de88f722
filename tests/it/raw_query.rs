//! Raw queries against a real server: several statements, bind
//! parameters, per-statement errors, GET for reads and POST for changes,
//! the SHOW helpers, and results larger than one chunk.

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use inflow::testkit::InfluxServer;
use inflow::{Client, Error, Measurement, Precision};
use inflow_tests::fresh_client;
use serde_json::json;

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "temperature")]
struct Temperature {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(tag)]
    location: String,
    value: f64,
}

fn reading(i: i64, location: &str) -> Temperature {
    Temperature {
        time: DateTime::from_timestamp_nanos(1_600_000_000_000_000_000 + i * 1_000),
        location: location.to_string(),
        value: i as f64,
    }
}

#[tokio::test]
async fn several_statements_bind_parameters_and_errors() {
    let (client, _) = fresh_client("raw").await;
    let hostile = "o'neil \"the\" \\ '; DROP DATABASE x";
    client
        .write_all(&[
            reading(1, "groningen"),
            reading(2, hostile),
            reading(3, "utrecht"),
        ])
        .await
        .unwrap();

    let results = client
        .query("SELECT value FROM temperature WHERE location = $loc; SELECT count(value) FROM temperature")
        .bind("loc", hostile)
        .epoch(Precision::Seconds)
        .await
        .unwrap();
    assert_eq!(results.statements.len(), 2);
    let first = &results.statements[0].series[0];
    assert_eq!(first.values, vec![vec![json!(1_600_000_000), json!(2)]]);
    assert_eq!(results.statements[1].series[0].values[0][1], json!(3));

    let typed: Vec<Temperature> = client
        .query_as("SELECT * FROM temperature WHERE location = $loc")
        .bind("loc", "utrecht")
        .fetch()
        .await
        .unwrap();
    assert_eq!(typed, vec![reading(3, "utrecht")]);
    let one: Temperature = client
        .query_as("SELECT * FROM temperature WHERE value = $v")
        .bind("v", 2.0)
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(one.location, hostile);
    let none = client
        .query_as::<Temperature>("SELECT * FROM temperature WHERE value > 100")
        .fetch_optional()
        .await
        .unwrap();
    assert_eq!(none, None);
    assert!(matches!(
        client
            .query_as::<Temperature>("SELECT * FROM temperature WHERE value > 100")
            .fetch_one()
            .await,
        Err(Error::Decode(inflow::DecodeError::NoRows))
    ));

    match client
        .query("SELECT * FROM temperature; SELECT * FROM nope.autogen.temperature; SHOW DATABASES")
        .await
    {
        // The second statement names a missing database: the same error
        // as a write to it.
        Err(Error::DatabaseNotFound { message }) => {
            assert!(message.contains("database not found: nope"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    match client.query("SELECT * FROM nope.autogen.temperature").await {
        Err(Error::DatabaseNotFound { message }) => {
            assert!(message.contains("database not found: nope"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // The database is still there: the hostile value changed nothing.
    assert!(client
        .show_databases()
        .await
        .unwrap()
        .contains(&client.database().unwrap().to_string()));
}

#[tokio::test]
async fn reads_go_by_get_and_changes_by_post() {
    let server = InfluxServer::builder()
        .http_log(true)
        .start()
        .await
        .unwrap();
    let client = Client::new(&format!("{}/methods", server.url())).unwrap();
    client.create_database("methods").await.unwrap();
    client.write(&reading(1, "a")).await.unwrap();
    let into = client
        .query("SELECT * INTO copy FROM temperature")
        .await
        .unwrap();
    // A change sent by GET gets a "read only context" warning; none here.
    assert!(into.statements[0].messages.is_empty(), "{into:?}");
    client.query("SHOW MEASUREMENTS").await.unwrap();
    client.query("SELECT * FROM \"INTO\"").await.unwrap();
    client.drop_database("methods").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let log = server.read_log();
    let requests: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("/query?") || l.contains("/query "))
        .collect();
    let method_of = |needle: &str| -> String {
        let line = requests
            .iter()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no request with {needle} in {requests:#?}"));
        if line.contains("\"GET ") {
            "GET".into()
        } else {
            "POST".into()
        }
    };
    assert_eq!(method_of("SHOW+MEASUREMENTS"), "GET");
    assert_eq!(method_of("%22INTO%22"), "GET");
    // POST bodies are not logged: the POSTs show as bare /query lines.
    let posts = requests
        .iter()
        .filter(|l| l.contains("\"POST /query"))
        .count();
    assert_eq!(
        posts, 3,
        "CREATE, SELECT INTO and DROP go by POST: {requests:#?}"
    );
}

#[tokio::test]
async fn show_helpers() {
    let (client, db) = fresh_client("show").await;
    client
        .write_all(&[reading(1, "a"), reading(2, "b")])
        .await
        .unwrap();
    client
        .write(
            &inflow::Point::new("other")
                .tag("k", "v")
                .field("s", "x")
                .field("n", 1i64),
        )
        .await
        .unwrap();
    assert_eq!(
        client.show_measurements().await.unwrap(),
        ["other", "temperature"]
    );
    assert_eq!(
        client.show_tag_keys("temperature").await.unwrap(),
        ["location"]
    );
    assert_eq!(
        client
            .show_tag_values("temperature", "location")
            .await
            .unwrap(),
        ["a", "b"]
    );
    let mut fields = client.show_field_keys("other").await.unwrap();
    fields.sort();
    assert_eq!(
        fields,
        [
            ("n".to_string(), "integer".to_string()),
            ("s".into(), "string".into())
        ]
    );
    let rps = client.show_retention_policies().await.unwrap();
    assert_eq!(rps.len(), 1);
    assert_eq!(rps[0].name, "autogen");
    assert!(rps[0].default);
    assert!(client.show_databases().await.unwrap().contains(&db));
}

/// Results over 10,000 rows: the server marks the series `partial` even
/// without chunking; plain, chunked and streamed reads all get every row.
#[tokio::test]
async fn results_larger_than_one_chunk() {
    let (client, _) = fresh_client("big").await;
    let rows: Vec<Temperature> = (0..25_000).map(|i| reading(i, "x")).collect();
    let mut session = client.session();
    session.add_all(&rows).await.unwrap();
    session.commit().await.unwrap();

    let plain = client.query("SELECT * FROM temperature").await.unwrap();
    assert_eq!(
        plain.series().map(|s| s.values.len()).sum::<usize>(),
        25_000
    );
    let chunked = client
        .query_chunked("SELECT * FROM temperature")
        .await
        .unwrap();
    assert_eq!(
        chunked.series().count(),
        1,
        "chunks of one series are joined"
    );
    assert_eq!(chunked.series().next().unwrap().values.len(), 25_000);

    let typed: Vec<Temperature> = client
        .query_as("SELECT * FROM temperature")
        .fetch()
        .await
        .unwrap();
    assert_eq!(typed, rows);
    let mut stream = client
        .query_as::<Temperature>("SELECT * FROM temperature")
        .fetch_stream()
        .await
        .unwrap();
    let mut streamed = Vec::new();
    while let Some(row) = stream.next().await {
        streamed.push(row.unwrap());
    }
    assert_eq!(streamed, rows);
}

/// The request timeout bounds one attempt of an ordinary request; a stream
/// may run longer, as long as data keeps coming.
#[tokio::test]
async fn a_stream_outlives_the_request_timeout() {
    let (client, db) = fresh_client("slowstream").await;
    let rows: Vec<Temperature> = (0..25_000).map(|i| reading(i, "x")).collect();
    client.write_all(&rows).await.unwrap();
    let server = InfluxServer::shared().await;
    let impatient = Client::builder(&format!("{}/{db}", server.url()))
        .timeout(Some(std::time::Duration::from_millis(400)))
        .build()
        .unwrap();
    let mut stream = impatient
        .query_as::<Temperature>("SELECT * FROM temperature")
        .fetch_stream()
        .await
        .unwrap();
    let mut n = 0;
    while let Some(row) = stream.next().await {
        row.unwrap();
        n += 1;
        if n % 10_000 == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
    }
    assert_eq!(n, 25_000);
}

/// `bind` takes inflow's own value type: strings of every kind, numbers
/// with every digit, and times, which serde_json::Value could not carry.
#[tokio::test]
async fn bind_takes_times_numbers_and_strings() {
    let (client, _) = fresh_client("bind_values").await;
    let rows: Vec<Temperature> = (0..4).map(|i| reading(i, "utrecht")).collect();
    client.write_all(&rows).await.unwrap();
    let since = rows[2].time;
    let place = String::from("utrecht");
    let after = client
        .query_as::<Temperature>("SELECT * FROM temperature WHERE time >= $t AND location = $l")
        .bind("t", since)
        .bind("l", &place)
        .fetch()
        .await
        .unwrap();
    assert_eq!(after, rows[2..]);
    assert_eq!(place, rows[0].location);
    let before = client
        .query_as::<Temperature>("SELECT * FROM temperature WHERE time < $t")
        .bind("t", std::time::SystemTime::from(rows[1].time))
        .fetch()
        .await
        .unwrap();
    assert_eq!(before, rows[..1]);
    client
        .write(
            &inflow::Point::new("big")
                .field("n", 9_007_199_254_740_993i64)
                .timestamp_nanos(1),
        )
        .await
        .unwrap();
    let exact = client
        .query("SELECT n FROM big WHERE n = $n")
        .bind("n", 9_007_199_254_740_993u64)
        .await
        .unwrap();
    assert_eq!(exact.series().count(), 1, "{exact:?}");
}
