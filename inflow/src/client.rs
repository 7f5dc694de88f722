//! The [`Client`], its builder, and URL parsing.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;

use crate::error::{Error, Result};
use crate::line_protocol::{self, DefaultTags, EncodeOptions, Precision};
use crate::measurement::ToLine;
use crate::response::DEFAULT_MAX_DOCUMENT_BYTES;
use crate::transport::{Auth, Endpoint, Node, Request, RetryPolicy, Sent, Transport};

/// How many nodes must confirm a write (InfluxDB Enterprise / clustered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consistency {
    /// Any node, hinted handoff included.
    Any,
    /// One node.
    One,
    /// A majority of the nodes.
    Quorum,
    /// Every node.
    All,
}

impl Consistency {
    fn as_str(self) -> &'static str {
        match self {
            Consistency::Any => "any",
            Consistency::One => "one",
            Consistency::Quorum => "quorum",
            Consistency::All => "all",
        }
    }
}

/// Per-call settings of a write, overriding the client's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct WriteOptions {
    /// The retention policy to write into.
    pub retention_policy: Option<String>,
    /// The timestamp precision.
    pub precision: Option<Precision>,
    /// The database.
    pub database: Option<String>,
}

impl WriteOptions {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes into this retention policy.
    pub fn retention_policy(mut self, rp: impl Into<String>) -> Self {
        self.retention_policy = Some(rp.into());
        self
    }

    /// Writes timestamps in this precision.
    pub fn precision(mut self, precision: Precision) -> Self {
        self.precision = Some(precision);
        self
    }

    /// Writes into this database.
    pub fn database(mut self, database: impl Into<String>) -> Self {
        self.database = Some(database.into());
        self
    }
}

/// What a write sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// Points written.
    pub points: usize,
    /// Bytes of line protocol sent.
    pub bytes: usize,
    /// HTTP requests that succeeded.
    pub requests: usize,
    /// Attempts that failed and were retried.
    pub retries: usize,
}

struct Inner {
    transport: Transport,
    database: Option<String>,
    retention_policy: Option<String>,
    precision: Precision,
    consistency: Option<Consistency>,
    unsigned: bool,
    msgpack: bool,
    /// The server refused to be asked for MessagePack.
    msgpack_refused: AtomicBool,
    max_document_bytes: usize,
    stream_timeout: Option<Duration>,
    default_tags: DefaultTags,
}

