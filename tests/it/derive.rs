//! `#[derive(Measurement)]` without a server: the lines derived structs
//! encode to, the rows they decode from, their columns and column handles.

use std::borrow::Cow;

use chrono::{DateTime, TimeZone, Utc};
use inflow::__private::{Cell, RowBuilder};
use inflow::query::{Field, Tag, Time};
use inflow::{
    Column, ColumnKind, DecodeError, EncodeOptions, Error, FromRow, InvalidPoint, Measurement,
};
use inflow_tests::Room;

fn line<T: Measurement>(value: &T) -> String {
    let mut buf = Vec::new();
    inflow::line_protocol::encode(value, &mut buf, &EncodeOptions::default()).unwrap();
    String::from_utf8(buf).unwrap()
}

fn encode_error<T: Measurement>(value: &T) -> (String, InvalidPoint) {
    let mut buf = b"before\n".to_vec();
    let err = inflow::line_protocol::encode(value, &mut buf, &EncodeOptions::default())
        .expect_err("the point is invalid");
    assert_eq!(
        buf, b"before\n",
        "a failed encode leaves the buffer as it was"
    );
    match err {
        Error::InvalidPoint {
            measurement,
            reason,
        } => (measurement, reason),
        other => panic!("expected InvalidPoint, got {other:?}"),
    }
}

/// Decodes one row through the generated builder, as the response decoder
/// does: unknown columns are ignored.
fn decode<T: FromRow>(row: &[(&str, Cell<'_>)]) -> Result<T, DecodeError> {
    let mut builder = <T::Builder as RowBuilder<T>>::new();
    for (column, cell) in row {
        if let Some(slot) = <T::Builder as RowBuilder<T>>::slot(column) {
            builder.set(slot, cell.clone());
        }
    }
    builder.finish()
}

fn s(text: &str) -> Cell<'_> {
    Cell::Str(Cow::Borrowed(text))
}

fn at(nanos: i64) -> DateTime<Utc> {
    Utc.timestamp_nanos(nanos)
}

/// Nanoseconds since the epoch, now.
fn now() -> i64 {
    Utc::now().timestamp_nanos_opt().unwrap()
}

fn timestamp_of(line: &str) -> i64 {
    line.trim_end().rsplit(' ').next().unwrap().parse().unwrap()
}

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "temperature")]
struct Temperature {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(tag)]
    location: String,
    #[influx(tag, rename = "sensor_type")]
    sensor: Option<String>,
    /// Degrees Celsius.
    value: f64,
    #[influx(skip)]
    cached: bool,
}

fn temperature() -> Temperature {
    Temperature {
        time: at(1_500_000_000_000_000_001),
        location: "groningen".into(),
        sensor: Some("pt100".into()),
        value: 21.5,
        cached: true,
    }
}

#[test]
fn encodes_the_design_example() {
    assert_eq!(
        line(&temperature()),
        "temperature,location=groningen,sensor_type=pt100 value=21.5 1500000000000000001\n"
    );
    let without_sensor = Temperature {
        sensor: None,
        ..temperature()
    };
    assert_eq!(
        line(&without_sensor),
        "temperature,location=groningen value=21.5 1500000000000000001\n"
    );
}

#[test]
fn tag_values_are_escaped_at_run_time() {
    let t = Temperature {
        location: "new york, ny=1".into(),
        ..temperature()
    };
    assert_eq!(
        line(&t),
        "temperature,location=new\\ york\\,\\ ny\\=1,sensor_type=pt100 value=21.5 1500000000000000001\n"
    );
}

#[derive(Measurement, Debug, PartialEq)]
#[influx(measurement = "numbers")]
struct Numbers {
    #[influx(time, unit = "ns")]
    time: i64,
    float64: f64,
    float32: f32,
    int64: i64,
    int32: i32,
    int16: i16,
    int8: i8,
    int: isize,
    uint64: u64,
    uint32: u32,
    uint16: u16,
    uint8: u8,
    uint: usize,
    flag: bool,
    text: String,
}

fn numbers() -> Numbers {
    Numbers {
        time: 7,
        float64: -1.25,
        float32: 0.5,
        int64: i64::MIN,
        int32: -32,
        int16: -16,
        int8: -8,
        int: -1,
        uint64: 64,
        uint32: 32,
        uint16: 16,
        uint8: 8,
        uint: 1,
        flag: true,
        text: "say \"hi\"\\".into(),
    }
}

