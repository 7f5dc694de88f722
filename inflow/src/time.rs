//! A point's time in any Rust type: `chrono::DateTime<Utc>`,
//! `std::time::SystemTime`, `time::OffsetDateTime` (feature `time`), and
//! integers in the unit the field names (`#[influx(time, unit = "s")]`).
//!
//! An integer time has no unit of its own, and the server's (the write's
//! `precision`) is a property of the request, not of the value: a count of
//! seconds read as nanoseconds lands in 1970. So an integer time field
//! names its unit, and the derive refuses one that does not.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{DecodeError, InvalidPoint};
use crate::measurement::TimeValue;
use crate::response::cell::{present, Cell, FromCell};

/// The unit of an integer time: `#[influx(time, unit = "s")]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeUnit {
    /// Seconds (`"s"`).
    Seconds,
    /// Milliseconds (`"ms"`).
    Milliseconds,
    /// Microseconds (`"us"`).
    Microseconds,
    /// Nanoseconds (`"ns"`).
    Nanoseconds,
}

impl TimeUnit {
    /// Nanoseconds in one unit.
    pub const fn nanos(self) -> i64 {
        match self {
            TimeUnit::Seconds => 1_000_000_000,
            TimeUnit::Milliseconds => 1_000_000,
            TimeUnit::Microseconds => 1_000,
            TimeUnit::Nanoseconds => 1,
        }
    }

    /// `count` of this unit in nanoseconds, if that fits an `i64`.
    pub const fn to_nanos(self, count: i64) -> Option<i64> {
        count.checked_mul(self.nanos())
    }

    /// Nanoseconds in this unit, rounded down (toward the past).
    pub const fn from_nanos(self, nanos: i64) -> i64 {
        nanos.div_euclid(self.nanos())
    }
}

/// An integer that is a point's time in a unit the field names.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an integer time",
    label = "not an integer time",
    note = "`unit` is for integer times (i64 or Option<i64>); DateTime<Utc> and SystemTime need none"
)]
pub trait IntegerTime: Sized {
    /// Nanoseconds since the epoch; `Ok(None)` for "now".
    fn to_nanos_in(&self, unit: TimeUnit) -> Result<Option<i64>, InvalidPoint>;
    /// The value for `nanos` since the epoch.
    fn from_nanos_in(nanos: i64, unit: TimeUnit) -> Self;
    /// The value when the row has no time; `None` means that is an error.
    #[doc(hidden)]
    fn absent() -> Option<Self> {
        None
    }
}

impl IntegerTime for i64 {
    #[inline]
    fn to_nanos_in(&self, unit: TimeUnit) -> Result<Option<i64>, InvalidPoint> {
        unit.to_nanos(*self)
            .map(Some)
            .ok_or(InvalidPoint::TimestampOutOfRange)
    }

    #[inline]
    fn from_nanos_in(nanos: i64, unit: TimeUnit) -> Self {
        unit.from_nanos(nanos)
    }
}

impl<T: IntegerTime> IntegerTime for Option<T> {
    #[inline]
    fn to_nanos_in(&self, unit: TimeUnit) -> Result<Option<i64>, InvalidPoint> {
        match self {
            Some(t) => t.to_nanos_in(unit),
            None => Ok(None),
        }
    }

    #[inline]
    fn from_nanos_in(nanos: i64, unit: TimeUnit) -> Self {
        Some(T::from_nanos_in(nanos, unit))
    }

    fn absent() -> Option<Self> {
        Some(None)
    }
}

impl TimeValue for SystemTime {
    #[inline]
    fn to_nanos(&self) -> Result<Option<i64>, InvalidPoint> {
        let nanos = match self.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_nanos()).ok(),
            Err(before) => i64::try_from(before.duration().as_nanos()).ok().map(|n| -n),
        };
        nanos.map(Some).ok_or(InvalidPoint::TimestampOutOfRange)
    }
}

/// Nanoseconds since the epoch from a time cell: integer nanoseconds
/// (`epoch=ns`) or RFC 3339.
fn cell_nanos(cell: Cell<'_>) -> Result<i64, String> {
    let described = cell.describe();
    chrono::DateTime::<chrono::Utc>::from_cell(cell)?
        .timestamp_nanos_opt()
        .ok_or(described)
}