/// A handle on one InfluxDB (or several nodes of a cluster). Cheap to
/// clone; clones share connections.
///
/// ```no_run
/// # async fn run() -> inflow::Result<()> {
/// let client = inflow::Client::new("http://user:pass@localhost:8086/weather")?;
/// let version = client.ping().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Client")
            .field(
                "nodes",
                &inner
                    .transport
                    .nodes
                    .iter()
                    .map(|n| &n.base)
                    .collect::<Vec<_>>(),
            )
            .field("database", &inner.database)
            .field("auth", &inner.transport.auth)
            .field("precision", &inner.precision)
            .field("retention_policy", &inner.retention_policy)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `http://[user:password@]host:port[/database]`, with
    /// every other setting at its default. Several nodes, tokens and the
    /// rest are set with [`Client::builder`].
    pub fn new(url: &str) -> Result<Self> {
        Self::builder(url).build()
    }

    /// A builder starting from a URL, as in [`Client::new`].
    pub fn builder(url: &str) -> ClientBuilder {
        ClientBuilder::new(url)
    }

    /// The database writes and queries go to, unless overridden.
    pub fn database(&self) -> Option<&str> {
        self.inner.database.as_deref()
    }

    /// The retention policy writes go to, unless overridden.
    pub fn retention_policy(&self) -> Option<&str> {
        self.inner.retention_policy.as_deref()
    }

    /// The precision timestamps are written in.
    pub fn precision(&self) -> Precision {
        self.inner.precision
    }

    /// The tags added to every point this client writes.
    pub fn default_tags(&self) -> &DefaultTags {
        &self.inner.default_tags
    }

    /// How points are encoded for this client.
    pub fn encode_options(&self) -> EncodeOptions {
        EncodeOptions {
            precision: self.inner.precision,
            unsigned: self.inner.unsigned,
        }
    }

    /// Checks that the server answers; returns its version
    /// (`X-Influxdb-Version`), or `"unknown"` when it does not say.
    pub async fn ping(&self) -> Result<String> {
        let request = Request::new(Method::GET, Endpoint::Ping);
        let sent = self.send(&request, &RetryPolicy::none()).await?;
        Ok(sent
            .response
            .headers()
            .get("x-influxdb-version")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("unknown")
            .to_string())
    }

    /// Writes one point.
    pub async fn write<T: ToLine + ?Sized>(&self, point: &T) -> Result<WriteSummary> {
        self.write_all_with(std::iter::once(point), &WriteOptions::default())
            .await
    }

    /// Writes many points in one request.
    pub async fn write_all<'a, T, I>(&self, points: I) -> Result<WriteSummary>
    where
        T: ToLine + ?Sized + 'a,
        I: IntoIterator<Item = &'a T>,
    {
        self.write_all_with(points, &WriteOptions::default()).await
    }

    /// Writes many points in one request, with per-call settings.
    pub async fn write_all_with<'a, T, I>(
        &self,
        points: I,
        options: &WriteOptions,
    ) -> Result<WriteSummary>
    where
        T: ToLine + ?Sized + 'a,
        I: IntoIterator<Item = &'a T>,
    {
        let encode = EncodeOptions {
            precision: options.precision.unwrap_or(self.inner.precision),
            unsigned: self.inner.unsigned,
        };
        let mut buf = Vec::new();
        let mut count = 0;
        for point in points {
            line_protocol::encode_with_defaults(
                point,
                &mut buf,
                &encode,
                &self.inner.default_tags,
            )?;
            count += 1;
        }
        if count == 0 {
            return Ok(WriteSummary::default());
        }
        self.write_encoded(Bytes::from(buf), count, options).await
    }

    /// Sends line protocol that is already encoded (one point per line, in
    /// the precision of `options` or the client's).
    ///
    /// The write is retried like every other. Give every line a timestamp:
    /// a line without one gets the server's clock on each attempt, so an
    /// attempt that was stored but not answered would be stored twice.
    pub async fn write_line_protocol(
        &self,
        body: impl Into<Bytes>,
        options: &WriteOptions,
    ) -> Result<WriteSummary> {
        let body = body.into();
        let points = body
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        self.write_encoded(body, points, options).await
    }

    async fn write_encoded(
        &self,
        body: Bytes,
        points: usize,
        options: &WriteOptions,
    ) -> Result<WriteSummary> {
        let bytes = body.len();
        let attempts = self.post_write(body, options, self.retry_policy()).await?;
        Ok(WriteSummary {
            points,
            bytes,
            requests: 1,
            retries: attempts as usize - 1,
        })
    }

    /// The one write path, of [`Client::write`] and its siblings and of
    /// [`Session::commit`](crate::Session::commit): one `POST /write` of
    /// encoded lines, retried as `retry` allows. Returns the attempts it
    /// took.
    pub(crate) async fn post_write(
        &self,
        body: Bytes,
        options: &WriteOptions,
        retry: &RetryPolicy,
    ) -> Result<u32> {
        let request = self.write_request(body, options)?;
        Ok(self.send(&request, retry).await?.attempts)
    }

    /// The one send path of every request: retries, failover, and the
    /// mapping of every status to an error.
    pub(crate) async fn send(&self, request: &Request, retry: &RetryPolicy) -> Result<Sent> {
        self.inner.transport.send(request, retry).await
    }

    /// Whether typed reads may ask this server for MessagePack.
    pub(crate) fn wants_msgpack(&self) -> bool {
        self.inner.msgpack && !self.inner.msgpack_refused.load(Ordering::Relaxed)
    }

    /// Remembers that the server refused to be asked for MessagePack.
    pub(crate) fn msgpack_refused(&self) {
        self.inner.msgpack_refused.store(true, Ordering::Relaxed);
    }

    /// The largest document a response may hold.
    pub(crate) fn max_document_bytes(&self) -> usize {
        self.inner.max_document_bytes
    }

    /// The deadline of a whole stream, if any.
    pub(crate) fn stream_timeout(&self) -> Option<Duration> {
        self.inner.stream_timeout
    }

    fn write_request(&self, body: Bytes, options: &WriteOptions) -> Result<Request> {
        let inner = &self.inner;
        let database = options
            .database
            .as_deref()
            .or(inner.database.as_deref())
            .ok_or_else(|| {
                Error::Config(
                    "no database: put it in the URL (http://host:8086/mydb) or call .database()"
                        .into(),
                )
            })?;
        let mut request = Request::new(Method::POST, Endpoint::Write);
        request.params.push(("db", database.to_string()));
        let precision = options.precision.unwrap_or(inner.precision);
        request
            .params
            .push(("precision", precision.as_str().to_string()));
        if let Some(rp) = options
            .retention_policy
            .as_deref()
            .or(inner.retention_policy.as_deref())
        {
            request.params.push(("rp", rp.to_string()));
        }
        if let Some(consistency) = inner.consistency {
            request
                .params
                .push(("consistency", consistency.as_str().to_string()));
        }
        request.body = Some(body);
        Ok(request)
    }

    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.transport.retry
    }
}

