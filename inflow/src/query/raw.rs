//! Raw InfluxQL: [`RawQuery`] for untyped results, [`TypedQuery`] for
//! rows of a derived struct, both with bind parameters.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;

use super::spec::QuerySpec;
use super::stream::RowStream;
use crate::client::Client;
use crate::error::{DecodeError, Error, Result};
use crate::line_protocol::Precision;
use crate::response::{FromRow, QueryResults};

/// A raw query: `.bind()` parameters, then `.await` it for untyped
/// results.
///
/// ```no_run
/// # async fn run(client: inflow::Client) -> inflow::Result<()> {
/// let results = client
///     .query("SELECT * FROM temperature WHERE location = $location")
///     .bind("location", "groningen")
///     .await?;
/// for series in results.series() {
///     println!("{:?}: {} rows", series.name, series.values.len());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until it is awaited"]
pub struct RawQuery<'c> {
    client: &'c Client,
    spec: QuerySpec,
}

impl<'c> RawQuery<'c> {
    pub(crate) fn new(client: &'c Client, text: String) -> Self {
        let mut spec = QuerySpec::new(text);
        spec.epoch = None;
        RawQuery { client, spec }
    }

    /// Binds `$name` in the query to `value`, sent as the `params`
    /// parameter: the server substitutes it, so it cannot change the query.
    pub fn bind(mut self, name: &str, value: impl Into<BindValue>) -> Self {
        self.spec.bind(name, value.into());
        self
    }

    /// Runs against this database instead of the client's.
    pub fn database(mut self, database: impl Into<String>) -> Self {
        self.spec.database = Some(database.into());
        self
    }

    /// Asks for times as integers in this unit instead of RFC 3339 strings.
    pub fn epoch(mut self, precision: Precision) -> Self {
        self.spec.epoch = Some(precision);
        self
    }

    /// Runs the query and returns its results; a statement that failed is
    /// an [`Error::Statement`].
    pub async fn execute(self) -> Result<QueryResults> {
        self.spec.results(self.client).await
    }
}

impl<'c> IntoFuture for RawQuery<'c> {
    type Output = Result<QueryResults>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'c>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.execute())
    }
}

/// A raw query whose rows decode into `T`.
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until it is fetched"]
pub struct TypedQuery<'c, T> {
    client: &'c Client,
    pub(crate) spec: QuerySpec,
    marker: PhantomData<fn() -> T>,
}

impl<'c, T: FromRow + 'static> TypedQuery<'c, T> {
    pub(crate) fn new(client: &'c Client, spec: QuerySpec) -> Self {
        TypedQuery {
            client,
            spec,
            marker: PhantomData,
        }
    }

    /// Binds `$name` in the query to `value` (see [`RawQuery::bind`]).
    pub fn bind(mut self, name: &str, value: impl Into<BindValue>) -> Self {
        self.spec.bind(name, value.into());
        self
    }

    /// Runs against this database instead of the client's.
    pub fn database(mut self, database: impl Into<String>) -> Self {
        self.spec.database = Some(database.into());
        self
    }

    /// The query text as sent.
    pub fn to_influxql(&self) -> &str {
        &self.spec.text
    }

    /// All rows. The answer is read in chunks and reassembled, so a
    /// server's `max-row-limit` cannot shorten it, and an answer cut short
    /// is an error, never a shorter `Vec`.
    pub async fn fetch(self) -> Result<Vec<T>> {
        self.spec.rows(self.client, None).await
    }

    /// The first row; [`DecodeError::NoRows`] if there is none. Asks the
    /// server for one row at a time and closes the answer after the first.
    pub async fn fetch_one(self) -> Result<T> {
        self.fetch_optional()
            .await?
            .ok_or(Error::Decode(DecodeError::NoRows))
    }

    /// The first row, if any; read as [`fetch_one`](Self::fetch_one) does.
    pub async fn fetch_optional(self) -> Result<Option<T>> {
        Ok(self.spec.rows(self.client, Some(1)).await?.pop())
    }

    /// The rows as a stream, read from a `chunked=true` response as they
    /// arrive: memory stays flat however many rows there are. See
    /// [`ClientBuilder::stream_timeout`](crate::ClientBuilder::stream_timeout)
    /// for a deadline on the whole stream.
    pub async fn fetch_stream(self) -> Result<RowStream<T>> {
        RowStream::start(self.client, &self.spec).await
    }
}

