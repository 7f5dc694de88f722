//! The typed `SELECT` builder: [`Client::select`].

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Bound, RangeBounds};
use std::time::Duration;

use chrono::{DateTime, Utc};
use inflow_rules::aggregate;

use super::columns::Tag;
use super::expr::{push_float, Condition, Lit, Literal, Node, Op, Subject};
use super::quote::{duration_literal, push_quoted, IntoDuration};
use super::raw::TypedQuery;
use super::spec::QuerySpec;
use super::stream::RowStream;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::measurement::{ColumnKind, Measurement};
use crate::response::FromRow;

/// What `GROUP BY time(...)` writes into an interval that has no data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fill {
    /// `fill(none)`: intervals without data are left out.
    None,
    /// `fill(null)`: they are reported with null values (the server's
    /// default).
    Null,
    /// `fill(previous)`: the previous interval's value.
    Previous,
    /// `fill(linear)`: linear interpolation between the neighbouring
    /// intervals.
    Linear,
    /// `fill(x)`: this value (truncated toward zero in integer columns,
    /// such as a `count`). NaN and infinities cannot be written in
    /// InfluxQL: the query then fails with [`Error::Misuse`].
    Value(f64),
}

impl Fill {
    fn write(self, out: &mut String) {
        out.push_str("fill(");
        match self {
            Fill::None => out.push_str("none"),
            Fill::Null => out.push_str("null"),
            Fill::Previous => out.push_str("previous"),
            Fill::Linear => out.push_str("linear"),
            Fill::Value(v) => push_float(out, v),
        }
        out.push(')');
    }
}

/// A typed `SELECT` of `T`'s columns, made by [`Client::select`].
///
/// The columns are those of `T` (its tags and fields, or for an aggregate
/// struct its aggregates such as `mean("value") AS "mean_value"`); the
/// measurement is that of `T::Source` (`T` itself, or the `from`
/// measurement of an aggregate struct). Conditions name columns of
/// `T::Source` through its column handles, so a misspelt column or a value
/// of the wrong type does not compile; every name and value is quoted.
///
/// ```no_run
/// use chrono::{DateTime, Duration, Utc};
/// use inflow::{Client, Fill, Measurement};
///
/// #[derive(Measurement, Debug)]
/// #[influx(measurement = "temperature")]
/// struct Temperature {
///     #[influx(time)]
///     time: DateTime<Utc>,
///     #[influx(tag)]
///     location: String,
///     value: f64,
/// }
///
/// #[derive(Measurement, Debug)]
/// #[influx(from = Temperature)]
/// struct HourlyTemperature {
///     #[influx(time)]
///     time: DateTime<Utc>,
///     #[influx(tag)]
///     location: String,
///     #[influx(aggregate = "mean(value)")]
///     mean_value: Option<f64>,
/// }
///
/// # async fn run(client: Client) -> inflow::Result<()> {
/// // SELECT "location", "value" FROM "temperature"
/// //   WHERE "location" = 'groningen' AND "value" > 20.0 AND time >= now() - 1h
/// //   ORDER BY time DESC LIMIT 100
/// let recent: Vec<Temperature> = client
///     .select::<Temperature>()
///     .filter(Temperature::location().eq("groningen"))
///     .filter(Temperature::value().gt(20))
///     .since(Duration::hours(1))
///     .order_by_time_desc()
///     .limit(100)
///     .fetch()
///     .await?;
///
/// // SELECT mean("value") AS "mean_value" FROM "temperature"
/// //   WHERE time >= '...' AND time < '...'
/// //   GROUP BY time(1h), "location" fill(none)
/// let end = Utc::now();
/// let hourly: Vec<HourlyTemperature> = client
///     .select::<HourlyTemperature>()
///     .time_range(end - Duration::days(1)..end)
///     .group_by_time(std::time::Duration::from_secs(3600))
///     .fill(Fill::None)
///     .fetch()
///     .await?;
/// # Ok(()) }
/// ```
///
/// A condition on another measurement's columns does not compile:
///
/// ```compile_fail,E0308
/// # use chrono::{DateTime, Utc};
/// # #[derive(inflow::Measurement)]
/// # struct Temperature {
/// #     #[influx(time)] time: DateTime<Utc>,
/// #     value: f64,
/// # }
/// #[derive(inflow::Measurement)]
/// struct Humidity {
///     #[influx(time)]
///     time: DateTime<Utc>,
///     value: f64,
/// }
/// # fn run(client: inflow::Client) {
/// let _ = client.select::<Temperature>().filter(Humidity::value().gt(50));
/// # }
/// ```
///
/// Anything the builder cannot write as valid InfluxQL (a NaN literal, a
/// time condition inside `OR`, a zero `GROUP BY` interval, `limit(0)`, an
/// aggregate column whose function or argument the server would refuse,
/// ...) is reported by the fetch methods as [`Error::Misuse`], and the
/// query is not sent. Aggregates are checked by the same rules
/// `#[derive(Measurement)]` applies at compile time, so a derived struct
/// never fails here for its aggregates.
#[must_use = "a query does nothing until it is fetched"]
pub struct Select<'c, T> {
    client: &'c Client,
    condition: Option<Node>,
    group_by_time: Option<(Duration, Option<Duration>)>,
    group_by_tags: Vec<&'static str>,
    group_by_all: bool,
    fill: Option<Fill>,
    descending: Option<bool>,
    limit: Option<u64>,
    offset: Option<u64>,
    slimit: Option<u64>,
    soffset: Option<u64>,
    tz: Option<String>,
    database: Option<String>,
    retention_policy: Option<String>,
    error: Option<String>,
    marker: PhantomData<fn() -> T>,
}

impl<T> Clone for Select<'_, T> {
    fn clone(&self) -> Self {
        Select {
            client: self.client,
            condition: self.condition.clone(),
            group_by_time: self.group_by_time,
            group_by_tags: self.group_by_tags.clone(),
            group_by_all: self.group_by_all,
            fill: self.fill,
            descending: self.descending,
            limit: self.limit,
            offset: self.offset,
            slimit: self.slimit,
            soffset: self.soffset,
            tz: self.tz.clone(),
            database: self.database.clone(),
            retention_policy: self.retention_policy.clone(),
            error: self.error.clone(),
            marker: PhantomData,
        }
    }
}

impl<T: FromRow + 'static> fmt::Debug for Select<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select")
            .field("query", &self.to_influxql())
            .field("database", &self.database)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<T: FromRow + 'static> fmt::Display for Select<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_influxql())
    }
}

