//! Typed reads in MessagePack (the default) and in JSON, against a real
//! server: the same rows and the same errors from both, and MessagePack
//! really on the wire.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use futures_util::StreamExt;
use inflow::testkit::{Fault, FaultProxy, InfluxServer};
use inflow::{Client, Fill, Measurement};

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "reading")]
struct Reading {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(tag)]
    location: String,
    #[influx(tag)]
    sensor: Option<String>,
    value: f64,
    count: i64,
    big: u64,
    label: String,
    ok: bool,
    note: Option<String>,
}

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(from = Reading)]
struct Hourly {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(tag)]
    location: String,
    #[influx(aggregate = "mean(value)")]
    mean_value: Option<f64>,
    #[influx(aggregate = "count(value)")]
    n: Option<i64>,
    #[influx(aggregate = "max(count)")]
    max_count: Option<i64>,
    #[influx(aggregate = "last(label)")]
    last_label: Option<String>,
}

/// Decodes a string column where an integer is expected.
#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "reading")]
struct Mistyped {
    #[influx(time)]
    time: DateTime<Utc>,
    label: i64,
}

const ROWS: i64 = 25_000;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap()
}

fn readings() -> Vec<Reading> {
    (0..ROWS)
        .map(|i| Reading {
            time: t0() + Duration::seconds(i),
            location: ["groningen", "utrecht", "zwolle"][i as usize % 3].into(),
            sensor: (i % 5 != 0).then(|| format!("s{}", i % 4)),
            value: i as f64 * 0.37 - 1000.0,
            count: i * 7 - 50_000,
            big: i64::MAX as u64 - i as u64,
            label: format!("label \"{i}\" ü ✓ \\ ,= \n"),
            ok: i % 2 == 0,
            note: (i % 3 == 0).then(|| "noted".to_string()),
        })
        .collect()
}

/// Everything one client reads, or the error it got, as text.
async fn read_all(client: &Client) -> Vec<String> {
    let mut out = Vec::new();
    let all = client.select::<Reading>().fetch().await;
    out.push(format!("{:?}", all.as_ref().map(Vec::len)));
    out.push(format!("{all:?}"));

    let mut stream = client
        .select::<Reading>()
        .order_by_time_desc()
        .fetch_stream()
        .await
        .unwrap();
    let mut streamed = Vec::new();
    while let Some(row) = stream.next().await {
        streamed.push(row.unwrap());
    }
    assert_eq!(streamed.len() as i64, ROWS);
    out.push(format!("{streamed:?}"));

    let grouped = client
        .select::<Reading>()
        .group_by(Reading::location())
        .limit(3)
        .fetch()
        .await;
    out.push(format!("{grouped:?}"));

    let hourly = client
        .select::<Hourly>()
        .time_range(t0()..t0() + Duration::hours(10))
        .group_by_time(StdDuration::from_secs(3600))
        .fill(Fill::Null)
        .fetch()
        .await;
    out.push(format!("{hourly:?}"));

    let two = client
        .query_as::<Reading>(
            "SELECT * FROM reading WHERE location = $a LIMIT 2; SELECT * FROM reading WHERE location = $b LIMIT 2",
        )
        .bind("a", "utrecht")
        .bind("b", "zwolle")
        .fetch()
        .await;
    out.push(format!("{two:?}"));

    // A stream whose second statement fails: the rows of the first, then
    // the error, with the failing statement's index.
    let mut stream = client
        .query_as::<Reading>(
            "SELECT * FROM reading WHERE location = 'zwolle' LIMIT 3; SELECT * FROM no_such_database..reading",
        )
        .fetch_stream()
        .await
        .unwrap();
    let mut items = Vec::new();
    while let Some(item) = stream.next().await {
        items.push(format!("{item:?}"));
    }
    out.push(items.join("\n"));

    // Errors: a parse error (400), a database that does not exist, and a
    // column of the wrong type.
    let parse = client
        .query_as::<Reading>("SELECT * FROM reading WHERE")
        .fetch()
        .await;
    out.push(format!("{parse:?}"));
    let missing = client
        .query_as::<Reading>("SELECT * FROM reading")
        .database("no_such_database")
        .fetch()
        .await;
    out.push(format!("{missing:?}"));
    let mistyped = client.select::<Mistyped>().limit(1).fetch().await;
    out.push(format!("{mistyped:?}"));
    out
}

