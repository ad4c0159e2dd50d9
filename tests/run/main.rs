//! `run` against the in-process emulator: semantics, efficiency, resume, faults, injection.

mod support;

mod cli;
mod commit_drop;
mod crash;
mod delivery;
mod dry_run;
mod faults;
mod parity;
