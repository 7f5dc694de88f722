//! A throwaway real `influxd`.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Once, PoisonError, TryLockError};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::config::{self, Settings};
use super::error::TestkitError;
use super::exit_hook;
use super::http::{self, quote_ident, quote_string, statement_error};
use super::process::{clear_influx_env, describe, ServerProcess};
use super::watchdog::Watchdog;

/// Default admin user created when authentication is enabled.
const DEFAULT_ADMIN_USER: &str = "admin";
/// Default password of that user.
const DEFAULT_ADMIN_PASSWORD: &str = "admin-password";
/// How long a server gets to answer `/ping` after it was started.
const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a graceful stop may take before the process is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// Time limit of one helper request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Lines of the log quoted in start-up errors.
const LOG_TAIL_LINES: usize = 40;
/// Attempts at the first start when a port turned out to be taken.
const START_ATTEMPTS: usize = 3;

/// Options for a throwaway server; made by [`InfluxServer::builder`].
#[derive(Clone)]
pub struct ServerBuilder {
    auth_enabled: bool,
    admin: (String, String),
    max_body_size: Option<u64>,
    max_row_limit: Option<u64>,
    http_log: bool,
    startup_timeout: Duration,
    influxd: Option<PathBuf>,
}

impl fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("auth_enabled", &self.auth_enabled)
            .field("admin_user", &self.admin.0)
            .field("admin_password", &"<redacted>")
            .field("max_body_size", &self.max_body_size)
            .field("max_row_limit", &self.max_row_limit)
            .field("http_log", &self.http_log)
            .field("startup_timeout", &self.startup_timeout)
            .field("influxd", &self.influxd)
            .finish()
    }
}

impl Default for ServerBuilder {
    fn default() -> Self {
        ServerBuilder {
            auth_enabled: false,
            admin: (
                DEFAULT_ADMIN_USER.to_string(),
                DEFAULT_ADMIN_PASSWORD.to_string(),
            ),
            max_body_size: None,
            max_row_limit: None,
            http_log: false,
            startup_timeout: DEFAULT_STARTUP_TIMEOUT,
            influxd: None,
        }
    }
}

impl ServerBuilder {
    /// Turns on authentication (`[http] auth-enabled`). The server then gets
    /// an admin user (`admin` / `admin-password` unless set with
    /// [`admin`](Self::admin)), which the helpers of [`InfluxServer`] use.
    pub fn auth_enabled(mut self, enabled: bool) -> Self {
        self.auth_enabled = enabled;
        self
    }

    /// The admin user created when authentication is enabled.
    pub fn admin(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.admin = (user.into(), password.into());
        self
    }

