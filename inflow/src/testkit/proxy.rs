//! A fault-injecting TCP proxy for HTTP/1.1.

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::task::{JoinHandle, JoinSet};

use super::error::TestkitError;
use super::server::InfluxServer;

/// Longest request head (request line and headers) the proxy parses.
const MAX_HEAD: usize = 64 * 1024;
/// Longest chunk-size or trailer line of a chunked body.
const MAX_LINE: usize = 8 * 1024;
/// How long the proxy waits for the client to close after a canned answer.
const LINGER_AFTER_RESPONSE: Duration = Duration::from_secs(2);

/// What the proxy does to the requests it sees. Set with
/// [`FaultProxy::set_fault`]; a change applies to the next request, also on
/// a keep-alive connection that is already open.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Forward everything byte for byte.
    None,
    /// Forward the first `bytes` bytes of each request (head and body), then
    /// reset the client's connection (TCP RST). When the whole request is
    /// shorter, it is forwarded entirely (so the server may act on it) and
    /// the connection is reset as soon as the answer starts: the client
    /// never sees it. `bytes: 0` resets before anything is forwarded.
    ResetAfter {
        /// How many bytes of each request reach the server.
        bytes: usize,
    },
    /// Wait this long before forwarding each request.
    Delay(Duration),
    /// Answer the next `times` requests directly with this status, a
    /// `Retry-After` header (when given), `Content-Type: application/json`
    /// and `Connection: close`, without forwarding them; later requests are
    /// forwarded. [`FaultProxy::fault`] shows how many answers are left.
    Respond {
        /// HTTP status code.
        status: u16,
        /// `Retry-After` in seconds.
        retry_after: Option<u64>,
        /// The response body.
        body: String,
        /// How many requests get this answer.
        times: usize,
    },
    /// Reset the connection (TCP RST) of every `nth` request, counted from
    /// when this fault was set, without forwarding it; forward the others.
    /// Requests rather than connections are counted, because a keep-alive
    /// client sends many requests on one connection; after a reset the
    /// client opens a new one. `nth: 0` never resets.
    ResetEvery {
        /// Period: `1` resets every request, `3` every third.
        nth: usize,
    },
    /// Answer the next `times` requests with these bytes exactly (status
    /// line, headers and body, as given), without forwarding them, then
    /// close: for answers no real server sends, such as an empty body or a
    /// body cut right after its headers.
    Raw {
        /// The whole answer.
        response: Vec<u8>,
        /// How many requests get it.
        times: usize,
    },
    /// Answer every request with these bytes, the head at once and then the
    /// body one byte every `interval`: a server that trickles.
    Trickle {
        /// The whole answer; its body starts after the first blank line.
        response: Vec<u8>,
        /// The pause before each byte of the body.
        interval: Duration,
    },
    /// Answer every request with `head`, then `chunk` over and over until
    /// the client goes away or `max_bytes` of body were sent: an answer
    /// that never ends (with `Transfer-Encoding: chunked` in `head`, each
    /// repetition is sent as one HTTP chunk).
    Endless {
        /// Status line and headers, ending in a blank line.
        head: Vec<u8>,
        /// The body, repeated.
        chunk: Vec<u8>,
        /// The most body bytes sent, so that the answer ends by itself.
        max_bytes: u64,
    },
}

/// An answer the proxy writes itself.
#[derive(Debug, Clone)]
enum Answer {
    Bytes(Vec<u8>),
    Trickle {
        response: Vec<u8>,
        interval: Duration,
    },
    Endless {
        head: Vec<u8>,
        chunk: Vec<u8>,
        max_bytes: u64,
    },
}

