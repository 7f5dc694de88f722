//! Running queries: raw strings with bind parameters, typed results,
//! streams, and the admin statements.

use std::collections::VecDeque;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_core::Stream;
use futures_util::StreamExt;
use reqwest::Method;

use super::quote::{duration_literal, quote_ident};
use crate::client::Client;
use crate::error::{DecodeError, Error, Result};
use crate::line_protocol::Precision;
use crate::response::{
    decode_results, decode_rows_in, Format, Framer, FromRow, QueryResults, StreamDecoder,
};
use crate::transport::{Endpoint, Request};

/// Rows per chunk asked of the server when streaming.
pub const STREAM_CHUNK_SIZE: usize = 10_000;

/// What typed queries accept. A server that does not offer MessagePack
/// answers in JSON, its default, and says so in `Content-Type`. (InfluxDB
/// 1.6 picks JSON when a list also names JSON, whatever its `q`.)
const ACCEPT_MSGPACK: &str = "application/x-msgpack";

/// A response's `Content-Type`.
fn content_type(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A query, its parameters and where it runs.
#[derive(Debug, Clone)]
pub(crate) struct QuerySpec {
    pub(crate) text: String,
    pub(crate) params: serde_json::Map<String, serde_json::Value>,
    pub(crate) database: Option<String>,
    pub(crate) retention_policy: Option<String>,
    pub(crate) epoch: Option<Precision>,
}

impl QuerySpec {
    pub(crate) fn new(text: String) -> Self {
        QuerySpec {
            text,
            params: serde_json::Map::new(),
            database: None,
            retention_policy: None,
            epoch: Some(Precision::Nanoseconds),
        }
    }

    fn request(&self, client: &Client, chunked: bool, msgpack: bool) -> Request {
        let method = if is_mutating(&self.text) {
            Method::POST
        } else {
            Method::GET
        };
        let mut request = Request::new(method.clone(), Endpoint::Query);
        if msgpack {
            request.accept = Some(ACCEPT_MSGPACK);
        }
        let mut params: Vec<(&'static str, String)> = vec![("q", self.text.clone())];
        if let Some(db) = self.database.as_deref().or(client.database()) {
            params.push(("db", db.to_string()));
        }
        if let Some(rp) = &self.retention_policy {
            params.push(("rp", rp.clone()));
        }
        if let Some(epoch) = self.epoch {
            params.push(("epoch", epoch.as_str().to_string()));
        }
        if !self.params.is_empty() {
            params.push((
                "params",
                serde_json::Value::Object(self.params.clone()).to_string(),
            ));
        }
        if chunked {
            request.streaming = true;
            params.push(("chunked", "true".to_string()));
            params.push(("chunk_size", STREAM_CHUNK_SIZE.to_string()));
        }
        if method == Method::POST {
            request.form = params;
        } else {
            request.params = params;
        }
        request
    }

    /// Sends the query, asking for MessagePack when `msgpack` is set (only
    /// reads decoded into a type can take either format).
    pub(crate) async fn send(
        &self,
        client: &Client,
        chunked: bool,
        msgpack: bool,
    ) -> Result<reqwest::Response> {
        let request = self.request(client, chunked, msgpack);
        let sent = client
            .inner
            .transport
            .send(&request, client.retry_policy())
            .await?;
        Ok(sent.response)
    }

    pub(crate) async fn body(&self, client: &Client) -> Result<bytes::Bytes> {
        self.send(client, false, false)
            .await?
            .bytes()
            .await
            .map_err(Error::transport)
    }

    pub(crate) async fn results(&self, client: &Client) -> Result<QueryResults> {
        decode_results(&self.body(client).await?, false)
    }

    pub(crate) async fn rows<T: FromRow>(&self, client: &Client) -> Result<Vec<T>> {
        let response = self.send_typed(client, false).await?;
        let content_type = content_type(&response);
        let body = response.bytes().await.map_err(Error::transport)?;
        decode_rows_in(
            Format::sniff(content_type.as_deref(), body.first().copied()),
            &body,
        )
    }

    /// Sends a query whose rows are decoded into a type: asking for
    /// MessagePack unless the client says not to, or the server refused it.
    async fn send_typed(&self, client: &Client, chunked: bool) -> Result<reqwest::Response> {
        let refused = &client.inner.msgpack_refused;
        // A statement that changes things is sent once, in JSON: the
        // fallback below must never run it twice. The flag is the client's,
        // for all its nodes: one node that refuses makes every read JSON.
        if !client.inner.msgpack || refused.load(Ordering::Relaxed) || is_mutating(&self.text) {
            return self.send(client, chunked, false).await;
        }
        match self.send(client, chunked, true).await {
            // A server without MessagePack may refuse to be asked for it
            // (InfluxDB 3's v1 API answers 400, "invalid mime type"): ask
            // again in JSON, and when that is answered, stop asking this
            // server. A query the server refuses in JSON as well (a parse
            // error) fails with the JSON answer, and changes nothing.
            Err(Error::QueryFailed { status: 400, .. })
            | Err(Error::UnexpectedStatus {
                status: 406 | 415, ..
            }) => {
                let response = self.send(client, chunked, false).await?;
                refused.store(true, Ordering::Relaxed);
                Ok(response)
            }
            other => other,
        }
    }

    pub(crate) async fn stream<T: FromRow + 'static>(
        &self,
        client: &Client,
    ) -> Result<RowStream<T>> {
        let response = self.send_typed(client, true).await?;
        Ok(RowStream::new(response))
    }
}

fn bind_value(spec: &mut QuerySpec, name: &str, value: impl Into<serde_json::Value>) {
    spec.params.insert(name.to_string(), value.into());
}

/// Whether any statement of `query` changes something and must be sent by
/// POST: decided by each statement's leading keyword (and `INTO` in a
/// `SELECT`), outside of quotes and comments.
pub fn is_mutating(query: &str) -> bool {
    statements(query).iter().any(|words| {
        let Some(first) = words.first() else {
            return false;
        };
        match first.as_str() {
            "SELECT" => words.iter().any(|w| w == "INTO"),
            "SHOW" | "EXPLAIN" => false,
            _ => true,
        }
    })
}

/// The upper-cased bare words of each statement, skipping quoted text,
/// regexes and comments.
fn statements(query: &str) -> Vec<Vec<String>> {
    let mut all = vec![Vec::new()];
    let mut word = String::new();
    let mut chars = query.chars().peekable();
    let mut prev_significant: Option<char> = None;
    let flush = |word: &mut String, all: &mut Vec<Vec<String>>| {
        if !word.is_empty() {
            all.last_mut()
                .expect("never empty")
                .push(word.to_ascii_uppercase());
            word.clear();
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                flush(&mut word, &mut all);
                while let Some(d) = chars.next() {
                    if d == '\\' {
                        chars.next();
                    } else if d == c {
                        break;
                    }
                }
            }
            '/' if matches!(prev_significant, Some('~')) => {
                flush(&mut word, &mut all);
                while let Some(d) = chars.next() {
                    if d == '\\' {
                        chars.next();
                    } else if d == '/' {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                flush(&mut word, &mut all);
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            ';' => {
                flush(&mut word, &mut all);
                all.push(Vec::new());
            }
            c if c.is_alphanumeric() || c == '_' => word.push(c),
            _ => flush(&mut word, &mut all),
        }
        if !c.is_whitespace() {
            prev_significant = Some(c);
        }
    }
    flush(&mut word, &mut all);
    all.retain(|s| !s.is_empty());
    all
}

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
    pub fn bind(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        bind_value(&mut self.spec, name, value);
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

    /// Binds `$name` in the query to `value`.
    pub fn bind(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        bind_value(&mut self.spec, name, value);
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

    /// All rows.
    pub async fn fetch(self) -> Result<Vec<T>> {
        self.spec.rows(self.client).await
    }

    /// The first row; an error if there is none.
    pub async fn fetch_one(self) -> Result<T> {
        self.fetch_optional()
            .await?
            .ok_or(Error::Decode(DecodeError::NoRows))
    }

    /// The first row, if any.
    pub async fn fetch_optional(self) -> Result<Option<T>> {
        Ok(self.fetch().await?.into_iter().next())
    }

    /// The rows as a stream, read from a `chunked=true` response as they
    /// arrive: memory stays flat however many rows there are.
    pub async fn fetch_stream(self) -> Result<RowStream<T>> {
        self.spec.stream(self.client).await
    }
}

/// Runs of whole documents read ahead of the decoder.
const READ_AHEAD: usize = 8;

/// Runs of whole documents, each with the format of the stream.
type ByteStream = Pin<Box<dyn Stream<Item = Result<(Format, bytes::Bytes)>> + Send>>;

/// Rows of `T` decoded from a chunked response, one chunk at a time.
pub struct RowStream<T> {
    /// The task reading the response; stopped when the stream is dropped,
    /// which closes the connection and ends the query on the server.
    reader: tokio::task::AbortHandle,
    bytes: ByteStream,
    decoder: StreamDecoder<T>,
    ready: VecDeque<T>,
    batch: Vec<T>,
    error: Option<Error>,
    done: bool,
}

impl<T> std::fmt::Debug for RowStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowStream")
            .field("ready_rows", &self.ready.len())
            .field("done", &self.done)
            .finish()
    }
}

impl<T: FromRow + 'static> RowStream<T> {
    fn new(response: reqwest::Response) -> Self {
        let content_type = content_type(&response);
        // A task of its own keeps reading the socket while rows are decoded
        // and consumed, so the server is never held up by the decoder, and
        // hands over whole documents, so the decoder is not woken for every
        // network read; the bounded channel keeps memory flat when the
        // consumer is slower.
        let (tx, rx) = tokio::sync::mpsc::channel(READ_AHEAD);
        let reader = tokio::spawn(async move {
            let mut body = response.bytes_stream();
            let mut framer: Option<Framer> = None;
            while let Some(frame) = body.next().await {
                let frame = match frame {
                    Ok(frame) if frame.is_empty() => continue,
                    Ok(frame) => frame,
                    Err(e) => {
                        let _ = tx.send(Err(Error::transport(e))).await;
                        return;
                    }
                };
                let framer = framer.get_or_insert_with(|| {
                    Framer::new(Format::sniff(
                        content_type.as_deref(),
                        frame.first().copied(),
                    ))
                });
                let framed = framer.push(&frame);
                if let Some(documents) = framed.documents {
                    if tx.send(Ok((framer.format(), documents))).await.is_err() {
                        return;
                    }
                }
                if let Some(e) = framed.error {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
            if let Some(framer) = framer {
                let format = framer.format();
                let rest = framer.finish();
                if !rest.is_empty() {
                    let _ = tx.send(Ok((format, rest))).await;
                }
            }
        });
        RowStream {
            reader: reader.abort_handle(),
            bytes: Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|frame| (frame, rx))
            })),
            decoder: StreamDecoder::new(Format::Json),
            ready: VecDeque::new(),
            batch: Vec::new(),
            error: None,
            done: false,
        }
    }
}