    /// The largest request body the server accepts (`[http] max-body-size`);
    /// larger writes are answered with `413`. `0` means no limit.
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.max_body_size = Some(bytes);
        self
    }

    /// The most rows a non-chunked `/query` answer holds (`[http]
    /// max-row-limit`); longer answers are cut, with status 200. `0` (the
    /// default) means no limit.
    pub fn max_row_limit(mut self, rows: u64) -> Self {
        self.max_row_limit = Some(rows);
        self
    }

    /// Turns on the HTTP request log (`[http] log-enabled`), written to the
    /// server's log file (see [`InfluxServer::read_log`]). Off by default.
    pub fn http_log(mut self, enabled: bool) -> Self {
        self.http_log = enabled;
        self
    }

    /// How long the server gets to answer `GET /ping` after each start
    /// (30 s by default).
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// Uses this `influxd` binary instead of looking for one on `PATH`.
    pub fn influxd_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.influxd = Some(path.into());
        self
    }

    /// Starts the server and waits until it answers `GET /ping`.
    ///
    /// Fails with [`TestkitError::InfluxdNotFound`] (whose message says how to
    /// install it) when there is no `influxd`, and with an error quoting the
    /// end of the server's log when it does not come up.
    pub async fn start(self) -> Result<InfluxServer, TestkitError> {
        let binary = find_influxd(self.influxd.as_deref())?;
        let default_config = default_config(&binary).await?;
        let temp = tempfile::Builder::new()
            .prefix("inflow-influxd-")
            .tempdir()
            .map_err(|e| TestkitError::io("could not create a temporary directory", e))?;
        let dir = temp.path().to_path_buf();
        let watchdog = Watchdog::spawn(&dir)?;
        let mut server = InfluxServer {
            port: 0,
            url: String::new(),
            config_path: dir.join("influxd.conf"),
            log_path: dir.join("influxd.log"),
            dir,
            binary,
            auth_enabled: self.auth_enabled,
            admin: self.auth_enabled.then_some(self.admin),
            startup_timeout: self.startup_timeout,
            state: Mutex::new(ProcessState {
                child: None,
                watchdog: Some(watchdog),
                temp: Some(temp),
            }),
        };

        let mut attempt = 0;
        loop {
            attempt += 1;
            let (http_port, rpc_port) = two_free_ports()?;
            server.port = http_port;
            server.url = format!("http://127.0.0.1:{http_port}");
            let text = config::render(
                &default_config,
                &Settings {
                    dir: &server.dir,
                    http_port,
                    rpc_port,
                    auth_enabled: self.auth_enabled,
                    http_log: self.http_log,
                    max_body_size: self.max_body_size,
                    max_row_limit: self.max_row_limit,
                },
            );
            fs::write(&server.config_path, text).map_err(|e| {
                TestkitError::io(
                    format!("could not write {}", server.config_path.display()),
                    e,
                )
            })?;
            let log_start = fs::metadata(&server.log_path).map_or(0, |m| m.len());
            server.launch()?;
            match server.wait_ready().await {
                Ok(()) => break,
                Err(TestkitError::Exited { .. })
                    if attempt < START_ATTEMPTS
                        && server
                            .log_since(log_start)
                            .contains("address already in use") =>
                {
                    tracing::debug!("influxd could not bind its ports; trying other ones");
                    continue;
                }
                // Dropping `server` stops the process and removes the directory.
                Err(e) => return Err(e),
            }
        }

        if let Some((user, password)) = &server.admin {
            let q = format!(
                "CREATE USER {} WITH PASSWORD {} WITH ALL PRIVILEGES",
                quote_ident(user),
                quote_string(password)
            );
            let created = match server.post_query(&q, None, false).await {
                Ok(body) => match statement_error(&body) {
                    Some(message) => Err(TestkitError::Query {
                        query: format!("CREATE USER {} ...", quote_ident(user)),
                        message,
                    }),
                    None => Ok(()),
                },
                Err(e) => Err(e),
            };
            // The server may quote the statement back; never the password.
            created.map_err(|e| e.redact(password))?;
        }
        tracing::debug!(url = %server.url, dir = %server.dir.display(), "influxd started");
        Ok(server)
    }
}

/// The process of a server and what must be cleaned up with it.
#[derive(Debug)]
struct ProcessState {
    child: Option<ServerProcess>,
    watchdog: Option<Watchdog>,
    temp: Option<tempfile::TempDir>,
}

impl ProcessState {
    /// Kills the process, reaps it and removes the directory. Idempotent.
    fn cleanup(&mut self) {
        if let Some(watchdog) = self.watchdog.take() {
            watchdog.disarm();
        }
        if let Some(child) = self.child.take() {
            let _ = child.kill();
        }
        if let Some(temp) = self.temp.take() {
            let _ = temp.close();
        }
    }

    /// Whether the process is running; reaps it if it has exited.
    fn running(&mut self) -> bool {
        match self.child.as_mut().map(ServerProcess::try_wait) {
            Some(Ok(None)) => true,
            Some(Ok(Some(_))) | Some(Err(_)) => {
                self.child = None;
                if let Some(w) = self.watchdog.as_mut() {
                    w.watch(None);
                }
                false
            }
            None => false,
        }
    }
}

/// A throwaway real InfluxDB 1.x server (`influxd`) for tests.
///
/// It listens on a free port of 127.0.0.1 and keeps its data, its
/// configuration and its log in a temporary directory. Dropping it kills the
/// process and removes the directory; should the test process die without
/// dropping it, a small watchdog process does the same.
///
/// The helpers ([`create_database`](Self::create_database),
/// [`query`](Self::query), [`count_field`](Self::count_field), ...) talk to
/// the server directly over HTTP, with the admin's credentials in an
/// `Authorization` header when authentication is enabled. They work from any
/// Tokio runtime, so one server can serve many `#[tokio::test]`s.
pub struct InfluxServer {
    port: u16,
    url: String,
    dir: PathBuf,
    config_path: PathBuf,
    log_path: PathBuf,
    binary: PathBuf,
    auth_enabled: bool,
    admin: Option<(String, String)>,
    startup_timeout: Duration,
    state: Mutex<ProcessState>,
}

