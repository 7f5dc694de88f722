//! `#[derive(Measurement)]` for [inflow](https://docs.rs/inflow). Use it
//! through `inflow::Measurement`; this crate's version is pinned to
//! inflow's, whose hidden `__private` module the generated code calls.
//!
//! The pipeline is thiserror's and serde_derive's: `attr` reads the
//! `#[influx(...)]` attributes, `ast` holds the typed view, `valid` checks
//! the rules across fields, `expand` writes the code, and `fallback` writes
//! what a derive with mistakes expands to. Every mistake is collected and
//! reported, spanned, in one build.

mod ast;
mod attr;
mod ctxt;
mod expand;
mod fallback;
mod generics;
mod handles;
mod valid;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Derives `inflow::Measurement` (line-protocol encoding), `inflow::FromRow`
/// (decoding query rows) and typed column handles for a struct with named
/// fields.
///
/// ```
/// use chrono::{DateTime, Utc};
/// use inflow::Measurement;
///
/// #[derive(Measurement)]
/// #[influx(measurement = "temperature")]
/// struct Temperature {
///     #[influx(time)]
///     time: DateTime<Utc>,
///     #[influx(tag)]
///     location: String,
///     #[influx(tag, rename = "sensor_type")]
///     sensor: Option<String>,
///     value: f64,
///     #[influx(skip)]
///     cached: bool,
/// }
/// ```
///
/// Every field that is not a tag, the time or skipped is an InfluxDB
/// field; a measurement needs at least one.
///
/// # Struct attributes
///
/// - `#[influx(measurement = "name")]`: the measurement's name. Without it,
///   the struct's name in snake case (`HourlyTemperature` →
///   `hourly_temperature`).
/// - `#[influx(from = Source)]`: a projection or aggregate of another derived
///   measurement. Its name is `Source`'s, queries filter on `Source`'s
///   columns, and its fields may be `aggregate`s of `Source`'s columns.
///   Cannot be combined with `measurement`.
/// - `#[influx(write_only)]`: no `FromRow`, for structs that are only
///   written.
///
/// # Field attributes
///
/// - `#[influx(tag)]`: a tag. Its type implements `inflow::TagValue` (and
///   `inflow::FromTag` to be read back): `String`, `&str`, `Cow<str>`, an
///   `Option` of those (`None` leaves the tag out), or an enum that
///   implements both.
/// - `#[influx(time)]`: the point's time, at most one field, always the
///   column `time`. `DateTime<Utc>`, `i64` nanoseconds since the epoch, or an
///   `Option` of those (`None`: the time when the point is encoded). Without
///   a time field, every point gets the time it is encoded at.
/// - Plain fields implement `inflow::FieldValue` (and the hidden `FromCell`
///   to be read back): `f64`, `f32`, the integers, `bool`, `String`, `&str`,
///   `Cow<str>`, or an `Option` of those (`None` leaves the field out).
/// - `#[influx(rename = "name")]`: the column's name in InfluxDB; the Rust
///   name otherwise. No tag or field may be named `time`.
/// - `#[influx(skip)]`: neither written nor read; filled with
///   `Default::default()` when a row is decoded (so its type implements
///   `Default`, unless the struct is not read). Combines with no other key.
/// - `#[influx(aggregate = "mean(value)")]`: with `from = Source`, a column
///   computed from `Source`'s column `value` (by its Rust name). The
///   functions are `count`, `sum`, `mean`, `median`, `mode`, `min`, `max`,
///   `first`, `last`, `spread`, `stddev`, `percentile` (with the percentile,
///   a number greater than 0 and at most 100: `"percentile(value, 95)"`,
///   `"percentile(value, 99.9)"`), `distinct` and `integral` (with an
///   optional unit, a duration literal: `"integral(value, 1s)"`,
///   `"integral(value, 1h30m)"`). `sum`, `mean`, `median`, `spread`,
///   `stddev`, `percentile` and `integral` need a numeric column; a column
///   that does not exist or is not numeric does not compile, nor does an
///   argument InfluxDB would refuse. The runtime applies the same rules
///   (from `inflow-rules`), so what compiles can be fetched.
///
/// Several keys can share one attribute (`#[influx(tag, rename = "id")]`)
/// and a field can have several attributes.
///
/// ```
/// # use chrono::{DateTime, Utc};
/// # use inflow::Measurement;
/// # #[derive(Measurement)]
/// # struct Temperature {
/// #     #[influx(time)]
/// #     time: DateTime<Utc>,
/// #     #[influx(tag)]
/// #     location: String,
/// #     value: f64,
/// # }
/// #[derive(Measurement)]
/// #[influx(from = Temperature)]
/// struct HourlyTemperature {
///     #[influx(time)]
///     time: DateTime<Utc>,
///     #[influx(tag)]
///     location: String,
///     #[influx(aggregate = "mean(value)")]
///     mean: f64,
///     #[influx(aggregate = "percentile(value, 95)")]
///     p95: f64,
/// }
/// ```
///
/// # What is generated
///
/// - `Measurement`: `NAME`, `COLUMNS` (one per field that is not skipped,
///   in declaration order) and `encode`, which writes tags sorted by key and
///   fields in declaration order. Names are checked and escaped at compile
///   time, so encoding allocates nothing.
/// - `FromRow`, unless the struct has lifetime parameters (it borrows, so
///   it cannot be built from a response) or is `write_only`. With type
///   parameters, the bounds each field's role needs are added.
/// - One column handle per column, an associated `const fn` named after the
///   Rust field: `Temperature::location()` is an `inflow::query::Tag`,
///   `Temperature::value()` an `inflow::query::Field` that compares with
///   `f64`, `Temperature::time()` an `inflow::query::Time`. A misspelled
///   column does not compile. They may not share a name with another
///   associated function of the struct.
///
/// Mistakes in the attributes are compile errors pointing at the mistake,
/// all of them in one build.
#[proc_macro_derive(Measurement, attributes(influx))]
pub fn derive_measurement(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}
