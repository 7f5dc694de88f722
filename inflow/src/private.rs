//! What `#[derive(Measurement)]` expands to calls into this module, and
//! nothing else. Not part of the public API: it may change in any release,
//! together with `inflow-derive`, whose version is pinned to this crate's.

pub use crate::error::{DecodeError, InvalidPoint};
pub use crate::line_protocol::LineWriter;
pub use crate::measurement::{
    Column, ColumnKind, FieldType, FieldValue, FromTag, Measurement, TagValue, TimeValue,
};
pub use crate::query::{ColumnType, Field, Numeric, Tag, Time};
pub use crate::response::cell::{decode_field, decode_tag, required, required_tag, Cell, FromCell};
pub use crate::response::{FromRow, RowBuilder};
pub use crate::time::{decode_time_in, required_time, IntegerTime, TimeUnit};
pub use core::default::Default;
pub use core::option::Option::{self, None, Some};
pub use core::result::Result::{self, Err, Ok};

pub use crate::query::{assert_numeric, assert_ordered};
