//! The `Measurement` trait that `#[derive(Measurement)]` implements, the
//! traits that say which Rust types can be tags, fields and times, and the
//! dynamic [`Point`].

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use crate::error::InvalidPoint;
use crate::line_protocol::LineWriter;
pub use crate::line_protocol::{FieldRef, ToLine};

/// A struct that maps to an InfluxDB measurement: derive it with
/// `#[derive(Measurement)]`.
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
///     value: f64,
/// }
/// assert_eq!(Temperature::NAME, "temperature");
/// ```
pub trait Measurement {
    /// The measurement's name, unescaped.
    const NAME: &'static str;

    /// The columns a `SELECT` asks for, in the struct's order.
    const COLUMNS: &'static [Column];

    /// Each written field and the InfluxDB type its values have (`None`
    /// for a type that does not say), for
    /// [`Client::check_schema`](crate::Client::check_schema).
    const FIELD_TYPES: &'static [(&'static str, Option<FieldType>)] = &[];

    /// Writes `self` as one line: measurement, tags sorted by key, fields,
    /// time. Called by [`encode`](crate::line_protocol::encode), which
    /// restores the buffer when this fails.
    fn encode(&self, writer: &mut LineWriter<'_>) -> Result<(), InvalidPoint>;
}

/// The type InfluxDB stores a field's values as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldType {
    /// `float`.
    Float,
    /// `integer` (unsigned Rust integers too, written with `i` unless
    /// unsigned output is on).
    Integer,
    /// `string`.
    Text,
    /// `boolean`.
    Boolean,
}

impl FieldType {
    /// The name `SHOW FIELD KEYS` gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Float => "float",
            FieldType::Integer => "integer",
            FieldType::Text => "string",
            FieldType::Boolean => "boolean",
        }
    }
}

/// What a column of a derived struct is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// The `time` column.
    Time,
    /// A tag.
    Tag,
    /// A field.
    Field,
    /// An aggregate over a field of the source measurement, such as
    /// `mean("value")`. A function or argument that `#[derive(Measurement)]`
    /// refuses is refused by [`Select`](crate::query::Select) too.
    Aggregate {
        /// The InfluxQL function, such as `mean`.
        function: &'static str,
        /// The column it applies to.
        of: &'static str,
        /// Extra argument, such as the `95` of `percentile("value", 95)`.
        arg: Option<&'static str>,
    },
}

/// One column of a derived struct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The column's name in InfluxDB (after `rename`).
    pub name: &'static str,
    /// What it is.
    pub kind: ColumnKind,
}

impl<T: Measurement + ?Sized> ToLine for T {
    fn measurement_name(&self) -> &str {
        T::NAME
    }

    #[inline]
    fn encode(&self, writer: &mut LineWriter<'_>) -> Result<(), InvalidPoint> {
        Measurement::encode(self, writer)
    }
}

/// A Rust type that can be an InfluxDB field. `None` leaves the field out.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an InfluxDB field",
    label = "not a field type",
    note = "fields are floats, integers, bool, String, &str, Cow<str>, or an Option of one of these; mark tags with #[influx(tag)]"
)]
pub trait FieldValue {
    /// The type the server stores its values as, when it always is one.
    const FIELD_TYPE: Option<FieldType> = None;

    /// The value to write, or `None` to leave the field out.
    fn to_field(&self) -> Option<FieldRef<'_>>;
}

macro_rules! field_value {
    ($variant:ident => $field_type:ident: $($ty:ty),*) => {$(
        impl FieldValue for $ty {
            const FIELD_TYPE: Option<FieldType> = Some(FieldType::$field_type);

            #[inline]
            fn to_field(&self) -> Option<FieldRef<'_>> {
                Some(FieldRef::$variant((*self).into()))
            }
        }
    )*};
}
field_value!(Float => Float: f64, f32);
field_value!(Int => Integer: i64, i32, i16, i8);
field_value!(UInt => Integer: u64, u32, u16, u8);
field_value!(Bool => Boolean: bool);

impl FieldValue for isize {
    const FIELD_TYPE: Option<FieldType> = Some(FieldType::Integer);

