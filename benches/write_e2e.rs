//! Writing 1,000,000 `Cpu` points (2 tags, 3 fields) in batches of 5,000
//! to a throwaway influxd, three ways, each into a fresh database of the
//! same server:
//!
//! - `inflow`: `client.session()`, `add` 5,000 points, `commit()`;
//! - `curl`: the same points encoded beforehand into 200 files, posted one
//!   after another by one `curl` process each (`--data-binary @file`): the
//!   server's ceiling;
//! - `influxdb_0_8`: `client.query(Vec<WriteQuery>)` per batch, the
//!   queries made with the derive's `try_into_query`;
//! - `curl_1proc` (for reference): the same 200 posts made by a single
//!   `curl` process (`--next` between them), so one connection is reused
//!   and no process is started per batch.
//!
//! `cargo run --release -p inflow-benches --bin write_e2e [-- --order curl,curl_1proc,inflow,influxdb]`
//!
//! Prints points/s for each, inflow's ratio to curl, the CPU time of the
//! client (this process; for curl, its processes) and of the server as a
//! share of wall time, and checks the count stored after each.

use std::error::Error;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use inflow::testkit::InfluxServer;
use inflow_benches::{
    children_cpu_time, cpu_time, points, process_cpu_time, settle, thousands, verdict, Cpu,
    MEASUREMENT,
};

const POINTS: usize = 1_000_000;
const BATCH: usize = 5_000;

type BoxError = Box<dyn Error + Send + Sync>;

struct Outcome {
    name: &'static str,
    wall: Duration,
    client_cpu: Duration,
    server_cpu: Option<Duration>,
    stored: u64,
}

