//! Integration tests of `sfmap emulate`: a real server on an ephemeral port, driven over HTTP
//! with reqwest, asserting status codes, Salesforce error codes and stored records.

mod bulk;
mod collections;
mod common;
mod composite;
mod connections;
mod limits_faults;
mod oauth;
mod query;
mod rest;
mod tls;
mod validation;
