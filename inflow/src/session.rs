//! The unit of work: a typed batch that is written in one request on
//! [`commit`](Session::commit) or forgotten on [`rollback`](Session::rollback).
//!
//! ```no_run
//! # use inflow::{Client, Point};
//! # async fn run(client: Client) -> inflow::Result<()> {
//! let mut session = client.session();
//! session.add(&Point::new("temperature").tag("location", "groningen").field("value", 21.3)).await?;
//! session.add(&Point::new("temperature").tag("location", "utrecht").field("value", 19.8)).await?;
//! let written = session.commit().await?;   // one POST /write
//! assert_eq!(written.points, 2);
//! # Ok(()) }
//! ```
//!
//! Points are encoded when they are added: a bad one is refused by `add`
//! and the batch stays as it was. A point without a time gets the current
//! time then, so sending the batch again never duplicates it.
//!
//! A failed commit keeps the batch, untouched, and `commit` can be called
//! again. Before failing, a commit retries what may pass (connection
//! errors, timeouts, `5xx`, `429`), fails over between nodes, splits a
//! batch the server finds too large (`413`), and isolates the points the
//! server refuses (`400`): every other point is written and the refused
//! ones are returned in [`Error::Rejected`].
//!
//! A `Session` dropped with points still pending discards them and logs a
//! warning through `tracing`; commit or roll back explicitly, or use
//! [`Client::scoped`] which does it for you.

use std::future::Future;
use std::ops::Range;
use std::pin::Pin;

use bytes::Bytes;

use crate::client::{Client, WriteOptions, WriteSummary};
use crate::error::{Error, RejectedPoint, Result};
use crate::line_protocol::{self, EncodeOptions, Precision};
use crate::measurement::ToLine;
use crate::transport::RetryPolicy;

/// Settings of a [`Session`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct SessionOptions {
    autocommit_every: Option<usize>,
    max_batch_bytes: Option<usize>,
    /// Retention policy, precision and database of the session's writes.
    write: WriteOptions,
    retry: Option<RetryPolicy>,
}

impl SessionOptions {
    /// The defaults: no autocommit, one request per commit, the client's
    /// retention policy, precision and retry policy.
    pub fn new() -> Self {
        Self::default()
    }

    /// Commits whenever the batch holds `points` points (the `add` that
    /// reaches it writes). `0` turns autocommit off.
    pub fn autocommit_every(mut self, points: usize) -> Self {
        self.autocommit_every = (points > 0).then_some(points);
        self
    }

    /// Splits a commit into requests of at most `bytes` bytes of line
    /// protocol (a single larger point is still sent on its own).
    pub fn max_batch_bytes(mut self, bytes: usize) -> Self {
        self.max_batch_bytes = Some(bytes.max(1));
        self
    }

    /// Writes into this retention policy.
    pub fn retention_policy(mut self, rp: impl Into<String>) -> Self {
        self.write = self.write.retention_policy(rp);
        self
    }

    /// Writes timestamps in this precision.
    pub fn precision(mut self, precision: Precision) -> Self {
        self.write = self.write.precision(precision);
        self
    }

    /// Writes into this database instead of the client's.
    pub fn database(mut self, database: impl Into<String>) -> Self {
        self.write = self.write.database(database);
        self
    }

    /// Retries commits with this policy instead of the client's.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }
}

/// A position in a session's batch to roll back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Savepoint {
    points: usize,
    generation: u64,
}

/// A unit of work over a batch of points; see the [module docs](self).
#[must_use = "a session writes nothing until it is committed"]
pub struct Session {
    client: Client,
    options: SessionOptions,
    encode: EncodeOptions,
    write: WriteOptions,
    retry: RetryPolicy,
    buf: Vec<u8>,
    /// End offset of each line in `buf`.
    ends: Vec<usize>,
    /// Bumped by every commit and rollback; savepoints from before are void.
    generation: u64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("points", &self.len())
            .field("bytes", &self.bytes())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A session with default settings.
    pub fn session(&self) -> Session {
        self.session_with(SessionOptions::default())
    }

    /// A session with these settings.
    pub fn session_with(&self, options: SessionOptions) -> Session {
        let encode = EncodeOptions {
            precision: options.write.precision.unwrap_or(self.precision()),
            ..self.encode_options()
        };
        // The batch is encoded in one precision, so every write says which.
        let write = options.write.clone().precision(encode.precision);
        let retry = options
            .retry
            .clone()
            .unwrap_or_else(|| self.retry_policy().clone());
        Session {
            client: self.clone(),
            options,
            encode,
            write,
            retry,
            buf: Vec::new(),
            ends: Vec::new(),
            generation: 0,
        }
    }

