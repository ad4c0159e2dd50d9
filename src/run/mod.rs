//! `run`: delivering record operations to Salesforce. The flush planner is pure; the executor,
//! ledger and Salesforce client sit around it.

pub mod flush;
