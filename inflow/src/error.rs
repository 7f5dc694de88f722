//! One error type for everything inflow does.

use std::fmt;
use std::time::Duration;

/// `Result` with inflow's [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, from encoding a point to reading a response.
///
/// Messages never contain a password or a token: credentials travel in a
/// header and are redacted from every `Debug` and `Display`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A point could not be encoded; nothing was sent and the batch is unchanged.
    #[error("invalid point for measurement {measurement:?}: {reason}")]
    InvalidPoint {
        /// The measurement the point was meant for.
        measurement: String,
        /// What is wrong with it.
        reason: InvalidPoint,
    },
    /// The server refused the write (`400`): a line it could not parse or a
    /// field type conflict. Nothing of the request was stored unless the
    /// message says `partial write`, which is [`Error::PartialWrite`].
    #[error("write failed ({status}): {message}")]
    WriteFailed {
        /// HTTP status code.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// The server stored some points of a write and dropped others.
    #[error("partial write, {} dropped: {message}", dropped.map_or_else(|| "some points".to_string(), |n| format!("{n} point(s)")))]
    PartialWrite {
        /// How many points the server says it dropped (`dropped=N`), when it says.
        /// `Some(0)` with unparsable lines: the server counts those separately.
        dropped: Option<u64>,
        /// The server's message.
        message: String,
    },
    /// A query was rejected as a whole (for example a syntax error, `400`).
    #[error("query failed ({status}): {message}")]
    QueryFailed {
        /// HTTP status code.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// The server answered `200` and then reported an error for the query
    /// as a whole inside the answer (`{"error": ...}` in place of results):
    /// for example a query killed or timed out while its answer streamed.
    #[error("query failed inside the answer: {message}")]
    QueryAborted {
        /// The server's message.
        message: String,
    },
    /// One statement of a query failed; the server answers `200` with an
    /// `error` inside the statement's result.
    #[error("statement {statement} failed: {message}")]
    Statement {
        /// Zero-based index of the statement in the query string.
        statement: usize,
        /// The server's message.
        message: String,
    },
    /// The database does not exist (`404` on `/write`).
    #[error("{message}")]
    DatabaseNotFound {
        /// The server's message.
        message: String,
    },
    /// Authentication failed (`401`).
    #[error("unauthorized: {message}")]
    Unauthorized {
        /// The server's message.
        message: String,
    },
    /// The user may not do this (`403`).
    #[error("forbidden: {message}")]
    Forbidden {
        /// The server's message.
        message: String,
    },
    /// The request body is larger than the server's `max-body-size` (`413`).
    #[error("payload too large ({bytes} bytes): {message}")]
    PayloadTooLarge {
        /// Size of the body that was refused.
        bytes: usize,
        /// The server's message.
        message: String,
    },
    /// The server asks to slow down (`429`).
    #[error("rate limited{}: {message}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs_f64())).unwrap_or_default())]
    RateLimited {
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
        /// The server's message.
        message: String,
    },
    /// The server failed (`5xx`).
    #[error("server error ({status}): {message}")]
    Server {
        /// HTTP status code.
        status: u16,
        /// The server's message.
        message: String,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
    /// Any other status the server answered with.
    #[error("unexpected response ({status}): {message}")]
    UnexpectedStatus {
        /// HTTP status code.
        status: u16,
        /// The body, or the start of it.
        message: String,
    },
    /// A response could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The server answered with something that is not valid HTTP: InfluxDB
    /// 1.x copies a refused line into its `X-Influxdb-Error` header,
    /// control characters included, which makes the header unreadable. The
    /// request was read and answered, so it is not retried; a session
    /// isolates the points of such a write as it does on `400`.
    #[error("the server's answer could not be read ({message}); InfluxDB answers so when its error message holds control characters, such as a refused line's")]
    UnreadableAnswer {
        /// What the HTTP stack found.
        message: String,
    },
    /// The request did not complete: connection refused or reset, DNS, TLS.
    #[error("transport error{}: {source}", if *timeout { " (timeout)" } else { "" })]
    Transport {
        /// Whether the request timed out.
        timeout: bool,
        /// The underlying error (without URL).
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The client was configured wrongly (a bad URL, a missing database).
    #[error("configuration error: {0}")]
    Config(String),
    /// The API was used in a way that cannot work, and nothing was sent: a
    /// savepoint from before the last commit or rollback, a `SELECT` the
    /// builder holds that InfluxQL cannot express.
    #[error("misuse: {0}")]
    Misuse(String),
    /// The request could not be built (a header or URL the HTTP stack
    /// refuses); nothing was sent, and sending it again cannot help.
    #[error("the request could not be built: {0}")]
    InvalidRequest(String),
    /// A commit could not write some points even after isolating them; every
    /// other point of the batch was written.
    #[error("{} point(s) rejected by the server, the rest were written; first: {}", rejected.len(), rejected.first().map(|r| r.to_string()).unwrap_or_default())]
    Rejected {
        /// Each rejected line, with the server's reason.
        rejected: Vec<RejectedPoint>,
    },
}

impl Error {
    /// Whether sending the same request again may succeed: connection errors,
    /// timeouts, `5xx` and `429`. Other `4xx` answers will not change.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Transport { .. } | Error::Server { .. } | Error::RateLimited { .. }
        )
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Transport { timeout: true, .. })
    }

    /// The HTTP status code, when the error came from one.
    pub fn status(&self) -> Option<u16> {
        Some(match self {
            Error::WriteFailed { status, .. }
            | Error::QueryFailed { status, .. }
            | Error::Server { status, .. }
            | Error::UnexpectedStatus { status, .. } => *status,
            Error::PartialWrite { .. } => 400,
            Error::DatabaseNotFound { .. } => 404,
            Error::Unauthorized { .. } => 401,
            Error::Forbidden { .. } => 403,
            Error::PayloadTooLarge { .. } => 413,
            Error::RateLimited { .. } => 429,
            _ => return None,
        })
    }

    /// How long the server asked to wait before trying again, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } | Error::Server { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    pub(crate) fn transport(err: reqwest::Error) -> Self {
        if err.is_builder() {
            return Error::InvalidRequest(err.without_url().to_string());
        }
        if let Some(parse) = unreadable_header(&err) {
            return Error::UnreadableAnswer { message: parse };
        }
        let timeout = err.is_timeout();
        // The host and port, never the URL: it may hold credentials.
        let target = err.url().and_then(|url| {
            Some(format!(
                "{}:{}",
                url.host_str()?,
                url.port_or_known_default()?
            ))
        });
        Error::Transport {
            timeout,
            source: Box::new(TransportCause {
                target,
                source: err.without_url(),
            }),
        }
    }

    pub(crate) fn invalid(measurement: impl Into<String>, reason: InvalidPoint) -> Self {
        Error::InvalidPoint {
            measurement: measurement.into(),
            reason,
        }
    }
}

