//! `run`: delivering record operations to Salesforce. The flush planner is pure; the executor,
//! ledger and Salesforce client sit around it.

pub mod budget;
pub mod dry_run;
pub mod executor;
pub mod flush;
pub mod ledger;
pub mod lookup;
