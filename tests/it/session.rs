//! Sessions against a real server: commit, rollback, savepoints,
//! autocommit, refused points, and zero loss under faults.
//!
//! Points in the fault tests carry no time of their own: the client gives
//! each the current time when it is added. A retry that re-encoded them
//! would store them twice under new timestamps; counting `seq` (one value
//! per point) and its distinct values shows there is neither loss nor
//! duplication.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use inflow::testkit::{unique_database, Fault, FaultProxy, InfluxServer};
use inflow::{Client, Error, InvalidPoint, Point, RetryPolicy, SessionOptions};
use inflow_tests::fresh_client;

/// Whether a refusal has the expected reason.
type Check = fn(&InvalidPoint) -> bool;

fn seq_point(measurement: &str, seq: i64) -> Point {
    Point::new(measurement)
        .tag("host", format!("h{}", seq % 4))
        .field("seq", seq)
        .field("value", seq as f64 * 0.5)
}

/// `COUNT(seq)` and `COUNT(DISTINCT(seq))` of a measurement.
async fn counts(client: &Client, measurement: &str) -> (u64, u64) {
    let results = client
        .query(format!(
            "SELECT COUNT(seq) FROM {m}; SELECT COUNT(DISTINCT(seq)) FROM {m}",
            m = inflow::query::quote_ident(measurement)
        ))
        .await
        .unwrap();
    let mut out = [0u64; 2];
    for (i, statement) in results.statements.iter().enumerate() {
        if let Some(series) = statement.series.first() {
            out[i] = series.values[0][1].as_u64().unwrap();
        }
    }
    (out[0], out[1])
}

fn patient_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 1_000,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(500),
        max_elapsed: Duration::from_secs(120),
    }
}

#[tokio::test]
async fn commit_writes_once_and_empties_the_batch() {
    let (client, _) = fresh_client("commit").await;
    let mut session = client.session();
    for i in 0..1_000 {
        session.add(&seq_point("m", i)).await.unwrap();
    }
    assert_eq!(session.len(), 1_000);
    assert!(session.bytes() > 1_000 * 20);
    let summary = session.commit().await.unwrap();
    assert_eq!(
        (summary.points, summary.requests, summary.retries),
        (1_000, 1, 0)
    );
    assert!(session.is_empty());
    assert_eq!(counts(&client, "m").await, (1_000, 1_000));
    // Committing an empty session sends nothing.
    assert_eq!(session.commit().await.unwrap().requests, 0);
}

#[tokio::test]
async fn rollback_and_savepoints_leave_exactly_the_kept_points() {
    let (client, _) = fresh_client("rollback").await;
    let mut session = client.session();
    for i in 0..10 {
        session.add(&seq_point("m", i)).await.unwrap();
    }
    session.rollback();
    assert!(session.is_empty());
    for i in 10..20 {
        session.add(&seq_point("m", i)).await.unwrap();
    }
    let keep = session.savepoint();
    for i in 20..30 {
        session.add(&seq_point("m", i)).await.unwrap();
    }
    let inner = session.savepoint();
    session.add(&seq_point("m", 30)).await.unwrap();
    session.rollback_to(inner).unwrap();
    session.rollback_to(keep).unwrap();
    assert_eq!(session.len(), 10);
    session.commit().await.unwrap();
    // A savepoint from before the commit no longer applies.
    assert!(matches!(session.rollback_to(keep), Err(Error::Misuse(_))));
    let rows = client.query("SELECT seq FROM m").await.unwrap();
    let mut seqs: Vec<i64> = rows
        .series()
        .next()
        .unwrap()
        .values
        .iter()
        .map(|r| r[1].as_i64().unwrap())
        .collect();
    seqs.sort();
    assert_eq!(seqs, (10..20).collect::<Vec<_>>());
}

#[tokio::test]
async fn autocommit_writes_on_the_fifth_add() {
    let (client, _) = fresh_client("autocommit").await;
    let mut session = client.session_with(SessionOptions::new().autocommit_every(5));
    for i in 0..4 {
        session.add(&seq_point("m", i)).await.unwrap();
    }
    assert_eq!(
        counts(&client, "m").await.0,
        0,
        "nothing is written before the fifth add"
    );
    session.add(&seq_point("m", 4)).await.unwrap();
    assert!(session.is_empty());
    assert_eq!(counts(&client, "m").await.0, 5);
    for i in 5..12 {
        session.add(&seq_point("m", i)).await.unwrap();
    }
    assert_eq!(session.len(), 2);
    assert_eq!(counts(&client, "m").await.0, 10);
    session.commit().await.unwrap();
    assert_eq!(counts(&client, "m").await.0, 12);
}

