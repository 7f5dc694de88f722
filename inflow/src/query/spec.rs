//! A query as it goes to the server: its text, parameters and database,
//! how it is sent (GET or POST, JSON or MessagePack, chunked), and the
//! reads that take its whole answer.
//!
//! Every read asks for `chunked=true`: a chunked answer is never cut by the
//! server's `max-row-limit`, and one that is cut (by the connection) ends
//! inside a series marked as continuing, which the decoder reports. A
//! plain answer cannot tell a cut series from a whole one.

use reqwest::Method;

use super::raw::BindValue;
use super::statement::is_mutating;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::line_protocol::Precision;
use crate::response::decoder::BodyDecoder;
use crate::response::results::ResultsDecoder;
use crate::response::{FromRow, QueryResults};
use crate::transport::{Endpoint, Request};

/// Rows per chunk asked of the server when reading.
pub const STREAM_CHUNK_SIZE: usize = 10_000;

/// The longest query sent in a URL (`GET`); longer ones go in a form body
/// (`POST`), which InfluxDB reads for every statement. Proxies and the
/// HTTP stack refuse URLs far shorter than the queries users write.
const MAX_QUERY_IN_URL: usize = 4_096;

/// What typed queries accept. A server that does not offer MessagePack
/// answers in JSON, its default, and says so in `Content-Type`. (InfluxDB
/// 1.6 picks JSON when a list also names JSON, whatever its `q`.)
const ACCEPT_MSGPACK: &str = "application/x-msgpack";

/// How a query's answer is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reading {
    /// Ask for MessagePack (typed reads only).
    pub(crate) msgpack: bool,
    /// Rows per chunk.
    pub(crate) chunk_size: usize,
    /// A stream: no overall time limit on the attempt, only on each read.
    pub(crate) streaming: bool,
}

impl Reading {
    /// The whole answer, within the client's timeout.
    pub(crate) fn whole(msgpack: bool) -> Self {
        Reading {
            msgpack,
            chunk_size: STREAM_CHUNK_SIZE,
            streaming: false,
        }
    }
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

    pub(crate) fn bind(&mut self, name: &str, value: BindValue) {
        self.params.insert(name.to_string(), value.0);
    }

    fn request(&self, client: &Client, reading: Reading) -> Request {
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
        params.push(("chunked", "true".to_string()));
        params.push(("chunk_size", reading.chunk_size.to_string()));
        let in_url: usize = params.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        let method = if is_mutating(&self.text) || in_url > MAX_QUERY_IN_URL {
            Method::POST
        } else {
            Method::GET
        };
        let mut request = Request::new(method.clone(), Endpoint::Query);
        if reading.msgpack {
            request.accept = Some(ACCEPT_MSGPACK);
        }
        request.streaming = reading.streaming;
        if method == Method::POST {
            request.form = params;
        } else {
            request.params = params;
        }
        request
    }

    /// Sends the query once (with the client's retries), as `reading` says.
    async fn send(&self, client: &Client, reading: Reading) -> Result<reqwest::Response> {
        let request = self.request(client, reading);
        Ok(client.send(&request, client.retry_policy()).await?.response)
    }

    /// Sends a query whose rows are decoded into a type: asking for
    /// MessagePack unless the client says not to, or the server refused it.
    pub(crate) async fn send_typed(
        &self,
        client: &Client,
        mut reading: Reading,
    ) -> Result<reqwest::Response> {
        // A statement that changes things is sent once, in JSON: the
        // fallback below must never run it twice. The flag is the client's,
        // for all its nodes: one node that refuses makes every read JSON.
        reading.msgpack = reading.msgpack && client.wants_msgpack() && !is_mutating(&self.text);
        if !reading.msgpack {
            return self.send(client, reading).await;
        }
        match self.send(client, reading).await {
            // A server without MessagePack may refuse to be asked for it
            // (InfluxDB 3's v1 API answers 400, "invalid mime type"): ask
            // again in JSON, and when that is answered, stop asking this
            // server. A query the server refuses in JSON as well (a parse
            // error) fails with the JSON answer, and changes nothing.
            Err(Error::QueryFailed { status: 400, .. })
            | Err(Error::UnexpectedStatus {
                status: 406 | 415, ..
            }) => {
                reading.msgpack = false;
                let response = self.send(client, reading).await?;
                client.msgpack_refused();
                Ok(response)
            }
            other => other,
        }
    }

    /// The untyped results of a raw query, read chunked and reassembled.
    pub(crate) async fn results(&self, client: &Client) -> Result<QueryResults> {
        let mut response = self.send(client, Reading::whole(false)).await?;
        let mut decoder = ResultsDecoder::new(content_type(&response), client.max_document_bytes());
        while let Some(frame) = response.chunk().await.map_err(Error::transport)? {
            decoder.push(&frame)?;
        }
        decoder.finish(true)
    }

    /// Every row, or the first `limit` rows: read chunked, decoded as the
    /// chunks arrive, and the connection closed as soon as `limit` rows
    /// are in.
    pub(crate) async fn rows<T: FromRow>(
        &self,
        client: &Client,
        limit: Option<usize>,
    ) -> Result<Vec<T>> {
        let mut reading = Reading::whole(true);
        if let Some(limit) = limit {
            reading.chunk_size = limit.clamp(1, STREAM_CHUNK_SIZE);
        }
        let mut response = self.send_typed(client, reading).await?;
        let mut decoder = BodyDecoder::new(content_type(&response), client.max_document_bytes());
        let mut out = Vec::new();
        while let Some(frame) = response.chunk().await.map_err(Error::transport)? {
            decoder.push(&frame, &mut out)?;
            if let Some(limit) = limit.filter(|&limit| out.len() >= limit) {
                // Dropping the response closes the connection: the server
                // stops sending the rest.
                out.truncate(limit);
                return Ok(out);
            }
        }
        decoder.finish(&mut out)?;
        Ok(out)
    }
}

/// A response's `Content-Type`.
pub(crate) fn content_type(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_query_goes_in_the_body() {
        let client = Client::new("http://localhost:8086/db").unwrap();
        let short = QuerySpec::new("SELECT * FROM cpu".into());
        let request = short.request(&client, Reading::whole(true));
        assert_eq!(request.method, Method::GET);
        assert!(request.form.is_empty());
        let long = QuerySpec::new(format!("SELECT * FROM \"{}\"", "m".repeat(5_000)));
        let request = long.request(&client, Reading::whole(true));
        assert_eq!(request.method, Method::POST);
        assert!(request.params.is_empty());
        assert!(request
            .form
            .iter()
            .any(|(k, v)| *k == "q" && v.len() > 5_000));
        let write = QuerySpec::new("DROP MEASUREMENT cpu".into());
        assert_eq!(
            write.request(&client, Reading::whole(false)).method,
            Method::POST
        );
    }
}
