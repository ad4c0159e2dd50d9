//! sfmap: versionable Segment-to-Salesforce mappings.
//!
//! The pipeline is one-way: `syntax` → `compile` → `plan` → `eval` is pure and knows nothing of
//! HTTP; the Salesforce client, the emulator and the CLI sit at the edges.

pub mod cli;
pub mod compile;
pub mod config;
pub mod diag;
pub mod emulate;
pub mod eval;
pub mod event;
pub mod load;
pub mod migrate;
pub mod outcome;
pub mod plan;
pub mod run;
pub mod salesforce;
pub mod schema;
pub mod source;
pub mod syntax;

/// mimalloc for every program built on this crate (the binary, its tests and benchmarks):
/// compiling a mapping file allocates a node per token and per path, and with glibc's malloc
/// allocation was 40% of the instructions; `benches/eval.rs` measures the difference.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