/// Builds a [`Client`].
#[must_use = "a builder does nothing until .build() is called"]
pub struct ClientBuilder {
    urls: Vec<String>,
    database: Option<String>,
    auth: Auth,
    precision: Precision,
    retention_policy: Option<String>,
    consistency: Option<Consistency>,
    timeout: Option<Duration>,
    connect_timeout: Duration,
    user_agent: String,
    unsigned: bool,
    gzip: bool,
    msgpack: bool,
    retry: RetryPolicy,
    node_cooldown: Duration,
    max_document_bytes: usize,
    stream_timeout: Option<Duration>,
    default_tags: Vec<(String, String)>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field(
                "urls",
                &self.urls.iter().map(|u| redact_url(u)).collect::<Vec<_>>(),
            )
            .field("database", &self.database)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    fn new(url: &str) -> Self {
        ClientBuilder {
            urls: vec![url.to_string()],
            database: None,
            auth: Auth::None,
            precision: Precision::Nanoseconds,
            retention_policy: None,
            consistency: None,
            timeout: Some(Duration::from_secs(30)),
            connect_timeout: Duration::from_secs(5),
            user_agent: concat!("inflow/", env!("CARGO_PKG_VERSION")).to_string(),
            unsigned: false,
            gzip: false,
            msgpack: true,
            retry: RetryPolicy::default(),
            node_cooldown: Duration::from_secs(10),
            max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
            stream_timeout: None,
            default_tags: Vec::new(),
        }
    }

    /// Adds another node of the same cluster; a connection error or `5xx`
    /// on one node fails over to the next.
    pub fn node(mut self, url: &str) -> Self {
        self.urls.push(url.to_string());
        self
    }

    /// The database (overrides the one in the URL).
    pub fn database(mut self, database: impl Into<String>) -> Self {
        self.database = Some(database.into());
        self
    }

