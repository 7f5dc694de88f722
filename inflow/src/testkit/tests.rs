//! Tests against a real `influxd`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::*;

const LINE: &str = "cpu,host=a value=1 1000000000";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn write_via(
    client: &reqwest::Client,
    base: &str,
    db: &str,
    body: &str,
) -> reqwest::Result<reqwest::Response> {
    client
        .post(format!("{base}/write"))
        .query(&[("db", db)])
        .body(body.to_string())
        .send()
        .await
}

#[tokio::test]
async fn testkit_shared_server_ping_create_write_count() {
    let server = InfluxServer::shared().await;
    server.ping().await.unwrap();
    assert!(server.url().starts_with("http://127.0.0.1:"));
    assert_eq!(server.url(), format!("http://127.0.0.1:{}", server.port()));
    assert!(server.admin().is_none());

    let db = unique_database("testkit_basic");
    server.create_database(&db).await.unwrap();
    let resp = write_via(&client(), server.url(), &db, LINE).await.unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(server.count_field(&db, "cpu", "value").await.unwrap(), 1);
    assert_eq!(server.count(&db, "cpu").await.unwrap(), 1);
    assert_eq!(
        server.count_field(&db, "nothing", "value").await.unwrap(),
        0
    );
    assert_eq!(server.count(&db, "nothing").await.unwrap(), 0);

    // COUNT(*) has one column per field; count() reports the largest.
    server
        .write_lines(&db, "mem v=1,w=2 1\nmem v=2 2\nmem v=3 3")
        .await
        .unwrap();
    assert_eq!(server.count(&db, "mem").await.unwrap(), 3);
    assert_eq!(server.count_field(&db, "mem", "w").await.unwrap(), 1);

    let shown = server.query("SHOW DATABASES", None).await.unwrap();
    assert!(shown.to_string().contains(&db), "{shown}");
    let err = server
        .count_field("no_such_db_here", "cpu", "value")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("database not found"), "{err}");
}

#[tokio::test]
async fn testkit_shared_is_one_server() {
    let a = InfluxServer::shared().await;
    let b = InfluxServer::try_shared().await.unwrap();
    assert!(std::ptr::eq(a, b));
    assert!(a.is_running());
}

#[tokio::test]
async fn testkit_restart_after_kill_keeps_data() {
    let mut server = InfluxServer::start().await.unwrap();
    let (port, dir) = (server.port(), server.data_dir().to_path_buf());
    let db = unique_database("testkit_restart");
    server.create_database(&db).await.unwrap();
    server.write_lines(&db, LINE).await.unwrap();

    let pid = server.pid().unwrap();
    server.kill().unwrap();
    assert!(!server.is_running());
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "killed and reaped"
    );
    assert!(server.ping().await.is_err());

    server.restart().await.unwrap();
    assert_eq!(server.port(), port);
    assert_eq!(server.data_dir(), dir);
    assert_ne!(server.pid(), Some(pid));
    assert_eq!(server.count_field(&db, "cpu", "value").await.unwrap(), 1);

    // A graceful stop and another restart keep it too.
    server.stop().await.unwrap();
    assert!(server.ping().await.is_err());
    server.restart().await.unwrap();
    assert_eq!(server.count_field(&db, "cpu", "value").await.unwrap(), 1);

    drop(server);
    assert!(!dir.exists(), "dropping the server removes its directory");
}

#[tokio::test]
async fn testkit_restart_reports_a_taken_port_with_the_log() {
    let mut server = InfluxServer::start().await.unwrap();
    server.kill().unwrap();
    // Someone else takes the port while the server is down.
    let squatter = std::net::TcpListener::bind(("127.0.0.1", server.port())).unwrap();
    let err = server.restart().await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, TestkitError::Exited { .. }), "{message}");
    assert!(message.contains("address already in use"), "{message}");
    assert!(!server.is_running());
    drop(squatter);
    server.restart().await.unwrap();
    server.ping().await.unwrap();
}

#[tokio::test]
async fn testkit_auth_enabled_server_requires_credentials() {
    let server = InfluxServer::builder()
        .auth_enabled(true)
        .admin("root", "s3cret-pa'ss")
        .http_log(true)
        .max_body_size(1000)
        .start()
        .await
        .unwrap();
    assert_eq!(
        server.admin(),
        Some(("root".to_string(), "s3cret-pa'ss".to_string()))
    );
    let anonymous = client()
        .get(format!("{}/query", server.url()))
        .query(&[("q", "SHOW DATABASES")])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);

    let db = unique_database("testkit_auth");
    server.create_database(&db).await.unwrap();
    server.write_lines(&db, LINE).await.unwrap();
    assert_eq!(server.count_field(&db, "cpu", "value").await.unwrap(), 1);

    // max-body-size applies.
    let big = format!("cpu value=1 1\n{}", "cpu value=2 2\n".repeat(100));
    let err = server.write_lines(&db, &big).await.unwrap_err();
    assert!(
        matches!(err, TestkitError::Status { status: 413, .. }),
        "{err}"
    );

    // The request log is on, and credentials never show in it.
    let log = server.read_log();
    assert!(log.contains("POST /write?db="), "{log}");
    assert!(!log.contains("s3cret"), "{log}");
    let debug = format!("{server:?}");
    assert!(!debug.contains("s3cret"), "{debug}");
}

