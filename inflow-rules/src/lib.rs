//! The rules that both [inflow](https://docs.rs/inflow) and its derive
//! apply, in one place so that they cannot drift apart: what
//! `#[derive(Measurement)]` accepts at compile time is exactly what the
//! runtime accepts when it writes a point or builds a query.
//!
//! Each rule is a decision only: it says whether a text is allowed and, if
//! not, which rule it breaks. Reporting stays with the caller (spanned
//! compile errors in the derive, `Error` values at run time).
//!
//! - [`aggregate`]: the aggregate functions, which need a numeric column,
//!   and the grammar of their extra argument.
//! - [`name`]: measurement names, tag keys, field keys and tag values that
//!   line protocol cannot carry or that InfluxDB 1.x misreads.
//! - [`escape`]: line-protocol escaping of measurement names and keys.
//! - [`line`](mod@line): where the server decides a line ends.
//!
//! Every rule was checked against InfluxDB 1.6.

#![deny(missing_docs)]
#![deny(missing_debug_implementations)]

pub mod aggregate;
pub mod escape;
pub mod line;
pub mod name;