impl<'c, T: FromRow + 'static> Select<'c, T> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Select {
            client,
            condition: None,
            group_by_time: None,
            group_by_tags: Vec::new(),
            group_by_all: false,
            fill: None,
            descending: None,
            limit: None,
            offset: None,
            slimit: None,
            soffset: None,
            tz: None,
            database: None,
            retention_policy: client.retention_policy().map(str::to_string),
            error: None,
            marker: PhantomData,
        }
    }

    fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(message);
        }
    }

    fn and_where(mut self, node: Node) -> Self {
        self.condition = Some(match self.condition.take() {
            Some(existing) => existing.and(node),
            None => node,
        });
        self
    }

    fn time_condition(self, op: Op, value: Lit) -> Self {
        self.and_where(Node::Compare {
            subject: Subject::Time,
            op,
            value: Literal(value),
        })
    }

    /// Adds a `WHERE` condition; several calls are combined with `AND`.
    pub fn filter(self, condition: Condition<T::Source>) -> Self {
        self.and_where(condition.node)
    }

    /// Keeps the rows whose time lies in `range`: `a..b` is
    /// `time >= a AND time < b`, `a..=b` ends with `time <= b`, and an open
    /// end adds no condition.
    pub fn time_range(mut self, range: impl RangeBounds<DateTime<Utc>>) -> Self {
        match range.start_bound() {
            Bound::Included(t) => self = self.time_condition(Op::Ge, Lit::Time(*t)),
            Bound::Excluded(t) => self = self.time_condition(Op::Gt, Lit::Time(*t)),
            Bound::Unbounded => {}
        }
        match range.end_bound() {
            Bound::Included(t) => self = self.time_condition(Op::Le, Lit::Time(*t)),
            Bound::Excluded(t) => self = self.time_condition(Op::Lt, Lit::Time(*t)),
            Bound::Unbounded => {}
        }
        self
    }

    /// Keeps the rows of the last `duration` (a `std::time::Duration` or a
    /// `chrono::Duration`): `time >= now() - 1h`, in the server's clock. A
    /// negative `chrono::Duration` reaches into the future
    /// (`time >= now() + 1h`).
    pub fn since(self, duration: impl IntoDuration) -> Self {
        let (ahead, offset) = duration.into_signed();
        self.time_condition(Op::Ge, Lit::Now { ahead, offset })
    }

    /// `ORDER BY time DESC`: newest first (within each series).
    pub fn order_by_time_desc(mut self) -> Self {
        self.descending = Some(true);
        self
    }

    /// `ORDER BY time ASC`: oldest first, which is also the default.
    pub fn order_by_time_asc(mut self) -> Self {
        self.descending = Some(false);
        self
    }

    /// `LIMIT n`: at most `n` rows (per series, when grouped). InfluxQL
    /// reads `LIMIT 0` as no limit at all, so `limit(0)` is refused with
    /// [`Error::Misuse`].
    pub fn limit(mut self, n: u64) -> Self {
        if n == 0 {
            self.fail("limit(0): InfluxQL reads LIMIT 0 as no limit".into());
        }
        self.limit = Some(n);
        self
    }

    /// `OFFSET n`: skips the first `n` rows (per series, when grouped).
    ///
    /// InfluxDB 1.x returns a single row for an `OFFSET` without a
    /// `LIMIT`; without [`limit`](Self::limit) the builder therefore writes
    /// the largest limit the server accepts along with the offset.
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n);
        self
    }

    /// `SLIMIT n`: at most `n` series. `slimit(0)` is refused, as
    /// [`limit(0)`](Self::limit) is.
    pub fn slimit(mut self, n: u64) -> Self {
        if n == 0 {
            self.fail("slimit(0): InfluxQL reads SLIMIT 0 as no limit".into());
        }
        self.slimit = Some(n);
        self
    }

    /// `SOFFSET n`: skips the first `n` series.
    ///
    /// InfluxDB 1.x returns nothing for an `SOFFSET` without an `SLIMIT`;
    /// without [`slimit`](Self::slimit) the builder therefore writes the
    /// largest series limit the server accepts along with the offset.
    pub fn soffset(mut self, n: u64) -> Self {
        self.soffset = Some(n);
        self
    }

    /// `tz('Europe/Amsterdam')`: the time zone of `GROUP BY time(...)`
    /// boundaries (times still come back as instants).
    pub fn tz(mut self, zone: impl Into<String>) -> Self {
        self.tz = Some(zone.into());
        self
    }

    /// Reads from this retention policy: `FROM "db"."rp"."measurement"`.
    /// The default is the client's retention policy, if it has one, else the
    /// database's default policy.
    pub fn retention_policy(mut self, rp: impl Into<String>) -> Self {
        self.retention_policy = Some(rp.into());
        self
    }

    /// Runs against this database instead of the client's.
    pub fn database(mut self, database: impl Into<String>) -> Self {
        self.database = Some(database.into());
        self
    }

    /// `GROUP BY time(interval)`: one row per interval, for aggregate
    /// structs. Bound the time range ([`time_range`](Self::time_range),
    /// [`since`](Self::since)): without it the server fills every interval
    /// since 1677. A zero interval is refused with [`Error::Misuse`].
    /// `interval` is a `std::time::Duration` or a `chrono::Duration`.
    pub fn group_by_time(mut self, interval: impl IntoDuration) -> Self {
        let (negative, interval) = interval.into_signed();
        if negative || interval.is_zero() {
            self.fail("group_by_time: the interval must be longer than zero".into());
        }
        self.group_by_time = Some((interval, None));
        self
    }

    /// `GROUP BY time(interval, offset)`: intervals shifted by `offset`
    /// (either `Duration` type; a negative offset shifts them back).
    pub fn group_by_time_offset(
        mut self,
        interval: impl IntoDuration,
        offset: impl IntoDuration,
    ) -> Self {
        let (negative, length) = interval.into_signed();
        if negative {
            self.fail("group_by_time: the interval must be longer than zero".into());
        }
        self = self.group_by_time(length);
        let (back, offset) = offset.into_signed();
        // InfluxQL takes no negative offset; shifting back by `o` is
        // shifting forward by `interval - o` (modulo the interval).
        let offset = if back && !length.is_zero() {
            let o = offset.as_nanos() % length.as_nanos();
            Duration::from_nanos(((length.as_nanos() - o) % length.as_nanos()) as u64)
        } else {
            offset
        };
        self.group_by_time = Some((length, Some(offset)));
        self
    }

    /// `fill(...)`: what intervals without data hold, with
    /// [`group_by_time`](Self::group_by_time).
    pub fn fill(mut self, fill: Fill) -> Self {
        if let Fill::Value(v) = fill {
            if !v.is_finite() {
                self.fail(format!("fill({v}) cannot be written in InfluxQL"));
            }
        }
        self.fill = Some(fill);
        self
    }

    /// Adds a tag to `GROUP BY`: one series per value of the tag. The tags
    /// of an aggregate struct are grouped by without asking.
    pub fn group_by(mut self, tag: Tag<T::Source>) -> Self {
        if !self.group_by_tags.contains(&tag.name()) {
            self.group_by_tags.push(tag.name());
        }
        self
    }

    /// `GROUP BY *`: one series per tag set, whatever the tags. The series'
    /// tags fill `T`'s tag fields, so an aggregate struct with tag fields
    /// gets them for every series without naming them.
    pub fn group_by_all_tags(mut self) -> Self {
        self.group_by_all = true;
        self
    }

    /// Whether `T` selects aggregates (and so groups by its own tags).
    fn aggregated() -> bool {
        T::COLUMNS
            .iter()
            .any(|c| matches!(c.kind, ColumnKind::Aggregate { .. }))
    }

    /// The tags in `GROUP BY`: `T`'s own when it aggregates, then the
    /// requested ones; `*` for all of them.
    fn grouped_tags(&self) -> Vec<&'static str> {
        let mut tags: Vec<&'static str> = Vec::new();
        if self.group_by_all {
            return vec!["*"];
        }
        if Self::aggregated() {
            tags.extend(
                T::COLUMNS
                    .iter()
                    .filter(|c| c.kind == ColumnKind::Tag)
                    .map(|c| c.name),
            );
        }
        for tag in &self.group_by_tags {
            if !tags.contains(tag) {
                tags.push(tag);
            }
        }
        tags
    }

    /// Why the query cannot be sent, if it cannot.
    fn problem(&self) -> Option<String> {
        if let Some(error) = &self.error {
            return Some(error.clone());
        }
        if let Some(problem) = self.condition.as_ref().and_then(Node::problem) {
            return Some(problem);
        }
        let mut selected = 0;
        for column in T::COLUMNS {
            match column.kind {
                ColumnKind::Field => selected += 1,
                ColumnKind::Aggregate { function, arg, .. } => {
                    selected += 1;
                    if let Err(problem) = aggregate::check(function, arg) {
                        return Some(format!(
                            "column {:?}: {}",
                            column.name,
                            aggregate_problem(problem, function, arg.unwrap_or_default())
                        ));
                    }
                }
                ColumnKind::Tag | ColumnKind::Time => {}
            }
        }
        if selected == 0 {
            return Some(format!(
                "{} has no field or aggregate column to select: InfluxDB returns no rows \
                 for a SELECT of tags only",
                T::NAME
            ));
        }
        None
    }

    /// The query as InfluxQL. If the builder holds something InfluxQL
    /// cannot express (see [`Select`]), the text says so in a form no
    /// server parses, and the fetch methods return [`Error::Misuse`].
    pub fn to_influxql(&self) -> String {
        let mut q = String::with_capacity(128);
        q.push_str("SELECT ");
        let aggregated = Self::aggregated();
        let mut first = true;
        for column in T::COLUMNS {
            let mut separate = |q: &mut String| {
                if !first {
                    q.push_str(", ");
                }
                first = false;
            };
            match column.kind {
                ColumnKind::Time => {}
                ColumnKind::Tag if aggregated => {}
                ColumnKind::Tag | ColumnKind::Field => {
                    separate(&mut q);
                    push_quoted(&mut q, column.name, '"');
                }
                ColumnKind::Aggregate { function, of, arg } => {
                    separate(&mut q);
                    let (name, open, close) = aggregate::call(function);
                    q.push_str(name);
                    q.push_str(open);
                    push_quoted(&mut q, of, '"');
                    if let Some(arg) = arg {
                        q.push_str(", ");
                        q.push_str(arg);
                    }
                    q.push_str(close);
                    q.push_str(" AS ");
                    push_quoted(&mut q, column.name, '"');
                }
            }
        }
        if first {
            // Nothing to select: a `SELECT` of tags only, refused by
            // `problem`. Keep the text well formed.
            q.push('*');
        }

        q.push_str(" FROM ");
        if let Some(rp) = &self.retention_policy {
            if let Some(db) = self.database.as_deref().or(self.client.database()) {
                push_quoted(&mut q, db, '"');
                q.push('.');
            }
            push_quoted(&mut q, rp, '"');
            q.push('.');
        }
        push_quoted(&mut q, <T::Source as Measurement>::NAME, '"');

        if let Some(condition) = &self.condition {
            q.push_str(" WHERE ");
            condition.write(&mut q);
        }

        let tags = self.grouped_tags();
        if self.group_by_time.is_some() || !tags.is_empty() {
            q.push_str(" GROUP BY ");
            let mut first = true;
            if let Some((interval, offset)) = self.group_by_time {
                first = false;
                q.push_str("time(");
                q.push_str(&duration_literal(interval));
                if let Some(offset) = offset {
                    q.push_str(", ");
                    q.push_str(&duration_literal(offset));
                }
                q.push(')');
            }
            for tag in tags {
                if !first {
                    q.push_str(", ");
                }
                first = false;
                if self.group_by_all {
                    q.push('*');
                } else {
                    push_quoted(&mut q, tag, '"');
                }
            }
        }
        if let Some(fill) = self.fill {
            q.push(' ');
            fill.write(&mut q);
        }
        if let Some(descending) = self.descending {
            q.push_str(if descending {
                " ORDER BY time DESC"
            } else {
                " ORDER BY time ASC"
            });
        }
        let (limit, offset) = limit_and_offset(self.limit, self.offset);
        let (slimit, soffset) = limit_and_offset(self.slimit, self.soffset);
        for (keyword, value) in [
            (" LIMIT ", limit),
            (" OFFSET ", offset),
            (" SLIMIT ", slimit),
            (" SOFFSET ", soffset),
        ] {
            if let Some(value) = value {
                q.push_str(keyword);
                q.push_str(itoa::Buffer::new().format(value));
            }
        }
        if let Some(tz) = &self.tz {
            q.push_str(" tz(");
            push_quoted(&mut q, tz, '\'');
            q.push(')');
        }
        q
    }

    /// The query, ready to run: a [`TypedQuery`] (times asked for as
    /// `epoch=ns`). Fails with [`Error::Misuse`] when the builder holds
    /// something InfluxQL cannot express.
    pub fn into_query(self) -> Result<TypedQuery<'c, T>> {
        if let Some(problem) = self.problem() {
            return Err(Error::Misuse(format!(
                "cannot build SELECT from {}: {problem}",
                <T::Source as Measurement>::NAME
            )));
        }
        let mut spec = QuerySpec::new(self.to_influxql());
        spec.database = self.database.clone();
        Ok(TypedQuery::new(self.client, spec))
    }

    /// All rows.
    pub async fn fetch(self) -> Result<Vec<T>> {
        self.into_query()?.fetch().await
    }

    /// The first row; [`DecodeError::NoRows`](crate::DecodeError::NoRows)
    /// if there is none.
    ///
    /// Asks the server for one row (`LIMIT 1`) unless a limit is set.
    pub async fn fetch_one(self) -> Result<T> {
        self.first_only().into_query()?.fetch_one().await
    }

    /// The first row, if any. Asks the server for one row (`LIMIT 1`)
    /// unless a limit is set.
    pub async fn fetch_optional(self) -> Result<Option<T>> {
        self.first_only().into_query()?.fetch_optional().await
    }

    fn first_only(mut self) -> Self {
        self.limit.get_or_insert(1);
        self
    }

    /// The rows as a stream, read from a chunked response as they arrive:
    /// memory stays flat however many rows there are. Rows decoded before
    /// an error come first, then the error.
    pub async fn fetch_stream(self) -> Result<RowStream<T>> {
        self.into_query()?.fetch_stream().await
    }
}

