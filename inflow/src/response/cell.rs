//! One value of a `/query` row, and its conversion into Rust types.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{Deserialize, Deserializer, Visitor};

use crate::error::DecodeError;
use crate::measurement::FromTag;

/// One cell of a result row, borrowed from the response where possible.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    /// `null`: the column has no value in this row.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    /// An integer above `i64::MAX`.
    UInt(u64),
    /// A float.
    Float(f64),
    /// A string.
    Str(Cow<'a, str>),
}

impl Cell<'_> {
    /// Describes the cell for error messages: its type and value.
    pub fn describe(&self) -> String {
        match self {
            Cell::Null => "null".to_string(),
            Cell::Bool(b) => format!("boolean {b}"),
            Cell::Int(i) => format!("integer {i}"),
            Cell::UInt(u) => format!("integer {u}"),
            Cell::Float(f) => format!("float {f}"),
            Cell::Str(s) => format!("string {s:?}"),
        }
    }

    /// An owned copy.
    pub fn into_owned(self) -> Cell<'static> {
        match self {
            Cell::Null => Cell::Null,
            Cell::Bool(b) => Cell::Bool(b),
            Cell::Int(i) => Cell::Int(i),
            Cell::UInt(u) => Cell::UInt(u),
            Cell::Float(f) => Cell::Float(f),
            Cell::Str(s) => Cell::Str(Cow::Owned(s.into_owned())),
        }
    }
}

impl<'de> Deserialize<'de> for Cell<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CellVisitor)
    }
}

struct CellVisitor;

impl<'de> Visitor<'de> for CellVisitor {
    type Value = Cell<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a null, boolean, number or string")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Cell::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Cell::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(CellVisitor)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Cell::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Cell::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(match i64::try_from(v) {
            Ok(i) => Cell::Int(i),
            Err(_) => Cell::UInt(v),
        })
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Cell::Float(v))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cell::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cell::Str(Cow::Owned(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cell::Str(Cow::Owned(v)))
    }
}

/// A Rust type that a field or time column decodes into.
///
/// Integers the server returns for float fields are accepted, and floats
/// for integer fields when they are whole numbers in range. An
/// implementation of your own should accept both too: a float field's
/// whole values arrive as [`Cell::Int`] in JSON (which writes `3.0` as
/// `3`) and as [`Cell::Float`] in MessagePack.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be decoded from a query result",
    label = "no FromCell for this type",
    note = "decodable fields are floats, integers, bool, String, Cow<'static, str>, DateTime<Utc>, or an Option of one of these; mark the struct #[influx(write_only)] if it is only written"
)]
pub trait FromCell: Sized {
    /// What the type expects, for error messages.
    const EXPECTED: &'static str;

    /// Converts a cell; the error describes what was found instead.
    fn from_cell(cell: Cell<'_>) -> Result<Self, String>;

    /// The value when the column is absent from the result; `None` means
    /// absence is an error.
    fn absent() -> Option<Self> {
        None
    }
}

impl FromCell for f64 {
    const EXPECTED: &'static str = "a float";

    #[inline]
    fn from_cell(cell: Cell<'_>) -> Result<Self, String> {
        match cell {
            Cell::Float(f) => Ok(f),
            Cell::Int(i) => Ok(i as f64),
            Cell::UInt(u) => Ok(u as f64),
            other => Err(other.describe()),
        }
    }
}

impl FromCell for f32 {
    const EXPECTED: &'static str = "a float";

    #[inline]
    fn from_cell(cell: Cell<'_>) -> Result<Self, String> {
        f64::from_cell(cell).map(|f| f as f32)
    }
}

fn whole(f: f64) -> Option<i128> {
    (f.fract() == 0.0 && f.is_finite() && f.abs() < 1.8e19).then_some(f as i128)
}

macro_rules! from_cell_int {
    ($($ty:ty),*) => {$(
        impl FromCell for $ty {
            const EXPECTED: &'static str = concat!("an integer that fits ", stringify!($ty));

            #[inline]
    fn from_cell(cell: Cell<'_>) -> Result<Self, String> {
                let wide: Option<i128> = match cell {
                    Cell::Int(i) => Some(i.into()),
                    Cell::UInt(u) => Some(u.into()),
                    Cell::Float(f) => whole(f),
                    _ => None,
                };
                wide.and_then(|w| <$ty>::try_from(w).ok()).ok_or_else(|| cell.describe())
            }
        }
    )*};
}
from_cell_int!(i64, i32, i16, i8, isize, u64, u32, u16, u8, usize);

impl FromCell for bool {
    const EXPECTED: &'static str = "a boolean";

    #[inline]
    fn from_cell(cell: Cell<'_>) -> Result<Self, String> {
        match cell {
            Cell::Bool(b) => Ok(b),
            other => Err(other.describe()),
        }
    }
}

impl FromCell for String {
    const EXPECTED: &'static str = "a string";

    #[inline]
    fn from_cell(cell: Cell<'_>) -> Result<Self, String> {
        match cell {
            Cell::Str(s) => Ok(s.into_owned()),
            other => Err(other.describe()),
        }
    }
}

impl FromCell for Cow<'static, str> {
    const EXPECTED: &'static str = "a string";

