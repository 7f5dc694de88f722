//! The edges of the read path, against a real influxd and, for answers no
//! real server sends, a fault proxy in front of one: a server row limit,
//! an empty or cut body, a document that never ends, a trickle, a query
//! too long for a URL, and reads that need only one row.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use futures_util::StreamExt;
use inflow::testkit::{unique_database, Fault, FaultProxy, InfluxServer};
use inflow::{Client, DecodeError, Error, Measurement, RetryPolicy};

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "reading")]
struct Reading {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(tag)]
    location: String,
    value: f64,
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap()
}

fn readings(n: i64) -> Vec<Reading> {
    (0..n)
        .map(|i| Reading {
            time: t0() + Duration::seconds(i),
            location: ["groningen", "utrecht"][i as usize % 2].into(),
            value: i as f64 * 0.5,
        })
        .collect()
}

/// A client of `url` on `db` that sends each request once.
fn client(url: &str, db: &str, msgpack: bool) -> Client {
    Client::builder(&format!("{url}/{db}"))
        .msgpack(msgpack)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client")
}

const ROWS: i64 = 3_000;

#[tokio::test]
async fn a_server_row_limit_never_shortens_a_result() {
    let server = InfluxServer::builder()
        .max_row_limit(1_000)
        .start()
        .await
        .expect("a server with max-row-limit = 1000");
    let db = unique_database("rowlimit");
    server.create_database(&db).await.unwrap();
    let writer = client(server.url(), &db, true);
    writer.write_all(&readings(ROWS)).await.unwrap();
    // The server cuts a plain answer: what the client must not fall for.
    let plain = server
        .query("SELECT * FROM reading", db.as_str())
        .await
        .unwrap();
    let series = &plain["results"][0]["series"][0];
    assert_eq!(series["values"].as_array().unwrap().len(), 1_000);
    assert_eq!(series["partial"], serde_json::json!(true));

    for msgpack in [true, false] {
        let client = client(server.url(), &db, msgpack);
        let rows: Vec<Reading> = client
            .query_as("SELECT * FROM reading")
            .fetch()
            .await
            .unwrap();
        assert_eq!(rows, readings(ROWS), "query_as, msgpack: {msgpack}");
        let rows = client.select::<Reading>().fetch().await.unwrap();
        assert_eq!(rows.len() as i64, ROWS, "select, msgpack: {msgpack}");
        let streamed: Vec<Reading> = client
            .select::<Reading>()
            .fetch_stream()
            .await
            .unwrap()
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(streamed.len() as i64, ROWS);
        // Grouped: several series, the last one past the limit.
        let grouped: Vec<Reading> = client
            .query_as("SELECT value FROM reading GROUP BY location")
            .fetch()
            .await
            .unwrap();
        assert_eq!(grouped.len() as i64, ROWS);
    }

    let raw = client(server.url(), &db, false);
    let results = raw.query("SELECT * FROM reading").await.unwrap();
    let rows: usize = results.series().map(|s| s.values.len()).sum();
    assert_eq!(rows as i64, ROWS, "raw query");
    assert!(results.series().all(|s| !s.is_partial()));
    let results = raw
        .query("SELECT value FROM reading GROUP BY location; SELECT count(value) FROM reading")
        .await
        .unwrap();
    assert_eq!(results.statements.len(), 2);
    let grouped: usize = results.statements[0]
        .series
        .iter()
        .map(|s| s.values.len())
        .sum();
    assert_eq!(grouped as i64, ROWS);
    assert_eq!(
        results.statements[1].series[0].values[0][1],
        serde_json::json!(ROWS)
    );
}

/// Answers, each with no document at all.
fn empty_answers() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "Content-Length: 0",
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n"
                .to_vec(),
        ),
        (
            "cut right after its headers",
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
                .to_vec(),
        ),
        (
            "an empty chunked body",
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                .to_vec(),
        ),
        (
            "only whitespace",
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n\n\n"
                .to_vec(),
        ),
    ]
}

fn is_empty_answer(error: &Error) -> bool {
    matches!(error, Error::Decode(DecodeError::EmptyResponse))
}