#[tokio::test]
async fn typed_reads_agree_in_both_formats() {
    let server = InfluxServer::builder()
        .http_log(true)
        .start()
        .await
        .unwrap();
    let url = format!("{}/formats", server.url());
    let packed = Client::new(&url).unwrap();
    let json = Client::builder(&url).msgpack(false).build().unwrap();
    packed.create_database("formats").await.unwrap();
    let points = readings();
    for chunk in points.chunks(5_000) {
        packed.write_all(chunk).await.unwrap();
    }

    let from_packed = read_all(&packed).await;
    let from_json = read_all(&json).await;
    for (a, b) in from_packed.iter().zip(&from_json) {
        assert!(a == b, "MessagePack and JSON differ:\n{a:.2000}\n{b:.2000}");
    }
    assert_eq!(from_packed.len(), from_json.len());

    // What they agree on is right.
    assert_eq!(from_packed[0], format!("Ok({ROWS})"));
    assert_eq!(from_packed[1], format!("{:?}", Ok::<_, ()>(points.clone())));
    let mut newest_first = points.clone();
    newest_first.reverse();
    assert_eq!(from_packed[2], format!("{newest_first:?}"));
    for (i, what) in [(3, "grouped"), (4, "hourly"), (5, "two statements")] {
        assert!(
            from_packed[i].starts_with("Ok([Reading") || from_packed[i].starts_with("Ok([Hourly"),
            "{what}: {:.500}",
            from_packed[i]
        );
    }
    assert_eq!(from_packed[3].matches("Reading {").count(), 9);
    assert_eq!(from_packed[4].matches("Hourly {").count(), 30);
    assert!(
        from_packed[4].contains("n: Some(1200)"),
        "{}",
        from_packed[4]
    );
    assert_eq!(from_packed[5].matches("Reading {").count(), 4);
    let statements: Vec<&str> = from_packed[6].lines().collect();
    assert_eq!(statements.len(), 4, "{}", from_packed[6]);
    assert!(statements[..3].iter().all(|l| l.starts_with("Ok(Reading")));
    assert!(
        statements[3].contains("DatabaseNotFound") && statements[3].contains("database not found"),
        "{}",
        statements[3]
    );
    assert!(from_packed[7].contains("QueryFailed"), "{}", from_packed[7]);
    assert!(
        from_packed[8].contains("database not found"),
        "{}",
        from_packed[8]
    );
    assert!(from_packed[9].contains("label"), "{}", from_packed[9]);

    // The server sent MessagePack to one and JSON to the other: the same
    // SELECT's response is much smaller for the first.
    tokio::time::sleep(StdDuration::from_millis(200)).await;
    let log = server.read_log();
    let sizes: Vec<u64> = log
        .lines()
        .filter(|l| l.contains("/query?") && l.contains("ORDER+BY+time+DESC"))
        .filter_map(|l| {
            // `"GET /query?... HTTP/1.1" 200 BYTES ...`
            let after = l.split("HTTP/1.1\" ").nth(1)?;
            after.split_whitespace().nth(1)?.parse().ok()
        })
        .collect();
    assert_eq!(sizes.len(), 2, "{log}");
    assert!(
        sizes[0] * 10 < sizes[1] * 8,
        "MessagePack {} bytes, JSON {} bytes",
        sizes[0],
        sizes[1]
    );
}

