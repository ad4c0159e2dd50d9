//! Reading Segment events: the evaluator's hot path.
//!
//! A compiled plan knows every event path it reads (VRL's `ProgramInfo::target_queries` idea).
//! So instead of building a full JSON tree per event, [`reader::ReadPlan`] scans each JSONL line
//! once and materialises only the values at those paths, skipping (but still validating)
//! everything else. The pieces:
//!
//! - [`path`]: pre-parsed paths ([`EventPath`], [`Segment`]) and their display form;
//! - [`value`]: [`Value`], a JSON value that borrows strings from the input line;
//! - [`reader`]: [`ReadPlan`], the selective reader, and its reusable output [`ReadOut`];
//! - [`jsonl`]: line splitting with 1-based line numbers, for `&str`, `BufRead` and chunks;
//! - [`chunks`]: a stream cut into chunks of whole lines, for evaluation on several threads;
//! - `special`: finding the bytes a JSON string cannot hold as they are (`"`, `\`, controls).
//!
//! Why it is built this way:
//!
//! - **Selective, not lazy.** The reader fills a slot per path in one pass; the evaluator then
//!   indexes slots by number, with no hashing or path walking at run time.
//! - **Strict.** A malformed line is an error wherever the fault is, even in parts the plan
//!   skips: a line is accepted exactly when `serde_json` would accept it (and it is an object),
//!   so switching readers never changes which events are reported as broken. The one exception:
//!   a number beyond a double's range (`1e400`) fails the event only where the plan reads it.
//! - **Borrowing.** Values borrow from the line, so reading the standard benchmark events
//!   allocates nothing per event.
//! - **Safe code only.** The string skipper looks at sixteen bytes at a time with plain integer
//!   arithmetic; see `benches/reader.rs` for what that buys.
//!
//! The escape hatch (`jmes(...)`) needs the whole event; a plan that uses it asks for
//! [`ReadOut::full`], which costs a full serde_json parse per event.

pub mod chunks;
pub mod jsonl;
pub mod path;
pub mod reader;
pub(crate) mod special;
pub mod value;

pub use path::{EventPath, Segment};
pub use reader::{ReadError, ReadErrorKind, ReadOut, ReadPlan};
pub use value::Value;

#[cfg(test)]
mod proptests;