#[tokio::test]
async fn an_answer_without_a_document_is_an_error() {
    let server = InfluxServer::shared().await;
    let db = unique_database("empty");
    server.create_database(&db).await.unwrap();
    let proxy = FaultProxy::for_server(server).await.unwrap();
    for (what, answer) in empty_answers() {
        for msgpack in [true, false] {
            let client = client(&proxy.url(), &db, msgpack);
            let raw = |times| Fault::Raw {
                response: answer.clone(),
                times,
            };
            proxy.set_fault(raw(1));
            let fetched = client.select::<Reading>().fetch().await;
            match fetched {
                Err(e) => assert!(is_empty_answer(&e), "{what}: fetch: {e:?}"),
                Ok(rows) => panic!("{what}: fetch gave Ok({rows:?})"),
            }
            proxy.set_fault(raw(1));
            let one = client.select::<Reading>().fetch_optional().await;
            assert!(
                one.as_ref().is_err_and(is_empty_answer),
                "{what}: fetch_optional: {one:?}"
            );
            proxy.set_fault(raw(1));
            let mut stream = client.select::<Reading>().fetch_stream().await.unwrap();
            match stream.next().await {
                Some(Err(e)) => assert!(is_empty_answer(&e), "{what}: stream: {e:?}"),
                other => panic!("{what}: stream gave {other:?}"),
            }
            assert!(stream.next().await.is_none());
        }
        let client = client(&proxy.url(), &db, false);
        proxy.set_fault(Fault::Raw {
            response: answer.clone(),
            times: 1,
        });
        let results = client.query("SELECT * FROM reading").await;
        assert!(
            results.as_ref().is_err_and(is_empty_answer),
            "{what}: query: {results:?}"
        );
    }
    // The empty answer is the proxy's: the server itself always answers.
    proxy.clear_fault();
    let client = client(&proxy.url(), &db, true);
    assert!(client.select::<Reading>().fetch().await.unwrap().is_empty());
    assert!(client.query("SELECT * FROM reading").await.is_ok());
}

/// A `200` whose one document never ends: JSON without a newline, or
/// MessagePack that promises more values than it ever sends.
fn endless_answers() -> Vec<(&'static str, Fault)> {
    let chunked = |content_type: &str, prefix: &[u8]| {
        let mut head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
            prefix.len()
        )
        .into_bytes();
        head.extend_from_slice(prefix);
        head.extend_from_slice(b"\r\n");
        head
    };
    let mut packed = vec![0x81, 0xa7];
    packed.extend_from_slice(b"results");
    packed.extend_from_slice(&[0xdd, 0xff, 0xff, 0xff, 0xff]);
    vec![
        (
            "JSON",
            Fault::Endless {
                head: chunked(
                    "application/json",
                    br#"{"results":[{"statement_id":0,"series":[{"name":"reading","columns":["time","value"],"values":["#,
                ),
                chunk: b"[1,2],".repeat(10_000),
                max_bytes: 256 << 20,
            },
        ),
        (
            "MessagePack",
            Fault::Endless {
                head: chunked("application/x-msgpack", &packed),
                chunk: vec![0xc0; 60_000],
                max_bytes: 256 << 20,
            },
        ),
    ]
}