impl Answer {
    /// Writes the answer; stops at the first write the client refuses.
    async fn write(&self, client: &mut TcpStream) -> std::io::Result<()> {
        match self {
            Answer::Bytes(bytes) => client.write_all(bytes).await,
            Answer::Trickle { response, interval } => {
                let body_at = response
                    .windows(4)
                    .position(|w| w == b"\r\n\r\n")
                    .map_or(response.len(), |i| i + 4);
                client.write_all(&response[..body_at]).await?;
                for byte in &response[body_at..] {
                    tokio::time::sleep(*interval).await;
                    client.write_all(std::slice::from_ref(byte)).await?;
                }
                Ok(())
            }
            Answer::Endless {
                head,
                chunk,
                max_bytes,
            } => {
                client.write_all(head).await?;
                let chunked = String::from_utf8_lossy(head)
                    .to_ascii_lowercase()
                    .contains("transfer-encoding: chunked");
                let mut piece = Vec::new();
                if chunked {
                    piece.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                }
                piece.extend_from_slice(chunk);
                if chunked {
                    piece.extend_from_slice(b"\r\n");
                }
                let mut sent = 0u64;
                while sent < *max_bytes && !chunk.is_empty() {
                    client.write_all(&piece).await?;
                    sent += chunk.len() as u64;
                }
                Ok(())
            }
        }
    }
}

/// The fault and the per-fault bookkeeping.
#[derive(Debug)]
struct FaultState {
    fault: Fault,
    /// Requests seen since the fault was set (for `ResetEvery`).
    seen: u64,
}

#[derive(Debug)]
struct Shared {
    upstream: SocketAddr,
    state: Mutex<FaultState>,
    connections: AtomicU64,
    requests: AtomicU64,
    faults: AtomicU64,
}

/// What to do with one request.
enum Action {
    Forward,
    Delay(Duration),
    Reset,
    ResetAfter(usize),
    Respond(Answer),
}

impl Shared {
    fn decide(&self) -> Action {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.seen += 1;
        let seen = state.seen;
        match &mut state.fault {
            Fault::None => Action::Forward,
            Fault::Delay(d) => Action::Delay(*d),
            Fault::ResetAfter { bytes } => Action::ResetAfter(*bytes),
            Fault::ResetEvery { nth } => {
                if *nth > 0 && seen % (*nth as u64) == 0 {
                    Action::Reset
                } else {
                    Action::Forward
                }
            }
            Fault::Respond {
                status,
                retry_after,
                body,
                times,
            } => answer_times(times, || canned_response(*status, *retry_after, body)),
            Fault::Raw { response, times } => answer_times(times, || response.clone()),
            Fault::Trickle { response, interval } => Action::Respond(Answer::Trickle {
                response: response.clone(),
                interval: *interval,
            }),
            Fault::Endless {
                head,
                chunk,
                max_bytes,
            } => Action::Respond(Answer::Endless {
                head: head.clone(),
                chunk: chunk.clone(),
                max_bytes: *max_bytes,
            }),
        }
    }

    fn fault_injected(&self) {
        self.faults.fetch_add(1, Ordering::Relaxed);
    }
}

/// Answers with `answer` while `times` lasts, counting it down; forwards
/// once it is spent.
fn answer_times(times: &mut usize, answer: impl FnOnce() -> Vec<u8>) -> Action {
    if *times == 0 {
        return Action::Forward;
    }
    *times -= 1;
    Action::Respond(Answer::Bytes(answer()))
}

