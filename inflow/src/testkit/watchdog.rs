//! A tiny shell process that cleans up after the test process, however it dies.
//!
//! The watchdog's standard input is a pipe whose only writer is the test
//! process. Each time a server process starts, its pid is written to the
//! pipe as a line (`-` once it has stopped). When the test process exits
//! (normally, by a panic, by a signal or by `SIGKILL`) the kernel closes the
//! pipe; the watchdog reads end-of-file, kills the last pid it was told
//! about and removes the server's directory. It runs in a process group of
//! its own and ignores `SIGINT`/`SIGHUP`, so that Ctrl-C on the test run
//! does not stop it before it has cleaned up.

use std::io::Write;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

use super::error::TestkitError;

/// `$1` is the directory to remove.
const SCRIPT: &str = r#"trap '' INT HUP
pid=-
while IFS= read -r line; do pid=$line; done
alive() {
  if [ -r "/proc/$1/stat" ]; then
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null)
    case $state in Z*|X*|'') return 1 ;; esac
    return 0
  fi
  kill -0 "$1" 2>/dev/null
}
case $pid in
  ''|*[!0-9]*) ;;
  *)
    kill -9 "$pid" 2>/dev/null
    i=0
    while [ "$i" -lt 100 ] && alive "$pid"; do sleep 0.05; i=$((i+1)); done
    ;;
esac
rm -rf -- "$1"
"#;

/// The running watchdog of one server.
#[derive(Debug)]
pub(crate) struct Watchdog {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Watchdog {
    /// Starts a watchdog that removes `dir` when the test process is gone.
    pub(crate) fn spawn(dir: &Path) -> Result<Self, TestkitError> {
        use std::os::unix::process::CommandExt;
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(SCRIPT)
            .arg("inflow-testkit-watchdog")
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| TestkitError::io("could not start the cleanup watchdog (sh)", e))?;
        let stdin = child.stdin.take();
        Ok(Watchdog { child, stdin })
    }

    /// Tells the watchdog which process to kill (`None`: none is running).
    pub(crate) fn watch(&mut self, pid: Option<u32>) {
        if let Some(stdin) = self.stdin.as_mut() {
            let line = pid.map_or_else(|| "-\n".to_string(), |p| format!("{p}\n"));
            // A failed write means the watchdog is gone; there is nothing
            // better to do than carry on without it.
            let _ = stdin.write_all(line.as_bytes());
            let _ = stdin.flush();
        }
    }

    /// Stops the watchdog without letting it act, and reaps it.
    pub(crate) fn disarm(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        drop(self.stdin.take());
    }
}