#[test]
fn encodes_every_owned_field_type() {
    assert_eq!(
        line(&numbers()),
        "numbers float64=-1.25,float32=0.5,int64=-9223372036854775808i,int32=-32i,int16=-16i,\
         int8=-8i,int=-1i,uint64=64i,uint32=32i,uint16=16i,uint8=8i,uint=1i,flag=true,\
         text=\"say \\\"hi\\\"\\\\\" 7\n"
    );
    let mut buf = Vec::new();
    let unsigned = EncodeOptions {
        unsigned: true,
        ..EncodeOptions::default()
    };
    inflow::line_protocol::encode(&numbers(), &mut buf, &unsigned).unwrap();
    let text = String::from_utf8(buf).unwrap();
    assert!(
        text.contains(",uint64=64u,uint32=32u,uint16=16u,uint8=8u,uint=1u,"),
        "{text}"
    );
}

#[derive(Measurement)]
#[influx(measurement = "borrowed")]
struct Borrowed<'a> {
    #[influx(tag)]
    host: &'a str,
    #[influx(tag)]
    region: Cow<'a, str>,
    #[influx(tag)]
    zone: Option<&'a str>,
    text: &'a str,
    cow: Cow<'a, str>,
    maybe: Option<&'a str>,
    #[influx(time, unit = "ns")]
    time: i64,
}

#[test]
fn encodes_borrowed_tags_and_fields() {
    let owned = String::from("owned");
    let b = Borrowed {
        host: "a",
        region: Cow::Owned(owned),
        zone: Some("z1"),
        text: "t",
        cow: Cow::Borrowed("c"),
        maybe: None,
        time: 0,
    };
    assert_eq!(
        line(&b),
        "borrowed,host=a,region=owned,zone=z1 text=\"t\",cow=\"c\" 0\n"
    );
}

#[derive(Measurement, Debug, PartialEq, Default)]
#[influx(measurement = "optional")]
struct Optional {
    #[influx(time, unit = "ns")]
    time: Option<i64>,
    #[influx(tag)]
    host: Option<String>,
    #[influx(tag)]
    region: Option<Cow<'static, str>>,
    float64: Option<f64>,
    float32: Option<f32>,
    int64: Option<i64>,
    int32: Option<i32>,
    int16: Option<i16>,
    int8: Option<i8>,
    uint64: Option<u64>,
    uint32: Option<u32>,
    uint16: Option<u16>,
    uint8: Option<u8>,
    flag: Option<bool>,
    text: Option<String>,
    cow: Option<Cow<'static, str>>,
}

#[test]
fn options_leave_fields_and_tags_out() {
    let some = Optional {
        time: Some(3),
        host: Some("h".into()),
        region: Some(Cow::Borrowed("r")),
        float64: Some(1.5),
        float32: Some(2.5),
        int64: Some(-64),
        int32: Some(-32),
        int16: Some(-16),
        int8: Some(-8),
        uint64: Some(64),
        uint32: Some(32),
        uint16: Some(16),
        uint8: Some(8),
        flag: Some(false),
        text: Some("x".into()),
        cow: Some(Cow::Borrowed("y")),
    };
    assert_eq!(
        line(&some),
        "optional,host=h,region=r float64=1.5,float32=2.5,int64=-64i,int32=-32i,int16=-16i,\
         int8=-8i,uint64=64i,uint32=32i,uint16=16i,uint8=8i,flag=false,text=\"x\",cow=\"y\" 3\n"
    );
    let one = Optional {
        time: Some(3),
        uint8: Some(1),
        ..Optional::default()
    };
    assert_eq!(line(&one), "optional uint8=1i 3\n");
    let one_tag = Optional {
        time: Some(3),
        region: Some(Cow::Borrowed("r")),
        flag: Some(true),
        ..Optional::default()
    };
    assert_eq!(line(&one_tag), "optional,region=r flag=true 3\n");
}

#[test]
fn all_fields_none_is_no_fields() {
    let none = Optional {
        host: Some("h".into()),
        ..Optional::default()
    };
    assert_eq!(
        encode_error(&none),
        ("optional".to_string(), InvalidPoint::NoFields)
    );
}

