//! HTTP over reqwest: authentication, retries with backoff, failover
//! between nodes, and mapping of every status to an [`Error`].

use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::Rng;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};

use crate::error::Error;

/// When and how often a failed request is sent again.
///
/// Only failures that may pass are retried: connection errors, timeouts,
/// `5xx` and `429` (waiting at least as long as `Retry-After` says). Other
/// `4xx` answers are returned at once. Writes are safe to retry: a point
/// whose timestamp is fixed overwrites itself instead of duplicating.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct RetryPolicy {
    /// Attempts in all, the first included; `1` turns retries off.
    pub max_attempts: u32,
    /// The wait before the first retry; it doubles with every retry.
    pub initial_backoff: Duration,
    /// The longest wait between two attempts.
    pub max_backoff: Duration,
    /// No retry starts after this much time since the first attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries: every request is sent once.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The wait before retry number `retry` (1-based): exponential with
    /// full jitter, at least `floor` (a server's `Retry-After`).
    fn backoff(&self, retry: u32, floor: Option<Duration>) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(
                1u32.checked_shl(retry.saturating_sub(1))
                    .unwrap_or(u32::MAX),
            )
            .min(self.max_backoff);
        let jittered = exp.mul_f64(rand::thread_rng().gen_range(0.5..=1.0));
        match floor {
            Some(floor) => jittered.max(floor),
            None => jittered,
        }
    }
}

/// How requests authenticate.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Auth {
    None,
    Basic { user: String, password: String },
    Token(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Basic { user, .. } => write!(f, "Basic {{ user: {user:?}, password: \"***\" }}"),
            Auth::Token(_) => f.write_str("Token(\"***\")"),
        }
    }
}

impl Auth {
    /// The `Authorization` header; an error when the credentials hold
    /// characters a header cannot carry.
    pub(crate) fn header(&self) -> Result<Option<HeaderValue>, Error> {
        use base64::Engine as _;
        let text = match self {
            Auth::None => return Ok(None),
            Auth::Basic { user, password } => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            ),
            Auth::Token(token) => format!("Token {token}"),
        };
        let mut value = HeaderValue::from_str(&text).map_err(|_| {
            Error::Config(
                "the credentials or token contain characters a header cannot carry (a newline?)"
                    .into(),
            )
        })?;
        value.set_sensitive(true);
        Ok(Some(value))
    }
}

/// One server the client can talk to.
#[derive(Debug)]
pub(crate) struct Node {
    /// `scheme://host:port[/prefix]`, without credentials or trailing slash.
    pub(crate) base: String,
    failed_until: Mutex<Option<Instant>>,
}

impl Node {
    pub(crate) fn new(base: String) -> Self {
        Node {
            base,
            failed_until: Mutex::new(None),
        }
    }

    fn available_at(&self) -> Option<Instant> {
        *self.failed_until.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn mark(&self, until: Option<Instant>) {
        *self.failed_until.lock().unwrap_or_else(|e| e.into_inner()) = until;
    }
}

/// Which endpoint a request goes to; decides how errors are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Ping,
    Write,
    Query,
}

impl Endpoint {
    fn path(self) -> &'static str {
        match self {
            Endpoint::Ping => "/ping",
            Endpoint::Write => "/write",
            Endpoint::Query => "/query",
        }
    }
}

