//! The typed `SELECT` builder, raw queries, and InfluxQL quoting.
//!
//! [`Client::select`](crate::Client::select) reads a derived struct back:
//! its columns, from its measurement, with conditions built from its typed
//! column handles ([`Tag`], [`Field`], [`Time`]), so that column names and
//! value types are checked by the compiler and every value is quoted.
//!
//! ```no_run
//! use chrono::{DateTime, Duration, Utc};
//! use inflow::{Client, Measurement};
//!
//! #[derive(Measurement, Debug)]
//! #[influx(measurement = "temperature")]
//! struct Temperature {
//!     #[influx(time)]
//!     time: DateTime<Utc>,
//!     #[influx(tag)]
//!     location: String,
//!     value: f64,
//! }
//!
//! # async fn run(client: Client) -> inflow::Result<()> {
//! let select = client
//!     .select::<Temperature>()
//!     .filter(Temperature::location().eq("groningen") | Temperature::location().eq("utrecht"))
//!     .filter(Temperature::value().gt(25))
//!     .since(Duration::days(1))
//!     .order_by_time_desc()
//!     .limit(10);
//! assert_eq!(
//!     select.to_influxql(),
//!     r#"SELECT "location", "value" FROM "temperature" WHERE ("location" = 'groningen' OR "location" = 'utrecht') AND "value" > 25.0 AND time >= now() - 1d ORDER BY time DESC LIMIT 10"#,
//! );
//! let hottest: Vec<Temperature> = select.fetch().await?;
//! # Ok(()) }
//! ```
//!
//! [`Client::query`](crate::Client::query) and
//! [`Client::query_as`](crate::Client::query_as) run InfluxQL written by
//! hand, with bind parameters.

mod admin;
mod columns;
mod expr;
pub mod quote;
mod raw;
mod select;
mod spec;
mod statement;
mod stream;

pub use admin::{RetentionPolicy, SchemaMismatch};
pub use columns::{
    assert_numeric, assert_ordered, ColumnType, Comparable, Field, Numeric, Ordered, Tag, Time,
};
pub use expr::{Condition, Literal};
pub use quote::{duration_literal, quote_ident, quote_regex, quote_string, IntoDuration};
pub use raw::{BindValue, RawQuery, TypedQuery};
pub use select::{Fill, Select};
pub use spec::STREAM_CHUNK_SIZE;
pub use stream::RowStream;