/// The largest count InfluxQL reads (`LIMIT` and `OFFSET` are Go `int`s).
const MAX_COUNT: u64 = i64::MAX as u64;

/// The `LIMIT` and `OFFSET` (or `SLIMIT` and `SOFFSET`) to write.
///
/// InfluxDB 1.x answers an `OFFSET` without a `LIMIT` with one row only,
/// and an `SOFFSET` without an `SLIMIT` with no series at all; and it
/// overflows when the two add up to more than `i64::MAX`. So an offset
/// comes with a limit, the largest that cannot overflow, and numbers too
/// large for InfluxQL are clamped (no series has that many rows, so the
/// result is the same).
fn limit_and_offset(limit: Option<u64>, offset: Option<u64>) -> (Option<u64>, Option<u64>) {
    match offset {
        None => (limit.map(|l| l.min(MAX_COUNT)), None),
        Some(offset) => {
            let offset = offset.min(MAX_COUNT - 1);
            let room = MAX_COUNT - offset;
            (Some(limit.unwrap_or(room).min(room)), Some(offset))
        }
    }
}

/// Why `inflow_rules::aggregate` refuses `function(column, arg)`, for
/// [`Error::Misuse`]; the derive refuses the same at compile time.
fn aggregate_problem(problem: aggregate::Problem, function: &str, arg: &str) -> String {
    use aggregate::Problem;
    match problem {
        Problem::UnknownFunction => {
            let names: Vec<&str> = aggregate::FUNCTIONS.iter().map(|f| f.name).collect();
            format!(
                "{function:?} is not an aggregate function; expected one of {}",
                names.join(", ")
            )
        }
        Problem::MissingPercentile => {
            "percentile needs the percentile, a number greater than 0 and at most 100".to_string()
        }
        Problem::BadPercentile => format!(
            "the percentile {arg:?} is not a number greater than 0 and at most 100 that \
             InfluxQL reads"
        ),
        Problem::BadUnit => format!(
            "the unit {arg:?} of integral is not a positive duration literal, such as 1s \
             or 1h30m"
        ),
        Problem::UnexpectedArgument => {
            format!("{function} takes only a column, not the argument {arg:?}")
        }
        Problem::BadCount => format!(
            "{function} needs how many rows to keep, a whole number of at least 1, not {arg:?}"
        ),
    }
}

