//! Reading 1,000,000 `Cpu` rows back from a throwaway influxd
//! (`SELECT * FROM cpu`, `epoch=ns`):
//!
//! - `inflow fetch`: `client.query_as::<Cpu>(..).fetch()`, one body, all
//!   rows in a `Vec`; `inflow fetch_stream`: `.fetch_stream()`, a
//!   `chunked=true` response decoded as it arrives, the rows counted. Both
//!   as inflow reads by default (the server asked for MessagePack), and
//!   with `ClientBuilder::msgpack(false)` (JSON);
//! - `curl` fetching the same query, output discarded: JSON plain (one
//!   body) and with `chunked=true` (the ceiling in INFLUXDB.md), and the
//!   same two in MessagePack (`Accept: application/x-msgpack`);
//! - `reqwest` reading the chunked JSON response without decoding it;
//! - the `influxdb` crate 0.8: `client.json_query(..)` then
//!   `deserialize_next::<_>()`, reported as it fails or succeeds.
//!
//! Each run times every contender once, in turn; the table gives the best
//! and the median of the runs, with the client's and the server's CPU
//! time per run (the server's from `/proc/PID/stat`).
//!
//! The peak memory of `fetch_stream` (and of `fetch`, for comparison) is
//! measured in a clean process: this binary runs itself again with
//! `--child MODE URL` (`stream`, `stream-json`, `fetch`, `fetch-json`),
//! and that process reports its `VmHWM` from `/proc/self/status` at the
//! end, with its CPU time.
//!
//! `cargo run --release -p inflow-benches --bin query_e2e [-- --runs N]`
//!
//! With `--serve`, it only starts the server, writes the rows and prints
//! the URL, then waits until its standard input closes: a fixed target for
//! `curl`, `perf` or `--child MODE URL` runs by hand.

use std::error::Error;
use std::process::Command;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use inflow::testkit::InfluxServer;
use inflow_benches::{
    children_cpu_time, cpu_time, median, points, proc_status_kib, thousands, verdict, Cpu,
    CpuRfc3339, MEASUREMENT,
};

const ROWS: usize = 1_000_000;
const QUERY: &str = "SELECT * FROM cpu";
const DB: &str = "query_e2e";

type BoxError = Box<dyn Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if args.first().map(String::as_str) == Some("--child") {
        let mode = args
            .get(1)
            .ok_or("--child needs stream, stream-json, fetch or fetch-json")?
            .clone();
        let url = args.get(2).ok_or("--child needs the client URL")?.clone();
        return runtime.block_on(child(&mode, &url));
    }
    let runs = match args.iter().position(|a| a == "--runs") {
        Some(i) => args.get(i + 1).ok_or("--runs needs a number")?.parse()?,
        None => 2,
    };
    let serve = args.iter().any(|a| a == "--serve");
    runtime.block_on(parent(runs, serve))
}

/// Runs one query in this fresh process and reports rows, time and peak
/// memory on one line.
async fn child(mode: &str, url: &str) -> Result<(), BoxError> {
    let json = mode.ends_with("-json");
    let client = inflow::Client::builder(url).msgpack(!json).build()?;
    let mode = mode.trim_end_matches("-json");
    let rss_before = proc_status_kib("VmRSS").unwrap_or(0);
    let cpu0 = cpu_time();
    let start = Instant::now();
    let rows = match mode {
        "stream" => {
            let mut stream = client.query_as::<Cpu>(QUERY).fetch_stream().await?;
            let mut rows = 0usize;
            while let Some(row) = stream.next().await {
                row?;
                rows += 1;
            }
            rows
        }
        "fetch" => client.query_as::<Cpu>(QUERY).fetch().await?.len(),
        other => return Err(format!("unknown mode {other:?}").into()),
    };
    let seconds = start.elapsed().as_secs_f64();
    let cpu = (cpu_time() - cpu0).as_secs_f64();
    let hwm = proc_status_kib("VmHWM").ok_or("no VmHWM in /proc/self/status")?;
    println!(
        "rows={rows} seconds={seconds:.3} cpu_seconds={cpu:.3} vmhwm_kib={hwm} vmrss_before_kib={rss_before}"
    );
    Ok(())
}