    /// Runs `work` with a new session, then commits it when `work` returns
    /// `Ok`, or rolls it back when it returns `Err`.
    ///
    /// ```no_run
    /// # use inflow::{Client, Point};
    /// # async fn run(client: Client) -> inflow::Result<()> {
    /// client
    ///     .scoped(async |session| {
    ///         session.add(&Point::new("m").field("v", 1.0)).await?;
    ///         session.add(&Point::new("m").field("v", 2.0)).await?;
    ///         Ok::<_, inflow::Error>(())
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn scoped<R, E, F>(&self, work: F) -> std::result::Result<R, E>
    where
        F: AsyncFnOnce(&mut Session) -> std::result::Result<R, E>,
        E: From<Error>,
    {
        let mut session = self.session();
        match work(&mut session).await {
            Ok(value) => {
                session.commit().await?;
                Ok(value)
            }
            Err(error) => {
                session.rollback();
                Err(error)
            }
        }
    }
}

type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl Session {
    /// Encodes a point into the batch. An invalid point is refused with
    /// [`Error::InvalidPoint`] and the batch is left as it was.
    ///
    /// With [`autocommit_every`](SessionOptions::autocommit_every), the add
    /// that fills the batch commits it; if that commit fails, the point
    /// stays in the batch with the others and the commit's error is
    /// returned.
    pub async fn add<T: ToLine + ?Sized>(&mut self, point: &T) -> Result<()> {
        self.add_now(point)?;
        self.maybe_autocommit().await
    }

    /// Encodes several points; stops at the first invalid one, which is
    /// refused while the points before it stay in the batch.
    pub async fn add_all<'a, T, I>(&mut self, points: I) -> Result<()>
    where
        T: ToLine + ?Sized + 'a,
        I: IntoIterator<Item = &'a T>,
    {
        for point in points {
            self.add_now(point)?;
            self.maybe_autocommit().await?;
        }
        Ok(())
    }

    fn add_now<T: ToLine + ?Sized>(&mut self, point: &T) -> Result<()> {
        line_protocol::encode_with_defaults(
            point,
            &mut self.buf,
            &self.encode,
            self.client.default_tags(),
        )?;
        self.ends.push(self.buf.len());
        Ok(())
    }

    async fn maybe_autocommit(&mut self) -> Result<()> {
        match self.options.autocommit_every {
            Some(n) if self.len() >= n => self.commit().await.map(drop),
            _ => Ok(()),
        }
    }

    /// Points in the batch.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Bytes of line protocol in the batch.
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// The batch's line protocol, as it will be sent.
    pub fn line_protocol(&self) -> &[u8] {
        &self.buf
    }

    /// Forgets every pending point.
    pub fn rollback(&mut self) {
        self.buf.clear();
        self.ends.clear();
        self.generation += 1;
    }

    /// Marks the current end of the batch.
    pub fn savepoint(&self) -> Savepoint {
        Savepoint {
            points: self.len(),
            generation: self.generation,
        }
    }

    /// Forgets the points added after `savepoint`. A savepoint taken before
    /// the last commit or rollback no longer applies and is refused.
    pub fn rollback_to(&mut self, savepoint: Savepoint) -> Result<()> {
        if savepoint.generation != self.generation || savepoint.points > self.len() {
            return Err(Error::Misuse(
                "savepoint was taken before the last commit or rollback".into(),
            ));
        }
        self.ends.truncate(savepoint.points);
        self.buf.truncate(self.ends.last().copied().unwrap_or(0));
        Ok(())
    }

    /// Writes the batch: one request, or several of at most
    /// [`max_batch_bytes`](SessionOptions::max_batch_bytes). On success the
    /// batch is empty. On failure it is kept, untouched, and the error says
    /// why; call `commit` again to retry. Points the server refuses are
    /// isolated, every other point is written, and the refused ones are
    /// returned in [`Error::Rejected`] (the batch is then empty).
    pub async fn commit(&mut self) -> Result<WriteSummary> {
        let mut summary = WriteSummary::default();
        if self.is_empty() {
            return Ok(summary);
        }
        let mut rejected = Vec::new();
        for lines in self.requests() {
            self.send(lines, &mut summary, &mut rejected).await?;
        }
        self.rollback();
        if rejected.is_empty() {
            Ok(summary)
        } else {
            Err(Error::Rejected { rejected })
        }
    }

    /// Line ranges of at most `max_batch_bytes` each.
    fn requests(&self) -> Vec<Range<usize>> {
        let limit = self.options.max_batch_bytes.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        let mut first = 0;
        for line in 0..self.len() {
            if line > first && self.ends[line] - self.start_of(first) > limit {
                out.push(first..line);
                first = line;
            }
        }
        out.push(first..self.len());
        out
    }

    fn start_of(&self, line: usize) -> usize {
        if line == 0 {
            0
        } else {
            self.ends[line - 1]
        }
    }

    fn body(&self, lines: &Range<usize>) -> Bytes {
        Bytes::copy_from_slice(&self.buf[self.start_of(lines.start)..self.ends[lines.end - 1]])
    }

    /// Sends some lines; halves them when the server finds the request too
    /// large or refuses a point, down to single points.
    fn send<'a>(
        &'a self,
        lines: Range<usize>,
        summary: &'a mut WriteSummary,
        rejected: &'a mut Vec<RejectedPoint>,
    ) -> Boxed<'a, Result<()>> {
        Box::pin(async move {
            let body = self.body(&lines);
            let bytes = body.len();
            match self.client.post_write(body, &self.write, &self.retry).await {
                Ok(attempts) => {
                    summary.points += lines.len();
                    summary.bytes += bytes;
                    summary.requests += 1;
                    summary.retries += attempts as usize - 1;
                    Ok(())
                }
                Err(
                    error @ (Error::PayloadTooLarge { .. }
                    | Error::WriteFailed { .. }
                    | Error::PartialWrite { .. }
                    | Error::UnreadableAnswer { .. }),
                ) => {
                    // One point, or the server says it dropped every one of
                    // them: nothing to isolate.
                    let all_dropped = matches!(
                        error,
                        Error::PartialWrite { dropped: Some(d), .. } if d as usize == lines.len()
                    );
                    if lines.len() == 1 || all_dropped {
                        let message = error.to_string();
                        for line in lines {
                            let text = &self.buf[self.start_of(line)..self.ends[line]];
                            rejected.push(RejectedPoint {
                                line: String::from_utf8_lossy(text).trim_end().to_string(),
                                message: message.clone(),
                            });
                        }
                        return Ok(());
                    }
                    tracing::debug!(points = lines.len(), %error, "splitting a write");
                    let mid = lines.start + lines.len() / 2;
                    self.send(lines.start..mid, summary, rejected).await?;
                    self.send(mid..lines.end, summary, rejected).await
                }
                Err(error) => Err(error),
            }
        })
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.is_empty() {
            tracing::warn!(
                points = self.len(),
                "inflow session dropped with uncommitted points; they are discarded \
                 (call commit() or rollback() before dropping it)"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Point;

    fn session(options: SessionOptions) -> Session {
        Client::new("http://127.0.0.1:9/db")
            .unwrap()
            .session_with(options)
    }

    fn point(i: i64) -> Point {
        Point::new("m").field("v", i).timestamp_nanos(i)
    }

    #[tokio::test]
    async fn add_rollback_and_savepoints() {
        let mut s = session(SessionOptions::new());
        s.add(&point(1)).await.unwrap();
        let sp = s.savepoint();
        s.add(&point(2)).await.unwrap();
        s.add(&point(3)).await.unwrap();
        assert_eq!(s.len(), 3);
        s.rollback_to(sp).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s.line_protocol(), b"m v=1i 1\n");
        let bad = Point::new("m").field("v", f64::NAN);
        assert!(matches!(s.add(&bad).await, Err(Error::InvalidPoint { .. })));
        assert_eq!(s.line_protocol(), b"m v=1i 1\n");
        s.rollback();
        assert!(s.is_empty());
        assert!(s.rollback_to(sp).is_err());
    }

    #[tokio::test]
    async fn requests_respect_max_batch_bytes() {
        let mut s = session(SessionOptions::new().max_batch_bytes(20));
        for i in 0..5 {
            s.add(&point(i)).await.unwrap();
        }
        // Each line is 9 bytes: two fit in 20.
        assert_eq!(s.requests(), vec![0..2, 2..4, 4..5]);
        s.rollback();
    }

    /// Counts warnings.
    struct Warnings(std::sync::Arc<std::sync::atomic::AtomicUsize>);

    impl tracing::Subscriber for Warnings {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            if *event.metadata().level() == tracing::Level::WARN {
                self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    #[test]
    fn dropping_pending_points_warns() {
        let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let subscriber = Warnings(count.clone());
        tracing::subscriber::with_default(subscriber, || {
            let mut pending = session(SessionOptions::new());
            pending.add_now(&point(1)).unwrap();
            drop(pending);
            assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
            let mut empty = session(SessionOptions::new());
            empty.add_now(&point(1)).unwrap();
            empty.rollback();
            drop(empty);
            assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
        });
    }

    #[tokio::test]
    async fn empty_commit_sends_nothing() {
        let mut s = session(SessionOptions::new());
        let summary = s.commit().await.unwrap();
        assert_eq!(summary, WriteSummary::default());
    }
}