#[tokio::test]
async fn scoped_commits_on_ok_and_rolls_back_on_err() {
    let (client, _) = fresh_client("scoped").await;
    client
        .scoped(async |session| {
            session.add(&seq_point("m", 1)).await?;
            session.add(&seq_point("m", 2)).await?;
            Ok::<_, Error>(())
        })
        .await
        .unwrap();
    let failed: Result<(), Error> = client
        .scoped(async |session| {
            session.add(&seq_point("m", 3)).await?;
            Err(Error::Config("the caller gave up".into()))
        })
        .await;
    assert!(failed.is_err());
    assert_eq!(counts(&client, "m").await, (2, 2));
}

#[tokio::test]
async fn retention_policy_for_the_whole_session() {
    let (client, _) = fresh_client("sessionrp").await;
    client
        .create_retention_policy("week", Duration::from_secs(7 * 86_400), 1, false)
        .await
        .unwrap();
    let mut session = client.session_with(SessionOptions::new().retention_policy("week"));
    session.add(&seq_point("m", 1)).await.unwrap();
    session.commit().await.unwrap();
    assert_eq!(counts(&client, "m").await.0, 0, "not in the default policy");
    let results = client
        .query("SELECT COUNT(seq) FROM \"week\".\"m\"")
        .await
        .unwrap();
    assert_eq!(results.series().next().unwrap().values[0][1], 1);
}

/// Fifteen kinds of invalid point among valid ones: each is refused at
/// `add` with its reason, and the server ends up with exactly the valid
/// ones.
#[tokio::test]
async fn invalid_points_are_refused_and_the_valid_ones_written() {
    let (client, _) = fresh_client("badinput").await;
    let mut session = client.session();
    let bad: Vec<(Point, Check)> = vec![
        (Point::new("m").field("seq", f64::NAN), |r| {
            matches!(r, InvalidPoint::NonFiniteFloat { .. })
        }),
        (Point::new("m").field("seq", f64::INFINITY), |r| {
            matches!(r, InvalidPoint::NonFiniteFloat { .. })
        }),
        (Point::new("m").field("seq", f64::NEG_INFINITY), |r| {
            matches!(r, InvalidPoint::NonFiniteFloat { .. })
        }),
        (Point::new("m"), |r| *r == InvalidPoint::NoFields),
        (Point::new("").field("seq", 1i64), |r| {
            *r == InvalidPoint::EmptyMeasurement
        }),
        (Point::new("m").tag("", "x").field("seq", 1i64), |r| {
            *r == InvalidPoint::EmptyTagKey
        }),
        (Point::new("m").field("", 1i64), |r| {
            *r == InvalidPoint::EmptyFieldKey
        }),
        (
            Point::new("m").tag("host", "a\nb").field("seq", 1i64),
            |r| matches!(r, InvalidPoint::Newline { .. }),
        ),
        (Point::new("m\n").field("seq", 1i64), |r| {
            matches!(r, InvalidPoint::Newline { .. })
        }),
        (Point::new("m").tag("host", "x\\").field("seq", 1i64), |r| {
            matches!(r, InvalidPoint::TrailingBackslash { .. })
        }),
        (Point::new("m").field("seq", 1i64).field("seq", 2i64), |r| {
            matches!(r, InvalidPoint::DuplicateField(_))
        }),
        (Point::new("m").field("seq", u64::MAX), |r| {
            matches!(r, InvalidPoint::UnsignedOverflow { .. })
        }),
        (
            Point::new("m").field("seq", 1i64).timestamp_nanos(i64::MAX),
            |r| *r == InvalidPoint::TimestampOutOfRange,
        ),
        (Point::new("m").tag("time", "x").field("seq", 1i64), |r| {
            matches!(r, InvalidPoint::TimeKey { .. })
        }),
        (Point::new("m").field("time", 1i64), |r| {
            matches!(r, InvalidPoint::TimeKey { .. })
        }),
        (
            Point::new("m")
                .tag("a", "1")
                .tag("a", "2")
                .field("seq", 1i64),
            |r| matches!(r, InvalidPoint::DuplicateTag(_)),
        ),
        (Point::new("x".repeat(70_000)).field("seq", 1i64), |r| {
            matches!(r, InvalidPoint::KeyTooLong { .. })
        }),
    ];
    assert!(bad.len() >= 15);
    let mut seq = 0;
    for (point, check) in &bad {
        session.add(&seq_point("m", seq)).await.unwrap();
        seq += 1;
        let before = session.line_protocol().to_vec();
        match session.add(point).await {
            Err(Error::InvalidPoint { reason, .. }) => assert!(check(&reason), "{reason:?}"),
            other => panic!("{point:?}: {other:?}"),
        }
        assert_eq!(
            session.line_protocol(),
            &before[..],
            "the batch is unchanged"
        );
    }
    session.commit().await.unwrap();
    assert_eq!(counts(&client, "m").await, (seq as u64, seq as u64));
}

