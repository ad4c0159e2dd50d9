//! Every generated file is compiled against the schema. What the schema rejects (a custom field
//! or object the built-in schema lacks, say) is written as a comment and reported as failed, so
//! the file passes `sfmap check` with no errors; the warnings that remain are explained.

use super::assumptions as asm;
use super::report::{DestinationReport, Status, Warning};
use super::spec::{self, LineOwner, MappingSpec};
use crate::diag::{Code, Diagnostic, Severity};
use crate::load;
use crate::schema::Schema;
use crate::syntax;

/// Disables what does not compile, records the warnings, and returns the canonical text.
pub fn finish(
    specs: &mut [MappingSpec],
    schema: &Schema,
    file_name: &str,
    r: &mut DestinationReport,
) -> String {
    let header = vec![
        format!(
            "Migrated by `sfmap migrate` from Segment Salesforce (Classic) settings ({}).",
            if r.at == "$" {
                r.input.clone()
            } else {
                format!("{} at {}", r.input, r.at)
            }
        ),
        "Comments explain each choice; migration-report.json says what was mapped, approximated or"
            .into(),
        "dropped, and names every assumption. Connection settings are in sfmap.toml.".into(),
    ];
    let mut rounds = 0;
    let (text, owners, diagnostics) = loop {
        let (text, owners) = spec::render(&header, specs);
        let loaded = load::load_text(file_name, text.clone(), schema);
        let errors: Vec<&Diagnostic> = loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
        rounds += 1;
        if errors.is_empty() || rounds > 100 {
            break (text, owners, loaded);
        }
        let mut changed = false;
        for d in errors {
            let (line, _) = loaded.source.line_col(d.primary_span().start as usize);
            let Some(Some(owner)) = owners.get(line.saturating_sub(1)).copied() else {
                continue;
            };
            changed |= disable(specs, owner, d, r);
        }
        if !changed {
            break (text, owners, loaded);
        }
    };
    for d in &diagnostics.diagnostics {
        let (line, _) = diagnostics.source.line_col(d.primary_span().start as usize);
        let mapping = owners
            .get(line.saturating_sub(1))
            .copied()
            .flatten()
            .map_or(String::new(), |o| specs[o.mapping].name.clone());
        match d.severity {
            Severity::Error => {
                r.check.errors += 1;
                r.item(
                    format!("check {}", d.code.as_str()),
                    Status::Failed,
                    format!(
                        "internal: the generated file does not compile: {}",
                        d.message
                    ),
                    &[],
                );
            }
            Severity::Warning => r.check.warnings.push(Warning {
                code: d.code.as_str(),
                mapping,
                message: d.message.clone(),
                explanation: explain(d.code),
            }),
        }
    }
    let parsed = syntax::parse(&text);
    syntax::print::print(&parsed.file, &text)
}

/// Disables the field or mapping a diagnostic points at; false if it already was.
fn disable(
    specs: &mut [MappingSpec],
    owner: LineOwner,
    d: &Diagnostic,
    r: &mut DestinationReport,
) -> bool {
    let m = &mut specs[owner.mapping];
    if m.disabled.is_some() {
        return false;
    }
    let hint = match d.code {
        Code::UnknownField | Code::UnknownObject => {
            " (custom objects and fields need your org's schema: rerun with `--schema ORG.json`)"
        }
        Code::RequiredFieldMissing => {
            " (Salesforce rejects such a create, so Classic's action failed whenever it created a record; map the field, e.g. with a fallback, or change the operation)"
        }
        _ => "",
    };
    let why = format!("{} {}{hint}", d.code.as_str(), d.message);
    match owner.field {
        Some(f) if m.fields[f].disabled.is_none() && !is_matcher_related(d) => {
            let field_text = m.fields[f].text.clone();
            m.fields[f].disabled = Some(why.clone());
            r.item(
                format!("{}: field", m.topic),
                Status::Failed,
                format!(
                    "`{field_text}` in mapping `{}` written as a comment: {why}.",
                    m.name
                ),
                &[],
            );
        }
        _ => {
            m.disabled = Some(why.clone());
            r.item(
                format!("{}: mapping", m.topic),
                Status::Failed,
                format!(
                    "mapping `{}` written as a comment, not generated: {why}.",
                    m.name
                ),
                &[],
            );
        }
    }
    true
}

/// E0402 (a required field is missing) concerns the whole mapping, not the line it points at.
fn is_matcher_related(d: &Diagnostic) -> bool {
    matches!(d.code, Code::RequiredFieldMissing)
}

fn explain(code: Code) -> String {
    match code {
        Code::MatcherMayBeAbsent => format!(
            "expected: Classic's behaviour with a missing lookup value is unknown [ASM {}]; such an event fails for this mapping with UNDEFINED_MATCHER instead of being guessed at",
            asm::LOOKUP_MISSING.id
        ),
        Code::RequiredFieldMayBeAbsent => "expected: an event without it fails with MISSING_REQUIRED only when it would create a record, as Classic required the `name` trait on group calls".into(),
        Code::UpsertRequiredFieldMissing => "expected: Classic's action failed whenever such an upsert created a record; its updates are delivered, and an event that finds no record fails with MISSING_REQUIRED before anything is sent".into(),
        Code::OverlappingTriggers => "expected: Classic ran the default mapping and the custom action on the same events".into(),
        other => format!("see docs/errors/{}.md", other.as_str()),
    }
}
