//! What the benchmarks share: the `Cpu` struct every contender writes and
//! reads, a deterministic generator of its points, the hand-written
//! encoder, an allocation-counting allocator, and small measuring helpers.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;

/// One point: two tags, three fields and a time.
///
/// The same struct derives inflow's `Measurement` (encoding and row
/// decoding), the `influxdb` crate's `InfluxDbWriteable` (its write path)
/// and serde's `Deserialize` (what the `influxdb` crate decodes query rows
/// with), so that every contender handles exactly the same data.
#[derive(
    inflow::Measurement, influxdb::InfluxDbWriteable, Deserialize, Debug, Clone, PartialEq,
)]
#[influx(measurement = "cpu")]
pub struct Cpu {
    /// With `epoch=ns` the server sends the time as integer nanoseconds.
    #[influx(time)]
    #[influxdb(time)]
    #[serde(with = "chrono::serde::ts_nanoseconds")]
    pub time: DateTime<Utc>,
    #[influx(tag)]
    #[influxdb(tag)]
    pub host: String,
    #[influx(tag)]
    #[influxdb(tag)]
    pub region: String,
    pub usage: f64,
    pub count: i64,
    pub ok: bool,
}

/// The measurement name every contender writes to.
pub const MEASUREMENT: &str = "cpu";

/// The `influxdb` crate's `json_query` cannot ask for `epoch=ns`, so its
/// rows carry RFC 3339 times: this is the struct it decodes them into.
#[derive(Deserialize, Debug, Clone, PartialEq)]
pub struct CpuRfc3339 {
    pub time: DateTime<Utc>,
    pub host: String,
    pub region: String,
    pub usage: f64,
    pub count: i64,
    pub ok: bool,
}

const REGIONS: [&str; 4] = ["us-east-1", "us-west-2", "eu-central-1", "ap-south-1"];

/// 2024-01-01T00:00:00Z in nanoseconds.
pub const BASE_NS: i64 = 1_704_067_200_000_000_000;

/// `n` points, the same on every call: 200 hosts in 4 regions, a float
/// with full precision, a growing counter, a boolean, and times 1 ms apart
/// starting at [`BASE_NS`] (so every point is a distinct point on the
/// server).
pub fn points(n: usize) -> Vec<Cpu> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|i| {
            // xorshift64*: cheap, deterministic, full-precision floats.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let r = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
            let unit = (r >> 11) as f64 / (1u64 << 53) as f64;
            let host = i % 200;
            Cpu {
                time: Utc.timestamp_nanos(BASE_NS + i as i64 * 1_000_000),
                host: format!("server-{host:03}"),
                region: REGIONS[host % REGIONS.len()].to_string(),
                usage: 1.0 + unit * 99.0,
                count: (i as i64) * 7 + 1_000,
                ok: r & 1 == 0,
            }
        })
        .collect()
}

/// The encoder someone would write by hand for this one struct: tag
/// values escaped (`,`, `=`, space) and left out when empty, the float
/// checked for NaN and infinities, numbers through `ryu`/`itoa`, into the
/// caller's buffer. It produces byte for byte the line inflow produces.
#[inline]
pub fn hand_encode(p: &Cpu, buf: &mut Vec<u8>) -> Result<(), &'static str> {
    if !p.usage.is_finite() {
        return Err("usage is not a finite number");
    }
    let nanos = p.time.timestamp_nanos_opt().ok_or("time out of range")?;
    buf.extend_from_slice(b"cpu");
    if !p.host.is_empty() {
        buf.extend_from_slice(b",host=");
        escape_tag(buf, p.host.as_bytes());
    }
    if !p.region.is_empty() {
        buf.extend_from_slice(b",region=");
        escape_tag(buf, p.region.as_bytes());
    }
    buf.extend_from_slice(b" usage=");
    buf.extend_from_slice(ryu::Buffer::new().format_finite(p.usage).as_bytes());
    buf.extend_from_slice(b",count=");
    buf.extend_from_slice(itoa::Buffer::new().format(p.count).as_bytes());
    buf.extend_from_slice(if p.ok { b"i,ok=true " } else { b"i,ok=false " });
    buf.extend_from_slice(itoa::Buffer::new().format(nanos).as_bytes());
    buf.push(b'\n');
    Ok(())
}

#[inline]
fn escape_tag(buf: &mut Vec<u8>, value: &[u8]) {
    let mut run = 0;
    for (i, &b) in value.iter().enumerate() {
        if b == b',' || b == b'=' || b == b' ' {
            buf.extend_from_slice(&value[run..i]);
            buf.push(b'\\');
            run = i;
        }
    }
    buf.extend_from_slice(&value[run..]);
}