#[test]
fn missing_time_is_the_time_of_encoding() {
    let before = now();
    let text = line(&Optional {
        flag: Some(true),
        ..Optional::default()
    });
    let after = now();
    assert!((before..=after).contains(&timestamp_of(&text)), "{text}");

    #[derive(Measurement)]
    struct NoTime {
        value: i64,
    }
    let before = now();
    let text = line(&NoTime { value: 1 });
    let after = now();
    assert!(text.starts_with("no_time value=1i "), "{text}");
    assert!((before..=after).contains(&timestamp_of(&text)), "{text}");

    #[derive(Measurement)]
    #[influx(measurement = "m")]
    struct MaybeDateTime {
        #[influx(time)]
        at: Option<DateTime<Utc>>,
        value: i64,
    }
    let text = line(&MaybeDateTime {
        at: Some(at(42)),
        value: 1,
    });
    assert_eq!(text, "m value=1i 42\n");
    let before = now();
    let text = line(&MaybeDateTime { at: None, value: 1 });
    let after = now();
    assert!((before..=after).contains(&timestamp_of(&text)), "{text}");
}

#[test]
fn time_out_of_range_is_refused() {
    let t = Numbers {
        time: i64::MAX,
        ..numbers()
    };
    assert_eq!(
        encode_error(&t),
        ("numbers".to_string(), InvalidPoint::TimestampOutOfRange)
    );
}

#[test]
fn non_finite_floats_are_refused_and_the_buffer_is_kept() {
    let nan = Temperature {
        value: f64::NAN,
        ..temperature()
    };
    assert_eq!(
        encode_error(&nan),
        (
            "temperature".to_string(),
            InvalidPoint::NonFiniteFloat {
                field: "value".into(),
                value: "NaN".into()
            }
        )
    );
    let inf = Numbers {
        float32: f32::NEG_INFINITY,
        ..numbers()
    };
    assert!(matches!(
        encode_error(&inf).1,
        InvalidPoint::NonFiniteFloat { field, .. } if field == "float32"
    ));
}

#[test]
fn invalid_tag_values_are_refused() {
    let t = Temperature {
        location: "two\nlines".into(),
        ..temperature()
    };
    assert!(matches!(
        encode_error(&t).1,
        InvalidPoint::Newline {
            what: "tag value",
            ..
        }
    ));
}

/// Tags declared out of order, renamed across the order, and an enum tag.
#[derive(Measurement, Debug, PartialEq)]
#[influx(measurement = "sorted")]
struct Sorted {
    #[influx(tag)]
    zone: String,
    value: i64,
    #[influx(tag, rename = "a_first")]
    last_in_rust: String,
    #[influx(tag)]
    #[influx(rename = "Upper")]
    upper: String,
    #[influx(tag)]
    room: Room,
    #[influx(tag)]
    maybe_room: Option<Room>,
    #[influx(time, unit = "ns")]
    time: i64,
}

fn sorted() -> Sorted {
    Sorted {
        zone: "z".into(),
        value: 1,
        last_in_rust: "l".into(),
        upper: "U".into(),
        room: Room::Kitchen,
        maybe_room: Some(Room::Attic),
        time: 5,
    }
}

#[test]
fn tags_are_sorted_by_key_whatever_the_declaration_order() {
    assert_eq!(
        line(&sorted()),
        "sorted,Upper=U,a_first=l,maybe_room=attic,room=kitchen,zone=z value=1i 5\n"
    );
    let no_room = Sorted {
        maybe_room: None,
        ..sorted()
    };
    assert_eq!(
        line(&no_room),
        "sorted,Upper=U,a_first=l,room=kitchen,zone=z value=1i 5\n"
    );
}

#[derive(Measurement)]
#[influx(measurement = "my meas,x=y\\z")]
struct Escaped {
    #[influx(tag, rename = "tag key, =")]
    tag: String,
    #[influx(rename = "a b,c=d")]
    field: f64,
    #[influx(rename = "back\\slash")]
    other: bool,
    #[influx(time, unit = "ns")]
    time: i64,
}

#[test]
fn names_known_at_compile_time_are_escaped_at_compile_time() {
    let e = Escaped {
        tag: "v".into(),
        field: 1.0,
        other: false,
        time: 0,
    };
    assert_eq!(
        line(&e),
        "my\\ meas\\,x=y\\z,tag\\ key\\,\\ \\==v a\\ b\\,c\\=d=1.0,back\\slash=false 0\n"
    );
    assert_eq!(Escaped::NAME, "my meas,x=y\\z");
    assert_eq!(Escaped::field().name(), "a b,c=d");
    assert_eq!(Escaped::tag().name(), "tag key, =");
}