/// A TCP proxy on 127.0.0.1 that forwards to one upstream address and
/// injects [`Fault`]s into HTTP/1.1 traffic, for tests of retries and of
/// zero data loss.
///
/// It reads each request's head (and follows `Content-Length` and chunked
/// bodies) to know where requests begin, so faults apply per request, also
/// on keep-alive connections; responses are copied as they are. Traffic that
/// does not look like HTTP/1.x is forwarded untouched.
///
/// Its tasks run on the Tokio runtime that started it; dropping it stops
/// them and closes every connection.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.addr)
            .field("upstream", &self.shared.upstream)
            .field("fault", &self.fault())
            .field("connections", &self.connections())
            .field("requests", &self.requests())
            .field("faults_injected", &self.faults_injected())
            .finish()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (`"127.0.0.1:8086"`, a `SocketAddr`, or
    /// `("localhost", 8086)`) on a free port of 127.0.0.1, forwarding
    /// everything until a fault is set.
    pub async fn start(upstream: impl ToSocketAddrs) -> Result<FaultProxy, TestkitError> {
        let upstream = tokio::net::lookup_host(upstream)
            .await
            .map_err(|e| TestkitError::io("could not resolve the proxy's upstream address", e))?
            .next()
            .ok_or_else(|| {
                TestkitError::InvalidArgument("the upstream address resolves to nothing".into())
            })?;
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| TestkitError::io("could not bind the proxy to 127.0.0.1", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| TestkitError::io("could not read the proxy's address", e))?;
        let shared = Arc::new(Shared {
            upstream,
            state: Mutex::new(FaultState {
                fault: Fault::None,
                seen: 0,
            }),
            connections: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            faults: AtomicU64::new(0),
        });
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        Ok(FaultProxy { addr, shared, task })
    }

    /// Starts a proxy to a test server's HTTP port.
    pub async fn for_server(server: &InfluxServer) -> Result<FaultProxy, TestkitError> {
        Self::start(("127.0.0.1", server.port())).await
    }

    /// The proxy's base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the proxy listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address it forwards to.
    pub fn upstream(&self) -> SocketAddr {
        self.shared.upstream
    }

    /// Changes the fault; it applies from the next request on.
    pub fn set_fault(&self, fault: Fault) {
        let mut state = self
            .shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        state.fault = fault;
        state.seen = 0;
    }

    /// Goes back to forwarding everything ([`Fault::None`]).
    pub fn clear_fault(&self) {
        self.set_fault(Fault::None);
    }

    /// The current fault; for [`Fault::Respond`], `times` is what is left.
    pub fn fault(&self) -> Fault {
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .fault
            .clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// Requests seen so far (every request whose head arrived, forwarded or not).
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// Faults injected so far: resets, canned answers and delays, one per
    /// affected request.
    pub fn faults_injected(&self) -> u64 {
        self.shared.faults.load(Ordering::Relaxed)
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    // Dropping the set (when this task is aborted) aborts every connection.
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        match listener.accept().await {
            Ok((client, _)) => {
                shared.connections.fetch_add(1, Ordering::Relaxed);
                connections.spawn(handle_connection(client, Arc::clone(&shared)));
            }
            Err(e) => {
                // Out of file descriptors and the like: wait a little, go on.
                tracing::debug!("proxy accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// How a connection ends.
enum Outcome {
    /// Close both sides normally.
    Close,
    /// Reset the client's connection.
    Reset,
    /// Send this answer to the client, then close.
    Respond(Answer),
}

/// How the client-to-server side ends.
enum RequestEnd {
    /// The client closed its side between requests.
    Eof,
    Reset,
    Respond(Answer),
    /// An I/O error or a malformed request.
    Failed,
}

/// How the server-to-client side ends.
enum ResponseEnd {
    /// The server closed its side.
    Eof,
    Reset,
    Failed,
}

async fn handle_connection(mut client: TcpStream, shared: Arc<Shared>) {
    let _ = client.set_nodelay(true);
    let mut upstream = match TcpStream::connect(shared.upstream).await {
        Ok(stream) => {
            let _ = stream.set_nodelay(true);
            Some(stream)
        }
        Err(e) => {
            // Canned answers still work; requests to forward get a reset.
            tracing::debug!("proxy could not connect upstream: {e}");
            None
        }
    };
    let outcome = relay(&mut client, upstream.as_mut(), &shared).await;
    drop(upstream);
    match outcome {
        Outcome::Close => {
            let _ = client.shutdown().await;
        }
        Outcome::Reset => reset(client),
        Outcome::Respond(answer) => {
            if answer.write(&mut client).await.is_ok() && client.shutdown().await.is_ok() {
                // Wait for the client to close, so that unread bytes do not
                // turn the close into a reset that could hide the answer.
                let mut sink = [0u8; 4096];
                let _ = tokio::time::timeout(LINGER_AFTER_RESPONSE, async {
                    while matches!(client.read(&mut sink).await, Ok(n) if n > 0) {}
                })
                .await;
            }
        }
    }
}

/// Closes with `SO_LINGER` 0, which sends a TCP RST.
fn reset(client: TcpStream) {
    // With a zero timeout, closing does not block: the kernel drops the
    // connection and sends a reset at once.
    #[allow(deprecated)]
    let _ = client.set_linger(Some(Duration::ZERO));
    drop(client);
}

/// Runs both directions until the connection ends.
async fn relay(
    client: &mut TcpStream,
    upstream: Option<&mut TcpStream>,
    shared: &Shared,
) -> Outcome {
    let (client_read, mut client_write) = client.split();
    let mut reader = BufReader::with_capacity(64 * 1024, client_read);
    let Some(upstream) = upstream else {
        return match forward_requests::<_, tokio::io::Sink>(
            &mut reader,
            None,
            shared,
            &AtomicBool::new(false),
        )
        .await
        {
            RequestEnd::Respond(answer) => Outcome::Respond(answer),
            RequestEnd::Eof | RequestEnd::Failed => Outcome::Close,
            RequestEnd::Reset => Outcome::Reset,
        };
    };
    let (mut upstream_read, mut upstream_write) = upstream.split();
    let drop_response = AtomicBool::new(false);
    let requests = forward_requests(
        &mut reader,
        Some(&mut upstream_write),
        shared,
        &drop_response,
    );
    let responses = forward_responses(
        &mut upstream_read,
        &mut client_write,
        shared,
        &drop_response,
    );
    tokio::pin!(requests, responses);
    let (mut requests_done, mut responses_done) = (false, false);
    loop {
        tokio::select! {
            end = &mut requests, if !requests_done => match end {
                RequestEnd::Eof => requests_done = true,
                RequestEnd::Reset => return Outcome::Reset,
                RequestEnd::Respond(answer) => return Outcome::Respond(answer),
                RequestEnd::Failed => return Outcome::Close,
            },
            end = &mut responses, if !responses_done => match end {
                ResponseEnd::Eof => responses_done = true,
                ResponseEnd::Reset => return Outcome::Reset,
                ResponseEnd::Failed => return Outcome::Close,
            },
        }
        if requests_done && responses_done {
            return Outcome::Close;
        }
    }
}

/// Copies the server's bytes to the client, unless a fault says the answer
/// must be dropped.
async fn forward_responses<R, W>(
    upstream: &mut R,
    client: &mut W,
    shared: &Shared,
    drop_response: &AtomicBool,
) -> ResponseEnd
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match upstream.read(&mut buf).await {
            Ok(0) => {
                let _ = client.shutdown().await;
                return ResponseEnd::Eof;
            }
            Ok(n) => n,
            Err(_) => return ResponseEnd::Failed,
        };
        if drop_response.load(Ordering::Acquire) {
            shared.fault_injected();
            return ResponseEnd::Reset;
        }
        if client.write_all(&buf[..n]).await.is_err() {
            return ResponseEnd::Failed;
        }
    }
}

/// Why forwarding one piece of a request stopped.
enum Stop {
    /// The byte budget of a `ResetAfter` fault is spent.
    Budget,
    /// I/O error, malformed request, or the client closed mid-request.
    Failed,
}

/// Writes request bytes upstream, within an optional byte budget.
struct Sender<'a, W> {
    upstream: &'a mut W,
    budget: Option<usize>,
}

impl<W: AsyncWrite + Unpin> Sender<'_, W> {
    async fn send(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        let (allowed, spent) = match self.budget {
            Some(left) if left < bytes.len() => (&bytes[..left], true),
            _ => (bytes, false),
        };
        if !allowed.is_empty() {
            self.upstream
                .write_all(allowed)
                .await
                .map_err(|_| Stop::Failed)?;
        }
        if let Some(left) = self.budget.as_mut() {
            *left -= allowed.len();
        }
        if spent {
            Err(Stop::Budget)
        } else {
            Ok(())
        }
    }
}

/// The framing of one request's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Length(u64),
    Chunked,
}

/// What the proxy needs to know from a request head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Head {
    body: Body,
    expect_continue: bool,
}

