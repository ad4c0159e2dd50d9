//! `run` against the in-process emulator: semantics, efficiency, resume, faults, injection.

mod support;

mod cli;
mod crash;
mod delivery;
mod dry_run;
mod faults;
mod input;
mod matchers;
mod parity;
mod stream;
mod vocabulary;