#[tokio::test]
async fn a_document_that_never_ends_is_refused_past_the_limit() {
    let server = InfluxServer::shared().await;
    let db = unique_database("endless");
    server.create_database(&db).await.unwrap();
    let proxy = FaultProxy::for_server(server).await.unwrap();
    let limit = 1 << 20;
    let client = Client::builder(&format!("{}/{db}", proxy.url()))
        .retry_policy(RetryPolicy::none())
        .max_document_bytes(limit)
        .build()
        .unwrap();
    let too_large = |e: &Error| matches!(e, Error::Decode(DecodeError::DocumentTooLarge { limit: l }) if *l == limit);
    for (what, fault) in endless_answers() {
        proxy.set_fault(fault.clone());
        let mut stream = client.select::<Reading>().fetch_stream().await.unwrap();
        match stream.next().await {
            Some(Err(e)) => {
                assert!(too_large(&e), "{what}: stream: {e:?}");
                assert!(e.to_string().contains("max_document_bytes"), "{e}");
            }
            other => panic!("{what}: stream gave {other:?}"),
        }
        let fetched = client.select::<Reading>().fetch().await;
        assert!(
            fetched.as_ref().is_err_and(too_large),
            "{what}: fetch: {fetched:?}"
        );
        if what == "JSON" {
            let results = client.query("SELECT * FROM reading").await;
            assert!(
                results.as_ref().is_err_and(too_large),
                "{what}: query: {results:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_stream_deadline_ends_a_trickle() {
    let server = InfluxServer::shared().await;
    let db = unique_database("trickle");
    server.create_database(&db).await.unwrap();
    let proxy = FaultProxy::for_server(server).await.unwrap();
    let body = concat!(
        r#"{"results":[{"statement_id":0,"series":[{"name":"reading","columns":["time","location","value"],"values":[[1,"a",1]],"partial":true}],"partial":true}]}"#,
        "\n",
        r#"{"results":[{"statement_id":0,"series":[{"name":"reading","columns":["time","location","value"],"values":[[2,"a",2]]}]}]}"#,
        "\n"
    );
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    proxy.set_fault(Fault::Trickle {
        response: response.into_bytes(),
        interval: StdDuration::from_millis(100),
    });
    // Every read brings a byte well within the read timeout: only the
    // deadline of the whole stream can end it.
    let client = Client::builder(&format!("{}/{db}", proxy.url()))
        .retry_policy(RetryPolicy::none())
        .timeout(Some(StdDuration::from_secs(5)))
        .stream_timeout(Some(StdDuration::from_secs(1)))
        .build()
        .unwrap();
    let mut stream = client.select::<Reading>().fetch_stream().await.unwrap();
    let mut rows = 0;
    let error = loop {
        match stream.next().await {
            Some(Ok(_)) => rows += 1,
            Some(Err(e)) => break e,
            None => panic!("the trickle ended before the deadline ({rows} rows)"),
        }
    };
    assert!(error.is_timeout(), "{error:?}");
    assert!(error.to_string().contains("stream_timeout"), "{error}");
    assert!(rows <= 1);
}

#[tokio::test]
async fn a_query_too_long_for_a_url_is_sent_in_the_body() {
    let server = InfluxServer::builder()
        .http_log(true)
        .start()
        .await
        .unwrap();
    let db = unique_database("long");
    server.create_database(&db).await.unwrap();
    let names: Vec<String> = (0..400)
        .map(|i| {
            format!(
                "measurement_with_a_rather_long_name_{i:04}_{}",
                "x".repeat(150)
            )
        })
        .collect();
    let lines: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, name)| format!("{name},location=here value={i} {}", 1_000_000_000 + i))
        .collect();
    server.write_lines(&db, &lines.join("\n")).await.unwrap();
    let query = format!(
        "SELECT * FROM {}",
        names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(query.len() > 65_536, "{}", query.len());
    let client = client(server.url(), &db, true);
    let results = client.query(query.clone()).await.unwrap();
    assert_eq!(results.series().count(), names.len());
    let rows: Vec<Reading> = client.query_as(query.clone()).fetch().await.unwrap();
    assert_eq!(rows.len(), names.len());
    let streamed = client
        .query_as::<Reading>(query)
        .fetch_stream()
        .await
        .unwrap()
        .count()
        .await;
    assert_eq!(streamed, names.len());
    assert!(server.read_log().contains("POST /query"));
}

#[tokio::test]
async fn fetch_one_asks_for_one_row() {
    let server = InfluxServer::builder()
        .http_log(true)
        .start()
        .await
        .unwrap();
    let db = unique_database("one");
    server.create_database(&db).await.unwrap();
    let client = client(server.url(), &db, true);
    client.write_all(&readings(20_000)).await.unwrap();
    let first: Reading = client
        .query_as("SELECT * FROM reading")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(first, readings(1)[0]);
    let none: Option<Reading> = client
        .query_as("SELECT * FROM reading WHERE value < 0")
        .fetch_optional()
        .await
        .unwrap();
    assert_eq!(none, None);
    let log = server.read_log();
    let asked_for_one = log.lines().filter(|l| {
        l.contains("GET /query") && (l.contains("chunk_size=1&") || l.contains("chunk_size=1 "))
    });
    assert_eq!(asked_for_one.count(), 2, "{log}");
}
