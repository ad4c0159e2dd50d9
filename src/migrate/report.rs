//! The fidelity report: for every Classic setting and built-in behaviour, whether it was mapped,
//! approximated or dropped, and why; the assumptions it rests on; the check warnings of the
//! generated files, explained. Printed for humans or as JSON, and written as
//! `migration-report.json`. It never holds a password or a security token.

use std::fmt::Write as _;

use serde::Serialize;

use super::assumptions::{self, Assumption};
use super::input::{Destination, Shape};

/// What happened to a setting or behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Carried over as Classic did it.
    Mapped,
    /// Carried over with a stated difference.
    Approximated,
    /// Not carried over, by design (credentials, meaningless settings).
    Dropped,
    /// Should have been carried over but could not be: the migration is incomplete.
    Failed,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Mapped => "mapped",
            Status::Approximated => "approximated",
            Status::Dropped => "dropped",
            Status::Failed => "FAILED",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// The setting key (`alwaysEnabled`) or behaviour (`lead.name-split`).
    pub topic: String,
    pub status: Status,
    pub detail: String,
    /// Ids of the assumptions it rests on (see `assumptions`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assumptions: Vec<&'static str>,
}

/// A warning of `sfmap check` on a generated file, with why it is expected.
#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    pub code: &'static str,
    pub mapping: String,
    pub message: String,
    pub explanation: String,
}

/// The result of checking a generated file against the schema.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckSummary {
    /// Always 0: what the schema rejects is disabled and reported as failed.
    pub errors: usize,
    pub warnings: Vec<Warning>,
}

/// One migrated destination.
#[derive(Debug, Clone, Serialize)]
pub struct DestinationReport {
    pub input: String,
    /// JSON path of the destination in the input.
    pub at: String,
    pub shape: Shape,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The `.sfmap` file written.
    pub output: String,
    /// The `sfmap.toml` profile written.
    pub profile: String,
    /// The mappings generated (disabled ones are not listed).
    pub mappings: Vec<String>,
    /// False when something failed (see items with status `failed`).
    pub complete: bool,
    pub items: Vec<Item>,
    /// The assumptions named by the items, in full.
    pub assumptions: Vec<Assumption>,
    pub check: CheckSummary,
}

impl DestinationReport {
    pub fn new(dest: &Destination, slug: &str) -> DestinationReport {
        DestinationReport {
            input: dest.file.clone(),
            at: dest.path.clone(),
            shape: dest.shape,
            name: dest.name.clone(),
            id: dest.id.clone(),
            output: String::new(),
            profile: slug.to_string(),
            mappings: Vec::new(),
            complete: true,
            items: Vec::new(),
            assumptions: Vec::new(),
            check: CheckSummary::default(),
        }
    }

    /// Adds an item.
    pub fn item(
        &mut self,
        topic: impl Into<String>,
        status: Status,
        detail: impl Into<String>,
        assumptions: &[Assumption],
    ) {
        self.items.push(Item {
            topic: topic.into(),
            status,
            detail: detail.into(),
            assumptions: assumptions.iter().map(|a| a.id).collect(),
        });
    }

    /// Computes `complete` and the assumption list once all items are in.
    pub fn finish(&mut self) {
        self.complete = !self.items.iter().any(|i| i.status == Status::Failed);
        self.assumptions = assumptions::ALL
            .iter()
            .filter(|a| self.items.iter().any(|i| i.assumptions.contains(&a.id)))
            .copied()
            .collect();
    }
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// False when any destination is incomplete.
    pub complete: bool,
    pub destinations: Vec<DestinationReport>,
}

impl Report {
    pub fn new(destinations: Vec<DestinationReport>) -> Report {
        Report {
            complete: destinations.iter().all(|d| d.complete),
            destinations,
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into());
        s.push('\n');
        s
    }

    /// The report as text for a terminal.
    pub fn to_human(&self) -> String {
        let mut out = String::new();
        for (n, d) in self.destinations.iter().enumerate() {
            if n > 0 {
                out.push('\n');
            }
            let title = d.name.as_deref().unwrap_or("Salesforce (Classic)");
            let _ = writeln!(
                out,
                "== {title} ({}, {} at {})",
                d.shape.label(),
                d.input,
                d.at
            );
            let _ = writeln!(
                out,
                "   -> {} [{}], profile `{}`",
                d.output,
                if d.mappings.is_empty() {
                    "no mappings".to_string()
                } else {
                    d.mappings.join(", ")
                },
                d.profile
            );
            out.push('\n');
            for item in &d.items {
                let tags = if item.assumptions.is_empty() {
                    String::new()
                } else {
                    let t: Vec<String> = item
                        .assumptions
                        .iter()
                        .map(|id| {
                            let basis = assumptions::ALL
                                .iter()
                                .find(|a| a.id == *id)
                                .map_or("ASM", |a| a.basis.tag());
                            format!("{basis} {id}")
                        })
                        .collect();
                    format!(" [{}]", t.join("; "))
                };
                let _ = writeln!(
                    out,
                    "  {:<13} {}: {}{tags}",
                    item.status.label(),
                    item.topic,
                    item.detail
                );
            }
            if !d.assumptions.is_empty() {
                out.push_str("\n  Assumptions (not sourced; stated, not guessed silently):\n");
                for a in &d.assumptions {
                    let _ = writeln!(out, "    [{} {}] {}", a.basis.tag(), a.id, a.text);
                }
            }
            let _ = writeln!(
                out,
                "\n  sfmap check {}: {} errors, {} warnings",
                d.output,
                d.check.errors,
                d.check.warnings.len()
            );
            for w in &d.check.warnings {
                let _ = writeln!(
                    out,
                    "    {} in `{}`: {} ({})",
                    w.code, w.mapping, w.message, w.explanation
                );
            }
            let _ = writeln!(
                out,
                "\n  {}",
                if d.complete {
                    "Complete: every setting is mapped, approximated or dropped as stated."
                } else {
                    "INCOMPLETE: some settings could not be carried over (see FAILED above)."
                }
            );
        }
        out
    }
}
