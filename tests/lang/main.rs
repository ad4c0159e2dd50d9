//! The language's tests: diagnostics, plans, evaluation, formatting and grammar coverage.
//!
//! Snapshots live in `tests/lang/snapshots/`; review changes with `cargo insta review`.

mod diagnostics;
mod eval;
mod format;
mod grammar;
mod support;