/// A request, ready to be sent to any node.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) endpoint: Endpoint,
    /// URL query parameters.
    pub(crate) params: Vec<(&'static str, String)>,
    /// Form parameters (POST `/query`), sent in the body.
    pub(crate) form: Vec<(&'static str, String)>,
    /// The body of a write.
    pub(crate) body: Option<Bytes>,
    /// A response read as a stream: no overall time limit, only one on
    /// each read.
    pub(crate) streaming: bool,
    /// The `Accept` header, when not the server's default.
    pub(crate) accept: Option<&'static str>,
}

impl Request {
    pub(crate) fn new(method: Method, endpoint: Endpoint) -> Self {
        Request {
            method,
            endpoint,
            params: Vec::new(),
            form: Vec::new(),
            body: None,
            streaming: false,
            accept: None,
        }
    }
}

/// A successful response and how many attempts it took.
#[derive(Debug)]
pub(crate) struct Sent {
    pub(crate) response: reqwest::Response,
    pub(crate) attempts: u32,
}

#[derive(Debug)]
pub(crate) struct Transport {
    pub(crate) http: reqwest::Client,
    pub(crate) nodes: Vec<Node>,
    pub(crate) auth: Auth,
    /// `auth` as a header, built once.
    pub(crate) auth_header: Option<HeaderValue>,
    pub(crate) retry: RetryPolicy,
    /// How long a node that failed is skipped while others are available.
    pub(crate) node_cooldown: Duration,
    /// The time limit of one attempt, body included, unless streaming.
    pub(crate) timeout: Option<Duration>,
}

impl Transport {
    /// Sends `request`, retrying and failing over as the policy allows.
    /// Returns the response when its status is `2xx`, the mapped error
    /// otherwise.
    pub(crate) async fn send(&self, request: &Request, retry: &RetryPolicy) -> Result<Sent, Error> {
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let node = self.pick_node();
            let result = self.send_once(node, request).await;
            let error = match result {
                Ok(response) => {
                    node.mark(None);
                    return Ok(Sent {
                        response,
                        attempts: attempt,
                    });
                }
                Err(error) => error,
            };
            if !error.is_retryable() {
                return Err(error);
            }
            let node_failed = matches!(error, Error::Transport { .. } | Error::Server { .. });
            if node_failed {
                node.mark(Some(Instant::now() + self.node_cooldown));
            }
            let out_of_attempts = attempt >= retry.max_attempts;
            let wait = if node_failed && self.nodes.len() > 1 && self.healthy_node_exists() {
                // Another node may take it now; only honour the server's wish.
                error.retry_after().unwrap_or(Duration::ZERO)
            } else {
                retry.backoff(attempt, error.retry_after())
            };
            if out_of_attempts || started.elapsed().saturating_add(wait) > retry.max_elapsed {
                return Err(error);
            }
            tracing::debug!(attempt, ?wait, %error, "retrying request");
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
    }

    fn healthy_node_exists(&self) -> bool {
        let now = Instant::now();
        self.nodes
            .iter()
            .any(|n| n.available_at().is_none_or(|t| t <= now))
    }

    /// The first node that has not failed recently, or the one whose
    /// cooldown ends first.
    fn pick_node(&self) -> &Node {
        let now = Instant::now();
        self.nodes
            .iter()
            .find(|n| n.available_at().is_none_or(|t| t <= now))
            .unwrap_or_else(|| {
                self.nodes
                    .iter()
                    .min_by_key(|n| n.available_at())
                    .unwrap_or(&self.nodes[0])
            })
    }

    async fn send_once(&self, node: &Node, request: &Request) -> Result<reqwest::Response, Error> {
        let url = format!("{}{}", node.base, request.endpoint.path());
        let mut builder = self.http.request(request.method.clone(), url);
        if !request.params.is_empty() {
            builder = builder.query(&request.params);
        }
        if let (Some(timeout), false) = (self.timeout, request.streaming) {
            builder = builder.timeout(timeout);
        }
        if let Some(auth) = &self.auth_header {
            builder = builder.header(AUTHORIZATION, auth.clone());
        }
        if let Some(accept) = request.accept {
            builder = builder.header(ACCEPT, accept);
        }
        if !request.form.is_empty() {
            builder = builder.form(&request.form);
        } else if let Some(body) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, "text/plain; charset=utf-8")
                .body(body.clone());
        }
        let response = builder.send().await.map_err(Error::transport)?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let headers = response.headers().clone();
        let body = error_body(response).await?;
        let size = request.body.as_ref().map_or(0, |b| b.len());
        let message = server_message(&headers, &body, request.accept.is_some());
        Err(error_for(request.endpoint, status, &headers, message, size))
    }
}

/// The most of an error body that is read: its message is at the start.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The start of an error answer's body, read no further than
/// [`MAX_ERROR_BODY`]: a server that sends an endless error page is not
/// read to its end.
async fn error_body(mut response: reqwest::Response) -> Result<Vec<u8>, Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Error::transport)? {
        let room = MAX_ERROR_BODY - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() == MAX_ERROR_BODY {
            break;
        }
    }
    Ok(body)
}