/// A server that refuses to be asked for MessagePack (as InfluxDB 3's v1
/// API does, with a 400) is asked again in JSON, and not asked again.
#[tokio::test]
async fn a_server_that_refuses_msgpack_is_read_in_json() {
    let server = InfluxServer::shared().await;
    let db = "formats_refused";
    server.create_database(db).await.unwrap();
    let points: Vec<Reading> = readings().into_iter().take(30).collect();
    let direct = Client::new(&format!("{}/{db}", server.url())).unwrap();
    direct.write_all(&points).await.unwrap();

    let refusal = || Fault::Respond {
        status: 400,
        retry_after: None,
        body: r#"{"error":"invalid mime type (application/x-msgpack)"}"#.into(),
        times: 1,
    };
    let proxy = FaultProxy::for_server(server).await.unwrap();
    let client = Client::new(&format!("{}/{db}", proxy.url())).unwrap();
    proxy.set_fault(refusal());
    assert_eq!(client.select::<Reading>().fetch().await.unwrap(), points);
    assert_eq!(proxy.requests(), 2, "refused, then asked in JSON");
    assert_eq!(proxy.faults_injected(), 1);
    // The client remembers: one request for the next read.
    assert_eq!(client.select::<Reading>().fetch().await.unwrap(), points);
    assert_eq!(proxy.requests(), 3);

    // A stream, from a fresh client.
    let client = Client::new(&format!("{}/{db}", proxy.url())).unwrap();
    proxy.set_fault(refusal());
    let mut stream = client.select::<Reading>().fetch_stream().await.unwrap();
    let mut streamed = Vec::new();
    while let Some(row) = stream.next().await {
        streamed.push(row.unwrap());
    }
    assert_eq!(streamed, points);
    assert_eq!(proxy.requests(), 5);

    // A statement that changes things is sent once, in JSON: refused, it
    // is not sent again.
    let client = Client::new(&format!("{}/{db}", proxy.url())).unwrap();
    proxy.set_fault(refusal());
    let before = proxy.requests();
    let refused = client
        .query_as::<Reading>("SELECT * INTO copied FROM reading")
        .fetch()
        .await;
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(proxy.requests(), before + 1, "sent once");
    assert!(!client
        .show_measurements()
        .await
        .unwrap()
        .contains(&"copied".to_string()));

    // A query the server refuses in both formats is its error, and does
    // not stop a fresh client from asking for MessagePack.
    let client = Client::new(&format!("{}/{db}", proxy.url())).unwrap();
    let error = client
        .query_as::<Reading>("SELECT * FROM reading WHERE")
        .fetch()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("error parsing query"), "{error}");
    assert_eq!(proxy.requests(), 9, "asked in MessagePack, then in JSON");
    proxy.set_fault(refusal());
    assert_eq!(client.select::<Reading>().fetch().await.unwrap(), points);
    assert_eq!(proxy.requests(), 11, "still asks for MessagePack first");
}

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "raw_bytes")]
struct RawBytes {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(tag)]
    kind: String,
    text: String,
}

/// InfluxDB stores strings that are not UTF-8 as they come. JSON sends each
/// bad byte as U+FFFD; MessagePack sends the bytes, and inflow replaces
/// them the same way, so both formats read the same value.
#[tokio::test]
async fn bytes_that_are_not_utf8_read_alike_in_both_formats() {
    let server = InfluxServer::shared().await;
    let db = "formats_bytes";
    server.create_database(db).await.unwrap();
    // A cut-off sequence, a byte never used in UTF-8, an overlong encoding.
    let mut body = b"raw_bytes,kind=k".to_vec();
    body.extend_from_slice(&[0xE2, 0x82]);
    body.extend_from_slice(b" text=\"a");
    body.extend_from_slice(&[0xE2, 0x82]);
    body.extend_from_slice(b"b");
    body.push(0xFF);
    body.extend_from_slice(b"c");
    body.extend_from_slice(&[0xC0, 0x80]);
    body.extend_from_slice(b"\" 1\n");
    let written = std::process::Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--data-binary",
            "@-",
        ])
        .arg(format!("{}/write?db={db}", server.url()))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut curl| {
            use std::io::Write;
            curl.stdin.take().expect("stdin").write_all(&body)?;
            curl.wait_with_output()
        })
        .expect("curl");
    assert_eq!(String::from_utf8_lossy(&written.stdout), "204");

    let url = format!("{}/{db}", server.url());
    let packed = Client::new(&url).unwrap();
    let json = Client::builder(&url).msgpack(false).build().unwrap();
    let from_packed = packed.select::<RawBytes>().fetch().await.unwrap();
    let from_json = json.select::<RawBytes>().fetch().await.unwrap();
    assert_eq!(from_packed, from_json);
    assert_eq!(from_packed.len(), 1);
    assert_eq!(
        from_packed[0].text,
        "a\u{FFFD}\u{FFFD}b\u{FFFD}c\u{FFFD}\u{FFFD}"
    );
    assert_eq!(from_packed[0].kind, "k\u{FFFD}\u{FFFD}");
}