#[tokio::test]
async fn testkit_missing_binary_error() {
    let err = InfluxServer::builder()
        .influxd_path("/nonexistent/influxd")
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, TestkitError::InfluxdNotFound { .. }));
    assert!(String::from(err).contains("apt-get install -y influxdb"));
}

#[tokio::test]
async fn testkit_proxy_forwards() {
    let server = InfluxServer::shared().await;
    let proxy = FaultProxy::for_server(server).await.unwrap();
    assert_eq!(proxy.url(), format!("http://{}", proxy.addr()));
    let db = unique_database("testkit_proxy_fwd");
    server.create_database(&db).await.unwrap();

    let client = client();
    let ping = client
        .get(format!("{}/ping", proxy.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(ping.status().as_u16(), 204);
    assert_eq!(
        ping.headers()
            .get("x-influxdb-version")
            .map(|v| v.to_str().unwrap().starts_with("1.")),
        Some(true)
    );
    for i in 0..5 {
        let resp = write_via(&client, &proxy.url(), &db, &format!("cpu value={i} {i}"))
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 204);
    }
    // A chunked body (unknown length) is framed correctly, on a kept-alive connection.
    let chunks: Vec<Result<String, std::io::Error>> = (10..20)
        .map(|i| Ok(format!("cpu value={i} {i}\n")))
        .collect();
    let resp = client
        .post(format!("{}/write", proxy.url()))
        .query(&[("db", db.as_str())])
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    let query = client
        .get(format!("{}/query", proxy.url()))
        .query(&[("db", db.as_str()), ("q", "SELECT COUNT(value) FROM cpu")])
        .send()
        .await
        .unwrap();
    assert_eq!(query.status().as_u16(), 200);
    assert!(query.text().await.unwrap().contains(",15]"));
    assert_eq!(proxy.requests(), 8);
    assert_eq!(proxy.connections(), 1, "keep-alive");
    assert_eq!(proxy.faults_injected(), 0);
    assert_eq!(server.count_field(&db, "cpu", "value").await.unwrap(), 15);
}

#[tokio::test]
async fn testkit_proxy_resets() {
    let server = InfluxServer::shared().await;
    let proxy = FaultProxy::for_server(server).await.unwrap();
    let db = unique_database("testkit_proxy_reset");
    server.create_database(&db).await.unwrap();
    let client = client();
    // Open a keep-alive connection first: the fault must apply to it too.
    let ping = client
        .get(format!("{}/ping", proxy.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(ping.status().as_u16(), 204);

    // Cut inside the request head: the server never sees a full request.
    proxy.set_fault(Fault::ResetAfter { bytes: 10 });
    let err = write_via(&client, &proxy.url(), &db, LINE)
        .await
        .unwrap_err();
    assert!(!err.is_status(), "{err}");
    assert_eq!(proxy.faults_injected(), 1);
    assert_eq!(server.count_field(&db, "cpu", "value").await.unwrap(), 0);

    // The whole request goes through but the answer is lost: the client
    // sees an error although the point was stored.
    proxy.set_fault(Fault::ResetAfter { bytes: 1 << 20 });
    let err = write_via(&client, &proxy.url(), &db, LINE)
        .await
        .unwrap_err();
    assert!(!err.is_status(), "{err}");
    assert_eq!(proxy.faults_injected(), 2);
    assert_eq!(server.count_field(&db, "cpu", "value").await.unwrap(), 1);

    // Every second request is reset.
    proxy.set_fault(Fault::ResetEvery { nth: 2 });
    let mut outcomes = Vec::new();
    for i in 0..4 {
        outcomes.push(
            write_via(&client, &proxy.url(), &db, &format!("mem value={i} {i}"))
                .await
                .is_ok(),
        );
    }
    assert_eq!(outcomes, [true, false, true, false]);
    assert_eq!(proxy.faults_injected(), 4);
    assert_eq!(server.count_field(&db, "mem", "value").await.unwrap(), 2);

    proxy.clear_fault();
    let resp = write_via(&client, &proxy.url(), &db, LINE).await.unwrap();
    assert_eq!(resp.status().as_u16(), 204);
}

#[tokio::test]
async fn testkit_proxy_responds_then_lets_through() {
    let server = InfluxServer::shared().await;
    let proxy = FaultProxy::for_server(server).await.unwrap();
    let db = unique_database("testkit_proxy_503");
    server.create_database(&db).await.unwrap();
    let client = client();
    let ping = client
        .get(format!("{}/ping", proxy.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(ping.status().as_u16(), 204);

    let body = r#"{"error":"overloaded"}"#;
    proxy.set_fault(Fault::Respond {
        status: 503,
        retry_after: Some(1),
        body: body.to_string(),
        times: 2,
    });
    for left in [1, 0] {
        let resp = write_via(&client, &proxy.url(), &db, LINE).await.unwrap();
        assert_eq!(resp.status().as_u16(), 503);
        assert_eq!(resp.headers()["retry-after"], "1");
        assert_eq!(resp.headers()["content-type"], "application/json");
        assert_eq!(resp.text().await.unwrap(), body);
        assert!(matches!(proxy.fault(), Fault::Respond { times, .. } if times == left));
    }
    assert_eq!(server.count_field(&db, "cpu", "value").await.unwrap(), 0);
    let resp = write_via(&client, &proxy.url(), &db, LINE).await.unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(server.count_field(&db, "cpu", "value").await.unwrap(), 1);
    assert_eq!(proxy.faults_injected(), 2);
}

#[tokio::test]
async fn testkit_proxy_delays() {
    let server = InfluxServer::shared().await;
    let proxy = FaultProxy::for_server(server).await.unwrap();
    proxy.set_fault(Fault::Delay(Duration::from_millis(300)));
    let started = Instant::now();
    let resp = client()
        .get(format!("{}/ping", proxy.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(proxy.faults_injected(), 1);

    // A client timeout shorter than the delay fails.
    proxy.set_fault(Fault::Delay(Duration::from_secs(5)));
    let err = client()
        .get(format!("{}/ping", proxy.url()))
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
}

#[tokio::test]
async fn testkit_proxy_without_upstream_still_answers() {
    // Nothing listens on the upstream port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let proxy = FaultProxy::start(("127.0.0.1", port)).await.unwrap();
    assert!(client()
        .get(format!("{}/ping", proxy.url()))
        .send()
        .await
        .is_err());
    proxy.set_fault(Fault::Respond {
        status: 429,
        retry_after: None,
        body: "{}".into(),
        times: 1,
    });
    let resp = client()
        .get(format!("{}/ping", proxy.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    assert!(resp.headers().get("retry-after").is_none());
}

// --- Cleanup of the shared server when the process ends -------------------
//
// The test binary runs itself again, with only the helper test below, which
// starts the shared server, prints its pid and directory, and then ends in
// the way the parent asked for.

const CHILD_MODE: &str = "INFLOW_TESTKIT_CHILD_MODE";

#[tokio::test]
async fn testkit_shared_cleanup_child() {
    let Ok(mode) = std::env::var(CHILD_MODE) else {
        return;
    };
    let server = InfluxServer::shared().await;
    println!(
        "CHILD-SERVER {} {}",
        server.pid().unwrap(),
        server.data_dir().display()
    );
    use std::io::Write;
    std::io::stdout().flush().unwrap();
    match mode.as_str() {
        "panic" => panic!("the test failed"),
        "abort" => std::process::abort(),
        "wait" => tokio::time::sleep(Duration::from_secs(600)).await,
        _ => {}
    }
}

/// Whether `pid` is gone from the process table (exited and reaped).
fn gone(pid: u32) -> bool {
    !Path::new(&format!("/proc/{pid}")).exists()
}

/// Runs the helper in a child process; returns the server's pid and
/// directory once the child has ended.
fn run_child(mode: &str) -> (u32, PathBuf, bool) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "testkit::tests::testkit_shared_cleanup_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_MODE, mode)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Read to the end: closing the pipe early would make the child fail
    // to print its summary.
    let stdout = child.stdout.take().unwrap();
    let mut found = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some((_, rest)) = line.split_once("CHILD-SERVER ") {
            let (pid, dir) = rest.split_once(' ').unwrap();
            found = Some((pid.parse::<u32>().unwrap(), PathBuf::from(dir)));
            if mode == "kill" {
                child.kill().unwrap();
                break;
            }
        }
    }
    let status = child.wait().unwrap();
    let (pid, dir) = found.unwrap_or_else(|| panic!("the child printed no server ({status})"));
    (pid, dir, status.success())
}

fn assert_cleaned(mode: &str, pid: u32, dir: &Path, within: Duration) {
    let deadline = Instant::now() + within;
    while (dir.exists() || !gone(pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(gone(pid), "{mode}: influxd {pid} still there");
    assert!(!dir.exists(), "{mode}: {} still exists", dir.display());
}

#[test]
fn testkit_shared_server_is_cleaned_up_at_normal_exit() {
    for mode in ["exit", "panic"] {
        let (pid, dir, success) = run_child(mode);
        assert_eq!(success, mode == "exit");
        // Done before the process exited: no waiting, and nothing left,
        // not even an unreaped process entry.
        assert!(gone(pid), "{mode}: influxd {pid} left behind");
        assert!(!dir.exists(), "{mode}: {} left behind", dir.display());
    }
}

#[test]
fn testkit_shared_server_is_cleaned_up_when_the_process_dies() {
    for mode in ["abort", "kill"] {
        let (pid, dir, success) = run_child(mode);
        assert!(!success);
        assert_cleaned(mode, pid, &dir, Duration::from_secs(10));
    }
}
