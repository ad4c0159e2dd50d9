//! `run` against the in-process emulator: semantics, efficiency, resume, faults, injection.

mod support;

mod auth_stop;
mod cli;
mod commit_drop;
mod crash;
mod dead_letter;
mod delivery;
mod dry_run;
mod faults;
mod input;
mod isolation;
mod json_summary;
mod loopback;
mod matchers;
mod nulls;
mod order;
mod org_ledger;
mod parity;
mod stream;
mod upsert_required;
mod vocabulary;