    #[inline]
    fn to_field(&self) -> Option<FieldRef<'_>> {
        Some(FieldRef::Int(*self as i64))
    }
}

impl FieldValue for usize {
    const FIELD_TYPE: Option<FieldType> = Some(FieldType::Integer);

    #[inline]
    fn to_field(&self) -> Option<FieldRef<'_>> {
        Some(FieldRef::UInt(*self as u64))
    }
}

impl FieldValue for str {
    const FIELD_TYPE: Option<FieldType> = Some(FieldType::Text);

    #[inline]
    fn to_field(&self) -> Option<FieldRef<'_>> {
        Some(FieldRef::Str(self))
    }
}

impl FieldValue for String {
    const FIELD_TYPE: Option<FieldType> = Some(FieldType::Text);

    #[inline]
    fn to_field(&self) -> Option<FieldRef<'_>> {
        Some(FieldRef::Str(self))
    }
}

impl FieldValue for Cow<'_, str> {
    const FIELD_TYPE: Option<FieldType> = Some(FieldType::Text);

    #[inline]
    fn to_field(&self) -> Option<FieldRef<'_>> {
        Some(FieldRef::Str(self))
    }
}

impl<T: FieldValue + ?Sized> FieldValue for &T {
    const FIELD_TYPE: Option<FieldType> = T::FIELD_TYPE;

    #[inline]
    fn to_field(&self) -> Option<FieldRef<'_>> {
        (**self).to_field()
    }
}

impl<T: FieldValue> FieldValue for Option<T> {
    const FIELD_TYPE: Option<FieldType> = T::FIELD_TYPE;

    #[inline]
    fn to_field(&self) -> Option<FieldRef<'_>> {
        self.as_ref()?.to_field()
    }
}

/// A Rust type that can be an InfluxDB tag value. `None` (and an empty
/// string) leaves the tag out.
///
/// Implement it for an enum to use the enum as a tag:
///
/// ```
/// use inflow::{FromTag, TagValue};
///
/// #[derive(Debug, PartialEq)]
/// enum Room { Kitchen, Attic }
///
/// impl TagValue for Room {
///     fn as_tag(&self) -> Option<&str> {
///         Some(match self { Room::Kitchen => "kitchen", Room::Attic => "attic" })
///     }
/// }
///
/// impl FromTag for Room {
///     fn from_tag(s: &str) -> Result<Self, String> {
///         match s {
///             "kitchen" => Ok(Room::Kitchen),
///             "attic" => Ok(Room::Attic),
///             other => Err(format!("unknown room {other:?}")),
///         }
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an InfluxDB tag",
    label = "not a tag type",
    note = "tags are String, &str, Cow<str>, an Option of one of these, or a type that implements inflow::TagValue"
)]
pub trait TagValue {
    /// The tag's value, or `None` to leave the tag out.
    fn as_tag(&self) -> Option<&str>;
}

impl TagValue for str {
    #[inline]
    fn as_tag(&self) -> Option<&str> {
        Some(self)
    }
}

impl TagValue for String {
    #[inline]
    fn as_tag(&self) -> Option<&str> {
        Some(self)
    }
}

impl TagValue for Cow<'_, str> {
    #[inline]
    fn as_tag(&self) -> Option<&str> {
        Some(self)
    }
}

impl<T: TagValue + ?Sized> TagValue for &T {
    #[inline]
    fn as_tag(&self) -> Option<&str> {
        (**self).as_tag()
    }
}

impl<T: TagValue> TagValue for Option<T> {
    #[inline]
    fn as_tag(&self) -> Option<&str> {
        self.as_ref()?.as_tag()
    }
}

/// A Rust type that can be read back from a tag value (the other half of
/// [`TagValue`]).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read back from a tag",
    label = "no FromTag for this type",
    note = "implement inflow::FromTag for it, or mark the struct #[influx(write_only)] if it is only written"
)]
pub trait FromTag: Sized {
    /// Parses the tag's value; the error says why it is not valid.
    fn from_tag(value: &str) -> Result<Self, String>;

    /// The value when the tag is absent from a row; `None` means absence is
    /// an error.
    #[doc(hidden)]
    fn absent() -> Option<Self> {
        None
    }
}

