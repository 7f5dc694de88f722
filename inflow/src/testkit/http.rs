//! Minimal HTTP plumbing for the server helpers.

use std::time::Duration;

use super::error::{chain, TestkitError};

/// A fresh client for one helper call.
///
/// Connection pools belong to the Tokio runtime that opened them and every
/// `#[tokio::test]` has a runtime of its own, so the shared server never
/// keeps a client across calls.
pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, TestkitError> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(timeout)
        .build()
        .map_err(|e| TestkitError::Http {
            url: String::new(),
            message: format!("could not build an HTTP client: {}", chain(&e)),
        })
}

/// Turns a transport error into a [`TestkitError::Http`].
pub(crate) fn transport(url: &str, err: &reqwest::Error) -> TestkitError {
    TestkitError::Http {
        url: url.to_string(),
        message: chain(err),
    }
}

/// Quotes an InfluxQL identifier (database, measurement, field, user name).
pub(crate) fn quote_ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Quotes an InfluxQL string literal (a password).
pub(crate) fn quote_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The error of the first statement in a `/query` answer that has one.
pub(crate) fn statement_error(body: &serde_json::Value) -> Option<String> {
    if let Some(e) = body.get("error").and_then(|e| e.as_str()) {
        return Some(e.to_string());
    }
    body.get("results")?
        .as_array()?
        .iter()
        .find_map(|r| r.get("error").and_then(|e| e.as_str()).map(str::to_string))
}