/// A transport failure, said in full: every cause in the chain (reqwest's
/// own message alone is "error sending request"), and the node it was
/// talking to.
#[derive(Debug)]
struct TransportCause {
    target: Option<String>,
    source: reqwest::Error,
}

impl std::fmt::Display for TransportCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.source)?;
        let mut cause = std::error::Error::source(&self.source);
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        if let Some(target) = &self.target {
            write!(f, " (talking to {target})")?;
        }
        Ok(())
    }
}

impl std::error::Error for TransportCause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// The HTTP stack's complaint when an answer arrived with a header it
/// cannot read. Only a bad header counts: an answer that is not HTTP at all
/// (a bad status line or version: another service on the port) stays a
/// transport error.
fn unreadable_header(err: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(hyper) = e.downcast_ref::<hyper::Error>() {
            let text = hyper.to_string();
            return (hyper.is_parse() && text.contains("header")).then_some(text);
        }
        source = e.source();
    }
    None
}

/// A line the server would not store, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedPoint {
    /// The line protocol of the point, without the trailing newline.
    pub line: String,
    /// The error the server gave for it.
    pub message: String,
}

impl fmt::Display for RejectedPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.line, self.message)
    }
}

/// Why a point cannot be written. Each of these is refused before sending,
/// because the server would refuse it or store something else.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidPoint {
    /// The measurement name is empty.
    #[error("the measurement name is empty")]
    EmptyMeasurement,
    /// A point needs at least one field (all were `None`, or none were given).
    #[error("the point has no fields; InfluxDB needs at least one")]
    NoFields,
    /// A tag key is empty.
    #[error("a tag key is empty")]
    EmptyTagKey,
    /// A field key is empty.
    #[error("a field key is empty")]
    EmptyFieldKey,
    /// The same tag key twice (with non-empty values: a tag with an empty
    /// value is left out).
    #[error("tag {0:?} is given twice")]
    DuplicateTag(String),
    /// The same field key twice: the server would keep one of the values,
    /// or refuse the line when their types differ.
    #[error("field {0:?} is given twice")]
    DuplicateField(String),
    /// A float field is NaN or infinite, which line protocol cannot carry.
    #[error("field {field:?} is {value}, which InfluxDB cannot store")]
    NonFiniteFloat {
        /// The field key.
        field: String,
        /// `NaN`, `inf` or `-inf`.
        value: String,
    },
    /// A newline in a measurement, tag key, tag value or field key would
    /// split the line (unless a backslash escapes it).
    #[error("{what} {text:?} contains a newline, which would end the line")]
    Newline {
        /// `measurement`, `tag key`, `tag value` or `field key`.
        what: &'static str,
        /// The offending text.
        text: String,
    },
    /// A trailing backslash would escape the separator after it.
    #[error("{what} {text:?} ends in a backslash, which would escape the separator after it")]
    TrailingBackslash {
        /// `measurement`, `tag key`, `tag value` or `field key`.
        what: &'static str,
        /// The offending text.
        text: String,
    },
    /// A measurement starting with `#` (a comment to the server) or with a
    /// tab or NUL (which the server skips).
    #[error("measurement {0:?} starts with a character the server reads as a comment or skips")]
    BadMeasurementStart(String),
    /// A measurement with a backslash before `,`, `=`, a space or `"`, or
    /// a field key with an odd run of backslashes before `,`, `=` or a
    /// space: the server reads the pair as an escape, and stores another
    /// name or refuses the line.
    #[error("measurement or field key {0:?} has a backslash before `,`, `=`, a space or `\"`, which the server reads as an escape")]
    EscapingBackslash(String),
    /// A NUL in a tag key or value: the server's query engine joins a
    /// series' tags with NULs to group it, so the tag could be read back,
    /// grouped, as another series' tags.
    #[error("{what} {text:?} contains a NUL, which the server's grouping confuses with its tag separator")]
    NulInTag {
        /// `tag key` or `tag value`.
        what: &'static str,
        /// The offending text.
        text: String,
    },
    /// Every field key starts with a tab or NUL, which the server skips at
    /// the start of the fields (a key of that kind is fine after another).
    #[error(
        "every field key starts with a tab or NUL, which the server would drop from the first one"
    )]
    SkippedFieldKeys,
    /// A tag key or value with a backslash before a space, in a line with
    /// a `"` after it: the server would split the line in the wrong place,
    /// joining the next line to it or cutting a string field short.
    #[error("{what} {text:?} has a backslash before a space; with the `\"` later in the line, the server would misjudge where the line ends")]
    MisplacedLineEnd {
        /// `tag key` or `tag value`.
        what: &'static str,
        /// The offending text.
        text: String,
    },
    /// `time` cannot be a tag or field key: the server drops it.
    #[error("{what} may not be named \"time\"; the server drops it")]
    TimeKey {
        /// `tag key` or `field key`.
        what: &'static str,
    },
    /// An unsigned value above `i64::MAX` while unsigned output is off
    /// (InfluxDB 1.x OSS has no unsigned type).
    #[error("field {field:?} = {value} does not fit a signed 64-bit integer; enable unsigned output for servers that support `u`")]
    UnsignedOverflow {
        /// The field key.
        field: String,
        /// The value.
        value: u64,
    },
    /// The timestamp is outside the range InfluxDB can store
    /// (-9223372036854775806 ..= 9223372036854775806 ns, 1677-09-21 to 2262-04-11).
    #[error("timestamp is outside the range InfluxDB can store (1677-09-21 to 2262-04-11)")]
    TimestampOutOfRange,
    /// The series key (measurement and tags), or the series key with a
    /// field key (and 4 bytes between them), is longer than 65535 bytes.
    #[error("series key is {len} bytes, more than the limit of 65535 (with a field key, the series key and 4 bytes between them)")]
    KeyTooLong {
        /// Its length in bytes.
        len: usize,
    },
}