    /// User and password (override those in the URL); sent in an
    /// `Authorization: Basic` header.
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Auth::Basic {
            user: user.into(),
            password: password.into(),
        };
        self
    }

    /// A token, sent as `Authorization: Token ...` (InfluxDB 2.x and 3.x
    /// compatibility endpoints).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.auth = Auth::Token(token.into());
        self
    }

    /// The precision timestamps are written in (default nanoseconds).
    pub fn precision(mut self, precision: Precision) -> Self {
        self.precision = precision;
        self
    }

    /// The retention policy writes go to (default: the database's default).
    pub fn retention_policy(mut self, rp: impl Into<String>) -> Self {
        self.retention_policy = Some(rp.into());
        self
    }

    /// The write consistency (clusters only).
    pub fn consistency(mut self, consistency: Consistency) -> Self {
        self.consistency = Some(consistency);
        self
    }

    /// The time limit of one attempt of a request, its response body
    /// included (default 30 s); `None` for none. It is also the longest
    /// wait for any one read from the server.
    ///
    /// Which limit covers what:
    ///
    /// | read | limited by |
    /// |---|---|
    /// | writes, `query`, `fetch`, `fetch_one`, `ping` | `timeout`, for each attempt, body included |
    /// | `fetch_stream` | `timeout` for each read (no data for that long is an error); [`stream_timeout`](Self::stream_timeout) for the whole stream, if set |
    /// | connecting | [`connect_timeout`](Self::connect_timeout) |
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// The longest a stream ([`fetch_stream`](crate::TypedQuery::fetch_stream))
    /// may run in all, from the request to its last row; `None` (the
    /// default) for no limit. Past it the stream ends with a timeout
    /// error ([`Error::is_timeout`]) after the rows it had delivered. The
    /// per-read [`timeout`](Self::timeout) alone cannot end a server that
    /// trickles a byte at a time.
    pub fn stream_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.stream_timeout = timeout;
        self
    }

    /// The largest one document of a query's answer may be, in bytes
    /// (default [`DEFAULT_MAX_DOCUMENT_BYTES`], 256 MiB). A document is a
    /// whole plain answer, or one chunk of a chunked one (inflow reads in
    /// chunks of at most 10,000 rows). An answer whose document grows past
    /// it without ending is an error
    /// ([`DecodeError::DocumentTooLarge`](crate::DecodeError::DocumentTooLarge)),
    /// not an allocation without end.
    pub fn max_document_bytes(mut self, bytes: usize) -> Self {
        self.max_document_bytes = bytes;
        self
    }

    /// The time limit for connecting (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Asks the server to gzip its responses (`Accept-Encoding: gzip`).
    /// Off by default: it saves bandwidth over slow links, but on a local
    /// network compressing a large result costs the server more time than
    /// sending it.
    pub fn gzip(mut self, enabled: bool) -> Self {
        self.gzip = enabled;
        self
    }

    /// Asks for typed query results (`fetch`, `fetch_stream` and the other
    /// `select` and `query_as` reads) as MessagePack, and decodes JSON when
    /// the server answers with that instead. On by default: InfluxDB 1.x
    /// spends about a third less CPU producing MessagePack than JSON, sends
    /// 40 % fewer bytes, and its numbers need no parsing. Raw
    /// [`query`](Client::query) results are always JSON.
    pub fn msgpack(mut self, enabled: bool) -> Self {
        self.msgpack = enabled;
        self
    }

    /// Writes unsigned integers with the `u` suffix (InfluxDB 2.x, 3.x,
    /// Enterprise). Off by default: InfluxDB 1.x OSS refuses them.
    pub fn unsigned_integers(mut self, enabled: bool) -> Self {
        self.unsigned = enabled;
        self
    }

    /// The retry policy of every request.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How long a node that failed is passed over while another is
    /// available (default 10 s).
    pub fn node_cooldown(mut self, cooldown: Duration) -> Self {
        self.node_cooldown = cooldown;
        self
    }

    /// A tag added to every point this client writes (`host`, `region`,
    /// ...), unless the point has a tag with the same key. Checked when the
    /// client is built: a key or value no point's tag could have is a
    /// [`Error::Config`].
    pub fn default_tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.default_tags.push((key.into(), value.into()));
        self
    }

    /// Builds the client. Fails on a URL that cannot be used.
    pub fn build(self) -> Result<Client> {
        let mut default_tags = DefaultTags::default();
        for (key, value) in &self.default_tags {
            default_tags.set(key, value)?;
        }
        let mut nodes = Vec::new();
        let mut database = self.database;
        let mut auth = self.auth;
        for url in &self.urls {
            let parsed = parse_url(url)?;
            if database.is_none() {
                database = parsed.database;
            }
            if auth == Auth::None {
                if let Some((user, password)) = parsed.credentials {
                    auth = Auth::Basic { user, password };
                }
            }
            nodes.push(Node::new(parsed.base));
        }
        let mut http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .gzip(self.gzip);
        if let Some(timeout) = self.timeout {
            http = http.read_timeout(timeout);
        }
        let http = http
            .user_agent(self.user_agent)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?;
        let auth_header = auth.header()?;
        Ok(Client {
            inner: Arc::new(Inner {
                transport: Transport {
                    http,
                    nodes,
                    auth,
                    auth_header,
                    retry: self.retry,
                    node_cooldown: self.node_cooldown,
                    timeout: self.timeout,
                },
                database,
                retention_policy: self.retention_policy,
                precision: self.precision,
                consistency: self.consistency,
                unsigned: self.unsigned,
                msgpack: self.msgpack,
                msgpack_refused: AtomicBool::new(false),
                max_document_bytes: self.max_document_bytes,
                stream_timeout: self.stream_timeout,
                default_tags,
            }),
        })
    }
}

#[derive(Debug, PartialEq, Eq)]
struct ParsedUrl {
    base: String,
    database: Option<String>,
    credentials: Option<(String, String)>,
}

/// Splits `http://user:pass@host:port/prefix/db` into the node's base URL
/// (`http://host:port/prefix`), the database and the credentials. The last
/// path segment is the database.
fn parse_url(text: &str) -> Result<ParsedUrl> {
    let bad = |why: &str| Error::Config(format!("invalid URL {}: {why}", redact_url(text)));
    let url = url::Url::parse(text).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    let host = url.host_str().ok_or_else(|| bad("no host"))?;
    if url.query().is_some() {
        return Err(bad(
            "query parameters are not read; use the builder's settings instead",
        ));
    }
    let decode = |s: &str| -> Result<String> {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .map(|v| v.into_owned())
            .map_err(|_| bad("bad percent-encoding"))
    };
    let credentials = if url.username().is_empty() {
        None
    } else {
        Some((
            decode(url.username())?,
            decode(url.password().unwrap_or(""))?,
        ))
    };
    let mut segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|seg| !seg.is_empty()).collect())
        .unwrap_or_default();
    let database = match segments.pop() {
        Some(db) => Some(decode(db)?),
        None => None,
    };
    let port = url.port_or_known_default().unwrap_or(8086);
    let mut base = format!("{}://{}:{}", url.scheme(), host, port);
    for segment in segments {
        base.push('/');
        base.push_str(segment);
    }
    Ok(ParsedUrl {
        base,
        database,
        credentials,
    })
}

