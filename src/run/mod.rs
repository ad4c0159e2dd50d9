//! `run`: delivering record operations to Salesforce: the delivery core that `sfmap run`,
//! `sfmap replay` (and a service) drive.
//!
//! | file | the rule it holds |
//! |---|---|
//! | [`executor`] | the loop: evaluate, admit, queue, flush, record |
//! | [`admit`] | which events go out: the ledger and messageId rules (pure) |
//! | [`schedule`] | when a mapping's queue goes out: full, or waited `max_wait` (pure) |
//! | [`lookup`] | the batched SOQL lookups of a flush's matcher values |
//! | [`isolate`] | one bad event never fails another: split a rejected batch, retry the halves |
//! | [`flush`] | which writes a flush sends: events applied one by one, in order (pure) |
//! | [`dry_run`] | what a dry run predicts per event (pure) |
//! | [`send`] | how writes reach Salesforce: Collections, Bulk API 2.0, no duplicate on retry |
//! | [`record`] | ledger, counts and sinks for every settled event, told in input order |
//! | [`dead_letter`] | the dead letter file's entries: why, and the original line byte for byte |
//! | [`sink`] | the events a host watches: the report, the dead letter, progress |
//! | [`settlement`] | one event's fate for one mapping (a report line, a ledger row) |
//! | [`ledger`] | the SQLite ledger that makes runs resumable |
//! | [`stream`] | driving the executor over a stream of lines, flushing on size or age |
//! | [`budget`] | `--max-api-calls` |
//!
//! The words a user sees (outcomes, ledger states, codes) are typed in [`crate::outcome`].

pub mod admit;
pub mod budget;
pub mod dead_letter;
pub mod dry_run;
pub mod executor;
pub mod flush;
pub mod isolate;
pub mod ledger;
pub mod lookup;
pub mod record;
pub mod schedule;
pub mod send;
pub mod settlement;
pub mod sink;
pub mod stream;
