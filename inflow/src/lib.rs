//! inflow: a typed InfluxDB client.
//!
//! Derive [`Measurement`] on a plain struct and get, from that one
//! definition, line-protocol encoding for writes, decoding of query rows
//! back into the struct, and typed column handles for `SELECT` queries
//! that the compiler checks.
//!
//! ```no_run
//! use chrono::{DateTime, Utc};
//! use inflow::{Client, Measurement};
//!
//! #[derive(Measurement, Debug, Clone, PartialEq)]
//! #[influx(measurement = "temperature")]
//! struct Temperature {
//!     #[influx(time)]
//!     time: DateTime<Utc>,
//!     #[influx(tag)]
//!     location: String,
//!     value: f64,
//! }
//!
//! # async fn run() -> inflow::Result<()> {
//! let client = Client::new("http://user:pass@localhost:8086/weather")?;
//!
//! let mut session = client.session();
//! session
//!     .add(&Temperature { time: Utc::now(), location: "groningen".into(), value: 21.3 })
//!     .await?;                      // encoded and checked now
//! session.commit().await?;          // one POST /write; on failure the batch is kept
//!
//! let rows: Vec<Temperature> = client
//!     .query_as("SELECT * FROM temperature WHERE location = $loc")
//!     .bind("loc", "groningen")
//!     .fetch()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! - [`Client`]: the InfluxDB 1.x HTTP API (served by 1.x, and by 2.x and
//!   3.x for compatibility), one or several nodes, retries and failover.
//! - [`Session`]: a unit of work over a typed batch: add, commit,
//!   rollback, savepoints, autocommit; nothing is lost when a commit fails.
//! - [`query`]: the typed `SELECT` builder, raw queries, streaming. Typed
//!   reads ask for MessagePack, which InfluxDB 1.x produces for less CPU
//!   than JSON, and read JSON from servers that answer in it
//!   ([`ClientBuilder::msgpack`]).
//! - [`Error`]: one error type; [`Error::is_retryable`] says whether trying
//!   again may help.
//! - `testkit` (feature): a throwaway real `influxd` for tests.
#![deny(missing_docs)]
#![deny(missing_debug_implementations)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
// The derive's expansion names `::inflow`; this lets unit tests use it.
#[cfg(test)]
extern crate self as inflow;

/// Internals the benchmarks measure on their own. Not part of the public
/// API: it may change in any release.
#[doc(hidden)]
pub mod __bench {
    pub use crate::response::decoder::{decode_rows, decode_rows_in};
    pub use crate::response::format::Format;
}

pub mod client;
pub mod error;
pub mod line_protocol;
pub mod measurement;
pub mod query;
pub mod response;
pub mod session;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod time;
mod transport;

pub use client::{Client, ClientBuilder, Consistency, WriteOptions, WriteSummary};
pub use error::{DecodeError, Error, InvalidPoint, RejectedPoint, Result};
pub use inflow_derive::Measurement;
pub use line_protocol::{EncodeOptions, Precision};
pub use measurement::{
    Column, ColumnKind, FieldData, FieldRef, FieldType, FieldValue, FromTag, Measurement, Point,
    TagValue, TimeValue, ToLine,
};
pub use query::{
    BindValue, Condition, Fill, IntoDuration, RawQuery, RowStream, SchemaMismatch, Select,
    TypedQuery,
};
pub use response::{FromRow, QueryResults, Series, StatementResult};
pub use session::{Savepoint, Session, SessionOptions};
pub use time::{IntegerTime, TimeUnit};
pub use transport::RetryPolicy;
