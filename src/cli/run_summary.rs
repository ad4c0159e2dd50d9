//! `run --format json`: one JSON object on stdout when the run ends, for scripts (the shape is
//! documented in docs/cli.md and pinned by tests/run/json_summary.rs).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::outcome::Outcome;
use crate::run::executor::Summary;
use crate::salesforce::Identity;

/// How the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every event delivered or skipped.
    Ok,
    /// Some events failed (see the report and the dead letter file).
    Failed,
    /// A signal, or the API budget, stopped it; the same ledger resumes.
    Stopped,
    /// The run could not go on (connection, authentication, ledger, report).
    Error,
}

/// The summary object.
#[derive(Debug, Serialize)]
pub struct JsonSummary<'a> {
    pub status: Status,
    pub exit_code: u8,
    pub dry_run: bool,
    pub events: u64,
    /// Count per outcome word, every word present.
    pub outcomes: BTreeMap<Outcome, u64>,
    /// Events an earlier run delivered (reported `delivered_before`, not counted above).
    pub already_delivered: u64,
    pub api_calls: u64,
    pub api_calls_per_1000_events: f64,
    /// The org's daily API allocation, as Salesforce last reported it.
    pub daily_limit: Option<Limit>,
    pub org: Option<Org<'a>>,
    pub duration_ms: u64,
    pub files: Files<'a>,
    /// Why the run stopped early or failed (`status` `stopped` or `error`).
    pub message: Option<String>,
    /// The command that resumes a stopped run.
    pub resume: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Limit {
    pub used: u64,
    pub max: u64,
    pub left: u64,
}

#[derive(Debug, Serialize)]
pub struct Org<'a> {
    pub id: &'a str,
    pub instance_url: &'a str,
    pub username: &'a str,
    /// How the org was chosen: `profile NAME`, `--org local`, `SFMAP_ACCESS_TOKEN`.
    pub source: &'a str,
}

#[derive(Debug, Serialize)]
pub struct Files<'a> {
    pub report: Option<&'a Path>,
    pub dead_letter: Option<&'a Path>,
    pub ledger: Option<&'a Path>,
}

impl<'a> JsonSummary<'a> {
    /// The object for a run that got as far as `summary`.
    pub fn new(summary: &Summary, status: Status, exit_code: u8) -> JsonSummary<'a> {
        let outcomes = Outcome::ALL
            .iter()
            .map(|o| (*o, summary.count(*o)))
            .collect();
        JsonSummary {
            status,
            exit_code,
            dry_run: false,
            events: summary.events,
            outcomes,
            already_delivered: summary.already_done,
            api_calls: summary.api_calls,
            api_calls_per_1000_events: (summary.per_1000_events(summary.api_calls) * 10.0).round()
                / 10.0,
            daily_limit: summary.limits.map(|(used, max)| Limit {
                used,
                max,
                left: max.saturating_sub(used),
            }),
            org: None,
            duration_ms: 0,
            files: Files {
                report: None,
                dead_letter: None,
                ledger: None,
            },
            message: None,
            resume: None,
        }
    }

    /// Where the run delivered.
    pub fn org(mut self, identity: &'a Identity, source: &'a str) -> Self {
        self.org = Some(Org {
            id: &identity.org_id,
            instance_url: &identity.instance_url,
            username: &identity.username,
            source,
        });
        self
    }

    pub fn print(&self) {
        match serde_json::to_string(self) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("error: cannot write the JSON summary: {e}"),
        }
    }
}
