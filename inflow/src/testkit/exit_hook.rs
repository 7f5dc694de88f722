//! Runs cleanup code when the process exits normally.
//!
//! Statics are never dropped, so the shared server registers a C `atexit`
//! handler: at a normal exit (including the exit of a test binary whose
//! tests failed) the server is stopped and its directory removed before the
//! process is gone. Abnormal exits are covered by the watchdog.

use std::os::raw::c_int;

extern "C" {
    fn atexit(callback: extern "C" fn()) -> c_int;
}

/// Registers `callback` to run at normal process exit; `false` if the C
/// library refused (then only the watchdog cleans up).
pub(crate) fn register(callback: extern "C" fn()) -> bool {
    // SAFETY: `atexit` is the C standard library function, available on
    // every Unix; it only records the function pointer. `callback` is a
    // plain `extern "C"` function that catches panics and touches only
    // 'static data.
    unsafe { atexit(callback) == 0 }
}
