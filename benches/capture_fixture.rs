//! Captures the `/query` body that `benches/decode.rs` decodes:
//! 10,000 `Cpu` points written to a throwaway influxd, then
//! `SELECT * FROM cpu` with `epoch=ns`, saved as the server sent it.
//!
//! `cargo run --release -p inflow-benches --bin capture_fixture [PATH]`
//!
//! The default path is `benches/fixtures/cpu_10000_epoch_ns.json`. The
//! body is fetched with `curl` (no compression asked for), exactly as in:
//!
//! ```text
//! curl -sS -G "$URL/query" --data-urlencode db=fixture \
//!      --data-urlencode 'q=SELECT * FROM cpu' --data-urlencode epoch=ns
//! ```
//!
//! The same query with `Accept: application/x-msgpack` is saved beside it,
//! with the extension `msgpack`.

use std::error::Error;
use std::path::PathBuf;
use std::process::Command;

use inflow::testkit::InfluxServer;
use inflow_benches::{points, Cpu};

/// Rows in the fixture.
pub const ROWS: usize = 10_000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/fixtures/cpu_10000_epoch_ns.json"
            ))
        });
    let server = InfluxServer::start().await?;
    let db = "fixture";
    server.create_database(db).await?;

    let client = inflow::Client::new(&format!("{}/{db}", server.url()))?;
    let points = points(ROWS);
    let mut session = client.session();
    session.add_all(&points).await?;
    session.commit().await?;
    let stored = server.count(db, "cpu").await?;
    if stored != ROWS as u64 {
        return Err(format!("the server holds {stored} points, expected {ROWS}").into());
    }

    for (accept, path) in [
        ("application/json", path.clone()),
        ("application/x-msgpack", path.with_extension("msgpack")),
    ] {
        let output = Command::new("curl")
            .args(["-sS", "--fail", "-H", &format!("Accept: {accept}")])
            .args(["-G", &format!("{}/query", server.url())])
            .args(["--data-urlencode", &format!("db={db}")])
            .args(["--data-urlencode", "q=SELECT * FROM cpu"])
            .args(["--data-urlencode", "epoch=ns"])
            .output()?;
        if !output.status.success() {
            return Err(format!("curl failed: {}", String::from_utf8_lossy(&output.stderr)).into());
        }
        let body = output.stdout;

        // The body must decode back into exactly the points written.
        let format = if accept.contains("msgpack") {
            inflow::__bench::Format::MessagePack
        } else {
            inflow::__bench::Format::Json
        };
        let decoded = inflow::__bench::decode_rows_in::<Cpu>(format, &body)?;
        if decoded != points {
            return Err(format!(
                "the captured {accept} body does not decode into the points written"
            )
            .into());
        }

        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, &body)?;
        println!(
            "wrote {} ({accept}, {} bytes, {} rows)",
            path.display(),
            body.len(),
            decoded.len()
        );
    }
    Ok(())
}
