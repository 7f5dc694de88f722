//! One run of `influxd`, under a small shell that stays its parent.
//!
//! The shell starts `influxd` in the background, reports its pid and waits
//! for it, exiting with its status. Because that shell (and not the test
//! process) is `influxd`'s parent, `influxd` is always reaped when it dies,
//! even after the test process itself has died and nobody else would reap
//! orphans. Signals go to `influxd` directly; waiting for the shell is
//! waiting for `influxd`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};

use super::error::TestkitError;

/// `$@` is the command; `influxd`'s output goes to the shell's standard
/// error (the log file); the pid goes to the shell's standard output.
const RUN_SCRIPT: &str = r#""$@" </dev/null 1>&2 &
pid=$!
echo "$pid"
exec 1>&-
wait "$pid"
"#;

/// A running (or exited, not yet reaped) `influxd`.
#[derive(Debug)]
pub(crate) struct ServerProcess {
    shell: Child,
    pid: u32,
}

impl ServerProcess {
    /// Starts `binary -config config` in `dir`, appending its output to `log`.
    pub(crate) fn spawn(
        binary: &Path,
        config: &Path,
        dir: &Path,
        log: &Path,
    ) -> Result<Self, TestkitError> {
        use std::os::unix::process::CommandExt;
        let log_file = std::fs::File::options()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| TestkitError::io(format!("could not open {}", log.display()), e))?;
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(RUN_SCRIPT)
            .arg("inflow-testkit-influxd")
            .arg(binary)
            .arg("-config")
            .arg(config)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            // Out of the terminal's process group: Ctrl-C on a test run
            // reaches only the test process, whose exit then cleans up.
            .process_group(0);
        clear_influx_env(&mut command);
        let mut shell = command
            .spawn()
            .map_err(|e| TestkitError::io(format!("could not start {}", binary.display()), e))?;
        let mut line = String::new();
        let read = match shell.stdout.take() {
            Some(out) => BufReader::new(out).read_line(&mut line).map(|_| ()),
            None => Err(std::io::ErrorKind::BrokenPipe.into()),
        };
        match (read, line.trim().parse::<u32>()) {
            (Ok(()), Ok(pid)) => Ok(ServerProcess { shell, pid }),
            (read, _) => {
                let _ = shell.kill();
                let _ = shell.wait();
                Err(TestkitError::io(
                    format!("could not learn the pid of {}", binary.display()),
                    read.err()
                        .unwrap_or_else(|| std::io::Error::other(format!("got {line:?}"))),
                ))
            }
        }
    }

    /// The pid of `influxd`.
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// `Some` once `influxd` has exited (and been reaped).
    pub(crate) fn try_wait(&mut self) -> std::io::Result<Option<ExitStatus>> {
        self.shell.try_wait()
    }

    /// Sends a signal (`TERM`, `KILL`) to `influxd`, if it still runs.
    pub(crate) fn signal(&mut self, signal: &str) -> bool {
        if !matches!(self.shell.try_wait(), Ok(None)) {
            // Already exited: its pid may belong to someone else by now.
            return false;
        }
        Command::new("sh")
            .arg("-c")
            .arg("kill -s \"$1\" \"$2\"")
            .arg("sh")
            .arg(signal)
            .arg(self.pid.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    /// Kills `influxd` with `SIGKILL` and waits until it is gone.
    pub(crate) fn kill(mut self) -> std::io::Result<ExitStatus> {
        if !self.signal("KILL") && matches!(self.shell.try_wait(), Ok(None)) {
            // Could not signal it: take the shell down instead, so that at
            // least the wait below cannot hang.
            let _ = self.shell.kill();
        }
        self.shell.wait()
    }
}

/// How the process ended, in words.
pub(crate) fn describe(status: ExitStatus) -> String {
    match status.code() {
        // The shell reports death by signal N as 128 + N.
        Some(code) if code > 128 => format!("killed by signal {}", code - 128),
        Some(code) => format!("exit code {code}"),
        None => status.to_string(),
    }
}

/// `INFLUXDB_*` variables override the configuration file; a test server
/// must not pick up the caller's.
pub(crate) fn clear_influx_env(command: &mut Command) {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("INFLUXDB_") {
            command.env_remove(key);
        }
    }
}