#[derive(Measurement)]
struct HourlyTemperature {
    value: f64,
}

#[derive(Measurement)]
struct HTTPRequest {
    value: f64,
}

#[test]
fn default_measurement_name_is_snake_case() {
    assert_eq!(HourlyTemperature::NAME, "hourly_temperature");
    assert_eq!(HTTPRequest::NAME, "http_request");
    let text = line(&HourlyTemperature { value: 1.0 });
    assert!(text.starts_with("hourly_temperature value=1.0 "), "{text}");
}

#[derive(Measurement)]
#[influx(measurement = "reading")]
struct Reading<'a, V>
where
    V: Copy,
{
    #[influx(tag)]
    host: &'a str,
    value: V,
    #[influx(time, unit = "ns")]
    time: i64,
}

#[test]
fn lifetimes_and_generics() {
    let float = Reading {
        host: "h",
        value: 1.5,
        time: 1,
    };
    let int = Reading {
        host: "h",
        value: 2u8,
        time: 1,
    };
    assert_eq!(line(&float), "reading,host=h value=1.5 1\n");
    assert_eq!(line(&int), "reading,host=h value=2i 1\n");
    let handle: Field<Reading<'_, u8>, u8> = Reading::<u8>::value();
    assert_eq!(handle.name(), "value");
    let handle: Tag<Reading<'_, f64>> = Reading::<f64>::host();
    assert_eq!(handle.name(), "host");
}

#[derive(Measurement, Debug, PartialEq)]
#[influx(measurement = "generic")]
struct Generic<T, S> {
    #[influx(tag)]
    host: S,
    value: T,
    #[influx(skip)]
    note: Vec<T>,
}

#[test]
fn generic_structs_read_and_write() {
    let g = Generic {
        host: "h".to_string(),
        value: 3i32,
        note: vec![1],
    };
    assert!(line(&g).starts_with("generic,host=h value=3i "));
    let decoded: Generic<f32, Option<String>> = decode(&[("value", Cell::Int(2))]).unwrap();
    assert_eq!(
        decoded,
        Generic {
            host: None,
            value: 2.0,
            note: vec![]
        }
    );
}

/// Const parameters, defaults and bounds are carried over.
#[derive(Measurement, Debug, PartialEq)]
#[influx(measurement = "windowed")]
struct Windowed<const N: usize, T: Copy + Default = f64> {
    value: T,
    #[influx(skip)]
    window: [u8; N],
}

#[test]
fn const_generics_and_defaults() {
    let w: Windowed<2> = Windowed {
        value: 0.5,
        window: [1, 2],
    };
    assert!(line(&w).starts_with("windowed value=0.5 "));
    let decoded = decode::<Windowed<3, i16>>(&[("value", Cell::Int(-4))]);
    assert_eq!(
        decoded,
        Ok(Windowed {
            value: -4,
            window: [0; 3]
        })
    );
    assert_eq!(Windowed::<1>::value().name(), "value");
}

#[derive(Measurement)]
#[influx(measurement = "write_only", write_only)]
struct WriteOnly {
    value: f64,
}

/// `Probe::<T>::READS`: whether `T` implements `FromRow` (the inherent
/// constant is chosen when its bound holds, the trait's otherwise).
trait MaybeFromRow {
    const READS: bool;
}
impl<T> MaybeFromRow for T {
    const READS: bool = false;
}
struct Probe<T>(T);
impl<T: FromRow> Probe<T> {
    const READS: bool = true;
}

#[test]
fn write_only_and_borrowing_structs_are_not_read() {
    const {
        assert!(Probe::<Temperature>::READS);
        assert!(!Probe::<WriteOnly>::READS);
        assert!(!Probe::<Borrowed<'static>>::READS);
    }
    assert_eq!(line(&WriteOnly { value: 1.0 })[..18], *"write_only value=1");
}

#[test]
fn columns_in_declaration_order_without_skipped_fields() {
    assert_eq!(Temperature::NAME, "temperature");
    assert_eq!(
        Temperature::COLUMNS,
        &[
            Column {
                name: "time",
                kind: ColumnKind::Time
            },
            Column {
                name: "location",
                kind: ColumnKind::Tag
            },
            Column {
                name: "sensor_type",
                kind: ColumnKind::Tag
            },
            Column {
                name: "value",
                kind: ColumnKind::Field
            },
        ]
    );
    let names: Vec<&str> = Sorted::COLUMNS.iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "zone",
            "value",
            "a_first",
            "Upper",
            "room",
            "maybe_room",
            "time"
        ]
    );
}