impl<T> Drop for RowStream<T> {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl<T: FromRow + Unpin + 'static> Stream for RowStream<T> {
    type Item = Result<T>;

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        let this = &mut *self;
        loop {
            if let Some(row) = this.ready.pop_front() {
                return Poll::Ready(Some(Ok(row)));
            }
            // Rows decoded before an error come first, then the error.
            if let Some(error) = this.error.take() {
                return Poll::Ready(Some(Err(error)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            let outcome = match this.bytes.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok((format, documents)))) => {
                    this.decoder.set_format(format);
                    this.decoder.push_documents(&documents, &mut this.batch)
                }
                Poll::Ready(Some(Err(e))) => Err(e),
                Poll::Ready(None) => {
                    this.done = true;
                    this.decoder.finish(&mut this.batch)
                }
            };
            this.ready.extend(this.batch.drain(..));
            if let Err(e) = outcome {
                this.done = true;
                this.error = Some(e);
            }
        }
    }
}

/// A raw query read with `chunked=true` and reassembled.
pub(crate) async fn chunked_results(client: &Client, spec: &QuerySpec) -> Result<QueryResults> {
    let body = spec
        .send(client, true, false)
        .await?
        .bytes()
        .await
        .map_err(Error::transport)?;
    decode_results(&body, true)
}

