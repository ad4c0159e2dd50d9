//! Segment events: pre-parsed paths, a borrowed value model and the selective reader.

pub mod jsonl;
pub mod path;
pub mod reader;
pub mod value;
