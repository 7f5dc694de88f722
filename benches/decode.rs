//! Decoding a captured 10,000-row `/query` body (`SELECT * FROM cpu`,
//! `epoch=ns`, from a real influxd: see `capture_fixture.rs`) into
//! `Vec<Cpu>`:
//!
//! - inflow: `inflow::__bench::decode_rows::<Cpu>(body)`;
//! - inflow_msgpack: the same rows captured as MessagePack (the format
//!   inflow asks InfluxDB for), `decode_rows_in(Format::MessagePack, ..)`;
//! - the `influxdb` crate 0.8: `serde_json::from_slice::<DatabaseQueryResult>`
//!   then `.deserialize_next::<Cpu>()`, the two steps its `json_query` and
//!   its callers take (`json_query` also parses the whole body once more
//!   first, looking for an `error` key: left out here, in its favour);
//! - `serde_json::from_slice::<serde_json::Value>`: building the tree, a
//!   floor for anything that goes through one;
//! - `serde_json_typed` (for reference): serde_json straight into
//!   `Vec<Cpu>` with the column order fixed at compile time, each row read
//!   by position. No real decoder can assume the order, but it shows what
//!   serde_json itself costs for this body.
//!
//! `cargo bench -p inflow-benches --bench decode`

use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use std::fmt;

use chrono::DateTime;
use criterion::{Criterion, Throughput};
use inflow_benches::{median, thousands, verdict, Cpu};
use influxdb::integrations::serde_integration::DatabaseQueryResult;
use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/cpu_10000_epoch_ns.json"
);

const INFLOW: &str = "inflow";
const INFLOW_MSGPACK: &str = "inflow_msgpack";

const FIXTURE_MSGPACK: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/cpu_10000_epoch_ns.msgpack"
);
const INFLUXDB: &str = "influxdb_0_8";
const VALUE: &str = "serde_json_value";
const TYPED: &str = "serde_json_typed";

/// Per criterion sample: the contender, the time and the iterations.
static SAMPLES: Mutex<Vec<(&'static str, Duration, u64)>> = Mutex::new(Vec::new());

fn decode_inflow(body: &[u8]) -> Vec<Cpu> {
    inflow::__bench::decode_rows::<Cpu>(body).expect("inflow decodes the fixture")
}

fn decode_inflow_msgpack(body: &[u8]) -> Vec<Cpu> {
    inflow::__bench::decode_rows_in::<Cpu>(inflow::__bench::Format::MessagePack, body)
        .expect("inflow decodes the MessagePack fixture")
}

fn decode_influxdb(body: &[u8]) -> Result<Vec<Cpu>, String> {
    let mut result = serde_json::from_slice::<DatabaseQueryResult>(body)
        .map_err(|e| format!("serde error: {e}"))?;
    let ret = result
        .deserialize_next::<Cpu>()
        .map_err(|e| e.to_string())?;
    Ok(ret.series.into_iter().flat_map(|s| s.values).collect())
}

fn decode_value(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).expect("valid JSON")
}

/// The body's shape, for `serde_json_typed`: unknown keys are skipped.
#[derive(serde::Deserialize)]
struct Body {
    results: Vec<Statement>,
}

#[derive(serde::Deserialize)]
struct Statement {
    #[serde(default)]
    series: Vec<Series>,
}

#[derive(serde::Deserialize)]
struct Series {
    values: Vec<Row>,
}

/// One row, read by position in the order `SELECT *` gives:
/// time, count, host, ok, region, usage.
struct Row(Cpu);

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RowVisitor;
        impl<'de> Visitor<'de> for RowVisitor {
            type Value = Row;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a row [time, count, host, ok, region, usage]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Row, A::Error> {
                let missing = || de::Error::custom("short row");
                let time: i64 = seq.next_element()?.ok_or_else(missing)?;
                let count = seq.next_element()?.ok_or_else(missing)?;
                let host = seq.next_element()?.ok_or_else(missing)?;
                let ok = seq.next_element()?.ok_or_else(missing)?;
                let region = seq.next_element()?.ok_or_else(missing)?;
                let usage = seq.next_element()?.ok_or_else(missing)?;
                Ok(Row(Cpu {
                    time: DateTime::from_timestamp_nanos(time),
                    host,
                    region,
                    usage,
                    count,
                    ok,
                }))
            }
        }
        d.deserialize_seq(RowVisitor)
    }
}

fn decode_typed(body: &[u8]) -> Vec<Cpu> {
    let body: Body = serde_json::from_slice(body).expect("the fixture's shape");
    body.results
        .into_iter()
        .flat_map(|s| s.series)
        .flat_map(|s| s.values)
        .map(|r| r.0)
        .collect()
}

