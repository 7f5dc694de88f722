//! Test helpers: a throwaway real `influxd` and a fault-injecting TCP proxy.
//!
//! Compiled only with the crate feature `testkit`.
//!
//! - [`InfluxServer`] starts InfluxDB 1.x (`influxd`, Debian's `influxdb`
//!   package) on a free loopback port with its data in a temporary
//!   directory, and offers small helpers (create a database, query, count
//!   points) that talk to it directly over HTTP.
//! - [`InfluxServer::shared`] gives one server per test process, started on
//!   first use and cleaned up when the process exits, however it exits.
//! - [`FaultProxy`] sits between a client and a server and injects
//!   connection resets, delays and canned error responses, for tests of
//!   retries and of zero data loss.
//!
//! ```no_run
//! use inflow::testkit::{unique_database, Fault, FaultProxy, InfluxServer};
//!
//! # async fn demo() -> Result<(), inflow::testkit::TestkitError> {
//! let server = InfluxServer::shared().await;
//! let db = unique_database("demo");
//! server.create_database(&db).await?;
//! server.write_lines(&db, "cpu,host=a value=1 1000000000").await?;
//! assert_eq!(server.count_field(&db, "cpu", "value").await?, 1);
//!
//! let proxy = FaultProxy::for_server(server).await?;
//! proxy.set_fault(Fault::Respond {
//!     status: 503,
//!     retry_after: Some(1),
//!     body: r#"{"error":"overloaded"}"#.to_string(),
//!     times: 2,
//! });
//! // Point the client under test at `proxy.url()`.
//! # Ok(())
//! # }
//! ```

#[cfg(not(unix))]
compile_error!("the `testkit` feature needs a Unix system (it runs `influxd` and `sh`)");

mod config;
mod error;
mod exit_hook;
mod http;
mod process;
mod proxy;
mod server;
mod watchdog;

#[cfg(test)]
mod tests;

pub use error::TestkitError;
pub use proxy::{Fault, FaultProxy};
pub use server::{unique_database, InfluxServer, ServerBuilder};