/// Points the server refuses (a field type conflict, a value it cannot
/// parse) are isolated; every other point is written.
#[tokio::test]
async fn refused_points_are_isolated_and_reported() {
    let (client, db) = fresh_client("refused").await;
    client
        .write(
            &Point::new("m")
                .field("value", 1.0)
                .field("seq", 0i64)
                .timestamp_nanos(1),
        )
        .await
        .unwrap();
    let mut session = client.session();
    for i in 1..=200 {
        if i == 50 || i == 150 {
            // value is a float on the server: an integer conflicts.
            session
                .add(
                    &Point::new("m")
                        .field("value", i)
                        .field("seq", i)
                        .timestamp_nanos(1_000 + i),
                )
                .await
                .unwrap();
        } else {
            session
                .add(
                    &Point::new("m")
                        .field("value", i as f64)
                        .field("seq", i)
                        .timestamp_nanos(1_000 + i),
                )
                .await
                .unwrap();
        }
    }
    match session.commit().await.unwrap_err() {
        Error::Rejected { rejected } => {
            assert_eq!(rejected.len(), 2, "{rejected:?}");
            assert!(rejected[0].line.contains("seq=50i"), "{}", rejected[0]);
            assert!(rejected[1].line.contains("seq=150i"), "{}", rejected[1]);
            assert!(
                rejected[0].message.contains("field type conflict"),
                "{}",
                rejected[0]
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(session.is_empty());
    let server = InfluxServer::shared().await;
    assert_eq!(server.count_field(&db, "m", "seq").await.unwrap(), 199);
}

#[tokio::test]
async fn a_failed_commit_keeps_the_batch_for_the_next_try() {
    let server = InfluxServer::shared().await;
    let db = unique_database("keep");
    server.create_database(&db).await.unwrap();
    let proxy = FaultProxy::for_server(server).await.unwrap();
    let client = Client::builder(&format!("{}/{db}", proxy.url()))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let mut session = client.session();
    for i in 0..100 {
        session.add(&seq_point("m", i)).await.unwrap();
    }
    let batch = session.line_protocol().to_vec();
    proxy.set_fault(Fault::ResetAfter { bytes: 0 });
    assert!(session.commit().await.unwrap_err().is_retryable());
    assert_eq!(session.line_protocol(), &batch[..], "kept, untouched");
    proxy.set_fault(Fault::Respond {
        status: 503,
        retry_after: None,
        body: "{\"error\":\"down\"}".into(),
        times: 1,
    });
    assert!(matches!(
        session.commit().await,
        Err(Error::Server { status: 503, .. })
    ));
    assert_eq!(session.line_protocol(), &batch[..]);
    proxy.set_fault(Fault::None);
    assert_eq!(session.commit().await.unwrap().points, 100);
    let client = Client::new(&format!("{}/{db}", server.url())).unwrap();
    assert_eq!(counts(&client, "m").await, (100, 100));
}

/// `influxd` is killed in the middle of a stream of commits and started
/// again on the same port and data: nothing is lost, nothing doubled.
#[tokio::test]
async fn server_killed_and_restarted_mid_stream() {
    let mut server = InfluxServer::start().await.unwrap();
    server.create_database("crash").await.unwrap();
    let client = Client::builder(&format!("{}/crash", server.url()))
        .retry_policy(patient_retries())
        .timeout(Some(Duration::from_secs(10)))
        .build()
        .unwrap();
    let committed = Arc::new(AtomicUsize::new(0));
    let writer = {
        let client = client.clone();
        let committed = committed.clone();
        tokio::spawn(async move {
            let mut seq = 0;
            for _ in 0..40 {
                let mut session = client.session();
                for _ in 0..1_000 {
                    session.add(&seq_point("m", seq)).await.unwrap();
                    seq += 1;
                }
                session.commit().await.unwrap();
                committed.fetch_add(1, Ordering::SeqCst);
            }
            seq
        })
    };
    while committed.load(Ordering::SeqCst) < 5 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().unwrap();
    let at_kill = committed.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(800)).await;
    server.restart().await.unwrap();
    let total = writer.await.unwrap();
    assert!(at_kill < 40, "the kill happened mid-stream");
    assert_eq!(counts(&client, "m").await, (total as u64, total as u64));
}

/// A proxy that resets connections mid-request, delays others, and
/// answers 503 and 429 with `Retry-After` for a while.
#[tokio::test]
async fn faults_between_client_and_server_lose_nothing() {
    let server = InfluxServer::shared().await;
    let db = unique_database("faults");
    server.create_database(&db).await.unwrap();
    let proxy = Arc::new(FaultProxy::for_server(server).await.unwrap());
    let client = Client::builder(&format!("{}/{db}", proxy.url()))
        .retry_policy(patient_retries())
        .build()
        .unwrap();
    let chaos = {
        let proxy = proxy.clone();
        tokio::spawn(async move {
            let faults = [
                Fault::ResetEvery { nth: 2 },
                Fault::ResetAfter { bytes: 3_000 },
                Fault::Delay(Duration::from_millis(150)),
                Fault::Respond {
                    status: 503,
                    retry_after: Some(1),
                    body: "{\"error\":\"busy\"}".into(),
                    times: 3,
                },
                Fault::Respond {
                    status: 429,
                    retry_after: Some(1),
                    body: "{\"error\":\"slow down\"}".into(),
                    times: 3,
                },
                Fault::None,
            ];
            for fault in faults.iter().cycle().take(18) {
                proxy.set_fault(fault.clone());
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            proxy.set_fault(Fault::None);
        })
    };
    let mut seq = 0;
    let mut retries = 0;
    for _ in 0..30 {
        let mut session = client.session();
        for _ in 0..500 {
            session.add(&seq_point("m", seq)).await.unwrap();
            seq += 1;
        }
        retries += session.commit().await.unwrap().retries;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    chaos.await.unwrap();
    assert!(retries > 0, "faults were met and retried");
    assert!(proxy.faults_injected() > 0);
    assert_eq!(counts(&client, "m").await, (seq as u64, seq as u64));
}

/// A server with a small `max-body-size`: commits split until they fit.
#[tokio::test]
async fn payload_too_large_splits_the_batch() {
    let server = InfluxServer::builder()
        .max_body_size(20_000)
        .start()
        .await
        .unwrap();
    server.create_database("small").await.unwrap();
    let client = Client::new(&format!("{}/small", server.url())).unwrap();
    let mut session = client.session();
    for i in 0..5_000 {
        session.add(&seq_point("m", i)).await.unwrap();
    }
    let bytes = session.bytes();
    let summary = session.commit().await.unwrap();
    assert!(bytes > 100_000);
    assert!(summary.requests >= bytes / 20_000, "{summary:?}");
    assert_eq!(summary.points, 5_000);
    assert_eq!(counts(&client, "m").await, (5_000, 5_000));
}

/// Two node URLs, the first a dead port: writes fail over to the second.
#[tokio::test]
async fn fails_over_from_a_dead_node() {
    let server = InfluxServer::shared().await;
    let db = unique_database("failover");
    server.create_database(&db).await.unwrap();
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = Client::builder(&format!("http://{dead}/{db}"))
        .node(&format!("{}/{db}", server.url()))
        .build()
        .unwrap();
    let mut seq = 0;
    for _ in 0..10 {
        let mut session = client.session();
        for _ in 0..100 {
            session.add(&seq_point("m", seq)).await.unwrap();
            seq += 1;
        }
        session.commit().await.unwrap();
    }
    assert_eq!(counts(&client, "m").await, (1_000, 1_000));
}

/// 32 tasks share one client, each committing 20,000 points in sessions.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_tasks_share_one_client() {
    let (client, _) = fresh_client("load").await;
    let tasks: Vec<_> = (0..32)
        .map(|task| {
            let client = client.clone();
            tokio::spawn(async move {
                for batch in 0..4 {
                    let mut session = client.session();
                    for i in 0..5_000 {
                        let seq = task * 20_000 + batch * 5_000 + i;
                        // A task tag per series: tasks run in parallel, and two
                        // points of one series at the same nanosecond would be one.
                        let point = seq_point("m", seq).tag("task", task.to_string());
                        session.add(&point).await.unwrap();
                    }
                    session.commit().await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(counts(&client, "m").await, (640_000, 640_000));
}

#[derive(inflow::Measurement)]
#[influx(measurement = "temperature")]
struct Temperature {
    #[influx(time, unit = "ns")]
    time: i64,
    #[influx(tag)]
    location: String,
    seq: i64,
    value: f64,
}

#[derive(inflow::Measurement)]
#[influx(measurement = "humidity", write_only)]
struct Humidity {
    #[influx(time, unit = "ns")]
    time: i64,
    #[influx(tag)]
    location: &'static str,
    seq: i64,
    percent: u8,
}

#[derive(inflow::Measurement)]
struct Wind {
    #[influx(time)]
    time: Option<chrono::DateTime<chrono::Utc>>,
    #[influx(tag)]
    station: Option<String>,
    seq: i64,
    speed: f32,
    gusty: bool,
}

/// 100,000 derived points of three measurement types in one session: one
/// commit, and a count finds every one.
#[tokio::test]
async fn hundred_thousand_derived_points_of_three_types() {
    let (client, _) = fresh_client("derived").await;
    let mut session = client.session();
    let base = 1_700_000_000_000_000_000i64;
    for i in 0..100_000i64 {
        match i % 3 {
            0 => session
                .add(&Temperature {
                    time: base + i,
                    location: format!("loc{}", i % 10),
                    seq: i,
                    value: i as f64 / 3.0,
                })
                .await
                .unwrap(),
            1 => session
                .add(&Humidity {
                    time: base + i,
                    location: "groningen",
                    seq: i,
                    percent: (i % 100) as u8,
                })
                .await
                .unwrap(),
            _ => session
                .add(&Wind {
                    time: None,
                    station: (i % 2 == 0).then(|| "north".to_string()),
                    seq: i,
                    speed: 3.5,
                    gusty: i % 4 == 0,
                })
                .await
                .unwrap(),
        }
    }
    assert_eq!(session.len(), 100_000);
    let summary = session.commit().await.unwrap();
    assert_eq!((summary.points, summary.requests), (100_000, 1));
    assert_eq!(counts(&client, "temperature").await, (33_334, 33_334));
    assert_eq!(counts(&client, "humidity").await, (33_333, 33_333));
    assert_eq!(counts(&client, "wind").await, (33_333, 33_333));
}

/// Points the server drops all at once (older than the retention policy)
/// are rejected together, without splitting the batch point by point.
#[tokio::test]
async fn points_all_dropped_are_rejected_in_one_go() {
    let (client, _) = fresh_client("alldropped").await;
    client
        .create_retention_policy("hour", Duration::from_secs(3600), 1, true)
        .await
        .unwrap();
    let two_days_ago =
        chrono::Utc::now().timestamp_nanos_opt().unwrap() - 2 * 86_400 * 1_000_000_000;
    let mut session = client.session();
    for i in 0..100 {
        session
            .add(&seq_point("m", i).timestamp_nanos(two_days_ago + i))
            .await
            .unwrap();
    }
    match session.commit().await.unwrap_err() {
        Error::Rejected { rejected } => {
            assert_eq!(rejected.len(), 100);
            assert!(
                rejected[0].message.contains("retention policy"),
                "{}",
                rejected[0]
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(session.is_empty());
}