/// Reads requests from the client and forwards them, applying the fault.
async fn forward_requests<R, W>(
    reader: &mut BufReader<R>,
    mut upstream: Option<&mut W>,
    shared: &Shared,
    drop_response: &AtomicBool,
) -> RequestEnd
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    loop {
        let raw = match read_head(reader).await {
            Ok(Some(raw)) => raw,
            Ok(None) => {
                if let Some(up) = upstream.as_deref_mut() {
                    let _ = up.shutdown().await;
                }
                return RequestEnd::Eof;
            }
            Err(_) => return RequestEnd::Failed,
        };
        let Some(head) = parse_head(&raw) else {
            // Not HTTP/1.x: pass everything through untouched.
            let Some(up) = upstream.as_deref_mut() else {
                return RequestEnd::Reset;
            };
            if up.write_all(&raw).await.is_err() || tokio::io::copy_buf(reader, up).await.is_err() {
                return RequestEnd::Failed;
            }
            let _ = up.shutdown().await;
            return RequestEnd::Eof;
        };
        shared.requests.fetch_add(1, Ordering::Relaxed);
        let budget = match shared.decide() {
            Action::Forward => None,
            Action::Delay(d) => {
                shared.fault_injected();
                tokio::time::sleep(d).await;
                None
            }
            Action::Reset => {
                shared.fault_injected();
                return RequestEnd::Reset;
            }
            Action::Respond(answer) => {
                shared.fault_injected();
                // Read the body first: closing with unread bytes would reset
                // the connection and could hide the answer. A client waiting
                // for `100 Continue` sends no body.
                if !head.expect_continue {
                    let mut sink = Sender {
                        upstream: &mut tokio::io::sink(),
                        budget: None,
                    };
                    if copy_body(reader, &mut sink, head.body).await.is_err() {
                        return RequestEnd::Failed;
                    }
                }
                return RequestEnd::Respond(answer);
            }
            Action::ResetAfter(bytes) => Some(bytes),
        };
        let Some(up) = upstream.as_deref_mut() else {
            return RequestEnd::Reset;
        };
        let mut sender = Sender {
            upstream: up,
            budget,
        };
        let sent = match sender.send(&raw).await {
            Ok(()) => copy_body(reader, &mut sender, head.body).await,
            Err(stop) => Err(stop),
        };
        match sent {
            Ok(()) => {}
            Err(Stop::Budget) => {
                shared.fault_injected();
                return RequestEnd::Reset;
            }
            Err(Stop::Failed) => return RequestEnd::Failed,
        }
        if budget.is_some() {
            // The whole request went through; its answer must not.
            drop_response.store(true, Ordering::Release);
        }
    }
}