/// Maps a non-`2xx` answer and the server's message to an error.
pub(crate) fn error_for(
    endpoint: Endpoint,
    status: StatusCode,
    headers: &HeaderMap,
    message: String,
    request_size: usize,
) -> Error {
    let code = status.as_u16();
    match code {
        400 | 422 if message.contains("partial write") => Error::PartialWrite {
            dropped: dropped_count(&message),
            message,
        },
        400 | 422 if endpoint == Endpoint::Write => Error::WriteFailed {
            status: code,
            message,
        },
        400 => Error::QueryFailed {
            status: code,
            message,
        },
        401 => Error::Unauthorized { message },
        403 => Error::Forbidden { message },
        404 if message.contains("database not found") => Error::DatabaseNotFound { message },
        413 => Error::PayloadTooLarge {
            bytes: request_size,
            message,
        },
        429 => Error::RateLimited {
            retry_after: retry_after(headers),
            message,
        },
        500..=599 => Error::Server {
            status: code,
            message,
            retry_after: retry_after(headers),
        },
        _ => Error::UnexpectedStatus {
            status: code,
            message,
        },
    }
}

/// The error message of a response: from the JSON body, the MessagePack
/// body when MessagePack was asked for (`msgpack`), the
/// `X-Influxdb-Error` header, or the body's text.
pub(crate) fn server_message(headers: &HeaderMap, body: &[u8], msgpack: bool) -> String {
    /// 1.x writes `{"error": ...}`; 2.x and 3.x `{"code": ..., "message": ...}`.
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        error: Option<String>,
        message: Option<String>,
    }
    if let Ok(ErrorBody { error, message }) = serde_json::from_slice::<ErrorBody>(body) {
        if let Some(text) = error.or(message) {
            return text;
        }
    }
    // The error of a query that asked for MessagePack.
    if let Some(text) = msgpack
        .then(|| crate::response::msgpack::error_message(body))
        .flatten()
    {
        return text;
    }
    if let Some(header) = headers
        .get("x-influxdb-error")
        .and_then(|v| v.to_str().ok())
    {
        return header.to_string();
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "empty body".to_string();
    }
    let mut snippet: String = text.chars().take(300).collect();
    if snippet.len() < text.len() {
        snippet.push('…');
    }
    snippet
}

