//! Compile-fail tests of `#[derive(Measurement)]`: one file per mistake
//! under `ui/`, each with the exact errors it must give.
//!
//! Regenerate the expected output with `TRYBUILD=overwrite` after a
//! deliberate change, and read every changed `.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
}
