//! What `#[derive(Measurement)]` expands to calls into this module, and
//! nothing else. Not part of the public API: it may change in any release,
//! together with `inflow-derive`, whose version is pinned to this crate's.

pub use crate::error::{DecodeError, InvalidPoint};
pub use crate::line_protocol::LineWriter;
pub use crate::measurement::{
    Column, ColumnKind, FieldValue, FromTag, Measurement, TagValue, TimeValue,
};
pub use crate::query::{ColumnType, Field, Numeric, Tag, Time};
pub use crate::response::cell::{Cell, FromCell};
pub use crate::response::{FromRow, RowBuilder};
pub use core::default::Default;
pub use core::option::Option::{self, None, Some};
pub use core::result::Result::{self, Err, Ok};

/// Stores a field or time cell into its slot, or records the first error.
#[inline]
pub fn decode_field<T: FromCell>(
    cell: Cell<'_>,
    slot: &mut Option<T>,
    error: &mut Option<DecodeError>,
    measurement: &'static str,
    column: &'static str,
) {
    match T::from_cell(cell) {
        Ok(value) => *slot = Some(value),
        Err(found) => record(error, measurement, column, T::EXPECTED, found),
    }
}

/// Stores a tag cell into its slot, or records the first error.
#[inline]
pub fn decode_tag<T: FromTag>(
    cell: Cell<'_>,
    slot: &mut Option<T>,
    error: &mut Option<DecodeError>,
    measurement: &'static str,
    column: &'static str,
) {
    match crate::response::cell::tag_from_cell::<T>(cell) {
        Ok(Some(value)) => *slot = Some(value),
        Ok(None) => {}
        Err(found) => record(error, measurement, column, "a tag value", found),
    }
}

fn record(
    error: &mut Option<DecodeError>,
    measurement: &'static str,
    column: &'static str,
    expected: &'static str,
    found: String,
) {
    if error.is_none() {
        *error = Some(DecodeError::WrongType {
            measurement,
            column: column.to_string(),
            expected,
            found,
        });
    }
}

/// The value of a field or time slot, or the error for a missing column.
#[inline]
pub fn required<T: FromCell>(
    slot: Option<T>,
    measurement: &'static str,
    column: &'static str,
) -> Result<T, DecodeError> {
    slot.or_else(T::absent).ok_or(DecodeError::MissingColumn {
        measurement,
        column,
        expected: T::EXPECTED,
    })
}

/// The value of a tag slot, or the error for a missing tag.
#[inline]
pub fn required_tag<T: FromTag>(
    slot: Option<T>,
    measurement: &'static str,
    column: &'static str,
) -> Result<T, DecodeError> {
    slot.or_else(T::absent).ok_or(DecodeError::MissingColumn {
        measurement,
        column,
        expected: "a tag value",
    })
}

/// Compiles only for fields whose values are numbers: what `mean`, `sum`
/// and the other numeric aggregates need.
pub const fn assert_numeric<M, V: Numeric>(_column: &Field<M, V>) {}