impl Client {
    /// A typed `SELECT` of `T`'s columns from its measurement; see
    /// [`Select`].
    ///
    /// ```no_run
    /// # use chrono::{DateTime, Utc};
    /// # #[derive(inflow::Measurement)]
    /// # #[influx(measurement = "temperature")]
    /// # struct Temperature {
    /// #     #[influx(time)] time: DateTime<Utc>,
    /// #     #[influx(tag)] location: String,
    /// #     value: f64,
    /// # }
    /// # async fn run(client: inflow::Client) -> inflow::Result<()> {
    /// let latest = client
    ///     .select::<Temperature>()
    ///     .filter(Temperature::location().eq("groningen"))
    ///     .order_by_time_desc()
    ///     .fetch_optional()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn select<T: FromRow + 'static>(&self) -> Select<'_, T> {
        Select::new(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{DecodeError, InvalidPoint};
    use crate::line_protocol::LineWriter;
    use crate::measurement::Column;
    use crate::query::{Field, Time};
    use crate::response::{Cell, RowBuilder};
    use chrono::TimeZone;

    /// Builds no rows: the unit tests only write queries.
    struct NoRows;

    impl<T> RowBuilder<T> for NoRows {
        fn new() -> Self {
            NoRows
        }
        fn slot(_: &str) -> Option<usize> {
            None
        }
        fn set(&mut self, _: usize, _: Cell<'_>) {}
        fn finish(self) -> std::result::Result<T, DecodeError> {
            Err(DecodeError::NoRows)
        }
    }

    /// What the derive generates for a plain measurement, by hand.
    struct Temperature;

    impl Measurement for Temperature {
        const NAME: &'static str = "temperature";
        const COLUMNS: &'static [Column] = &[
            Column {
                name: "time",
                kind: ColumnKind::Time,
            },
            Column {
                name: "location",
                kind: ColumnKind::Tag,
            },
            Column {
                name: "sensor_type",
                kind: ColumnKind::Tag,
            },
            Column {
                name: "value",
                kind: ColumnKind::Field,
            },
            Column {
                name: "count",
                kind: ColumnKind::Field,
            },
            Column {
                name: "label",
                kind: ColumnKind::Field,
            },
            Column {
                name: "ok",
                kind: ColumnKind::Field,
            },
        ];
        fn encode(&self, _: &mut LineWriter<'_>) -> std::result::Result<(), InvalidPoint> {
            unreachable!()
        }
    }

    impl FromRow for Temperature {
        type Source = Self;
        type Builder = NoRows;
    }

    impl Temperature {
        const fn time() -> Time<Self> {
            Time::new("time")
        }
        const fn location() -> Tag<Self> {
            Tag::new("location")
        }
        const fn sensor() -> Tag<Self> {
            Tag::new("sensor_type")
        }
        const fn value() -> Field<Self, f64> {
            Field::new("value")
        }
        const fn count() -> Field<Self, i64> {
            Field::new("count")
        }
        const fn label() -> Field<Self, String> {
            Field::new("label")
        }
        const fn ok() -> Field<Self, bool> {
            Field::new("ok")
        }
        const fn small() -> Field<Self, f32> {
            Field::new("small")
        }
        const fn big() -> Field<Self, u64> {
            Field::new("big")
        }
    }

    /// What the derive generates for an aggregate struct.
    struct HourlyTemperature;

    impl Measurement for HourlyTemperature {
        const NAME: &'static str = "hourly_temperature";
        const COLUMNS: &'static [Column] = &[
            Column {
                name: "time",
                kind: ColumnKind::Time,
            },
            Column {
                name: "location",
                kind: ColumnKind::Tag,
            },
            Column {
                name: "mean_value",
                kind: ColumnKind::Aggregate {
                    function: "mean",
                    of: "value",
                    arg: None,
                },
            },
            Column {
                name: "p95",
                kind: ColumnKind::Aggregate {
                    function: "percentile",
                    of: "value",
                    arg: Some("95"),
                },
            },
        ];
        fn encode(&self, _: &mut LineWriter<'_>) -> std::result::Result<(), InvalidPoint> {
            unreachable!()
        }
    }