/// Times `iters` calls of `f`, recording the sample for the summary.
fn timed<R>(name: &'static str, iters: u64, mut f: impl FnMut() -> R) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(f());
    }
    let elapsed = start.elapsed();
    SAMPLES.lock().unwrap().push((name, elapsed, iters));
    elapsed
}

fn main() {
    let body = match std::fs::read(FIXTURE) {
        Ok(body) => body,
        Err(e) => {
            eprintln!(
                "cannot read the fixture {FIXTURE}: {e}\n\
                 capture it with: cargo run --release -p inflow-benches --bin capture_fixture"
            );
            std::process::exit(1);
        }
    };
    let rows = decode_inflow(&body);
    let n = rows.len();
    let packed = std::fs::read(FIXTURE_MSGPACK).unwrap_or_else(|e| {
        eprintln!("cannot read {FIXTURE_MSGPACK}: {e}");
        std::process::exit(1);
    });
    assert!(
        decode_inflow_msgpack(&packed) == rows,
        "the MessagePack fixture decodes into the same rows"
    );
    let influxdb = decode_influxdb(&body);
    match &influxdb {
        Ok(theirs) if *theirs == rows => {}
        Ok(theirs) => println!(
            "WARNING: influxdb_0_8 decoded {} rows that differ from inflow's {n}",
            theirs.len()
        ),
        Err(e) => println!("influxdb_0_8 CANNOT decode this body, so it is not benchmarked: {e}"),
    }

    if decode_typed(&body) != rows {
        println!("WARNING: serde_json_typed decoded rows that differ from inflow's");
    }

    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut group = criterion.benchmark_group("decode_10k_rows");
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function(INFLOW, |b| {
        b.iter_custom(|iters| timed(INFLOW, iters, || decode_inflow(black_box(&body))))
    });
    group.bench_function(INFLOW_MSGPACK, |b| {
        b.iter_custom(|iters| {
            timed(INFLOW_MSGPACK, iters, || {
                decode_inflow_msgpack(black_box(&packed))
            })
        })
    });
    if influxdb.is_ok() {
        group.bench_function(INFLUXDB, |b| {
            b.iter_custom(|iters| {
                timed(INFLUXDB, iters, || {
                    decode_influxdb(black_box(&body)).unwrap()
                })
            })
        });
    }
    group.bench_function(VALUE, |b| {
        b.iter_custom(|iters| timed(VALUE, iters, || decode_value(black_box(&body))))
    });
    group.bench_function(TYPED, |b| {
        b.iter_custom(|iters| timed(TYPED, iters, || decode_typed(black_box(&body))))
    });
    group.finish();
    criterion.final_summary();

    // Rows per second from the median of criterion's samples.
    let per_decode = |name: &str| {
        let samples: Vec<Duration> = SAMPLES
            .lock()
            .unwrap()
            .iter()
            .filter(|(c, _, iters)| *c == name && *iters > 0)
            .map(|(_, d, iters)| *d / *iters as u32)
            .collect();
        (!samples.is_empty()).then(|| median(&samples))
    };
    let rate = |d: Duration| n as f64 / d.as_secs_f64();

    println!();
    println!(
        "== decode summary: {n} rows, {} bytes of JSON, {} of MessagePack ==",
        body.len(),
        packed.len()
    );
    println!(
        "{:<18} {:>12} {:>14} {:>10}",
        "contender", "µs/decode", "rows/s", "ns/row"
    );
    let inflow = per_decode(INFLOW);
    let inflow_msgpack = per_decode(INFLOW_MSGPACK);
    let theirs = per_decode(INFLUXDB);
    let value = per_decode(VALUE);
    let typed = per_decode(TYPED);
    for (name, d) in [
        (INFLOW, inflow),
        (INFLOW_MSGPACK, inflow_msgpack),
        (INFLUXDB, theirs),
        (VALUE, value),
        (TYPED, typed),
    ] {
        match d {
            Some(d) => println!(
                "{:<18} {:>12.1} {:>14} {:>10.1}",
                name,
                d.as_secs_f64() * 1e6,
                thousands(rate(d)),
                d.as_nanos() as f64 / n as f64
            ),
            None => println!("{name:<18} {:>12}", "not run"),
        }
    }
    if let Err(e) = &influxdb {
        println!("influxdb_0_8: not run, it cannot decode this body: {e}");
    }
    println!();
    println!("targets:");
    if let (Some(ours), Some(theirs)) = (inflow, theirs) {
        let ratio = theirs.as_secs_f64() / ours.as_secs_f64();
        println!(
            "  influxdb / inflow          {ratio:>6.2}x   target >= 2x   {}",
            verdict(ratio >= 2.0)
        );
    }
    if let (Some(ours), Some(value)) = (inflow, value) {
        let ratio = value.as_secs_f64() / ours.as_secs_f64();
        println!(
            "  serde_json::Value / inflow {ratio:>6.2}x   target > 1x    {}",
            verdict(ratio > 1.0)
        );
    }
}
