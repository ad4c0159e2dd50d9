//! Integration tests of the Salesforce client against the in-process emulator: token flows,
//! session renewal, Collections, queries, Bulk API 2.0, retries and request counts.

mod auth;
mod bulk;
mod collections;
mod common;
mod query;
mod retry;
