//! `sfmap migrate`: snapshots of the generated files and reports, `check` on every generated
//! file, Classic behaviour through `eval`, bad input, and secrets never leaking.
//!
//! Fixtures are in `tests/fixtures/migrate/` (the three worked examples of the research note are
//! copied there); snapshots in `tests/migrate/snapshots/` (review with `cargo insta review`).

mod behaviour;
mod cli;
mod errors;
mod snapshots;
mod support;
