//! `sfmap emulate`: a local Salesforce-compatible org.
//!
//! Salesforce cannot be reached from development machines and CI, so `run`'s tests, dry runs,
//! golden tests and benchmarks all run against this emulator. It is only worth something if real
//! third-party clients (jsforce, the sf CLI, simple_salesforce) work against it unchanged, so every
//! wire shape follows `salesforce-api.md`: OAuth 2.0 grants, REST CRUD/upsert/query/describe,
//! sObject Collections, Composite, Bulk API 2.0 ingest, limits, plus fault injection and a request
//! log for reliability tests and API-call counting.
//!
//! Records live in SQLite (in memory by default, a file with `--state`); metadata comes from the
//! shared [`crate::schema`] model so describe, validation and `check` agree.

pub mod args;
mod auth;
mod bulk;
mod collections;
mod composite;
mod config;
mod connections;
mod describe;
mod dml;
mod error;
mod faults;
mod http;
mod jwt;
mod limits;
mod log;
mod metadata;
mod oauth;
mod org;
mod query;
mod request_body;
mod rest;
mod router;
mod seed;
mod server;
mod soql;
mod store;
mod system;
mod tls;
mod validate;
mod versions;

pub use config::{Credentials, EmulatorConfig};
pub use error::EmulateError;
pub use faults::{FaultKind, FaultSpec, LatencySpec};
pub use jwt::sign_with_dev_key;
pub use log::LoggedRequest;
pub use server::Emulator;