impl fmt::Debug for InfluxServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InfluxServer")
            .field("url", &self.url)
            .field("data_dir", &self.dir)
            .field("auth_enabled", &self.auth_enabled)
            .field("admin_user", &self.admin.as_ref().map(|(u, _)| u))
            .field("pid", &self.pid())
            .finish_non_exhaustive()
    }
}

impl Drop for InfluxServer {
    fn drop(&mut self) {
        lock_mut(&mut self.state).cleanup();
    }
}

static SHARED: tokio::sync::OnceCell<InfluxServer> = tokio::sync::OnceCell::const_new();
static EXIT_HOOK: Once = Once::new();

/// Stops the shared server when the process exits normally.
extern "C" fn stop_shared_server_at_exit() {
    let _ = std::panic::catch_unwind(|| {
        if let Some(server) = SHARED.get() {
            // Never block at exit: if a thread still holds the lock, leave
            // the work to the watchdog.
            let guard = match server.state.try_lock() {
                Ok(guard) => Some(guard),
                Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
                Err(TryLockError::WouldBlock) => None,
            };
            if let Some(mut state) = guard {
                state.cleanup();
            }
        }
    });
}

impl InfluxServer {
    /// Options for a server; finish with [`ServerBuilder::start`].
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// Starts a server with default settings (no authentication).
    pub async fn start() -> Result<InfluxServer, TestkitError> {
        ServerBuilder::default().start().await
    }