impl Client {
    /// A raw InfluxQL query; `.await` it for untyped results. Several
    /// statements separated by `;` give one result each. Statements that
    /// change things go by POST, reads by GET.
    pub fn query(&self, query: impl Into<String>) -> RawQuery<'_> {
        RawQuery::new(self, query.into())
    }

    /// A raw query whose rows decode into `T`.
    pub fn query_as<T: FromRow + 'static>(&self, query: impl Into<String>) -> TypedQuery<'_, T> {
        TypedQuery::new(self, QuerySpec::new(query.into()))
    }

    /// A raw query read as a chunked stream and reassembled.
    pub async fn query_chunked(&self, query: impl Into<String>) -> Result<QueryResults> {
        chunked_results(self, &QuerySpec::new(query.into())).await
    }

    /// `CREATE DATABASE` (does nothing if it exists).
    pub async fn create_database(&self, name: &str) -> Result<()> {
        self.query(format!("CREATE DATABASE {}", quote_ident(name)))
            .await
            .map(drop)
    }

    /// `DROP DATABASE` (does nothing if it does not exist).
    pub async fn drop_database(&self, name: &str) -> Result<()> {
        self.query(format!("DROP DATABASE {}", quote_ident(name)))
            .await
            .map(drop)
    }

    /// `CREATE RETENTION POLICY` on the client's database.
    /// `duration` of zero keeps data forever.
    pub async fn create_retention_policy(
        &self,
        name: &str,
        duration: Duration,
        replication: u32,
        default: bool,
    ) -> Result<()> {
        let database = self.database().ok_or_else(|| {
            Error::Config("create_retention_policy needs a database on the client".into())
        })?;
        let duration = if duration.is_zero() {
            "INF".to_string()
        } else {
            duration_literal(duration)
        };
        let mut q = format!(
            "CREATE RETENTION POLICY {} ON {} DURATION {duration} REPLICATION {replication}",
            quote_ident(name),
            quote_ident(database),
        );
        if default {
            q.push_str(" DEFAULT");
        }
        self.query(q).await.map(drop)
    }

    /// The names of all databases.
    pub async fn show_databases(&self) -> Result<Vec<String>> {
        self.show_strings("SHOW DATABASES".into(), "name").await
    }

    /// The measurements of the client's database.
    pub async fn show_measurements(&self) -> Result<Vec<String>> {
        self.show_strings("SHOW MEASUREMENTS".into(), "name").await
    }

    /// The tag keys of a measurement.
    pub async fn show_tag_keys(&self, measurement: &str) -> Result<Vec<String>> {
        self.show_strings(
            format!("SHOW TAG KEYS FROM {}", quote_ident(measurement)),
            "tagKey",
        )
        .await
    }

    /// The values of one tag of a measurement.
    pub async fn show_tag_values(&self, measurement: &str, key: &str) -> Result<Vec<String>> {
        self.show_strings(
            format!(
                "SHOW TAG VALUES FROM {} WITH KEY = {}",
                quote_ident(measurement),
                quote_ident(key)
            ),
            "value",
        )
        .await
    }

    /// The field keys of a measurement, with their types (`float`,
    /// `integer`, `string`, `boolean`).
    pub async fn show_field_keys(&self, measurement: &str) -> Result<Vec<(String, String)>> {
        let results = self
            .query(format!("SHOW FIELD KEYS FROM {}", quote_ident(measurement)))
            .await?;
        let mut out = Vec::new();
        for series in results.series() {
            let (Some(k), Some(t)) = (series.column("fieldKey"), series.column("fieldType")) else {
                continue;
            };
            for row in &series.values {
                if let (Some(key), Some(kind)) = (
                    row.get(k).and_then(|v| v.as_str()),
                    row.get(t).and_then(|v| v.as_str()),
                ) {
                    out.push((key.to_string(), kind.to_string()));
                }
            }
        }
        Ok(out)
    }

    /// The retention policies of the client's database.
    pub async fn show_retention_policies(&self) -> Result<Vec<RetentionPolicy>> {
        let database = self.database().ok_or_else(|| {
            Error::Config("show_retention_policies needs a database on the client".into())
        })?;
        let results = self
            .query(format!(
                "SHOW RETENTION POLICIES ON {}",
                quote_ident(database)
            ))
            .await?;
        let mut out = Vec::new();
        for series in results.series() {
            let col = |name: &str| series.column(name);
            for row in &series.values {
                let get = |name: &str| col(name).and_then(|i| row.get(i));
                out.push(RetentionPolicy {
                    name: get("name")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string(),
                    duration: get("duration")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string(),
                    replication: get("replicaN").and_then(|v| v.as_u64()).unwrap_or(0),
                    default: get("default").and_then(|v| v.as_bool()).unwrap_or(false),
                });
            }
        }
        Ok(out)
    }

    async fn show_strings(&self, query: String, column: &str) -> Result<Vec<String>> {
        let results = self.query(query).await?;
        let mut out = Vec::new();
        for series in results.series() {
            if let Some(values) = series.column_values(column) {
                out.extend(values.filter_map(|v| v.as_str().map(str::to_string)));
            }
        }
        Ok(out)
    }
}