/// The `influxdb` crate's write path for one point, as its documentation
/// shows it: `try_into_query` then `build`, the line appended to `buf`.
/// Takes the point by value because `try_into_query` consumes it.
#[inline]
pub fn influxdb_encode(p: Cpu, buf: &mut Vec<u8>) {
    use influxdb::{InfluxDbWriteable, Query};
    let line = p
        .try_into_query(MEASUREMENT)
        .expect("a valid time")
        .build()
        .expect("a valid point")
        .get();
    buf.extend_from_slice(line.as_bytes());
    buf.push(b'\n');
}

// ---------------------------------------------------------------------------
// Counting allocations
// ---------------------------------------------------------------------------

/// The system allocator, counting allocations while [`count_allocations`] runs.
/// Declare it in a binary with
/// `#[global_allocator] static ALLOC: CountingAlloc = CountingAlloc;`.
/// When counting is off it costs one relaxed load per call.
#[derive(Debug)]
pub struct CountingAlloc;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED_BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            ALLOCATED_BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        // SAFETY: the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            ALLOCATED_BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        // SAFETY: the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            ALLOCATED_BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        }
        // SAFETY: the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations (including reallocations) and bytes requested while `f`
/// ran, with counting on. Only meaningful in a binary whose global
/// allocator is [`CountingAlloc`], and while no other thread allocates.
pub fn count_allocations<R>(f: impl FnOnce() -> R) -> (R, u64, u64) {
    let a0 = ALLOCATIONS.load(Ordering::SeqCst);
    let b0 = ALLOCATED_BYTES.load(Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    let out = f();
    COUNTING.store(false, Ordering::SeqCst);
    let a1 = ALLOCATIONS.load(Ordering::SeqCst);
    let b1 = ALLOCATED_BYTES.load(Ordering::SeqCst);
    (out, a1 - a0, b1 - b0)
}

// ---------------------------------------------------------------------------
// Process measurements
// ---------------------------------------------------------------------------

/// User and system CPU time used so far by this process, all threads.
pub fn cpu_time() -> Duration {
    // SAFETY: `getrusage` fills the struct it is given; a zeroed `rusage`
    // is a valid value of it.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return Duration::ZERO;
        }
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1_000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// User and system CPU time of the children this process has waited for
/// (such as `curl` runs).
pub fn children_cpu_time() -> Duration {
    // SAFETY: as in `cpu_time`.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) != 0 {
            return Duration::ZERO;
        }
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1_000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// User and system CPU time used so far by another process (the server),
/// from `/proc/PID/stat`, at the kernel's clock-tick resolution.
pub fn process_cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold
    // spaces: state is field 3, utime 14 and stime 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // SAFETY: `sysconf` has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let ticks = if ticks > 0 { ticks as u64 } else { 100 };
    Some(Duration::from_nanos(
        (utime + stime) * 1_000_000_000 / ticks,
    ))
}

/// Waits until the process `pid` uses less than 5 % of a core over half a
/// second (a server done flushing and compacting), for at most `limit`.
/// Returns how long it waited.
pub fn settle(pid: Option<u32>, limit: Duration) -> Duration {
    let start = std::time::Instant::now();
    let Some(pid) = pid else {
        return Duration::ZERO;
    };
    let window = Duration::from_millis(500);
    while start.elapsed() < limit {
        let Some(before) = process_cpu_time(pid) else {
            break;
        };
        std::thread::sleep(window);
        let Some(after) = process_cpu_time(pid) else {
            break;
        };
        if (after - before).as_secs_f64() < 0.05 * window.as_secs_f64() {
            break;
        }
    }
    start.elapsed()
}

/// A line of `/proc/self/status` in KiB, such as `VmHWM` (peak resident
/// memory) or `VmRSS`.
pub fn proc_status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// `1234567.8` as `1,234,568`.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Nanoseconds per item.
pub fn ns_per(elapsed: Duration, items: usize) -> f64 {
    elapsed.as_nanos() as f64 / items as f64
}

/// The median of some durations.
pub fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

/// `ok` or `MISSED` against a target.
pub fn verdict(met: bool) -> &'static str {
    if met {
        "ok"
    } else {
        "MISSED"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_encoder_matches_inflow_and_influxdb() {
        let opts = inflow::EncodeOptions::default();
        for p in points(1_000) {
            let mut ours = Vec::new();
            inflow::line_protocol::encode(&p, &mut ours, &opts).unwrap();
            let mut hand = Vec::new();
            hand_encode(&p, &mut hand).unwrap();
            let mut theirs = Vec::new();
            influxdb_encode(p.clone(), &mut theirs);
            assert_eq!(ours, hand);
            assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1_000.0), "1,000");
        assert_eq!(thousands(1_234_567.4), "1,234,567");
    }
}