/// Copies one body, framed as the head says.
async fn copy_body<R, W>(
    reader: &mut BufReader<R>,
    sender: &mut Sender<'_, W>,
    body: Body,
) -> Result<(), Stop>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    match body {
        Body::Length(n) => copy_exact(reader, sender, n).await,
        Body::Chunked => loop {
            let line = read_line(reader, MAX_LINE)
                .await
                .map_err(|_| Stop::Failed)?;
            if line.is_empty() {
                return Err(Stop::Failed);
            }
            sender.send(&line).await?;
            let size = parse_chunk_size(&line).ok_or(Stop::Failed)?;
            if size == 0 {
                // Trailers, up to and including the empty line.
                loop {
                    let line = read_line(reader, MAX_LINE)
                        .await
                        .map_err(|_| Stop::Failed)?;
                    if line.is_empty() {
                        return Err(Stop::Failed);
                    }
                    sender.send(&line).await?;
                    if line == b"\r\n" || line == b"\n" {
                        return Ok(());
                    }
                }
            }
            // The data and the CRLF after it.
            copy_exact(reader, sender, size.saturating_add(2)).await?;
        },
    }
}

async fn copy_exact<R, W>(
    reader: &mut BufReader<R>,
    sender: &mut Sender<'_, W>,
    mut n: u64,
) -> Result<(), Stop>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    while n > 0 {
        let buf = reader.fill_buf().await.map_err(|_| Stop::Failed)?;
        if buf.is_empty() {
            return Err(Stop::Failed);
        }
        let take = buf.len().min(usize::try_from(n).unwrap_or(usize::MAX));
        let result = sender.send(&buf[..take]).await;
        reader.consume(take);
        result?;
        n -= take as u64;
    }
    Ok(())
}