#[test]
fn time_column_is_named_time_whatever_the_rust_name() {
    #[derive(Measurement)]
    #[influx(measurement = "m")]
    struct Stamped {
        #[influx(time, unit = "ns")]
        stamp: i64,
        value: bool,
    }
    assert_eq!(Stamped::COLUMNS[0].name, "time");
    assert_eq!(Stamped::stamp().name(), "time");
    let decoded = decode::<Stamped>(&[("time", Cell::Int(9)), ("value", Cell::Bool(true))]);
    assert_eq!(decoded.map(|s| (s.stamp, s.value)), Ok((9, true)));
}

#[test]
fn column_handles() {
    const LOCATION: Tag<Temperature> = Temperature::location();
    let sensor: Tag<Temperature> = Temperature::sensor();
    let value: Field<Temperature, f64> = Temperature::value();
    let time: Time<Temperature> = Temperature::time();
    assert_eq!(LOCATION.name(), "location");
    assert_eq!(sensor.name(), "sensor_type");
    assert_eq!(value.name(), "value");
    assert_eq!(time.name(), "time");

    let text: Field<Optional, String> = Optional::text();
    let cow: Field<Optional, String> = Optional::cow();
    let small: Field<Optional, u8> = Optional::uint8();
    assert_eq!(
        (text.name(), cow.name(), small.name()),
        ("text", "cow", "uint8")
    );
    let borrowed: Field<Borrowed<'_>, String> = Borrowed::text();
    assert_eq!(borrowed.name(), "text");
    let room: Tag<Sorted> = Sorted::room();
    assert_eq!(room.name(), "room");
}

#[test]
fn decodes_a_full_row() {
    let row = [
        ("time", Cell::Int(1_500_000_000_000_000_001)),
        ("location", s("groningen")),
        ("sensor_type", s("pt100")),
        ("value", Cell::Float(21.5)),
        ("unknown", s("ignored")),
    ];
    assert_eq!(
        decode::<Temperature>(&row),
        Ok(Temperature {
            cached: false,
            ..temperature()
        })
    );
}

#[test]
fn decodes_rfc3339_times_and_integers_into_floats() {
    let row = [
        ("time", s("2017-07-14T02:40:00.000000001Z")),
        ("location", s("groningen")),
        ("value", Cell::Int(21)),
    ];
    let t = decode::<Temperature>(&row).unwrap();
    assert_eq!(t.time, at(1_500_000_000_000_000_001));
    assert_eq!(t.value, 21.0);
    assert_eq!(t.sensor, None, "an absent optional tag is None");
}