impl FromCell for SystemTime {
    const EXPECTED: &'static str = "a time (integer nanoseconds or RFC 3339)";

    fn from_cell(cell: Cell<'_>) -> Result<Self, String> {
        let nanos = cell_nanos(cell)?;
        let magnitude = Duration::from_nanos(nanos.unsigned_abs());
        Ok(if nanos >= 0 {
            UNIX_EPOCH + magnitude
        } else {
            UNIX_EPOCH - magnitude
        })
    }
}

#[cfg(feature = "time")]
impl TimeValue for ::time::OffsetDateTime {
    #[inline]
    fn to_nanos(&self) -> Result<Option<i64>, InvalidPoint> {
        i64::try_from(self.unix_timestamp_nanos())
            .map(Some)
            .map_err(|_| InvalidPoint::TimestampOutOfRange)
    }
}

#[cfg(feature = "time")]
impl FromCell for ::time::OffsetDateTime {
    const EXPECTED: &'static str = "a time (integer nanoseconds or RFC 3339)";

    fn from_cell(cell: Cell<'_>) -> Result<Self, String> {
        let described = cell.describe();
        let nanos = cell_nanos(cell)?;
        ::time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos)).map_err(|_| described)
    }
}

// ---------------------------------------------------------------------------
// What the derive's row builders call for an integer time with a unit
// ---------------------------------------------------------------------------

/// Stores a time cell into an integer time slot, in the field's unit.
#[inline]
pub fn decode_time_in<T: IntegerTime>(
    cell: Cell<'_>,
    unit: TimeUnit,
    slot: &mut Option<T>,
    error: &mut Option<DecodeError>,
    measurement: &'static str,
    column: &'static str,
) {
    if cell == Cell::Null {
        if let Some(absent) = T::absent() {
            *slot = Some(absent);
            return;
        }
    }
    match cell_nanos(cell) {
        Ok(nanos) => *slot = Some(T::from_nanos_in(nanos, unit)),
        Err(found) => {
            error.get_or_insert(DecodeError::WrongType {
                measurement,
                column: column.to_string(),
                expected: "a time (integer nanoseconds or RFC 3339)",
                found,
            });
        }
    }
}

/// The value of an integer time slot, or the error for a missing time.
#[inline]
pub fn required_time<T: IntegerTime>(
    slot: Option<T>,
    measurement: &'static str,
    column: &'static str,
) -> Result<T, DecodeError> {
    present(slot.or_else(T::absent), measurement, column, "a time")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_convert_exactly_and_round_down() {
        assert_eq!(
            TimeUnit::Seconds.to_nanos(1_717_200_000),
            Some(1_717_200_000_000_000_000)
        );
        assert_eq!(TimeUnit::Seconds.to_nanos(i64::MAX / 10), None);
        assert_eq!(TimeUnit::Milliseconds.from_nanos(1_999_999), 1);
        assert_eq!(TimeUnit::Seconds.from_nanos(-1), -1);
        assert_eq!(TimeUnit::Microseconds.from_nanos(-1_000), -1);
        for unit in [
            TimeUnit::Seconds,
            TimeUnit::Milliseconds,
            TimeUnit::Microseconds,
            TimeUnit::Nanoseconds,
        ] {
            for count in [0, 1, -1, 1_717_200_000, -1_717_200_000] {
                let nanos = unit.to_nanos(count).unwrap();
                assert_eq!(unit.from_nanos(nanos), count, "{unit:?} {count}");
            }
        }
    }

    #[test]
    fn system_times_before_and_after_the_epoch() {
        let after = UNIX_EPOCH + Duration::from_nanos(1_500);
        let before = UNIX_EPOCH - Duration::from_nanos(1_500);
        assert_eq!(after.to_nanos(), Ok(Some(1_500)));
        assert_eq!(before.to_nanos(), Ok(Some(-1_500)));
        assert_eq!(SystemTime::from_cell(Cell::Int(-1_500)), Ok(before));
        assert_eq!(SystemTime::from_cell(Cell::Int(1_500)), Ok(after));
        let far = UNIX_EPOCH + Duration::from_secs(400 * 365 * 86_400);
        assert_eq!(far.to_nanos(), Err(InvalidPoint::TimestampOutOfRange));
    }
}