/// An absent tag reads back as `""`: the writer leaves a tag with an
/// empty value out, so `""` written is no tag stored.
impl FromTag for String {
    fn from_tag(value: &str) -> Result<Self, String> {
        Ok(value.to_string())
    }

    fn absent() -> Option<Self> {
        Some(String::new())
    }
}

/// An absent tag reads back as `""`, as for `String`.
impl FromTag for Cow<'static, str> {
    fn from_tag(value: &str) -> Result<Self, String> {
        Ok(Cow::Owned(value.to_string()))
    }

    fn absent() -> Option<Self> {
        Some(Cow::Borrowed(""))
    }
}

impl<T: FromTag> FromTag for Option<T> {
    fn from_tag(value: &str) -> Result<Self, String> {
        T::from_tag(value).map(Some)
    }

    fn absent() -> Option<Self> {
        Some(None)
    }
}

/// A Rust type that can be a point's time: `DateTime<Utc>`, `SystemTime`,
/// `time::OffsetDateTime` (feature `time`), or an `Option` of those
/// (`None`: the current time when the point is encoded). An integer is a
/// time in the unit its field names: see [`IntegerTime`](crate::IntegerTime).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a point's time as it is",
    label = "not a time type (an integer time needs a `unit`)",
    note = "an integer time needs its unit: #[influx(time, unit = \"s\")] (or \"ms\", \"us\", \"ns\"); other times are chrono::DateTime<Utc>, std::time::SystemTime, or an Option of one"
)]
pub trait TimeValue {
    /// Nanoseconds since the epoch; `Ok(None)` for "now".
    fn to_nanos(&self) -> Result<Option<i64>, InvalidPoint>;
}

impl TimeValue for DateTime<Utc> {
    #[inline]
    fn to_nanos(&self) -> Result<Option<i64>, InvalidPoint> {
        self.timestamp_nanos_opt()
            .map(Some)
            .ok_or(InvalidPoint::TimestampOutOfRange)
    }
}

impl<T: TimeValue> TimeValue for Option<T> {
    #[inline]
    fn to_nanos(&self) -> Result<Option<i64>, InvalidPoint> {
        match self {
            Some(t) => t.to_nanos(),
            None => Ok(None),
        }
    }
}

impl<T: TimeValue + ?Sized> TimeValue for &T {
    #[inline]
    fn to_nanos(&self) -> Result<Option<i64>, InvalidPoint> {
        (**self).to_nanos()
    }
}

/// An owned field value of a [`Point`].
#[derive(Debug, Clone, PartialEq)]
pub enum FieldData {
    /// A float.
    Float(f64),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A boolean.
    Bool(bool),
    /// A string.
    Str(String),
}

impl FieldData {
    fn as_ref(&self) -> FieldRef<'_> {
        match self {
            FieldData::Float(f) => FieldRef::Float(*f),
            FieldData::Int(i) => FieldRef::Int(*i),
            FieldData::UInt(u) => FieldRef::UInt(*u),
            FieldData::Bool(b) => FieldRef::Bool(*b),
            FieldData::Str(s) => FieldRef::Str(s),
        }
    }
}

macro_rules! field_data_from {
    ($variant:ident: $($ty:ty),*) => {$(
        impl From<$ty> for FieldData {
            fn from(v: $ty) -> Self {
                FieldData::$variant(v.into())
            }
        }
    )*};
}
field_data_from!(Float: f64, f32);
field_data_from!(Int: i64, i32, i16, i8);
field_data_from!(UInt: u64, u32, u16, u8);
field_data_from!(Bool: bool);
field_data_from!(Str: String, &str);

/// A point built at run time, for writes that have no struct.
///
/// ```
/// use inflow::Point;
///
/// let point = Point::new("temperature")
///     .tag("location", "groningen")
///     .field("value", 21.3)
///     .timestamp(chrono::Utc::now());
/// # let _ = point;
/// ```
///
/// It is validated and encoded exactly as a derived struct is, when it is
/// written or added to a session.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct Point {
    measurement: String,
    tags: Vec<(String, String)>,
    fields: Vec<(String, FieldData)>,
    time: Option<i64>,
    time_invalid: bool,
}