#[test]
fn decodes_every_field_type() {
    let row = [
        ("time", Cell::Int(7)),
        ("float64", Cell::Float(-1.25)),
        ("float32", Cell::Float(0.5)),
        ("int64", Cell::Int(i64::MIN)),
        ("int32", Cell::Int(-32)),
        ("int16", Cell::Int(-16)),
        ("int8", Cell::Float(-8.0)),
        ("int", Cell::Int(-1)),
        ("uint64", Cell::Int(64)),
        ("uint32", Cell::Int(32)),
        ("uint16", Cell::Int(16)),
        ("uint8", Cell::Int(8)),
        ("uint", Cell::Int(1)),
        ("flag", Cell::Bool(true)),
        ("text", s("say \"hi\"\\")),
    ];
    assert_eq!(decode::<Numbers>(&row), Ok(numbers()));

    let big = [("time", Cell::Int(0)), ("uint64", Cell::UInt(u64::MAX))];
    let err = decode::<Numbers>(&big).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::MissingColumn {
                column: "float64",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn options_are_none_on_null_or_absent() {
    let nulls = [
        ("time", Cell::Null),
        ("host", Cell::Null),
        ("float64", Cell::Null),
        ("text", Cell::Null),
        ("cow", Cell::Null),
    ];
    assert_eq!(decode::<Optional>(&nulls), Ok(Optional::default()));
    assert_eq!(decode::<Optional>(&[]), Ok(Optional::default()));
    let values = [
        ("time", Cell::Int(3)),
        ("host", s("h")),
        ("region", s("r")),
        ("float64", Cell::Int(1)),
        ("uint16", Cell::Int(16)),
        ("flag", Cell::Bool(false)),
        ("cow", s("y")),
    ];
    assert_eq!(
        decode::<Optional>(&values),
        Ok(Optional {
            time: Some(3),
            host: Some("h".into()),
            region: Some(Cow::Borrowed("r")),
            float64: Some(1.0),
            uint16: Some(16),
            flag: Some(false),
            cow: Some(Cow::Borrowed("y")),
            ..Optional::default()
        })
    );
}

#[test]
fn missing_required_columns() {
    let no_value = [("time", Cell::Int(0)), ("location", s("groningen"))];
    assert_eq!(
        decode::<Temperature>(&no_value),
        Err(DecodeError::MissingColumn {
            measurement: "temperature",
            column: "value",
            expected: "a float"
        })
    );
    // A `String` tag a row lacks (absent, null or empty) reads as `""`:
    // writing `""` leaves the tag out, so that is what it reads back as.
    for row in [
        &[("time", Cell::Int(0)), ("value", Cell::Float(1.0))][..],
        &[
            ("time", Cell::Int(0)),
            ("location", Cell::Null),
            ("value", Cell::Float(1.0)),
        ],
        &[
            ("time", Cell::Int(0)),
            ("location", s("")),
            ("value", Cell::Float(1.0)),
        ],
    ] {
        assert_eq!(decode::<Temperature>(row).unwrap().location, "", "{row:?}");
    }
    let no_time = [("location", s("g")), ("value", Cell::Float(1.0))];
    assert!(matches!(
        decode::<Temperature>(&no_time),
        Err(DecodeError::MissingColumn { column: "time", .. })
    ));
}

#[test]
fn wrong_types_name_measurement_and_column() {
    let row = [
        ("time", Cell::Int(0)),
        ("location", s("groningen")),
        ("value", s("warm")),
    ];
    assert_eq!(
        decode::<Temperature>(&row),
        Err(DecodeError::WrongType {
            measurement: "temperature",
            column: "value".into(),
            expected: "a float",
            found: "string \"warm\"".into()
        })
    );
    let err = decode::<Numbers>(&[("int8", Cell::Int(300))]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "numbers: column \"int8\" expected an integer that fits i8, found integer 300"
    );
    let err = decode::<Temperature>(&[("sensor_type", Cell::Int(1))]).unwrap_err();
    assert!(
        matches!(&err, DecodeError::WrongType { column, expected: "a tag value", .. } if column == "sensor_type"),
        "{err:?}"
    );
}

#[test]
fn enum_tags_decode_through_from_tag() {
    let row = [
        ("zone", s("z")),
        ("value", Cell::Int(1)),
        ("a_first", s("l")),
        ("Upper", s("U")),
        ("room", s("kitchen")),
        ("maybe_room", s("attic")),
        ("time", Cell::Int(5)),
    ];
    assert_eq!(decode::<Sorted>(&row), Ok(sorted()));

    let mut bad = row.clone();
    bad[4].1 = s("cellar");
    assert_eq!(
        decode::<Sorted>(&bad),
        Err(DecodeError::WrongType {
            measurement: "sorted",
            column: "room".into(),
            expected: "a tag value",
            found: "unknown room \"cellar\"".into()
        })
    );
    let absent: Vec<_> = row
        .iter()
        .filter(|(c, _)| *c != "maybe_room")
        .cloned()
        .collect();
    assert_eq!(decode::<Sorted>(&absent).map(|s| s.maybe_room), Ok(None));
}

#[test]
fn first_error_of_a_row_wins() {
    let row = [
        ("time", s("yesterday")),
        ("location", Cell::Bool(true)),
        ("value", s("warm")),
    ];
    assert!(matches!(
        decode::<Temperature>(&row),
        Err(DecodeError::WrongType { column, .. }) if column == "time"
    ));
}

#[derive(Measurement, Debug, PartialEq)]
#[influx(measurement = "cpu")]
struct Cpu {
    #[influx(time, unit = "ns")]
    time: i64,
    #[influx(tag)]
    host: String,
    #[influx(rename = "usage_idle")]
    idle: f64,
    state: String,
}

#[derive(Measurement, Debug, PartialEq)]
#[influx(from = Temperature)]
struct HourlyMean {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(tag)]
    location: String,
    #[influx(aggregate = "mean(value)")]
    mean: f64,
    #[influx(aggregate = "percentile(value, 95)")]
    p95: f64,
    #[influx(aggregate = "count(value)", rename = "n")]
    count: i64,
}

#[derive(Measurement, Debug, PartialEq)]
#[influx(from = Cpu)]
struct CpuSummary {
    #[influx(aggregate = "MAX(idle)")]
    max_idle: f64,
    #[influx(aggregate = "integral(idle, 1s)")]
    area: f64,
    #[influx(aggregate = "last(state)")]
    last_state: Option<String>,
    #[influx(aggregate = "distinct(state)")]
    states: Option<String>,
    plain: Option<f64>,
}

#[test]
fn aggregate_structs_take_the_source_name_and_describe_their_columns() {
    assert_eq!(HourlyMean::NAME, "temperature");
    assert_eq!(CpuSummary::NAME, "cpu");
    let aggregate = |function, of, arg| ColumnKind::Aggregate { function, of, arg };
    assert_eq!(
        HourlyMean::COLUMNS,
        &[
            Column {
                name: "time",
                kind: ColumnKind::Time
            },
            Column {
                name: "location",
                kind: ColumnKind::Tag
            },
            Column {
                name: "mean",
                kind: aggregate("mean", "value", None)
            },
            Column {
                name: "p95",
                kind: aggregate("percentile", "value", Some("95"))
            },
            Column {
                name: "n",
                kind: aggregate("count", "value", None)
            },
        ]
    );
    let kinds: Vec<ColumnKind> = CpuSummary::COLUMNS.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [
            aggregate("max", "usage_idle", None),
            aggregate("integral", "usage_idle", Some("1s")),
            aggregate("last", "state", None),
            aggregate("distinct", "state", None),
            ColumnKind::Field,
        ]
    );
    let handle: Field<HourlyMean, f64> = HourlyMean::mean();
    assert_eq!(handle.name(), "mean");
    assert_eq!(HourlyMean::count().name(), "n");
}

