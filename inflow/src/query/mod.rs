//! The typed `SELECT` builder, raw queries, and InfluxQL quoting.

mod columns;
mod exec;
pub mod quote;

pub use columns::{ColumnType, Field, Numeric, Tag, Time};
pub use exec::{is_mutating, RawQuery, RetentionPolicy, RowStream, TypedQuery, STREAM_CHUNK_SIZE};
pub use quote::{duration_literal, quote_ident, quote_regex, quote_string};