struct Child {
    rows: usize,
    seconds: f64,
    cpu_seconds: f64,
    hwm_kib: u64,
    rss_before_kib: u64,
}

fn run_child(mode: &str, url: &str) -> Result<Child, BoxError> {
    // INFLOW_BENCH_CHILD_PREFIX runs the child under another program, such
    // as `perf record -o {mode}.data --` to profile it; `{mode}` becomes
    // `stream` or `fetch`.
    let exe = std::env::current_exe()?;
    let prefix = std::env::var("INFLOW_BENCH_CHILD_PREFIX")
        .unwrap_or_default()
        .replace("{mode}", mode);
    let mut words = prefix.split_whitespace();
    let mut command = match words.next() {
        Some(program) => {
            let mut c = Command::new(program);
            c.args(words).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    let output = command.args(["--child", mode, url]).output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "the {mode} child failed: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let field = |key: &str| -> Result<&str, BoxError> {
        stdout
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
            .ok_or_else(|| format!("no {key} in the child's output: {stdout}").into())
    };
    Ok(Child {
        rows: field("rows")?.parse()?,
        seconds: field("seconds")?.parse()?,
        cpu_seconds: field("cpu_seconds")?.parse()?,
        hwm_kib: field("vmhwm_kib")?.parse()?,
        rss_before_kib: field("vmrss_before_kib")?.parse()?,
    })
}

/// One `curl` GET of the query, JSON or MessagePack; returns the time and
/// the bytes received.
fn curl(base: &str, chunked: bool, msgpack: bool) -> Result<(Duration, u64), BoxError> {
    let mut cmd = Command::new("curl");
    cmd.args([
        "-sS",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{size_download}",
        "-G",
    ])
    .arg(format!("{base}/query"))
    .args(["--data-urlencode", &format!("db={DB}")])
    .args(["--data-urlencode", &format!("q={QUERY}")])
    .args(["--data-urlencode", "epoch=ns"]);
    if chunked {
        cmd.args(["--data-urlencode", "chunked=true"]);
    }
    if msgpack {
        cmd.args(["-H", "Accept: application/x-msgpack"]);
    }
    let start = Instant::now();
    let output = cmd.output()?;
    let elapsed = start.elapsed();
    let out = String::from_utf8_lossy(&output.stdout);
    let mut parts = out.split_whitespace();
    if parts.next() != Some("200") {
        return Err(format!("curl: {out} {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    let bytes = parts.next().unwrap_or("0").parse()?;
    Ok((elapsed, bytes))
}

#[derive(Default)]
struct Timings {
    runs: Vec<Duration>,
    bytes: Option<u64>,
    /// Client CPU (this process, or the curl child) summed over the runs.
    client_cpu: Duration,
    /// The server's CPU summed over the runs.
    server_cpu: Duration,
}

/// User and system CPU time of process `pid` so far, from
/// `/proc/PID/stat`.
fn process_cpu(pid: u32) -> Duration {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return Duration::ZERO;
    };
    // The fields after the command name, which is in parentheses and may
    // hold spaces: utime and stime are the 12th and 13th of them.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    Duration::from_secs_f64((field(11) + field(12)) / ticks)
}

impl Timings {
    fn best(&self) -> Duration {
        self.runs.iter().min().copied().unwrap_or_default()
    }

    fn median(&self) -> Duration {
        median(&self.runs)
    }
}

async fn parent(runs: usize, serve: bool) -> Result<(), BoxError> {
    let server = InfluxServer::start().await?;
    let base = server.url().to_string();
    let url = format!("{base}/{DB}");
    server.create_database(DB).await?;

    // The rows: written fast, with inflow, 50,000 a request.
    let points = points(ROWS);
    let client = inflow::Client::new(&url)?;
    let start = Instant::now();
    let mut session = client.session();
    for batch in points.chunks(50_000) {
        session.add_all(batch).await?;
        session.commit().await?;
    }
    let stored = server.count(DB, MEASUREMENT).await?;
    println!(
        "query_e2e: wrote {stored} rows in {:.1} s; server {base}; query {QUERY:?}; best of {runs} run(s)",
        start.elapsed().as_secs_f64()
    );
    if stored != ROWS as u64 {
        return Err(format!("the server holds {stored} rows, expected {ROWS}").into());
    }

    if serve {
        // `--serve`: keep the server and its rows for experiments by hand
        // (curl, perf, `--child`), until standard input closes.
        println!(
            "serving {url} (influxd pid {}); close standard input to stop",
            server.pid().unwrap_or(0)
        );
        let mut sink = String::new();
        while std::io::stdin().read_line(&mut sink)? > 0 {}
        return Ok(());
    }

    // One untimed read first, so that every timed one finds the data alike.
    curl(&base, true, false)?;

    let json_client = inflow::Client::builder(&url).msgpack(false).build()?;
    let names = [
        "curl plain",
        "curl chunked",
        "curl plain msgpack",
        "curl chunked msgpack",
        "inflow fetch",
        "inflow fetch_stream",
        "inflow fetch (JSON)",
        "inflow fetch_stream (JSON)",
        "reqwest chunked, no decode",
    ];
    const CURL_CHUNKED: usize = 1;
    const CURL_CHUNKED_MSGPACK: usize = 3;
    const FETCH: usize = 4;
    const STREAM: usize = 5;
    const STREAM_JSON: usize = 7;
    let mut timings: Vec<Timings> = names.iter().map(|_| Timings::default()).collect();
    let server_pid = server.pid().ok_or("the server has no pid")?;
    for run in 1..=runs {
        for (i, t) in timings.iter_mut().enumerate() {
            let server0 = process_cpu(server_pid);
            let client0 = cpu_time() + children_cpu_time();
            let (elapsed, bytes) = match i {
                0..=3 => curl(&base, i % 2 == 1, i >= 2).map(|(d, b)| (d, Some(b)))?,
                4 | 6 => {
                    let client = if i == 4 { &client } else { &json_client };
                    let start = Instant::now();
                    let rows = client.query_as::<Cpu>(QUERY).fetch().await?;
                    let elapsed = start.elapsed();
                    if rows.len() != ROWS {
                        return Err(format!("fetch returned {} rows", rows.len()).into());
                    }
                    if run == 1 && rows != points {
                        return Err("fetch returned rows that differ from those written".into());
                    }
                    drop(rows);
                    (elapsed, None)
                }
                5 | 7 => {
                    let client = if i == 5 { &client } else { &json_client };
                    let start = Instant::now();
                    let mut stream = client.query_as::<Cpu>(QUERY).fetch_stream().await?;
                    let mut rows = 0usize;
                    while let Some(row) = stream.next().await {
                        row?;
                        rows += 1;
                    }
                    let elapsed = start.elapsed();
                    if rows != ROWS {
                        return Err(format!("fetch_stream returned {rows} rows").into());
                    }
                    (elapsed, None)
                }
                _ => {
                    // The transport alone: what inflow's HTTP client costs
                    // before any decoding.
                    let start = Instant::now();
                    let response = reqwest::Client::builder()
                        .no_gzip()
                        .build()?
                        .get(format!("{base}/query"))
                        .query(&[
                            ("db", DB),
                            ("q", QUERY),
                            ("epoch", "ns"),
                            ("chunked", "true"),
                        ])
                        .send()
                        .await?;
                    let mut body = response.bytes_stream();
                    let mut bytes = 0u64;
                    while let Some(frame) = body.next().await {
                        bytes += frame?.len() as u64;
                    }
                    (start.elapsed(), Some(bytes))
                }
            };
            t.runs.push(elapsed);
            t.bytes = bytes.or(t.bytes);
            t.client_cpu += cpu_time() + children_cpu_time() - client0;
            t.server_cpu += process_cpu(server_pid) - server0;
        }
    }

    println!();
    println!(
        "{:<27} {:>8} {:>10} {:>12} {:>7} {:>7} {:>7}   runs (s)",
        "contender", "best (s)", "median (s)", "rows/s", "MB", "client", "server"
    );
    println!(
        "{:<27} {:>8} {:>10} {:>12} {:>7} {:>7} {:>7}",
        "", "", "", "(median)", "", "CPU (s)", "CPU (s)"
    );
    for (name, t) in names.iter().zip(&timings) {
        let per_run = |d: Duration| format!("{:.2}", d.as_secs_f64() / runs as f64);
        println!(
            "{:<27} {:>8.2} {:>10.2} {:>12} {:>7} {:>7} {:>7}   {}",
            name,
            t.best().as_secs_f64(),
            t.median().as_secs_f64(),
            thousands(ROWS as f64 / t.median().as_secs_f64()),
            t.bytes
                .map(|b| format!("{:.1}", b as f64 / 1e6))
                .unwrap_or_else(|| "-".into()),
            per_run(t.client_cpu),
            per_run(t.server_cpu),
            t.runs
                .iter()
                .map(|d| format!("{:.2}", d.as_secs_f64()))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }

    // Peak memory, each in a process of its own.
    println!();
    let children = ["stream", "stream-json", "fetch", "fetch-json"]
        .into_iter()
        .map(|mode| Ok((mode, run_child(mode, &url)?)))
        .collect::<Result<Vec<_>, BoxError>>()?;
    for (mode, c) in &children {
        println!(
            "{mode:<11} in a fresh process: VmHWM {:.1} MiB (VmRSS before the query {:.1} MiB), {} rows in {:.2} s, client CPU {:.2} s ({:.0} % of wall)",
            c.hwm_kib as f64 / 1024.0,
            c.rss_before_kib as f64 / 1024.0,
            c.rows,
            c.seconds,
            c.cpu_seconds,
            100.0 * c.cpu_seconds / c.seconds
        );
    }
    let stream_child = &children[0].1;

    // The influxdb crate 0.8.
    println!();
    let theirs = influxdb::Client::new(base.as_str(), DB);
    let start = Instant::now();
    let outcome = async {
        let mut result = theirs
            .json_query(influxdb::ReadQuery::new(QUERY))
            .await
            .map_err(|e| format!("json_query: {e}"))?;
        let ret = result
            .deserialize_next::<CpuRfc3339>()
            .map_err(|e| format!("deserialize_next: {e}"))?;
        Ok::<usize, String>(ret.series.iter().map(|s| s.values.len()).sum())
    }
    .await;
    let elapsed = start.elapsed();
    match outcome {
        Ok(rows) => println!(
            "influxdb_0_8 json_query + deserialize_next: {rows} rows in {:.2} s ({} rows/s; times as RFC 3339 strings, it cannot ask for epoch=ns)",
            elapsed.as_secs_f64(),
            thousands(rows as f64 / elapsed.as_secs_f64())
        ),
        Err(e) => println!(
            "influxdb_0_8 json_query + deserialize_next: FAILED after {:.2} s: {e}",
            elapsed.as_secs_f64()
        ),
    }

    let best = |i: usize| timings[i].best().as_secs_f64();
    let mid = |i: usize| timings[i].median().as_secs_f64();
    println!();
    println!("targets (best of the runs / median of the runs):");
    let ratio = best(STREAM) / best(CURL_CHUNKED);
    let median_ratio = mid(STREAM) / mid(CURL_CHUNKED);
    println!(
        "  fetch_stream time / curl chunked time    {ratio:>5.2}x / {median_ratio:>5.2}x   target <= 1.2x    {}",
        verdict(ratio <= 1.2 && median_ratio <= 1.2)
    );
    let mib = stream_child.hwm_kib as f64 / 1024.0;
    println!(
        "  fetch_stream peak memory (VmHWM)         {mib:>6.1} MiB          target < 64 MiB   {}",
        verdict(mib < 64.0)
    );
    println!("for comparison:");
    println!(
        "  fetch_stream / curl chunked msgpack      {:>5.2}x / {:>5.2}x   (the same format on both sides)",
        best(STREAM) / best(CURL_CHUNKED_MSGPACK),
        mid(STREAM) / mid(CURL_CHUNKED_MSGPACK)
    );
    println!(
        "  fetch_stream (JSON) / curl chunked       {:>5.2}x / {:>5.2}x   (JSON on both sides)",
        best(STREAM_JSON) / best(CURL_CHUNKED),
        mid(STREAM_JSON) / mid(CURL_CHUNKED)
    );
    println!(
        "  fetch / curl plain                       {:>5.2}x / {:>5.2}x",
        best(FETCH) / best(0),
        mid(FETCH) / mid(0)
    );
    Ok(())
}