impl Point {
    /// A point of this measurement, without tags, fields or time yet.
    pub fn new(measurement: impl Into<String>) -> Self {
        Point {
            measurement: measurement.into(),
            tags: Vec::new(),
            fields: Vec::new(),
            time: None,
            time_invalid: false,
        }
    }

    /// Adds a tag. An empty value leaves the tag out.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }

    /// Adds a field.
    pub fn field(mut self, key: impl Into<String>, value: impl Into<FieldData>) -> Self {
        self.fields.push((key.into(), value.into()));
        self
    }

    /// Sets the time: a `DateTime<Utc>`, a `SystemTime`, or a
    /// `time::OffsetDateTime` (feature `time`). Without one, the point gets
    /// the current time when it is encoded. A time InfluxDB cannot store
    /// makes the point invalid.
    pub fn timestamp(mut self, time: impl TimeValue) -> Self {
        match time.to_nanos() {
            Ok(ns) => {
                self.time = ns;
                self.time_invalid = false;
            }
            Err(_) => self.time_invalid = true,
        }
        self
    }

    /// Sets the time in seconds since the epoch.
    pub fn timestamp_secs(self, secs: i64) -> Self {
        self.timestamp_in(secs, crate::TimeUnit::Seconds)
    }

    /// Sets the time in milliseconds since the epoch.
    pub fn timestamp_millis(self, millis: i64) -> Self {
        self.timestamp_in(millis, crate::TimeUnit::Milliseconds)
    }

    /// Sets the time in microseconds since the epoch.
    pub fn timestamp_micros(self, micros: i64) -> Self {
        self.timestamp_in(micros, crate::TimeUnit::Microseconds)
    }

    fn timestamp_in(mut self, count: i64, unit: crate::TimeUnit) -> Self {
        match unit.to_nanos(count) {
            Some(ns) => {
                self.time = Some(ns);
                self.time_invalid = false;
            }
            None => self.time_invalid = true,
        }
        self
    }

    /// Sets the time in nanoseconds since the epoch.
    pub fn timestamp_nanos(mut self, nanos: i64) -> Self {
        self.time = Some(nanos);
        self.time_invalid = false;
        self
    }

    /// The measurement name.
    pub fn measurement(&self) -> &str {
        &self.measurement
    }

    /// The tags, in the order they were added.
    pub fn tags(&self) -> &[(String, String)] {
        &self.tags
    }

    /// The fields, in the order they were added.
    pub fn fields(&self) -> &[(String, FieldData)] {
        &self.fields
    }
}

/// A field key given twice, if any: each pair compared for the few fields
/// points have, sorted beyond that.
fn duplicate_field(fields: &[(String, FieldData)]) -> Option<&str> {
    if fields.len() <= 16 {
        return fields
            .iter()
            .enumerate()
            .find(|(i, (key, _))| fields[..*i].iter().any(|(k, _)| k == key))
            .map(|(_, (key, _))| key.as_str());
    }
    let mut keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    keys.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
}

impl ToLine for Point {
    fn measurement_name(&self) -> &str {
        &self.measurement
    }

    fn encode(&self, writer: &mut LineWriter<'_>) -> Result<(), InvalidPoint> {
        writer.measurement(&self.measurement)?;
        // A tag with an empty value is not written, so it cannot clash.
        let mut tags: Vec<&(String, String)> =
            self.tags.iter().filter(|(_, v)| !v.is_empty()).collect();
        tags.sort_by(|a, b| a.0.cmp(&b.0));
        for pair in tags.windows(2) {
            if pair[0].0 == pair[1].0 {
                return Err(InvalidPoint::DuplicateTag(pair[0].0.clone()));
            }
        }
        for (key, value) in tags {
            writer.tag(key, value)?;
        }
        if let Some(key) = duplicate_field(&self.fields) {
            return Err(InvalidPoint::DuplicateField(key.to_string()));
        }
        for (key, value) in &self.fields {
            writer.field(key, value.as_ref())?;
        }
        if self.time_invalid {
            return Err(InvalidPoint::TimestampOutOfRange);
        }
        writer.finish(self.time)
    }
}