impl Client {
    /// A raw InfluxQL query; `.await` it for untyped results. Several
    /// statements separated by `;` give one result each. Statements that
    /// change things go by POST, reads by GET (or POST, when the query is
    /// too long for a URL). The answer is read in chunks and reassembled,
    /// so a server's `max-row-limit` cannot shorten it.
    pub fn query(&self, query: impl Into<String>) -> RawQuery<'_> {
        RawQuery::new(self, query.into())
    }

    /// A raw query whose rows decode into `T`.
    pub fn query_as<T: FromRow + 'static>(&self, query: impl Into<String>) -> TypedQuery<'_, T> {
        TypedQuery::new(self, QuerySpec::new(query.into()))
    }

    /// A raw query read as a chunked stream and reassembled, with times
    /// as integer nanoseconds: what [`query`](Self::query)`.epoch(ns)` does.
    pub async fn query_chunked(&self, query: impl Into<String>) -> Result<QueryResults> {
        QuerySpec::new(query.into()).results(self).await
    }
}

/// A value bound to `$name` in a raw query: a string, any number, a
/// `bool`, or a time (`DateTime<Utc>`, `SystemTime`: compared with `time`
/// as the instant it is). The server substitutes it, so no value can change
/// the query; integers keep every digit.
#[derive(Debug, Clone, PartialEq)]
pub struct BindValue(pub(crate) serde_json::Value);

macro_rules! bind_from {
    ($($ty:ty),*) => {$(
        impl From<$ty> for BindValue {
            fn from(value: $ty) -> Self {
                BindValue(serde_json::Value::from(value))
            }
        }
    )*};
}
bind_from!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize, bool, String, &str);

impl From<&String> for BindValue {
    fn from(value: &String) -> Self {
        BindValue(serde_json::Value::from(value.as_str()))
    }
}

impl From<std::borrow::Cow<'_, str>> for BindValue {
    fn from(value: std::borrow::Cow<'_, str>) -> Self {
        BindValue(serde_json::Value::from(value.into_owned()))
    }
}

/// A float; NaN and infinities, which JSON cannot carry, are bound as
/// `null` and match nothing.
impl From<f64> for BindValue {
    fn from(value: f64) -> Self {
        BindValue(serde_json::Value::from(value))
    }
}

impl From<f32> for BindValue {
    fn from(value: f32) -> Self {
        BindValue::from(f64::from(value))
    }
}

/// A time, as integer nanoseconds since the epoch: exact, and accepted
/// across the whole range the server stores.
impl From<chrono::DateTime<chrono::Utc>> for BindValue {
    fn from(value: chrono::DateTime<chrono::Utc>) -> Self {
        match value.timestamp_nanos_opt() {
            Some(nanos) => BindValue(serde_json::Value::from(nanos)),
            // Outside what nanoseconds (and the server) can hold: as text,
            // which the server refuses with its own message.
            None => BindValue(serde_json::Value::from(value.to_rfc3339())),
        }
    }
}

impl From<std::time::SystemTime> for BindValue {
    fn from(value: std::time::SystemTime) -> Self {
        BindValue::from(chrono::DateTime::<chrono::Utc>::from(value))
    }
}

/// Any JSON value, for what the other conversions do not cover.
impl From<serde_json::Value> for BindValue {
    fn from(value: serde_json::Value) -> Self {
        BindValue(value)
    }
}
