//! inflow: a typed InfluxDB client.
#![deny(missing_docs)]
#![deny(missing_debug_implementations)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
pub mod error;
pub mod line_protocol;
pub mod measurement;
pub mod query;
pub mod response;
pub mod session;
#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
#[cfg(feature = "testkit")]
pub mod testkit;
mod transport;

pub use client::{Client, ClientBuilder, Consistency, WriteOptions, WriteSummary};
pub use error::{DecodeError, Error, InvalidPoint, RejectedPoint, Result};
pub use inflow_derive::Measurement;
pub use line_protocol::{EncodeOptions, Precision};
pub use query::{RawQuery, RowStream, TypedQuery};
pub use response::{FromRow, QueryResults, Series, StatementResult};
pub use session::{Savepoint, Session, SessionOptions};
pub use transport::RetryPolicy;
pub use measurement::{
    Column, ColumnKind, FieldData, FieldRef, FieldValue, FromTag, Measurement, Point, TagValue,
    TimeValue, ToLine,
};