/// A retention policy, as `SHOW RETENTION POLICIES` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Its name.
    pub name: String,
    /// How long data is kept (`0s`: forever), as the server writes it.
    pub duration: String,
    /// The replication factor.
    pub replication: u64,
    /// Whether it is the database's default.
    pub default: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_go_by_get_writes_by_post() {
        assert!(!is_mutating("SELECT * FROM cpu"));
        assert!(!is_mutating("  select * from cpu; SHOW DATABASES"));
        assert!(!is_mutating("SELECT * FROM \"into\" WHERE t = 'DROP'"));
        assert!(!is_mutating("SELECT * FROM cpu WHERE h =~ /INTO;DROP/"));
        assert!(!is_mutating("-- DROP\nSELECT 1"));
        assert!(!is_mutating("EXPLAIN SELECT * FROM cpu"));
        assert!(is_mutating("SELECT * INTO b FROM a"));
        assert!(is_mutating("select * into b from a"));
        assert!(is_mutating("SELECT 1; DROP DATABASE x"));
        for q in [
            "CREATE DATABASE x",
            "DROP MEASUREMENT m",
            "DELETE FROM m",
            "ALTER RETENTION POLICY a ON b DEFAULT",
            "GRANT ALL TO u",
            "REVOKE ALL FROM u",
            "KILL QUERY 1",
        ] {
            assert!(is_mutating(q), "{q}");
        }
    }
}