    #[inline]
    fn from_cell(cell: Cell<'_>) -> Result<Self, String> {
        String::from_cell(cell).map(Cow::Owned)
    }
}

impl FromCell for DateTime<Utc> {
    const EXPECTED: &'static str = "a time (integer nanoseconds or RFC 3339)";

    #[inline]
    fn from_cell(cell: Cell<'_>) -> Result<Self, String> {
        match cell {
            Cell::Int(ns) => Ok(DateTime::from_timestamp_nanos(ns)),
            Cell::Str(ref s) => DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| cell.describe()),
            other => Err(other.describe()),
        }
    }
}

impl<T: FromCell> FromCell for Option<T> {
    const EXPECTED: &'static str = T::EXPECTED;

    #[inline]
    fn from_cell(cell: Cell<'_>) -> Result<Self, String> {
        match cell {
            Cell::Null => Ok(None),
            other => T::from_cell(other).map(Some),
        }
    }

    fn absent() -> Option<Self> {
        Some(None)
    }
}

/// Converts a tag cell (a string, or null when the row has no such tag).
/// An empty string is an absent tag too: the server stores no empty tag
/// values (a writer leaves such a tag out), and answers `""` for a tag a
/// series does not have.
#[inline]
pub(crate) fn tag_from_cell<T: FromTag>(cell: Cell<'_>) -> Result<Option<T>, String> {
    match cell {
        Cell::Str(s) if s.is_empty() => Ok(T::absent()),
        Cell::Str(s) => T::from_tag(&s).map(Some),
        Cell::Null => Ok(T::absent()),
        other => Err(other.describe()),
    }
}

// ---------------------------------------------------------------------------
// What the derive's row builders call
// ---------------------------------------------------------------------------

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
    match tag_from_cell::<T>(cell) {
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
    present(slot.or_else(T::absent), measurement, column, T::EXPECTED)
}

/// The value of a tag slot, or the error for a missing tag.
#[inline]
pub fn required_tag<T: FromTag>(
    slot: Option<T>,
    measurement: &'static str,
    column: &'static str,
) -> Result<T, DecodeError> {
    present(slot.or_else(T::absent), measurement, column, "a tag value")
}

/// A slot's value, or the error for its missing column.
#[inline]
pub(crate) fn present<T>(
    value: Option<T>,
    measurement: &'static str,
    column: &'static str,
    expected: &'static str,
) -> Result<T, DecodeError> {
    value.ok_or(DecodeError::MissingColumn {
        measurement,
        column,
        expected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(json: &str) -> Cell<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn floats_accept_integers() {
        assert_eq!(f64::from_cell(cell("3")), Ok(3.0));
        assert_eq!(f64::from_cell(cell("3.5")), Ok(3.5));
        assert!(f64::from_cell(cell("\"x\"")).is_err());
    }

    #[test]
    fn floats_decode_exactly() {
        // serde_json's default float parser is off by an ulp here.
        assert_eq!(f64::from_cell(cell("-1.5e-300")), Ok(-1.5e-300));
        assert_eq!(f64::from_cell(cell("0.30000000000000004")), Ok(0.1 + 0.2));
    }

    #[test]
    fn integers_accept_whole_floats_only() {
        assert_eq!(i64::from_cell(cell("4.0")), Ok(4));
        assert_eq!(i64::from_cell(cell("4.5")), Err("float 4.5".into()));
        assert_eq!(u8::from_cell(cell("255")), Ok(255));
        assert!(u8::from_cell(cell("256")).is_err());
        assert!(u64::from_cell(cell("-1")).is_err());
        assert_eq!(u64::from_cell(cell("18446744073709551615")), Ok(u64::MAX));
    }

    #[test]
    fn options_take_null() {
        assert_eq!(Option::<f64>::from_cell(cell("null")), Ok(None));
        assert_eq!(f64::from_cell(cell("null")), Err("null".into()));
        assert_eq!(Option::<f64>::absent(), Some(None));
        assert_eq!(f64::absent(), None);
    }

    #[test]
    fn times_from_nanos_and_rfc3339() {
        let t = DateTime::<Utc>::from_cell(cell("1500000000000000001")).unwrap();
        assert_eq!(t.timestamp_nanos_opt(), Some(1_500_000_000_000_000_001));
        let t = DateTime::<Utc>::from_cell(cell("\"2017-07-14T02:40:00.000000001Z\"")).unwrap();
        assert_eq!(t.timestamp_nanos_opt(), Some(1_500_000_000_000_000_001));
        let t = DateTime::<Utc>::from_cell(cell("\"2017-07-14T04:40:00+02:00\"")).unwrap();
        assert_eq!(t.timestamp(), 1_500_000_000);
    }

    #[test]
    fn escaped_strings_decode() {
        assert_eq!(
            String::from_cell(cell(r#""a\"b\\c\u003e""#)),
            Ok("a\"b\\c>".to_string())
        );
    }
}
