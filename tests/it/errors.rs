//! Every error variant, produced by a real request to a real server (or by
//! a fault proxy in front of one), and credentials kept out of URLs, logs
//! and messages.

use std::time::Duration;

use inflow::testkit::{unique_database, Fault, FaultProxy, InfluxServer};
use inflow::{Client, Error, Measurement, Point, RetryPolicy, WriteOptions};
use inflow_tests::fresh_client;

#[derive(Measurement, Debug)]
#[influx(measurement = "cpu")]
struct Reading {
    #[influx(time)]
    time: chrono::DateTime<chrono::Utc>,
    v: f64,
}

fn point(v: f64) -> Point {
    Point::new("cpu")
        .tag("host", "a")
        .field("v", v)
        .timestamp_nanos(1_000)
}

#[tokio::test]
async fn ping_returns_the_server_version() {
    let (client, _) = fresh_client("ping").await;
    let version = client.ping().await.unwrap();
    assert!(version.starts_with("1."), "{version}");
}

#[tokio::test]
async fn write_failed_400_with_the_server_message() {
    let (client, _) = fresh_client("e400").await;
    let err = client
        .write_line_protocol("cpu value=1 1.5\n", &WriteOptions::new())
        .await
        .unwrap_err();
    match err {
        Error::WriteFailed {
            status: 400,
            message,
        } => {
            assert!(message.contains("bad timestamp"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn partial_write_reports_the_dropped_count() {
    let (client, db) = fresh_client("partial").await;
    client.write(&point(1.0)).await.unwrap();
    let body = "cpu,host=b v=2 2000\ncpu,host=c v=3i 3000\n";
    match client
        .write_line_protocol(body, &WriteOptions::new())
        .await
        .unwrap_err()
    {
        Error::PartialWrite { dropped, message } => {
            assert_eq!(dropped, Some(1), "{message}");
            assert!(message.contains("field type conflict"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // The good point of that request was stored, as the server does.
    let server = InfluxServer::shared().await;
    assert_eq!(server.count_field(&db, "cpu", "v").await.unwrap(), 2);
}

#[tokio::test]
async fn database_not_found_404() {
    let server = InfluxServer::shared().await;
    let client = Client::new(&format!("{}/{}", server.url(), unique_database("missing"))).unwrap();
    let db = client.database().unwrap().to_string();
    let write = client.write(&point(1.0)).await.unwrap_err();
    match &write {
        Error::DatabaseNotFound { message } => assert!(message.contains("database not found")),
        other => panic!("{other:?}"),
    }
    // Said once, with the database's name.
    assert_eq!(write.to_string(), format!("database not found: \"{db}\""));
    // A query answers `200` with a statement error: the same error.
    let query = client.query("SELECT * FROM cpu").await.unwrap_err();
    assert_eq!(query.to_string(), format!("database not found: {db}"));
    assert!(matches!(query, Error::DatabaseNotFound { .. }), "{query:?}");
    let typed = client
        .query_as::<Reading>("SELECT * FROM cpu")
        .fetch()
        .await
        .unwrap_err();
    assert!(matches!(typed, Error::DatabaseNotFound { .. }), "{typed:?}");
}

#[tokio::test]
async fn a_transport_error_says_what_failed_and_where() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = Client::builder(&format!("http://user:secret@127.0.0.1:{port}/db"))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let error = client.write(&point(1.0)).await.unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(text.contains("onnection refused"), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(!text.contains("secret"), "{text}");
}

#[tokio::test]
async fn unknown_retention_policy_is_a_server_error() {
    let (client, _) = fresh_client("rp").await;
    let client_no_retry = Client::builder(&format!(
        "{}/{}",
        InfluxServer::shared().await.url(),
        client.database().unwrap()
    ))
    .retry_policy(RetryPolicy::none())
    .build()
    .unwrap();
    let err = client_no_retry
        .write_all_with([&point(1.0)], &WriteOptions::new().retention_policy("nope"))
        .await
        .unwrap_err();
    match &err {
        Error::Server {
            status: 500,
            message,
            ..
        } => {
            assert!(message.contains("retention policy not found"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
}

#[tokio::test]
async fn query_failed_400_and_statement_errors() {
    let (client, _) = fresh_client("q").await;
    match client.query("SELECT FROM").await.unwrap_err() {
        Error::QueryFailed {
            status: 400,
            message,
        } => {
            assert!(message.contains("error parsing query"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    // A statement that fails inside a 200 is still an error, with its index.
    match client
        .query("SELECT * FROM cpu; SELECT * FROM nope.autogen.cpu")
        .await
        .unwrap_err()
    {
        Error::DatabaseNotFound { message } => {
            assert!(message.contains("database not found"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn invalid_point_is_refused_before_sending() {
    let (client, db) = fresh_client("invalid").await;
    let err = client
        .write_all([&point(1.0), &point(f64::NAN)])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidPoint { .. }), "{err:?}");
    let server = InfluxServer::shared().await;
    assert_eq!(server.count_field(&db, "cpu", "v").await.unwrap(), 0);
}

#[tokio::test]
async fn payload_too_large_413() {
    let server = InfluxServer::builder()
        .max_body_size(1_000)
        .start()
        .await
        .unwrap();
    server.create_database("big").await.unwrap();
    let client = Client::new(&format!("{}/big", server.url())).unwrap();
    let points: Vec<Point> = (0..100).map(|i| point(i as f64)).collect();
    match client.write_all(&points).await.unwrap_err() {
        Error::PayloadTooLarge { bytes, .. } => assert!(bytes > 1_000),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn unauthorized_401_and_forbidden_403_and_no_leaks() {
    let server = InfluxServer::builder()
        .auth_enabled(true)
        .admin("admin", "s3cret-admin")
        .http_log(true)
        .start()
        .await
        .unwrap();
    server.create_database("secure").await.unwrap();
    server
        .query(
            "CREATE USER reader WITH PASSWORD 'reader-pa55'; GRANT READ ON secure TO reader",
            None,
        )
        .await
        .unwrap();
    let base = server.url().trim_start_matches("http://");

    let wrong = Client::new(&format!("http://admin:wrong-pa55word@{base}/secure")).unwrap();
    let err = wrong.write(&point(1.0)).await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("wrong-pa55word"));

    let anonymous = Client::new(&format!("http://{base}/secure")).unwrap();
    assert!(matches!(
        anonymous.query("SHOW DATABASES").await.unwrap_err(),
        Error::Unauthorized { .. }
    ));

    let reader = Client::new(&format!("http://reader:reader-pa55@{base}/secure")).unwrap();
    let err = reader.write(&point(1.0)).await.unwrap_err();
    match &err {
        Error::Forbidden { message } => assert!(message.contains("not authorized"), "{message}"),
        other => panic!("{other:?}"),
    }

    let admin = Client::new(&format!("http://admin:s3cret-admin@{base}/secure")).unwrap();
    admin.write(&point(1.0)).await.unwrap();
    admin.query("SELECT * FROM cpu").await.unwrap();
    let token_client = Client::builder(&format!("http://{base}/secure"))
        .token("admin:s3cret-admin")
        .build()
        .unwrap();
    // 1.x does not read tokens: it answers 401, and the token is not echoed.
    let err = token_client.write(&point(2.0)).await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");

    // The server logged every request URL; no password appears there.
    let log = server.read_log();
    assert!(log.contains("/write"), "the HTTP log is on: {log}");
    for secret in ["s3cret-admin", "reader-pa55", "wrong-pa55word"] {
        assert!(!log.contains(secret), "{secret} leaked into the server log");
    }
    assert!(!format!("{admin:?}").contains("s3cret-admin"));
}

#[tokio::test]
async fn rate_limited_429_with_retry_after_and_transport_errors() {
    let server = InfluxServer::shared().await;
    let db = unique_database("ratelimit");
    server.create_database(&db).await.unwrap();
    let proxy = FaultProxy::for_server(server).await.unwrap();
    proxy.set_fault(Fault::Respond {
        status: 429,
        retry_after: Some(7),
        body: r#"{"error":"slow down"}"#.into(),
        times: 1,
    });
    let client = Client::builder(&format!("{}/{db}", proxy.url()))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.write(&point(1.0)).await.unwrap_err();
    match &err {
        Error::RateLimited {
            retry_after,
            message,
        } => {
            assert_eq!(*retry_after, Some(Duration::from_secs(7)));
            assert_eq!(message, "slow down");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());

    proxy.set_fault(Fault::ResetAfter { bytes: 0 });
    let err = client.write(&point(1.0)).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());

    let dead = Client::builder("http://127.0.0.1:1/db")
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    assert!(matches!(
        dead.ping().await.unwrap_err(),
        Error::Transport { .. }
    ));

    let slow = Client::builder(&format!("{}/{db}", proxy.url()))
        .retry_policy(RetryPolicy::none())
        .timeout(Some(Duration::from_millis(200)))
        .build()
        .unwrap();
    proxy.set_fault(Fault::Delay(Duration::from_secs(2)));
    let err = slow.write(&point(1.0)).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

#[tokio::test]
async fn server_errors_5xx_are_retried_until_they_pass() {
    let server = InfluxServer::shared().await;
    let db = unique_database("retry5xx");
    server.create_database(&db).await.unwrap();
    let proxy = FaultProxy::for_server(server).await.unwrap();
    proxy.set_fault(Fault::Respond {
        status: 503,
        retry_after: None,
        body: "<html>busy</html>".into(),
        times: 3,
    });
    let client = Client::new(&format!("{}/{db}", proxy.url())).unwrap();
    let summary = client.write(&point(1.0)).await.unwrap();
    assert_eq!(summary.retries, 3);
    assert_eq!(server.count_field(&db, "cpu", "v").await.unwrap(), 1);

    proxy.set_fault(Fault::Respond {
        status: 503,
        retry_after: None,
        body: "<html>busy</html>".into(),
        times: 1,
    });
    let once = Client::builder(&format!("{}/{db}", proxy.url()))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    match once.write(&point(1.0)).await.unwrap_err() {
        Error::Server {
            status: 503,
            message,
            ..
        } => assert!(message.contains("busy")),
        other => panic!("{other:?}"),
    }
}