/// Queries on an aggregate struct filter on its source's columns.
fn source_of<T: FromRow<Source = S>, S>() {}

#[test]
fn aggregate_structs_read_from_their_source() {
    source_of::<HourlyMean, Temperature>();
    source_of::<Temperature, Temperature>();
    let row = [
        ("time", Cell::Int(3_600_000_000_000)),
        ("location", s("groningen")),
        ("mean", Cell::Float(20.5)),
        ("p95", Cell::Int(23)),
        ("n", Cell::Int(60)),
    ];
    assert_eq!(
        decode::<HourlyMean>(&row),
        Ok(HourlyMean {
            time: at(3_600_000_000_000),
            location: "groningen".into(),
            mean: 20.5,
            p95: 23.0,
            count: 60
        })
    );
    let err = decode::<HourlyMean>(&row[..4]).unwrap_err();
    assert_eq!(
        err,
        DecodeError::MissingColumn {
            measurement: "temperature",
            column: "n",
            expected: "an integer that fits i64"
        }
    );
}

#[test]
fn aggregate_structs_encode_into_their_source_measurement() {
    let h = HourlyMean {
        time: at(10),
        location: "g".into(),
        mean: 1.5,
        p95: 2.0,
        count: 3,
    };
    assert_eq!(
        line(&h),
        "temperature,location=g mean=1.5,p95=2.0,n=3i 10\n"
    );
}

#[test]
fn raw_identifiers_name_columns_without_the_prefix() {
    #[derive(Measurement)]
    #[influx(measurement = "m")]
    struct Raw {
        #[influx(tag)]
        r#type: String,
        r#match: i64,
        #[influx(time, unit = "ns")]
        time: i64,
    }
    let r = Raw {
        r#type: "t".into(),
        r#match: 1,
        time: 0,
    };
    assert_eq!(line(&r), "m,type=t match=1i 0\n");
    assert_eq!(Raw::r#type().name(), "type");
    let decoded = decode::<Raw>(&[
        ("type", s("t")),
        ("match", Cell::Int(1)),
        ("time", Cell::Int(0)),
    ]);
    assert_eq!(decoded.map(|r| (r.r#type, r.r#match)), Ok(("t".into(), 1)));
}