/// `dropped=N` in a partial-write message.
fn dropped_count(message: &str) -> Option<u64> {
    let at = message.rfind("dropped=")? + "dropped=".len();
    let digits: String = message[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// The longest `Retry-After` taken from a server: a day.
const MAX_RETRY_AFTER_SECS: u64 = 86_400;

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(MAX_RETRY_AFTER_SECS)));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.signed_duration_since(chrono::Utc::now());
    Some(
        wait.to_std()
            .unwrap_or(Duration::ZERO)
            .min(Duration::from_secs(MAX_RETRY_AFTER_SECS)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(endpoint: Endpoint, status: u16, body: &str) -> Error {
        let headers = HeaderMap::new();
        error_for(
            endpoint,
            StatusCode::from_u16(status).unwrap(),
            &headers,
            server_message(&headers, body.as_bytes(), false),
            10,
        )
    }

    #[test]
    fn only_an_answer_to_a_msgpack_request_is_read_as_msgpack() {
        let mut headers = HeaderMap::new();
        headers.insert("x-influxdb-error", HeaderValue::from_static("the header"));
        // A body that happens to be a MessagePack map with an "error".
        let mut body = vec![0x81, 0xa5];
        body.extend_from_slice(b"error");
        body.push(0xa4);
        body.extend_from_slice(b"body");
        assert_eq!(server_message(&headers, &body, true), "body");
        assert_eq!(server_message(&headers, &body, false), "the header");
    }

    #[test]
    fn maps_statuses() {
        assert!(matches!(
            err(
                Endpoint::Write,
                400,
                r#"{"error":"unable to parse 'x': bad"}"#
            ),
            Error::WriteFailed { status: 400, .. }
        ));
        match err(
            Endpoint::Write,
            400,
            r#"{"error":"partial write: field type conflict: input field \"v\" on measurement \"cpu\" is type integer, already exists as type float dropped=1"}"#,
        ) {
            Error::PartialWrite { dropped, message } => {
                assert_eq!(dropped, Some(1));
                assert!(message.contains("field type conflict"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            err(
                Endpoint::Query,
                400,
                r#"{"error":"error parsing query: x"}"#
            ),
            Error::QueryFailed { .. }
        ));
        assert!(matches!(
            err(
                Endpoint::Write,
                404,
                r#"{"error":"database not found: \"nope\""}"#
            ),
            Error::DatabaseNotFound { .. }
        ));
        assert!(matches!(
            err(Endpoint::Write, 401, r#"{"error":"authorization failed"}"#),
            Error::Unauthorized { .. }
        ));
        assert!(matches!(
            err(Endpoint::Write, 403, ""),
            Error::Forbidden { ref message } if message == "empty body"
        ));
        assert!(matches!(
            err(
                Endpoint::Write,
                413,
                r#"{"error":"Request Entity Too Large"}"#
            ),
            Error::PayloadTooLarge { bytes: 10, .. }
        ));
        assert!(matches!(
            err(Endpoint::Query, 500, "<html><body>Bad gateway</body></html>"),
            Error::Server { status: 500, ref message, .. } if message.contains("Bad gateway")
        ));
    }

    #[test]
    fn maps_influxdb_2_bodies() {
        let body = r#"{"code":"unprocessable entity","message":"failure writing points to database: partial write: field type conflict: input field \"v\" on measurement \"m\" is type integer, already exists as type float dropped=1"}"#;
        match err(Endpoint::Write, 422, body) {
            Error::PartialWrite { dropped, message } => {
                assert_eq!(dropped, Some(1));
                assert!(message.starts_with("failure writing points"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let body = r#"{"code":"invalid","message":"unable to parse 'x': missing fields"}"#;
        match err(Endpoint::Write, 400, body) {
            Error::WriteFailed { message, .. } => assert!(message.starts_with("unable to parse")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_huge_retry_after_is_capped() {
        let mut headers = HeaderMap::new();
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("18446744073709551615"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(86_400)));
    }

    #[test]
    fn reads_retry_after() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        let e = error_for(
            Endpoint::Write,
            StatusCode::TOO_MANY_REQUESTS,
            &headers,
            server_message(&headers, b"", false),
            0,
        );
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
        assert!(e.is_retryable());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy::default();
        for retry in 1..40 {
            let wait = policy.backoff(retry, None);
            assert!(wait <= policy.max_backoff, "{retry}: {wait:?}");
        }
        assert!(policy.backoff(1, None) <= policy.initial_backoff);
        assert!(policy.backoff(1, Some(Duration::from_secs(2))) >= Duration::from_secs(2));
    }

    #[test]
    fn a_failed_node_is_passed_over_then_tried_again() {
        let transport = Transport {
            http: reqwest::Client::new(),
            nodes: vec![Node::new("http://a".into()), Node::new("http://b".into())],
            auth: Auth::None,
            auth_header: None,
            retry: RetryPolicy::default(),
            node_cooldown: Duration::from_secs(10),
            timeout: None,
        };
        assert_eq!(transport.pick_node().base, "http://a");
        transport.nodes[0].mark(Some(Instant::now() + Duration::from_secs(10)));
        assert_eq!(transport.pick_node().base, "http://b");
        assert!(transport.healthy_node_exists());
        // Both failed: the one whose cooldown ends first.
        transport.nodes[1].mark(Some(Instant::now() + Duration::from_secs(20)));
        assert!(!transport.healthy_node_exists());
        assert_eq!(transport.pick_node().base, "http://a");
        // The cooldown is over: the first node is back.
        transport.nodes[0].mark(Some(Instant::now() - Duration::from_millis(1)));
        transport.nodes[1].mark(None);
        assert_eq!(transport.pick_node().base, "http://a");
    }

    #[test]
    fn auth_debug_is_redacted() {
        let auth = Auth::Basic {
            user: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{auth:?}").contains("hunter2"));
        assert!(!format!("{:?}", Auth::Token("tok3n".into())).contains("tok3n"));
    }
}