fn main() -> Result<(), BoxError> {
    let mut order = vec!["curl", "curl_1proc", "inflow", "influxdb"];
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--order") {
        let list = args
            .get(i + 1)
            .ok_or("--order needs a list, such as inflow,curl,influxdb")?;
        order = Vec::new();
        for name in list.split(',') {
            match name {
                "curl" => order.push("curl"),
                "curl_1proc" => order.push("curl_1proc"),
                "inflow" => order.push("inflow"),
                "influxdb" => order.push("influxdb"),
                other => return Err(format!("unknown contender {other:?}").into()),
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(&order))
}

async fn run(order: &[&str]) -> Result<(), BoxError> {
    let server = InfluxServer::start().await?;
    let pid = server.pid();
    let points = points(POINTS);

    // curl's input: the same lines, 200 files of 5,000, written beforehand.
    let dir = tempfile::tempdir()?;
    let mut files = Vec::new();
    let mut total_bytes = 0;
    let mut buf = Vec::new();
    for (i, batch) in points.chunks(BATCH).enumerate() {
        buf.clear();
        for p in batch {
            inflow::line_protocol::encode(p, &mut buf, &inflow::EncodeOptions::default())?;
        }
        let path = dir.path().join(format!("batch-{i:03}.lp"));
        std::fs::write(&path, &buf)?;
        total_bytes += buf.len();
        files.push(path);
    }
    println!(
        "write_e2e: {POINTS} points in {} batches of {BATCH}, {:.1} MB of line protocol, server {}",
        files.len(),
        total_bytes as f64 / 1e6,
        server.url()
    );

    let mut outcomes = Vec::new();
    for (i, name) in order.iter().enumerate() {
        let waited = settle(pid, Duration::from_secs(30));
        let db = format!("write_e2e_{name}");
        server.create_database(&db).await?;
        let server_cpu0 = pid.and_then(process_cpu_time);
        let outcome = match *name {
            "inflow" => write_inflow(&server, &db, &points).await,
            "curl" => write_curl(&server, &db, &files).await,
            "curl_1proc" => write_curl_one_process(&server, &db, &files).await,
            _ => write_influxdb(&server, &db, &points).await,
        };
        let server_cpu = match (server_cpu0, pid.and_then(process_cpu_time)) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        match outcome {
            Ok((name, wall, client_cpu)) => {
                let stored = server.count(&db, MEASUREMENT).await?;
                println!(
                    "  [{}] {name}: {:.2} s (waited {:.1} s for the server to go idle first), stored {stored}",
                    i + 1,
                    wall.as_secs_f64(),
                    waited.as_secs_f64()
                );
                outcomes.push(Outcome {
                    name,
                    wall,
                    client_cpu,
                    server_cpu,
                    stored,
                });
            }
            Err(e) => println!("  [{}] {name}: FAILED: {e}", i + 1),
        }
    }

    println!();
    println!(
        "{:<14} {:>9} {:>12} {:>10} {:>10} {:>12}",
        "contender", "seconds", "points/s", "client CPU", "server CPU", "stored"
    );
    for o in &outcomes {
        println!(
            "{:<14} {:>9.2} {:>12} {:>9.1}% {:>10} {:>12}{}",
            o.name,
            o.wall.as_secs_f64(),
            thousands(POINTS as f64 / o.wall.as_secs_f64()),
            100.0 * o.client_cpu.as_secs_f64() / o.wall.as_secs_f64(),
            o.server_cpu
                .map(|c| format!("{:.1}%", 100.0 * c.as_secs_f64() / o.wall.as_secs_f64()))
                .unwrap_or_else(|| "?".into()),
            o.stored,
            if o.stored == POINTS as u64 {
                ""
            } else {
                "  WRONG COUNT"
            }
        );
    }
    println!("(CPU as a share of wall time; 100 % = one core busy the whole time. curl's client CPU is its processes'.)");

    let find = |name: &str| outcomes.iter().find(|o| o.name == name);
    println!();
    println!("targets:");
    if let (Some(ours), Some(curl)) = (find("inflow"), find("curl")) {
        let ratio = curl.wall.as_secs_f64() / ours.wall.as_secs_f64();
        println!(
            "  inflow points/s / curl points/s   {:>6.1} %   target >= 90 %   {}",
            100.0 * ratio,
            verdict(ratio >= 0.9)
        );
    }
    if let Some(ours) = find("inflow") {
        let share = ours.client_cpu.as_secs_f64() / ours.wall.as_secs_f64();
        println!(
            "  inflow client CPU / wall time     {:>6.1} %   target < 10 %    {}",
            100.0 * share,
            verdict(share < 0.1)
        );
    }
    if let (Some(ours), Some(curl)) = (find("inflow"), find("curl_1proc")) {
        println!(
            "  inflow points/s / curl_1proc       {:>6.1} %   (reference: one curl process, connection kept)",
            100.0 * curl.wall.as_secs_f64() / ours.wall.as_secs_f64()
        );
    }
    if let (Some(ours), Some(theirs)) = (find("inflow"), find("influxdb_0_8")) {
        println!(
            "  influxdb_0_8 time / inflow time   {:>6.2}x",
            theirs.wall.as_secs_f64() / ours.wall.as_secs_f64()
        );
    }
    let wrong = outcomes.iter().any(|o| o.stored != POINTS as u64);
    if wrong || outcomes.len() != order.len() {
        return Err("a contender failed or stored the wrong number of points".into());
    }
    Ok(())
}

/// inflow: one session per batch of 5,000, committed.
async fn write_inflow(
    server: &InfluxServer,
    db: &str,
    points: &[Cpu],
) -> Result<(&'static str, Duration, Duration), BoxError> {
    let client = inflow::Client::new(&format!("{}/{db}", server.url()))?;
    let cpu0 = cpu_time();
    let start = Instant::now();
    let mut session = client.session();
    for batch in points.chunks(BATCH) {
        for p in batch {
            session.add(p).await?;
        }
        session.commit().await?;
    }
    let wall = start.elapsed();
    Ok(("inflow", wall, cpu_time() - cpu0))
}

/// curl: one process per pre-encoded batch, one after another.
async fn write_curl(
    server: &InfluxServer,
    db: &str,
    files: &[PathBuf],
) -> Result<(&'static str, Duration, Duration), BoxError> {
    let url = format!("{}/write?db={db}&precision=ns", server.url());
    let files = files.to_vec();
    tokio::task::spawn_blocking(move || {
        let cpu0 = cpu_time() + children_cpu_time();
        let start = Instant::now();
        for file in &files {
            let output = Command::new("curl")
                .args([
                    "-sS",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code}",
                    "-XPOST",
                    &url,
                ])
                .arg("--data-binary")
                .arg(format!("@{}", file.display()))
                .output()?;
            if output.stdout != b"204" {
                return Err(format!(
                    "curl got {}: {}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                )
                .into());
            }
        }
        let wall = start.elapsed();
        Ok(("curl", wall, cpu_time() + children_cpu_time() - cpu0))
    })
    .await?
}

/// curl again, but one process for all 200 posts: `--next` separates
/// them, and the connection is kept between them.
async fn write_curl_one_process(
    server: &InfluxServer,
    db: &str,
    files: &[PathBuf],
) -> Result<(&'static str, Duration, Duration), BoxError> {
    let url = format!("{}/write?db={db}&precision=ns", server.url());
    let mut command = Command::new("curl");
    for (i, file) in files.iter().enumerate() {
        if i > 0 {
            command.arg("--next");
        }
        command
            .args([
                "-sS",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}\\n",
                "-XPOST",
                &url,
            ])
            .arg("--data-binary")
            .arg(format!("@{}", file.display()));
    }
    let expected = files.len();
    tokio::task::spawn_blocking(move || {
        let cpu0 = cpu_time() + children_cpu_time();
        let start = Instant::now();
        let output = command.output()?;
        let wall = start.elapsed();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let ok = stdout.lines().filter(|l| *l == "204").count();
        if ok != expected {
            return Err(format!(
                "curl got {ok} answers 204 of {expected}: {stdout} {}",
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }
        Ok(("curl_1proc", wall, cpu_time() + children_cpu_time() - cpu0))
    })
    .await?
}

/// The `influxdb` crate 0.8: `client.query(Vec<WriteQuery>)` per batch.
/// `try_into_query` consumes the points, so the batches are copied before
/// the clock starts.
async fn write_influxdb(
    server: &InfluxServer,
    db: &str,
    points: &[Cpu],
) -> Result<(&'static str, Duration, Duration), BoxError> {
    use influxdb::InfluxDbWriteable;
    let client = influxdb::Client::new(server.url(), db);
    let batches: Vec<Vec<Cpu>> = points.chunks(BATCH).map(<[Cpu]>::to_vec).collect();
    let cpu0 = cpu_time();
    let start = Instant::now();
    for batch in batches {
        let queries = batch
            .into_iter()
            .map(|p| p.try_into_query(MEASUREMENT))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("try_into_query: {e:?}"))?;
        client.query(queries).await?;
    }
    let wall = start.elapsed();
    Ok(("influxdb_0_8", wall, cpu_time() - cpu0))
}