/// Reads one line (up to and including `\n`) of at most `max` bytes; empty
/// at end of input.
async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
) -> std::io::Result<Vec<u8>> {
    let mut line = Vec::new();
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            if line.is_empty() {
                return Ok(line);
            }
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let (take, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        line.extend_from_slice(&buf[..take]);
        reader.consume(take);
        if line.len() > max {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
        if done {
            return Ok(line);
        }
    }
}

/// Reads a request head through its empty line; `None` when the client
/// closed before a new request began.
async fn read_head<R: AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<Option<Vec<u8>>> {
    let mut head = Vec::new();
    loop {
        let line = read_line(reader, MAX_HEAD).await?;
        if line.is_empty() {
            return if head.is_empty() {
                Ok(None)
            } else {
                Err(std::io::ErrorKind::UnexpectedEof.into())
            };
        }
        let blank = line == b"\r\n" || line == b"\n";
        if blank && head.is_empty() {
            // Stray line breaks between requests are allowed.
            continue;
        }
        head.extend_from_slice(&line);
        if head.len() > MAX_HEAD {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
        if blank {
            return Ok(Some(head));
        }
        if head.len() == line.len() && !looks_like_request_line(&line) {
            // Not HTTP/1.x: hand back what was read, unparsed.
            return Ok(Some(head));
        }
    }
}

fn looks_like_request_line(line: &[u8]) -> bool {
    let text = String::from_utf8_lossy(line);
    let mut parts = text.trim_end().split(' ');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some(method), Some(_), Some(version), None)
            if !method.is_empty()
                && method.bytes().all(|b| b.is_ascii_uppercase())
                && version.starts_with("HTTP/1.")
    )
}

/// Parses the framing out of a complete HTTP/1.x request head.
fn parse_head(raw: &[u8]) -> Option<Head> {
    let text = std::str::from_utf8(raw).ok()?;
    if !(text.ends_with("\r\n\r\n") || text.ends_with("\n\n")) {
        return None;
    }
    let mut lines = text.lines();
    if !looks_like_request_line(lines.next()?.as_bytes()) {
        return None;
    }
    let mut length = None;
    let mut chunked = false;
    let mut expect_continue = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = Some(value.parse::<u64>().ok()?),
            "transfer-encoding" => {
                chunked = value
                    .rsplit(',')
                    .next()
                    .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
            }
            "expect" => expect_continue = value.eq_ignore_ascii_case("100-continue"),
            _ => {}
        }
    }
    let body = if chunked {
        Body::Chunked
    } else {
        Body::Length(length.unwrap_or(0))
    };
    Some(Head {
        body,
        expect_continue,
    })
}

fn parse_chunk_size(line: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(line).ok()?;
    let size = text.split(';').next()?.trim();
    u64::from_str_radix(size, 16).ok()
}

/// A complete HTTP/1.1 response that closes the connection.
fn canned_response(status: u16, retry_after: Option<u64>, body: &str) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    head.push_str("Content-Type: application/json\r\n");
    if let Some(seconds) = retry_after {
        head.push_str(&format!("Retry-After: {seconds}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    head.push_str("Connection: close\r\n\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        413 => "Request Entity Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn testkit_proxy_parses_heads() {
        let head =
            parse_head(b"POST /write?db=x HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n")
                .unwrap();
        assert_eq!(head.body, Body::Length(12));
        let head = parse_head(
            b"POST /w HTTP/1.1\r\ntransfer-encoding: gzip, chunked\r\nExpect: 100-continue\r\n\r\n",
        )
        .unwrap();
        assert_eq!(head.body, Body::Chunked);
        assert!(head.expect_continue);
        assert_eq!(
            parse_head(b"GET /ping HTTP/1.1\r\n\r\n").unwrap().body,
            Body::Length(0)
        );
        assert!(parse_head(b"PRI * HTTP/2.0\r\n\r\n").is_none());
        assert!(parse_head(b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n").is_none());
        assert_eq!(parse_chunk_size(b"1a;ext=1\r\n"), Some(26));
        assert_eq!(parse_chunk_size(b"zz\r\n"), None);
    }

    #[test]
    fn testkit_proxy_canned_response() {
        let r = String::from_utf8(canned_response(503, Some(2), "{}")).unwrap();
        assert_eq!(
            r,
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 2\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        );
    }
}
