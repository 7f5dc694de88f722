//! Encoding 1,000,000 `Cpu` points (2 tags, 3 fields, time) into one
//! reused buffer: inflow's derived encoder, the `influxdb` crate 0.8's
//! derive path (`try_into_query(..)` then `build()` per point), and an
//! encoder written by hand for this one struct with `itoa`/`ryu`.
//!
//! `cargo bench -p inflow-benches --bench encode`
//!
//! After criterion's report, a summary gives ns per point (the median of
//! the passes criterion timed), the ratios, and allocations per point,
//! counted by this binary's global allocator over one more pass of each.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use inflow::EncodeOptions;
use inflow_benches::{
    count_allocations, hand_encode, influxdb_encode, median, ns_per, points, verdict,
    CountingAlloc, Cpu,
};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const POINTS: usize = 1_000_000;

/// The contenders, in the order they are benchmarked and reported.
const INFLOW: &str = "inflow";
const HAND: &str = "hand_written";
const INFLUXDB: &str = "influxdb_0_8";

/// The duration of every pass of 1,000,000 points criterion ran, per
/// contender (warm-up passes included).
static PASSES: Mutex<Vec<(&'static str, Duration)>> = Mutex::new(Vec::new());

fn record(name: &'static str, elapsed: Duration) {
    PASSES.lock().unwrap().push((name, elapsed));
}

fn passes(name: &str) -> Vec<Duration> {
    PASSES
        .lock()
        .unwrap()
        .iter()
        .filter(|(n, _)| *n == name)
        .map(|(_, d)| *d)
        .collect()
}

fn encode_inflow(points: &[Cpu], buf: &mut Vec<u8>, options: &EncodeOptions) {
    buf.clear();
    for p in points {
        inflow::line_protocol::encode(p, buf, options).expect("a valid point");
    }
}

fn encode_hand(points: &[Cpu], buf: &mut Vec<u8>) {
    buf.clear();
    for p in points {
        hand_encode(p, buf).expect("a valid point");
    }
}

/// `try_into_query` takes the point by value, so each pass consumes a
/// copy made before its clock starts.
fn encode_influxdb(points: Vec<Cpu>, buf: &mut Vec<u8>) {
    buf.clear();
    for p in points {
        influxdb_encode(p, buf);
    }
}

fn digest(buf: &[u8]) -> (usize, u64) {
    let mut h = DefaultHasher::new();
    h.write(buf);
    (buf.len(), h.finish())
}

fn main() {
    let points = points(POINTS);
    let options = EncodeOptions::default();
    // The one buffer every contender encodes into, sized by a first pass.
    let mut buf = Vec::new();
    encode_inflow(&points, &mut buf, &options);
    let expected = digest(&buf);

    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();

    let mut group = criterion.benchmark_group("encode_1m_points");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(POINTS as u64));
    group.bench_function(INFLOW, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                encode_inflow(black_box(&points), &mut buf, &options);
                let elapsed = start.elapsed();
                black_box(&buf);
                record(INFLOW, elapsed);
                total += elapsed;
            }
            total
        })
    });
    group.bench_function(HAND, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                encode_hand(black_box(&points), &mut buf);
                let elapsed = start.elapsed();
                black_box(&buf);
                record(HAND, elapsed);
                total += elapsed;
            }
            total
        })
    });
    group.bench_function(INFLUXDB, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let owned = points.clone();
                let start = Instant::now();
                encode_influxdb(black_box(owned), &mut buf);
                let elapsed = start.elapsed();
                black_box(&buf);
                record(INFLUXDB, elapsed);
                total += elapsed;
            }
            total
        })
    });
    group.finish();
    criterion.final_summary();

    summary(&points, &mut buf, &options, expected);
}

fn summary(points: &[Cpu], buf: &mut Vec<u8>, options: &EncodeOptions, expected: (usize, u64)) {
    // One counted pass each, the buffer already at its full size: steady
    // state. Each must produce exactly inflow's bytes.
    let ((), inflow_allocs, inflow_bytes) =
        count_allocations(|| encode_inflow(points, buf, options));
    let inflow_same = digest(buf) == expected;
    let ((), hand_allocs, _) = count_allocations(|| encode_hand(points, buf));
    let hand_same = digest(buf) == expected;
    let owned = points.to_vec();
    let ((), influxdb_allocs, _) = count_allocations(|| encode_influxdb(owned, buf));
    let influxdb_same = digest(buf) == expected;

    let n = points.len();
    let per_point = |name: &str| {
        let p = passes(name);
        (!p.is_empty()).then(|| (ns_per(median(&p), n), p.len()))
    };
    let inflow = per_point(INFLOW);
    let hand = per_point(HAND);
    let influxdb = per_point(INFLUXDB);

    println!();
    println!(
        "== encode summary: {n} points, {:.1} bytes per line ==",
        expected.0 as f64 / n as f64
    );
    println!(
        "{:<14} {:>10} {:>8} {:>12} {:>16}",
        "contender", "ns/point", "passes", "allocs/point", "same bytes"
    );
    for (name, timing, allocs, same) in [
        (INFLOW, inflow, inflow_allocs, inflow_same),
        (HAND, hand, hand_allocs, hand_same),
        (INFLUXDB, influxdb, influxdb_allocs, influxdb_same),
    ] {
        let (ns, count) = match timing {
            Some((ns, count)) => (format!("{ns:.1}"), count.to_string()),
            None => ("not run".to_string(), "0".to_string()),
        };
        println!(
            "{:<14} {:>10} {:>8} {:>12.3} {:>16}",
            name,
            ns,
            count,
            allocs as f64 / n as f64,
            if same { "yes" } else { "NO" }
        );
    }
    println!(
        "(influxdb_0_8: each pass consumes a copy of the points made before the clock starts;\n \
         inflow's counted pass requested {inflow_bytes} bytes in {inflow_allocs} allocations)"
    );

    println!();
    println!("targets:");
    if let Some((ns, _)) = inflow {
        println!(
            "  inflow ns/point            {ns:>8.1}   target <= 100     {}",
            verdict(ns <= 100.0)
        );
    }
    let allocs_per_point = inflow_allocs as f64 / n as f64;
    println!(
        "  inflow allocations/point   {allocs_per_point:>8.3}   target 0          {}",
        verdict(inflow_allocs == 0)
    );
    if let (Some((ours, _)), Some((theirs, _))) = (inflow, influxdb) {
        let ratio = theirs / ours;
        println!(
            "  influxdb / inflow          {ratio:>7.1}x   target >= 15x     {}",
            verdict(ratio >= 15.0)
        );
    }
    if let (Some((ours, _)), Some((hand, _))) = (inflow, hand) {
        let ratio = ours / hand;
        println!(
            "  inflow / hand-written      {ratio:>7.2}x   target <= 1.3x    {}",
            verdict(ratio <= 1.3)
        );
    }
    if !(inflow_same && hand_same && influxdb_same) {
        println!("WARNING: the contenders did not all produce the same bytes");
    }
}