    impl FromRow for HourlyTemperature {
        type Source = Temperature;
        type Builder = NoRows;
    }

    /// Hostile names everywhere.
    struct Hostile;

    impl Measurement for Hostile {
        const NAME: &'static str = "we\"ird\\ m\neasure'ment";
        const COLUMNS: &'static [Column] = &[
            Column {
                name: "ta\"g",
                kind: ColumnKind::Tag,
            },
            Column {
                name: "fi\\eld\" FROM x; DROP DATABASE y --",
                kind: ColumnKind::Field,
            },
        ];
        fn encode(&self, _: &mut LineWriter<'_>) -> std::result::Result<(), InvalidPoint> {
            unreachable!()
        }
    }

    impl FromRow for Hostile {
        type Source = Self;
        type Builder = NoRows;
    }

    struct TagsOnly;

    impl Measurement for TagsOnly {
        const NAME: &'static str = "tags_only";
        const COLUMNS: &'static [Column] = &[
            Column {
                name: "time",
                kind: ColumnKind::Time,
            },
            Column {
                name: "location",
                kind: ColumnKind::Tag,
            },
        ];
        fn encode(&self, _: &mut LineWriter<'_>) -> std::result::Result<(), InvalidPoint> {
            unreachable!()
        }
    }

    impl FromRow for TagsOnly {
        type Source = Self;
        type Builder = NoRows;
    }

    macro_rules! aggregate_struct {
        ($name:ident, $function:expr, $arg:expr) => {
            struct $name;

            impl Measurement for $name {
                const NAME: &'static str = "bad";
                const COLUMNS: &'static [Column] = &[Column {
                    name: "x",
                    kind: ColumnKind::Aggregate {
                        function: $function,
                        of: "value",
                        arg: $arg,
                    },
                }];
                fn encode(&self, _: &mut LineWriter<'_>) -> std::result::Result<(), InvalidPoint> {
                    unreachable!()
                }
            }

            impl FromRow for $name {
                type Source = Temperature;
                type Builder = NoRows;
            }
        };
    }
    aggregate_struct!(Integral, "integral", Some("10m"));
    aggregate_struct!(
        BadFunction,
        "mean(\"x\") FROM y; DROP DATABASE z; SELECT mean",
        None
    );
    aggregate_struct!(
        BadArg,
        "percentile",
        Some("95) FROM y; DROP DATABASE z; --")
    );
    aggregate_struct!(Percentile, "percentile", Some(".5"));
    aggregate_struct!(BadUnit, "integral", Some("1.5s"));
    aggregate_struct!(NoPercentile, "percentile", None);
    aggregate_struct!(ExtraArg, "mean", Some("3"));
    aggregate_struct!(NotAnAggregate, "moving_average", Some("2"));

    fn client() -> Client {
        Client::new("http://localhost:8086/weather").unwrap()
    }

    #[test]
    fn fetching_one_row_asks_for_one_row() {
        let c = client();
        let one = c.select::<Temperature>().first_only();
        assert_eq!(one.to_influxql(), format!("{BASE} LIMIT 1"));
        let five = c.select::<Temperature>().limit(5).first_only();
        assert_eq!(five.to_influxql(), format!("{BASE} LIMIT 5"));
    }

    fn at(secs: i64, nanos: u32) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, nanos).unwrap()
    }

    const BASE: &str =
        r#"SELECT "location", "sensor_type", "value", "count", "label", "ok" FROM "temperature""#;

    fn q(select: Select<'_, Temperature>) -> String {
        let text = select.to_influxql();
        assert!(select.problem().is_none(), "{text}: {:?}", select.problem());
        text
    }

    fn error<T: FromRow + 'static>(select: Select<'_, T>) -> String {
        match select.into_query() {
            Err(Error::Misuse(message)) => message,
            Err(other) => panic!("expected a configuration error, got {other:?}"),
            Ok(query) => panic!(
                "expected a configuration error, got {}",
                query.to_influxql()
            ),
        }
    }

    fn where_(select: Select<'_, Temperature>) -> String {
        let text = q(select);
        text.strip_prefix(BASE)
            .and_then(|rest| rest.strip_prefix(" WHERE "))
            .unwrap_or_else(|| panic!("no WHERE in {text}"))
            .to_string()
    }

    #[test]
    fn selects_tags_and_fields_by_quoted_name() {
        let c = client();
        assert_eq!(q(c.select::<Temperature>()), BASE);
        assert_eq!(c.select::<Temperature>().to_string(), BASE);
        let query = c.select::<Temperature>().into_query().unwrap();
        assert_eq!(query.to_influxql(), BASE);
    }

    #[test]
    fn tag_conditions() {
        let c = client();
        let w = |cond| where_(c.select::<Temperature>().filter(cond));
        assert_eq!(
            w(Temperature::location().eq("groningen")),
            r#""location" = 'groningen'"#
        );
        assert_eq!(
            w(Temperature::location().ne(String::from("x"))),
            r#""location" != 'x'"#
        );
        assert_eq!(
            w(Temperature::sensor().eq(None::<&str>)),
            r#""sensor_type" = ''"#
        );
        assert_eq!(
            w(Temperature::sensor().ne(Some("a"))),
            r#""sensor_type" != 'a'"#
        );
        assert_eq!(
            w(Temperature::location().matches("^gr.*n$")),
            r#""location" =~ /^gr.*n$/"#
        );
        assert_eq!(
            w(Temperature::location().not_matches("a/b")),
            r#""location" !~ /a\/b/"#
        );
    }

    #[test]
    fn tag_conditions_take_enums() {
        enum Room {
            Kitchen,
        }
        impl crate::TagValue for Room {
            fn as_tag(&self) -> Option<&str> {
                Some(match self {
                    Room::Kitchen => "kitchen",
                })
            }
        }
        let c = client();
        let text = where_(
            c.select::<Temperature>()
                .filter(Temperature::location().eq(Room::Kitchen)),
        );
        assert_eq!(text, r#""location" = 'kitchen'"#);
    }

    #[test]
    fn field_conditions() {
        let c = client();
        let w = |cond| where_(c.select::<Temperature>().filter(cond));
        assert_eq!(w(Temperature::value().eq(21.5)), r#""value" = 21.5"#);
        assert_eq!(w(Temperature::value().ne(3)), r#""value" != 3.0"#);
        assert_eq!(w(Temperature::value().gt(2.5f32)), r#""value" > 2.5"#);
        assert_eq!(w(Temperature::value().ge(-1)), r#""value" >= -1.0"#);
        assert_eq!(
            w(Temperature::value().lt(1e20)),
            r#""value" < 100000000000000000000.0"#
        );
        assert_eq!(
            w(Temperature::value().le(1.5e-7)),
            r#""value" <= 0.00000015"#
        );
        assert_eq!(w(Temperature::count().gt(5)), r#""count" > 5"#);
        assert_eq!(
            w(Temperature::count().le(i64::MIN)),
            r#""count" <= -9223372036854775808"#
        );
        assert_eq!(w(Temperature::small().eq(0.5f32)), r#""small" = 0.5"#);
        assert_eq!(
            w(Temperature::big().lt(u64::MAX)),
            r#""big" < 18446744073709551615"#
        );
        assert_eq!(w(Temperature::big().gt(7u32)), r#""big" > 7"#);
        assert_eq!(w(Temperature::ok().eq(true)), r#""ok" = true"#);
        assert_eq!(w(Temperature::ok().ne(false)), r#""ok" != false"#);
        assert_eq!(w(Temperature::label().eq("hi")), r#""label" = 'hi'"#);
        assert_eq!(
            w(Temperature::label().ne(String::from("x"))),
            r#""label" != 'x'"#
        );
        assert_eq!(w(Temperature::label().matches("^h")), r#""label" =~ /^h/"#);
        assert_eq!(
            w(Temperature::label().not_matches("x")),
            r#""label" !~ /x/"#
        );
    }

    #[test]
    fn time_conditions_are_rfc3339_with_nanoseconds() {
        let c = client();
        let w = |cond| where_(c.select::<Temperature>().filter(cond));
        let t = at(1_700_000_000, 123_456_789);
        assert_eq!(
            w(Temperature::time().gt(t)),
            "time > '2023-11-14T22:13:20.123456789Z'"
        );
        assert_eq!(
            w(Temperature::time().ge(at(0, 0))),
            "time >= '1970-01-01T00:00:00.000000000Z'"
        );
        assert_eq!(
            w(Temperature::time().lt(t)),
            "time < '2023-11-14T22:13:20.123456789Z'"
        );
        assert_eq!(
            w(Temperature::time().le(t)),
            "time <= '2023-11-14T22:13:20.123456789Z'"
        );
        assert_eq!(
            w(Temperature::time().within_last(Duration::from_secs(90))),
            "time >= now() - 90s"
        );
    }

    #[test]
    fn filters_and_together_and_nesting_is_parenthesised() {
        let c = client();
        let text = where_(
            c.select::<Temperature>()
                .filter(Temperature::location().eq("a"))
                .filter(Temperature::value().gt(1).or(Temperature::count().lt(2)))
                .filter(Temperature::ok().eq(true)),
        );
        assert_eq!(
            text,
            r#""location" = 'a' AND ("value" > 1.0 OR "count" < 2) AND "ok" = true"#
        );

        let a = || Temperature::location().eq("a");
        let b = || Temperature::location().eq("b");
        let x = || Temperature::value().gt(0);
        let w = |cond| where_(c.select::<Temperature>().filter(cond));
        assert_eq!(
            w(a().or(b()).and(x())),
            r#"("location" = 'a' OR "location" = 'b') AND "value" > 0.0"#
        );
        assert_eq!(
            w(a().and(b()).or(x())),
            r#"("location" = 'a' AND "location" = 'b') OR "value" > 0.0"#
        );
        assert_eq!(
            w(a().or(b().and(x().or(a())))),
            r#""location" = 'a' OR ("location" = 'b' AND ("value" > 0.0 OR "location" = 'a'))"#
        );
        assert_eq!(
            w(a() | b() | x()),
            r#""location" = 'a' OR "location" = 'b' OR "value" > 0.0"#
        );
        assert_eq!(
            w((a() | b()) & !x()),
            r#"("location" = 'a' OR "location" = 'b') AND "value" <= 0.0"#
        );
        assert_eq!(
            w(a().and(x()).not()),
            r#""location" != 'a' OR "value" <= 0.0"#
        );
        assert_eq!(
            w(!(a() | Temperature::label().matches("z"))),
            r#""location" != 'a' AND "label" !~ /z/"#
        );
        assert_eq!(w(!!a()), r#""location" = 'a'"#);
        assert_eq!(
            w(!(Temperature::time().gt(at(0, 0)) & Temperature::time().lt(at(1, 0))).not()),
            "time > '1970-01-01T00:00:00.000000000Z' AND time < '1970-01-01T00:00:01.000000000Z'"
        );
    }

    #[test]
    fn time_ranges() {
        let c = client();
        let (a, b) = (at(1, 0), at(2, 500));
        let w = |s: Select<'_, Temperature>| where_(s);
        let (ta, tb) = (
            "'1970-01-01T00:00:01.000000000Z'",
            "'1970-01-01T00:00:02.000000500Z'",
        );
        assert_eq!(
            w(c.select().time_range(a..b)),
            format!("time >= {ta} AND time < {tb}")
        );
        assert_eq!(
            w(c.select().time_range(a..=b)),
            format!("time >= {ta} AND time <= {tb}")
        );
        assert_eq!(w(c.select().time_range(a..)), format!("time >= {ta}"));
        assert_eq!(w(c.select().time_range(..b)), format!("time < {tb}"));
        assert_eq!(w(c.select().time_range(..=b)), format!("time <= {tb}"));
        assert_eq!(
            w(c.select()
                .time_range((Bound::Excluded(a), Bound::Unbounded))),
            format!("time > {ta}")
        );
        assert_eq!(q(c.select::<Temperature>().time_range(..)), BASE);
    }

    #[test]
    fn since_is_relative_to_now() {
        let c = client();
        let w = |s: Select<'_, Temperature>| where_(s);
        assert_eq!(
            w(c.select().since(chrono::Duration::hours(1))),
            "time >= now() - 1h"
        );
        assert_eq!(
            w(c.select().since(chrono::Duration::days(7))),
            "time >= now() - 1w"
        );
        assert_eq!(
            w(c.select().since(chrono::Duration::milliseconds(1500))),
            "time >= now() - 1500ms"
        );
        assert_eq!(
            w(c.select().since(chrono::Duration::minutes(-5))),
            "time >= now() + 5m"
        );
        assert_eq!(
            w(c.select()
                .filter(Temperature::location().eq("x"))
                .since(chrono::Duration::seconds(30))),
            r#""location" = 'x' AND time >= now() - 30s"#
        );
        // Either Duration type, everywhere.
        assert_eq!(
            w(c.select().since(Duration::from_secs(3600))),
            "time >= now() - 1h"
        );
        assert_eq!(
            w(c.select()
                .filter(Temperature::time().within_last(chrono::Duration::minutes(-5)))),
            "time >= now() + 5m"
        );
    }

    #[test]
    fn every_clause_in_influxql_order() {
        let c = client();
        let text = q(c
            .select::<Temperature>()
            .tz("Europe/Amsterdam")
            .soffset(4)
            .slimit(3)
            .offset(2)
            .limit(1)
            .order_by_time_desc()
            .fill(Fill::Previous)
            .group_by(Temperature::location())
            .group_by_time(Duration::from_secs(60))
            .filter(Temperature::value().gt(0)));
        assert_eq!(
            text,
            format!(
                r#"{BASE} WHERE "value" > 0.0 GROUP BY time(1m), "location" fill(previous) ORDER BY time DESC LIMIT 1 OFFSET 2 SLIMIT 3 SOFFSET 4 tz('Europe/Amsterdam')"#
            )
        );
        assert_eq!(
            q(c.select::<Temperature>().order_by_time_asc()),
            format!("{BASE} ORDER BY time ASC")
        );
        assert_eq!(
            q(c.select::<Temperature>().limit(10)),
            format!("{BASE} LIMIT 10")
        );
        assert_eq!(
            q(c.select::<Temperature>().slimit(10)),
            format!("{BASE} SLIMIT 10")
        );
    }

    #[test]
    fn offsets_always_come_with_a_limit() {
        let c = client();
        assert_eq!(
            q(c.select::<Temperature>().offset(10)),
            format!("{BASE} LIMIT 9223372036854775797 OFFSET 10")
        );
        assert_eq!(
            q(c.select::<Temperature>().soffset(10)),
            format!("{BASE} SLIMIT 9223372036854775797 SOFFSET 10")
        );
        assert_eq!(
            q(c.select::<Temperature>().offset(0)),
            format!("{BASE} LIMIT 9223372036854775807 OFFSET 0")
        );
        assert_eq!(
            q(c.select::<Temperature>().limit(5).offset(10)),
            format!("{BASE} LIMIT 5 OFFSET 10")
        );
        assert_eq!(
            q(c.select::<Temperature>().limit(u64::MAX)),
            format!("{BASE} LIMIT 9223372036854775807")
        );
        assert_eq!(
            q(c.select::<Temperature>().limit(u64::MAX).offset(u64::MAX)),
            format!("{BASE} LIMIT 1 OFFSET 9223372036854775806")
        );
        assert_eq!(
            q(c.select::<Temperature>().limit(i64::MAX as u64).offset(2)),
            format!("{BASE} LIMIT 9223372036854775805 OFFSET 2")
        );
        assert_eq!(
            q(c.select::<Temperature>().tz("America/New_York")),
            format!("{BASE} tz('America/New_York')")
        );
    }

    #[test]
    fn group_by_tags_of_a_raw_select() {
        let c = client();
        assert_eq!(
            q(c.select::<Temperature>()
                .group_by(Temperature::location())
                .group_by(Temperature::sensor())
                .group_by(Temperature::location())),
            format!(r#"{BASE} GROUP BY "location", "sensor_type""#)
        );
        assert_eq!(
            q(c.select::<Temperature>()
                .group_by(Temperature::location())
                .group_by_all_tags()),
            format!("{BASE} GROUP BY *")
        );
    }

    #[test]
    fn aggregates_group_by_their_tags() {
        let c = client();
        let select = c.select::<HourlyTemperature>();
        assert_eq!(
            select.to_influxql(),
            r#"SELECT mean("value") AS "mean_value", percentile("value", 95) AS "p95" FROM "temperature" GROUP BY "location""#
        );
        assert!(select.problem().is_none());
        let text = c
            .select::<HourlyTemperature>()
            .time_range(at(0, 0)..at(3600, 0))
            .filter(Temperature::value().gt(-100))
            .group_by_time(Duration::from_secs(3600))
            .group_by(Temperature::sensor())
            .group_by(Temperature::location())
            .fill(Fill::None)
            .to_influxql();
        assert_eq!(
            text,
            r#"SELECT mean("value") AS "mean_value", percentile("value", 95) AS "p95" FROM "temperature" WHERE time >= '1970-01-01T00:00:00.000000000Z' AND time < '1970-01-01T01:00:00.000000000Z' AND "value" > -100.0 GROUP BY time(1h), "location", "sensor_type" fill(none)"#
        );
        let text = c
            .select::<HourlyTemperature>()
            .group_by_time_offset(Duration::from_secs(3600), Duration::from_secs(900))
            .to_influxql();
        assert!(
            text.ends_with(r#" GROUP BY time(1h, 15m), "location""#),
            "{text}"
        );
        // chrono durations too; a negative offset shifts back.
        let text = c
            .select::<HourlyTemperature>()
            .group_by_time_offset(chrono::Duration::hours(1), chrono::Duration::minutes(-15))
            .to_influxql();
        assert!(
            text.ends_with(r#" GROUP BY time(1h, 45m), "location""#),
            "{text}"
        );
        let text = c
            .select::<HourlyTemperature>()
            .group_by_time(chrono::Duration::minutes(5))
            .to_influxql();
        assert!(text.contains("GROUP BY time(5m)"), "{text}");
        assert!(c
            .select::<HourlyTemperature>()
            .group_by_time(chrono::Duration::minutes(-5))
            .into_query()
            .is_err());
    }

    #[test]
    fn fills() {
        let c = client();
        let text = |fill| {
            c.select::<HourlyTemperature>()
                .group_by_time(Duration::from_millis(1500))
                .fill(fill)
                .to_influxql()
        };
        let tail = |fill: &str| format!(r#" GROUP BY time(1500ms), "location" {fill}"#);
        assert!(text(Fill::None).ends_with(&tail("fill(none)")));
        assert!(text(Fill::Null).ends_with(&tail("fill(null)")));
        assert!(text(Fill::Previous).ends_with(&tail("fill(previous)")));
        assert!(text(Fill::Linear).ends_with(&tail("fill(linear)")));
        assert!(text(Fill::Value(0.0)).ends_with(&tail("fill(0.0)")));
        assert!(text(Fill::Value(-1.5)).ends_with(&tail("fill(-1.5)")));
        assert!(text(Fill::Value(1e21)).ends_with(&tail("fill(1000000000000000000000.0)")));
    }

    #[test]
    fn retention_policies_and_databases_qualify_the_measurement() {
        let c = client();
        assert_eq!(
            q(c.select::<Temperature>().retention_policy("one_week")),
            BASE.replace(
                r#"FROM "temperature""#,
                r#"FROM "weather"."one_week"."temperature""#
            )
        );
        let select = c
            .select::<Temperature>()
            .database("other")
            .retention_policy("r\"p");
        assert_eq!(
            q(select.clone()),
            BASE.replace(
                r#"FROM "temperature""#,
                r#"FROM "other"."r\"p"."temperature""#
            )
        );
        assert_eq!(
            select.into_query().unwrap().spec.database.as_deref(),
            Some("other")
        );
        // Without a database anywhere, the policy alone qualifies the name.
        let bare = Client::new("http://localhost:8086").unwrap();
        assert_eq!(
            q(bare.select::<Temperature>().retention_policy("rp")),
            BASE.replace(r#"FROM "temperature""#, r#"FROM "rp"."temperature""#)
        );
        // The client's retention policy is the default.
        let with_rp = Client::builder("http://localhost:8086/weather")
            .retention_policy("autogen")
            .build()
            .unwrap();
        assert_eq!(
            q(with_rp.select::<Temperature>()),
            BASE.replace(
                r#"FROM "temperature""#,
                r#"FROM "weather"."autogen"."temperature""#
            )
        );
        assert_eq!(
            q(with_rp.select::<Temperature>().retention_policy("x")),
            BASE.replace(
                r#"FROM "temperature""#,
                r#"FROM "weather"."x"."temperature""#
            )
        );
    }

    #[test]
    fn hostile_values_stay_literal() {
        let c = client();
        let w = |cond| where_(c.select::<Temperature>().filter(cond));
        assert_eq!(
            w(Temperature::location().eq("'; DROP DATABASE x")),
            r#""location" = '\'; DROP DATABASE x'"#
        );
        assert_eq!(
            w(Temperature::location().eq("a\\'b\nc\"d")),
            r#""location" = 'a\\\'b\nc"d'"#
        );
        assert_eq!(w(Temperature::location().eq("\\")), r#""location" = '\\'"#);
        assert_eq!(
            w(Temperature::label().ne("' OR '1'='1")),
            r#""label" != '\' OR \'1\'=\'1'"#
        );
        assert_eq!(
            w(Temperature::location().matches("/; DROP DATABASE x; /")),
            r#""location" =~ /\/; DROP DATABASE x; \//"#
        );
        assert_eq!(
            w(Temperature::location().matches("a\nb")),
            r#""location" =~ /a\nb/"#
        );
        // A trailing backslash cannot escape the closing slash.
        assert_eq!(
            w(Temperature::location().matches("x\\") & Temperature::location().eq("/ OR 1=1 --")),
            r#""location" =~ /x\(?:)/ AND "location" = '/ OR 1=1 --'"#
        );
        assert_eq!(
            w(Temperature::label().not_matches("\\\\")),
            r#""label" !~ /\\(?:)/"#
        );
        let text = q(c
            .select::<Temperature>()
            .tz("x') ; DROP DATABASE y --")
            .retention_policy("rp\" ; DROP")
            .database("d\\b"));
        assert!(
            text.ends_with(
                r#"FROM "d\\b"."rp\" ; DROP"."temperature" tz('x\') ; DROP DATABASE y --')"#
            ),
            "{text}"
        );
        let hostile = c.select::<Hostile>().group_by(Tag::new("ta\"g"));
        assert_eq!(
            hostile.to_influxql(),
            r#"SELECT "ta\"g", "fi\\eld\" FROM x; DROP DATABASE y --" FROM "we\"ird\\ m\neasure'ment" GROUP BY "ta\"g""#
        );
        assert!(!hostile.to_influxql().contains('\n'));
    }

    #[test]
    fn what_influxql_cannot_express_is_refused_before_sending() {
        let c = client();
        let e = error(
            c.select::<Temperature>()
                .filter(Temperature::value().gt(f64::NAN)),
        );
        assert!(e.contains("NaN"), "{e}");
        assert!(c
            .select::<Temperature>()
            .filter(Temperature::value().gt(f64::NAN))
            .to_influxql()
            .ends_with(r#""value" > <NaN>"#));
        let e = error(
            c.select::<Temperature>()
                .filter(Temperature::value().ne(f64::INFINITY)),
        );
        assert!(e.contains("inf"), "{e}");
        let e =
            error(c.select::<Temperature>().filter(
                Temperature::location().eq("a") | Temperature::value().lt(f32::NEG_INFINITY),
            ));
        assert!(e.contains("inf"), "{e}");
        let e = error(c.select::<HourlyTemperature>().fill(Fill::Value(f64::NAN)));
        assert!(e.contains("fill"), "{e}");

        let e = error(
            c.select::<Temperature>()
                .filter(Temperature::time().gt(at(0, 0)) | Temperature::location().eq("a")),
        );
        assert!(e.contains("OR"), "{e}");
        let e = error(
            c.select::<Temperature>()
                .filter(!(Temperature::time().gt(at(0, 0)) & Temperature::time().lt(at(9, 0)))),
        );
        assert!(e.contains("OR"), "{e}");

        let far = DateTime::parse_from_rfc3339("3000-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let e = error(c.select::<Temperature>().time_range(..far));
        assert!(e.contains("outside"), "{e}");

        assert!(error(c.select::<Temperature>().limit(0)).contains("LIMIT 0"));
        assert!(error(c.select::<Temperature>().slimit(0)).contains("SLIMIT 0"));
        assert!(error(
            c.select::<HourlyTemperature>()
                .group_by_time(Duration::ZERO)
        )
        .contains("interval"));
        assert!(error(c.select::<TagsOnly>()).contains("tags only"));
        assert_eq!(
            c.select::<TagsOnly>().to_influxql(),
            r#"SELECT "location" FROM "tags_only""#
        );
    }

    #[test]
    fn aggregate_columns_are_checked() {
        let c = client();
        assert_eq!(
            c.select::<Integral>().into_query().unwrap().to_influxql(),
            r#"SELECT integral("value", 10m) AS "x" FROM "temperature""#
        );
        assert!(error(c.select::<BadFunction>()).contains("is not an aggregate function"));
        assert!(error(c.select::<BadArg>()).contains("is not a number greater than 0"));
        assert!(error(c.select::<BadUnit>()).contains("not a positive duration literal"));
        assert!(error(c.select::<NoPercentile>()).contains("percentile needs the percentile"));
        assert!(error(c.select::<ExtraArg>()).contains("mean takes only a column"));
        assert!(error(c.select::<NotAnAggregate>()).contains("\"moving_average\" is not"));
        assert_eq!(
            c.select::<Percentile>().into_query().unwrap().to_influxql(),
            r#"SELECT percentile("value", .5) AS "x" FROM "temperature""#
        );
    }

    #[test]
    fn conditions_display_and_compare() {
        let cond = Temperature::location().eq("a") & Temperature::value().gt(1);
        assert_eq!(cond.to_string(), r#""location" = 'a' AND "value" > 1.0"#);
        assert_eq!(
            format!("{cond:?}"),
            format!("Condition({:?})", cond.to_string())
        );
        assert_eq!(cond.clone(), cond);
        assert!(cond.problem().is_none());
    }
}
