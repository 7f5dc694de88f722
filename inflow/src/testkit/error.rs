//! The error type of the test kit.

use std::io;
use std::sync::Arc;
use std::time::Duration;

/// Everything that can go wrong while starting or using a test server or proxy.
///
/// Cloneable, so that one failed start of the shared server can be reported
/// to every test that asks for it; converts into a `String` message.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TestkitError {
    /// No `influxd` binary could be found.
    #[error(
        "influxd (InfluxDB 1.x) was not found (looked in: {searched}); \
         install it with `apt-get install -y influxdb` (Debian's package)"
    )]
    InfluxdNotFound {
        /// Where it was looked for.
        searched: String,
    },
    /// An operating-system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: Arc<io::Error>,
    },
    /// `influxd config` did not print a usable default configuration.
    #[error("could not get influxd's default configuration: {0}")]
    Config(String),
    /// The server did not answer `GET /ping` in time.
    #[error(
        "influxd did not answer GET /ping within {timeout:?}; last lines of its log:\n{log_tail}"
    )]
    StartTimeout {
        /// How long it was given.
        timeout: Duration,
        /// The end of the server's log.
        log_tail: String,
    },
    /// The server process exited before it was ready.
    #[error("influxd exited ({status}) before it was ready; last lines of its log:\n{log_tail}")]
    Exited {
        /// How it exited.
        status: String,
        /// The end of the server's log.
        log_tail: String,
    },
    /// The server is not running (it was killed or stopped and not restarted).
    #[error("influxd is not running")]
    NotRunning,
    /// An HTTP request did not complete.
    #[error("HTTP request to {url} failed: {message}")]
    Http {
        /// The URL (never carries credentials).
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The server answered with an unexpected status.
    #[error("{url} answered {status}: {body}")]
    Status {
        /// The URL (never carries credentials).
        url: String,
        /// HTTP status code.
        status: u16,
        /// The response body.
        body: String,
    },
    /// A query ran but its result reports an error or has an unexpected shape.
    #[error("query {query:?} failed: {message}")]
    Query {
        /// The query.
        query: String,
        /// The server's message, or what was wrong with the answer.
        message: String,
    },
    /// An argument was not acceptable.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl TestkitError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        TestkitError::Io {
            context: context.into(),
            source: Arc::new(source),
        }
    }
}

impl TestkitError {
    /// Replaces every occurrence of `secret` in the messages by `<redacted>`.
    pub(crate) fn redact(self, secret: &str) -> Self {
        if secret.is_empty() {
            return self;
        }
        let clean = |s: String| s.replace(secret, "<redacted>");
        match self {
            TestkitError::Status { url, status, body } => TestkitError::Status {
                url,
                status,
                body: clean(body),
            },
            TestkitError::Query { query, message } => TestkitError::Query {
                query: clean(query),
                message: clean(message),
            },
            TestkitError::Http { url, message } => TestkitError::Http {
                url,
                message: clean(message),
            },
            other => other,
        }
    }
}

impl From<TestkitError> for String {
    fn from(err: TestkitError) -> String {
        err.to_string()
    }
}

/// Renders an error with its chain of sources, `a: b: c`.
pub(crate) fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
