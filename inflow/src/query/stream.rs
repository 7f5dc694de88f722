//! Streaming reads: rows decoded from a chunked answer as it arrives, in
//! constant memory.
//!
//! A task of its own reads the socket and frames the body into runs of
//! whole documents, so that the server is never held up by the decoder and
//! the decoder is not woken for every network read; a bounded channel
//! keeps memory flat when the consumer is slower. The [`RowStream`]
//! decodes the runs as they are polled.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use futures_util::StreamExt;
use tokio::time::Instant;

use super::spec::{content_type, QuerySpec, Reading, STREAM_CHUNK_SIZE};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::response::decoder::RowDecoder;
use crate::response::format::{Framer, Run};
use crate::response::FromRow;

/// Runs of whole documents read ahead of the decoder.
const READ_AHEAD: usize = 8;

/// Rows of `T` decoded from a chunked response, one chunk at a time.
///
/// Rows decoded before an error come first, then the error; after an
/// error the stream ends. An answer that ends early (cut inside a series,
/// or with no document at all) ends the stream with an error, never
/// quietly.
pub struct RowStream<T> {
    /// The task reading the response; stopped when the stream is dropped,
    /// which closes the connection and ends the query on the server.
    reader: tokio::task::AbortHandle,
    runs: tokio::sync::mpsc::Receiver<Result<Run>>,
    decoder: RowDecoder<T>,
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
    /// Sends the query and starts reading its answer.
    pub(crate) async fn start(client: &Client, spec: &QuerySpec) -> Result<Self> {
        let deadline = deadline(client);
        let timeout = client.stream_timeout();
        let reading = Reading {
            msgpack: true,
            chunk_size: STREAM_CHUNK_SIZE,
            streaming: true,
        };
        let send = spec.send_typed(client, reading);
        let response = match deadline {
            Some(at) => tokio::time::timeout_at(at, send)
                .await
                .map_err(|_| past_deadline(timeout))??,
            None => send.await?,
        };
        let (tx, rx) = tokio::sync::mpsc::channel(READ_AHEAD);
        let mut framer = Framer::new(content_type(&response), client.max_document_bytes());
        let reader = tokio::spawn(async move {
            let mut body = response.bytes_stream();
            loop {
                let next = match deadline {
                    Some(at) => match tokio::time::timeout_at(at, body.next()).await {
                        Ok(next) => next,
                        Err(_) => {
                            let _ = tx.send(Err(past_deadline(timeout))).await;
                            return;
                        }
                    },
                    None => body.next().await,
                };
                let frame = match next {
                    Some(Ok(frame)) => frame,
                    Some(Err(e)) => {
                        let _ = tx.send(Err(Error::transport(e))).await;
                        return;
                    }
                    None => break,
                };
                let framed = framer.push(&frame);
                if let Some(run) = framed.run {
                    if tx.send(Ok(run)).await.is_err() {
                        return;
                    }
                }
                if let Some(e) = framed.error {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
            if let Some(rest) = framer.finish() {
                let _ = tx.send(Ok(rest)).await;
            }
        });
        Ok(RowStream {
            reader: reader.abort_handle(),
            runs: rx,
            decoder: RowDecoder::new(client.max_document_bytes()),
            ready: VecDeque::new(),
            batch: Vec::new(),
            error: None,
            done: false,
        })
    }
}

/// The instant a stream must have ended by, if the client sets one.
fn deadline(client: &Client) -> Option<Instant> {
    client.stream_timeout().map(|t| Instant::now() + t)
}

/// The error of a stream that ran past its deadline.
fn past_deadline(timeout: Option<Duration>) -> Error {
    let secs = timeout.map_or(0.0, |t| t.as_secs_f64());
    Error::Transport {
        timeout: true,
        source: format!("the stream did not end within its deadline of {secs} s (ClientBuilder::stream_timeout)").into(),
    }
}

impl<T> Drop for RowStream<T> {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl<T: FromRow + Unpin + 'static> Stream for RowStream<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(row) = this.ready.pop_front() {
                return Poll::Ready(Some(Ok(row)));
            }
            if let Some(error) = this.error.take() {
                return Poll::Ready(Some(Err(error)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            let outcome = match this.runs.poll_recv(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(run))) => this.decoder.run(&run, &mut this.batch),
                Poll::Ready(Some(Err(e))) => Err(e),
                Poll::Ready(None) => {
                    this.done = true;
                    this.decoder.finish()
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