/// A response body that does not decode into what was asked for.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A column the struct needs is not in the result.
    #[error("{measurement}: column {column:?} is missing (expected {expected})")]
    MissingColumn {
        /// The struct's measurement.
        measurement: &'static str,
        /// The column.
        column: &'static str,
        /// The Rust type that was expected.
        expected: &'static str,
    },
    /// A value has the wrong type for its field.
    #[error("{measurement}: column {column:?} expected {expected}, found {found}")]
    WrongType {
        /// The struct's measurement.
        measurement: &'static str,
        /// The column.
        column: String,
        /// What was expected.
        expected: &'static str,
        /// What the server sent.
        found: String,
    },
    /// The body is not the JSON the server is expected to send.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// The answer ended inside a series the server marked as continuing
    /// (`"partial": true`): it was cut short, by the connection or by the
    /// server (`max-row-limit`). The rows before the cut are not returned
    /// as if they were the result.
    #[error("the answer was cut short inside series {0:?} (the server marked it to be continued, and it was not)")]
    Truncated(String),
    /// The answer held no document at all: an empty body, or one cut before
    /// its first document. InfluxDB always sends at least one, even for a
    /// query with no rows.
    #[error("the server's answer was empty or cut before its first document")]
    EmptyResponse,
    /// One document of the answer grew past the limit
    /// ([`ClientBuilder::max_document_bytes`](crate::ClientBuilder::max_document_bytes))
    /// without ending.
    #[error("a document of the answer is larger than {limit} bytes without ending (raise ClientBuilder::max_document_bytes if the server really sends such documents)")]
    DocumentTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// `fetch_one` found no row.
    #[error("the query returned no rows")]
    NoRows,
}
