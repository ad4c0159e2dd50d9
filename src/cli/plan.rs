//! `sfmap plan`: show the compiled plan.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::load;
use crate::plan::{Plan, PlanExpr};

/// Show what a mapping file compiles to: triggers, strategy, fields with their Salesforce types,
/// and the event paths it reads.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The mapping file.
    pub file: PathBuf,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
    /// A describe file of your org (see `check --schema`).
    #[arg(long)]
    pub schema: Option<PathBuf>,
}

pub fn run(args: &PlanArgs) -> ExitCode {
    let loaded = match load::load_for_use(&args.file, args.schema.as_deref(), 1) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let plan = &loaded.compiled.plan;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(plan).unwrap_or_else(|e| e.to_string())
        );
    } else {
        print!("{}", human(plan));
    }
    ExitCode::SUCCESS
}

/// A readable summary of a plan.
pub fn human(plan: &Plan) -> String {
    let mut out = String::new();
    for m in &plan.mappings {
        let triggers: Vec<String> = m
            .triggers
            .iter()
            .map(|t| {
                if t.names.is_empty() {
                    t.event_type.as_str().to_string()
                } else {
                    format!("{}({})", t.event_type.as_str(), t.names.join(", "))
                }
            })
            .collect();
        let _ = writeln!(out, "mapping {}", m.name);
        let _ = writeln!(
            out,
            "  on {}{}",
            triggers.join(", "),
            if m.condition.is_some() {
                " (with condition)"
            } else {
                ""
            }
        );
        let _ = writeln!(
            out,
            "  {} {} via {}{}",
            m.operation.as_str(),
            m.object,
            serde_json::to_value(m.strategy)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            m.bulk
                .as_ref()
                .map(|b| format!(" (bulk, batches of {})", b.batch_size))
                .unwrap_or_default()
        );
        for matcher in &m.matchers {
            let _ = writeln!(
                out,
                "  match {} ({}) = {}",
                matcher.field,
                matcher.field_type.as_str(),
                show(&matcher.value, plan)
            );
        }
        for f in &m.fields {
            let _ = writeln!(
                out,
                "  {} ({}) = {}{}",
                f.name,
                f.field_type.as_str(),
                show(&f.value, plan),
                f.preset
                    .as_ref()
                    .map(|p| format!("  [from {p}]"))
                    .unwrap_or_default()
            );
        }
        for s in &m.spreads {
            let _ = writeln!(
                out,
                "  ...{} as {}<key>{} except {:?}",
                s.path, s.prefix, s.suffix, s.skip_keys
            );
        }
    }
    let reads: Vec<String> = plan.reads.iter().map(ToString::to_string).collect();
    let _ = writeln!(out, "reads {}", reads.join(", "));
    out
}

fn show(e: &PlanExpr, plan: &Plan) -> String {
    crate::eval::describe_expr(e, &plan.reads)
}