    /// The server shared by every test of this process, started on first use.
    ///
    /// Use a database of its own in each test ([`unique_database`]). The
    /// server is stopped and its directory removed when the process exits,
    /// also when it panics or is killed.
    ///
    /// # Panics
    ///
    /// Panics with the reason (for example how to install `influxd`) when the
    /// server cannot be started; [`try_shared`](Self::try_shared) returns it
    /// as an error instead.
    pub async fn shared() -> &'static InfluxServer {
        match Self::try_shared().await {
            Ok(server) => server,
            Err(e) => panic!("could not start the shared test server: {e}"),
        }
    }

    /// Like [`shared`](Self::shared), but returns an error instead of
    /// panicking. A failed start is not remembered: the next call tries again.
    pub async fn try_shared() -> Result<&'static InfluxServer, TestkitError> {
        SHARED
            .get_or_try_init(|| async {
                let server = InfluxServer::start().await?;
                EXIT_HOOK.call_once(|| {
                    if !exit_hook::register(stop_shared_server_at_exit) {
                        tracing::warn!(
                            "atexit refused; the watchdog will clean up the shared server"
                        );
                    }
                });
                Ok(server)
            })
            .await
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The HTTP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The temporary directory holding the data (`meta/`, `data/`, `wal/`),
    /// the configuration file and the log.
    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    /// The configuration file the server runs with.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// The file receiving the server's standard output and error.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The server's log so far (empty if it cannot be read). With
    /// [`ServerBuilder::http_log`] it includes one line per HTTP request.
    pub fn read_log(&self) -> String {
        fs::read(&self.log_path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// Whether authentication is enabled.
    pub fn auth_enabled(&self) -> bool {
        self.auth_enabled
    }

    /// The admin user and password, when authentication is enabled.
    pub fn admin(&self) -> Option<(String, String)> {
        self.admin.clone()
    }

    /// The process id, while the process runs.
    pub fn pid(&self) -> Option<u32> {
        let mut state = lock(&self.state);
        if state.running() {
            state.child.as_ref().map(ServerProcess::pid)
        } else {
            None
        }
    }

    /// Whether the process is running.
    pub fn is_running(&self) -> bool {
        lock(&self.state).running()
    }

    /// Kills the process with `SIGKILL`, as a crash would, and waits for it
    /// to exit. The data directory is kept; [`restart`](Self::restart)
    /// brings the server back. Does nothing if it is not running.
    pub fn kill(&mut self) -> Result<(), TestkitError> {
        let state = lock_mut(&mut self.state);
        let Some(child) = state.child.take() else {
            return Ok(());
        };
        let waited = child.kill();
        if let Some(w) = state.watchdog.as_mut() {
            w.watch(None);
        }
        waited
            .map(|_| ())
            .map_err(|e| TestkitError::io("could not wait for influxd to exit", e))
    }

    /// Stops the process gracefully (`SIGTERM`) and waits for it to exit;
    /// after 30 s it is killed. The data directory is kept. Does nothing if
    /// it is not running.
    pub async fn stop(&mut self) -> Result<(), TestkitError> {
        let (pid, sent) = match lock_mut(&mut self.state).child.as_mut() {
            Some(child) => (child.pid(), child.signal("TERM")),
            None => return Ok(()),
        };
        let deadline = Instant::now() + STOP_TIMEOUT;
        if sent {
            while Instant::now() < deadline {
                if !lock_mut(&mut self.state).running() {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            tracing::warn!(
                pid,
                "influxd did not stop within {STOP_TIMEOUT:?}; killing it"
            );
        }
        self.kill()
    }

    /// Starts the server again on the same port with the same data
    /// directory, and waits until it answers `GET /ping`. If it is running,
    /// it is first stopped gracefully.
    pub async fn restart(&mut self) -> Result<(), TestkitError> {
        self.stop().await?;
        self.launch()?;
        let ready = self.wait_ready().await;
        if ready.is_err() {
            let _ = self.kill();
        }
        ready
    }

    /// Checks that the server answers `GET /ping` with `204`.
    pub async fn ping(&self) -> Result<(), TestkitError> {
        let url = format!("{}/ping", self.url);
        let resp = http::client(REQUEST_TIMEOUT)?
            .get(&url)
            .send()
            .await
            .map_err(|e| http::transport(&url, &e))?;
        match resp.status().as_u16() {
            204 => Ok(()),
            status => Err(TestkitError::Status {
                url,
                status,
                body: resp.text().await.unwrap_or_default(),
            }),
        }
    }

    /// Runs an InfluxQL query (`POST /query`, so that any statement works)
    /// and returns the JSON body as it is, including the per-statement
    /// `error`s of a `200` answer. Fails only when the request does not
    /// complete or the status is not `200`.
    ///
    /// `db` is the database to run it in, if any: `server.query(q, "mydb")`
    /// or `server.query(q, None)`.
    pub async fn query<'a>(
        &self,
        q: &str,
        db: impl Into<Option<&'a str>>,
    ) -> Result<Value, TestkitError> {
        self.post_query(q, db.into(), true).await
    }

    /// Creates a database (`CREATE DATABASE "name"`); creating one that
    /// exists is not an error.
    pub async fn create_database(&self, name: &str) -> Result<(), TestkitError> {
        if name.is_empty() {
            return Err(TestkitError::InvalidArgument(
                "a database name cannot be empty".into(),
            ));
        }
        self.run_statement(&format!("CREATE DATABASE {}", quote_ident(name)), None)
            .await
            .map(drop)
    }

    /// Drops a database and all its data.
    pub async fn drop_database(&self, name: &str) -> Result<(), TestkitError> {
        self.run_statement(&format!("DROP DATABASE {}", quote_ident(name)), None)
            .await
            .map(drop)
    }

    /// Writes line protocol (`POST /write?db=...`, nanosecond timestamps)
    /// and expects `204`.
    pub async fn write_lines(&self, db: &str, lines: &str) -> Result<(), TestkitError> {
        let url = format!("{}/write", self.url);
        let request = http::client(REQUEST_TIMEOUT)?
            .post(&url)
            .query(&[("db", db), ("precision", "ns")])
            .body(lines.to_string());
        let resp = self
            .authorize(request)
            .send()
            .await
            .map_err(|e| http::transport(&url, &e))?;
        match resp.status().as_u16() {
            204 => Ok(()),
            status => Err(TestkitError::Status {
                url,
                status,
                body: resp.text().await.unwrap_or_default(),
            }),
        }
    }

    /// The number of values of `field` in `measurement`
    /// (`SELECT COUNT("field") FROM "measurement"`, over all time and all
    /// series); `0` when there is no such series.
    pub async fn count_field(
        &self,
        db: &str,
        measurement: &str,
        field: &str,
    ) -> Result<u64, TestkitError> {
        let q = format!(
            "SELECT COUNT({}) FROM {}",
            quote_ident(field),
            quote_ident(measurement)
        );
        let body = self.run_statement(&q, Some(db)).await?;
        let counts = count_columns(&body).map_err(|message| TestkitError::Query {
            query: q.clone(),
            message,
        })?;
        Ok(counts.into_iter().max().unwrap_or(0))
    }

    /// The number of points in `measurement`, counted with
    /// `SELECT COUNT(*)`. That gives one count per field; this returns the
    /// largest, which is the number of points when every point has that
    /// field (and a lower bound otherwise). `0` when there is no such series.
    /// Use [`count_field`](Self::count_field) to count one field.
    pub async fn count(&self, db: &str, measurement: &str) -> Result<u64, TestkitError> {
        let q = format!("SELECT COUNT(*) FROM {}", quote_ident(measurement));
        let body = self.run_statement(&q, Some(db)).await?;
        let counts = count_columns(&body).map_err(|message| TestkitError::Query {
            query: q.clone(),
            message,
        })?;
        Ok(counts.into_iter().max().unwrap_or(0))
    }

    /// Runs one statement and fails if its result reports an error.
    async fn run_statement(&self, q: &str, db: Option<&str>) -> Result<Value, TestkitError> {
        let body = self.post_query(q, db, true).await?;
        match statement_error(&body) {
            Some(message) => Err(TestkitError::Query {
                query: q.to_string(),
                message,
            }),
            None => Ok(body),
        }
    }

    /// `POST /query` with the query in a form body (never in the URL).
    async fn post_query(
        &self,
        q: &str,
        db: Option<&str>,
        authorize: bool,
    ) -> Result<Value, TestkitError> {
        let url = format!("{}/query", self.url);
        let mut form = vec![("q", q)];
        if let Some(db) = db {
            form.push(("db", db));
        }
        let mut request = http::client(REQUEST_TIMEOUT)?.post(&url).form(&form);
        if authorize {
            request = self.authorize(request);
        }
        let resp = request
            .send()
            .await
            .map_err(|e| http::transport(&url, &e))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| http::transport(&url, &e))?;
        if status != 200 {
            return Err(TestkitError::Status {
                url,
                status,
                body: text,
            });
        }
        serde_json::from_str(&text).map_err(|e| TestkitError::Query {
            query: q.to_string(),
            message: format!("the answer is not JSON ({e}): {text}"),
        })
    }

    /// Adds the admin's credentials, when there are some.
    fn authorize(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.admin {
            Some((user, password)) => request.basic_auth(user, Some(password)),
            None => request,
        }
    }

    /// Starts the process with the configuration already written.
    fn launch(&mut self) -> Result<(), TestkitError> {
        let child =
            ServerProcess::spawn(&self.binary, &self.config_path, &self.dir, &self.log_path)?;
        let state = lock_mut(&mut self.state);
        if let Some(w) = state.watchdog.as_mut() {
            w.watch(Some(child.pid()));
        }
        state.child = Some(child);
        Ok(())
    }

    /// Waits until `/ping` answers `204`, the process exits, or time is up.
    async fn wait_ready(&mut self) -> Result<(), TestkitError> {
        let url = format!("{}/ping", self.url);
        let client = http::client(Duration::from_secs(2))?;
        let deadline = Instant::now() + self.startup_timeout;
        loop {
            {
                let state = lock_mut(&mut self.state);
                let exited = match state.child.as_mut() {
                    None => Some("not running".to_string()),
                    Some(child) => match child.try_wait() {
                        Ok(Some(status)) => Some(describe(status)),
                        Ok(None) => None,
                        Err(e) => Some(format!("unknown: {e}")),
                    },
                };
                if let Some(status) = exited {
                    state.child = None;
                    if let Some(w) = state.watchdog.as_mut() {
                        w.watch(None);
                    }
                    return Err(TestkitError::Exited {
                        status,
                        log_tail: log_tail(&self.log_path),
                    });
                }
            }
            if let Ok(resp) = client.get(&url).send().await {
                if resp.status().as_u16() == 204 {
                    return Ok(());
                }
            }
            if Instant::now() >= deadline {
                return Err(TestkitError::StartTimeout {
                    timeout: self.startup_timeout,
                    log_tail: log_tail(&self.log_path),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The log from byte `offset` on.
    fn log_since(&self, offset: u64) -> String {
        let log = self.read_log();
        let offset = usize::try_from(offset).unwrap_or(0);
        log.get(offset..).unwrap_or(&log).to_string()
    }
}

/// A unique database name, `PREFIX_PID_N_RANDOM`: a test that uses its own
/// database does not see the data of any other test, in this process or in
/// another one. Characters other than ASCII letters, digits and `_` in the
/// prefix become `_`.
pub fn unique_database(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut clean: String = prefix
        .chars()
        .take(48)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() {
        clean.push_str("db");
    }
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let random: u32 = rand::random();
    format!("{clean}_{}_{n}_{random:08x}", std::process::id())
}

/// The counts of a `SELECT COUNT(...)` answer: every value of the first row
/// but `time`. Empty when there is no series.
fn count_columns(body: &Value) -> Result<Vec<u64>, String> {
    let Some(series) = body.pointer("/results/0/series").and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    let mut counts = Vec::new();
    for s in series {
        let columns = s
            .get("columns")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("a series without columns: {s}"))?;
        let Some(row) = s.pointer("/values/0").and_then(Value::as_array) else {
            continue;
        };
        for (column, value) in columns.iter().zip(row) {
            if column.as_str() == Some("time") || value.is_null() {
                continue;
            }
            let n = value
                .as_u64()
                .or_else(|| value.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
                .ok_or_else(|| format!("not a count: {value}"))?;
            counts.push(n);
        }
    }
    Ok(counts)
}

/// Locks the process state, whether or not a panicking thread poisoned it.
fn lock(state: &Mutex<ProcessState>) -> MutexGuard<'_, ProcessState> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The process state, through `&mut` (no locking needed).
fn lock_mut(state: &mut Mutex<ProcessState>) -> &mut ProcessState {
    state.get_mut().unwrap_or_else(PoisonError::into_inner)
}

/// Finds the `influxd` binary.
fn find_influxd(explicit: Option<&Path>) -> Result<PathBuf, TestkitError> {
    if let Some(path) = explicit {
        return if is_executable(path) {
            Ok(path.to_path_buf())
        } else {
            Err(TestkitError::InfluxdNotFound {
                searched: path.display().to_string(),
            })
        };
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join("influxd");
            if is_executable(&candidate) {
                return Ok(candidate);
            }
        }
    }
    let fallback = Path::new("/usr/bin/influxd");
    if is_executable(fallback) {
        return Ok(fallback.to_path_buf());
    }
    Err(TestkitError::InfluxdNotFound {
        searched: "PATH, /usr/bin/influxd".to_string(),
    })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The output of `influxd config`.
async fn default_config(binary: &Path) -> Result<String, TestkitError> {
    let mut command = Command::new(binary);
    command.arg("config").stdin(Stdio::null());
    clear_influx_env(&mut command);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .map_err(|e| TestkitError::Config(format!("`influxd config` did not complete: {e}")))?
        .map_err(|e| TestkitError::io(format!("could not run `{} config`", binary.display()), e))?;
    if !output.status.success() {
        return Err(TestkitError::Config(format!(
            "`influxd config` exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let text = String::from_utf8(output.stdout)
        .map_err(|_| TestkitError::Config("the output is not UTF-8".into()))?;
    if !text.lines().any(|l| l.trim() == "[http]") {
        return Err(TestkitError::Config(format!(
            "no [http] section in the output: {}",
            text.chars().take(500).collect::<String>()
        )));
    }
    Ok(text)
}

/// Two distinct ports that were free a moment ago.
fn two_free_ports() -> Result<(u16, u16), TestkitError> {
    let bind = || {
        std::net::TcpListener::bind(("127.0.0.1", 0))
            .map_err(|e| TestkitError::io("could not find a free port on 127.0.0.1", e))
    };
    let a = bind()?;
    let b = bind()?;
    let port = |l: &std::net::TcpListener| {
        l.local_addr()
            .map(|a| a.port())
            .map_err(|e| TestkitError::io("could not read a listener's port", e))
    };
    Ok((port(&a)?, port(&b)?))
}

/// The last lines of the log.
fn log_tail(path: &Path) -> String {
    let text = fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|e| format!("(could not read {}: {e})", path.display()));
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn testkit_unique_database_names() {
        let a = unique_database("my-test");
        let b = unique_database("my-test");
        assert_ne!(a, b);
        assert!(a.starts_with("my_test_"), "{a}");
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        assert!(unique_database("").starts_with("db_"));
    }

    #[test]
    fn testkit_count_columns() {
        let body: Value = serde_json::from_str(
            r#"{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","count_v","count_w"],"values":[["1970-01-01T00:00:00Z",3,1]]}]}]}"#,
        )
        .unwrap();
        assert_eq!(count_columns(&body).unwrap(), vec![3, 1]);
        let empty: Value = serde_json::from_str(r#"{"results":[{"statement_id":0}]}"#).unwrap();
        assert!(count_columns(&empty).unwrap().is_empty());
    }

    #[test]
    fn testkit_missing_influxd_says_how_to_install() {
        let err = find_influxd(Some(Path::new("/nonexistent/influxd"))).unwrap_err();
        let message = String::from(err);
        assert!(message.contains("apt-get install -y influxdb"), "{message}");
    }
}