/// The URL with its password replaced by `***`, for messages.
fn redact_url(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut url) => {
            if url.password().is_some() {
                let _ = url.set_password(Some("***"));
            }
            if url.query().is_some() {
                url.set_query(Some("..."));
            }
            url.set_fragment(None);
            url.to_string()
        }
        Err(_) => "(unparsable URL)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_seed_url() {
        let parsed = parse_url("http://user:pass@localhost:8086/weather").unwrap();
        assert_eq!(
            parsed,
            ParsedUrl {
                base: "http://localhost:8086".into(),
                database: Some("weather".into()),
                credentials: Some(("user".into(), "pass".into())),
            }
        );
    }

    #[test]
    fn parses_variants() {
        let p = parse_url("https://h").unwrap();
        assert_eq!(p.base, "https://h:443");
        assert_eq!(p.database, None);
        assert_eq!(p.credentials, None);
        let p = parse_url("http://u%40x:p%3Aw%2F@h:9/prefix/db%20name/").unwrap();
        assert_eq!(p.base, "http://h:9/prefix");
        assert_eq!(p.database.as_deref(), Some("db name"));
        assert_eq!(p.credentials, Some(("u@x".into(), "p:w/".into())));
        let p = parse_url("http://admin:pa+ss@h/my+db").unwrap();
        assert_eq!(p.credentials, Some(("admin".into(), "pa+ss".into())));
        assert_eq!(p.database.as_deref(), Some("my+db"));
        let p = parse_url("http://[::1]:8086/db").unwrap();
        assert_eq!(p.base, "http://[::1]:8086");
    }

    #[test]
    fn rejects_bad_urls_without_leaking_the_password() {
        for bad in [
            "localhost:8086",
            "ftp://u:secret@h/db",
            "http://u:secret@h/db?u=x",
            "http://h:8086/db?u=admin&p=secret",
            "not a url",
        ] {
            let err = parse_url(bad).unwrap_err().to_string();
            assert!(!err.contains("secret"), "{err}");
            assert!(err.contains("invalid URL"), "{err}");
        }
    }

    #[test]
    fn credentials_a_header_cannot_carry_are_refused() {
        let built = Client::builder("http://localhost:8086/db")
            .token("t0ken\n")
            .build();
        assert!(matches!(built, Err(Error::Config(_))));
    }

    #[test]
    fn debug_redacts_credentials() {
        let client = Client::new("http://admin:hunter2@localhost:8086/db").unwrap();
        let text = format!("{client:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("admin"), "{text}");
        let client = Client::builder("http://localhost:8086/db")
            .token("s3cr3t-token")
            .build()
            .unwrap();
        assert!(!format!("{client:?}").contains("s3cr3t"));
        let builder = Client::builder("http://admin:hunter2@localhost:8086/db");
        assert!(!format!("{builder:?}").contains("hunter2"));
    }

    #[test]
    fn write_request_parameters() {
        let client = Client::builder("http://localhost:8086/db")
            .retention_policy("week")
            .consistency(Consistency::Quorum)
            .precision(Precision::Seconds)
            .build()
            .unwrap();
        let request = client
            .write_request(Bytes::from_static(b"m f=1i 1\n"), &WriteOptions::new())
            .unwrap();
        assert_eq!(
            request.params,
            vec![
                ("db", "db".to_string()),
                ("precision", "s".to_string()),
                ("rp", "week".to_string()),
                ("consistency", "quorum".to_string()),
            ]
        );
        let request = client
            .write_request(
                Bytes::new(),
                &WriteOptions::new()
                    .retention_policy("day")
                    .precision(Precision::Milliseconds)
                    .database("other"),
            )
            .unwrap();
        assert_eq!(request.params[0], ("db", "other".to_string()));
        assert_eq!(request.params[1], ("precision", "ms".to_string()));
        assert_eq!(request.params[2], ("rp", "day".to_string()));
        let nodb = Client::new("http://localhost:8086").unwrap();
        assert!(matches!(
            nodb.write_request(Bytes::new(), &WriteOptions::new()),
            Err(Error::Config(_))
        ));
    }
}
