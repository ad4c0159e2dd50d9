//! Custom actions (`classic-settings.md` §4): one mapping per configuration.

use std::collections::BTreeSet;

use super::actions::{Action, ActionsSetting, Configuration};
use super::assumptions as asm;
use super::report::{DestinationReport, Status};
use super::settings::{Settings, default_note, gate, is_api_name};
use super::spec::{self, MappingSpec};
use crate::syntax::print::quote;

/// Whether a custom action fires on identify events.
pub fn has_identify_action(s: &Settings) -> bool {
    match &s.actions.value {
        ActionsSetting::Parsed(actions) => actions
            .iter()
            .any(|a| a.event_type.eq_ignore_ascii_case("identify")),
        ActionsSetting::Unknown(_) => false,
    }
}

/// Adds one mapping per custom action configuration, and the report items.
pub fn mappings(s: &Settings, r: &mut DestinationReport, out: &mut Vec<MappingSpec>) {
    let actions = match &s.actions.value {
        ActionsSetting::Unknown(e) => {
            r.item(
                "actions",
                Status::Failed,
                format!(
                    "the custom actions' shape was not understood at {}: {}. No custom action was migrated; everything else was.",
                    e.path, e.message
                ),
                &[asm::ACTIONS_SHAPE],
            );
            return;
        }
        ActionsSetting::Parsed(a) if a.is_empty() => {
            r.item(
                "actions",
                Status::Mapped,
                format!("{}no custom actions.", default_note(&s.actions)),
                &[],
            );
            return;
        }
        ActionsSetting::Parsed(a) => a,
    };
    let mut names: BTreeSet<String> = out.iter().map(|m| m.name.clone()).collect();
    let total: usize = actions.iter().map(|a| a.configurations.len()).sum();
    r.item(
        "actions",
        Status::Mapped,
        format!(
            "{} custom action(s), {total} configuration(s): one mapping each (see the `actions[...]` items).",
            actions.len()
        ),
        &[asm::ACTIONS_SHAPE, asm::SEGMENT_ACTIONS],
    );
    for action in actions {
        for config in &action.configurations {
            if let Some(m) = configuration(s, action, config, r, &mut names) {
                out.push(m);
            }
        }
    }
}

fn topic(config: &Configuration) -> String {
    format!("actions {}", config.path)
}

fn configuration(
    s: &Settings,
    action: &Action,
    config: &Configuration,
    r: &mut DestinationReport,
    names: &mut BTreeSet<String>,
) -> Option<MappingSpec> {
    let topic = topic(config);
    let fail = |r: &mut DestinationReport, why: String| {
        r.item(topic.clone(), Status::Failed, why, &[asm::ACTIONS_SHAPE]);
        None
    };
    // Trigger.
    let (on, trigger_label, name_base) = if action.event_type.eq_ignore_ascii_case("identify") {
        (
            "identify".to_string(),
            "identify".to_string(),
            "identify".to_string(),
        )
    } else if action.event_type.eq_ignore_ascii_case("track") {
        let Some(event) = &action.event_name else {
            return fail(
                r,
                "a Track custom action needs an Event Name (Classic config error); not migrated."
                    .into(),
            );
        };
        (
            format!("track({})", quote(event)),
            format!("track \"{event}\""),
            snake(event),
        )
    } else {
        return fail(
            r,
            format!(
                "event type `{}`: Classic custom actions were Track or Identify; not migrated.",
                action.event_type
            ),
        );
    };
    let op = config.operation.to_ascii_lowercase();
    if op == "read" {
        r.item(
            topic,
            Status::Dropped,
            "a Read operation means nothing in an event pipeline; skipped.",
            &[],
        );
        return None;
    }
    if !["create", "update", "upsert", "delete"].contains(&op.as_str()) {
        return fail(
            r,
            format!(
                "unknown CRUD operation `{}`; not migrated.",
                config.operation
            ),
        );
    }
    if !is_api_name(&config.object) {
        return fail(
            r,
            format!(
                "`{}` is not a Salesforce object API name; not migrated.",
                config.object
            ),
        );
    }
    let (cond, why) = gate(s);
    let object_slug = snake(config.object.trim_end_matches("__c"));
    let name = unique_name(names, &format!("{name_base}_{object_slug}_{op}"));
    let mut m = MappingSpec {
        name,
        topic: topic.clone(),
        header: vec![format!(
            "Custom action {}: {trigger_label} -> {} {}.",
            config.path, op, config.object
        )],
        on_comments: vec![why.into()],
        on: format!("{on} where {cond}"),
        object: config.object.clone(),
        ..MappingSpec::default()
    };
    // Rows: (path, field), with invalid ones reported.
    let mut problems = Vec::new();
    let mut rows: Vec<(String, String)> = Vec::new();
    for (path, field) in &config.field_mappings {
        match (spec::event_path(path), is_api_name(field)) {
            (Some(p), true) => rows.push((p, field.clone())),
            (None, _) => problems.push(format!(
                "field mapping `{path}` -> `{field}` dropped: the path does not start at the event root (traits, properties, context, userId, ...)"
            )),
            (_, false) => problems.push(format!(
                "field mapping `{path}` -> `{field}` dropped: not a Salesforce field API name"
            )),
        }
    }
    let id_row = rows.iter().position(|(_, f)| f.eq_ignore_ascii_case("Id"));
    let mut assumptions = vec![asm::ACTIONS_SHAPE];
    let mut notes = Vec::new();
    match op.as_str() {
        "create" => {
            m.op = "create".into();
        }
        "update" | "delete" => {
            let Some(i) = id_row else {
                return fail(
                    r,
                    format!(
                        "{op} needs a field mapping to `Id` (Classic config error); not migrated rather than guessed."
                    ),
                );
            };
            let (p, _) = rows.remove(i);
            m.op_comments
                .push(format!("Classic {op}d the record whose Id is mapped."));
            m.op = format!("{op} match Id = {p}");
            if op == "delete" {
                assumptions.push(asm::DELETE_BY_ID);
                if !rows.is_empty() {
                    notes.push(format!(
                        "{} other field mapping(s) dropped: a delete writes no fields",
                        rows.len()
                    ));
                    rows.clear();
                }
            }
        }
        _ => {
            // upsert
            let mut rules = Vec::new();
            for (path, field) in &config.upsert_rules {
                match (spec::event_path(path), is_api_name(field)) {
                    (Some(p), true) if !field.eq_ignore_ascii_case("Id") => {
                        rules.push((p, field.clone()))
                    }
                    _ => {
                        return fail(
                            r,
                            format!(
                                "upsert rule `{path}` -> `{field}` cannot be used (path outside the event, not an API name, or Id); not migrated."
                            ),
                        );
                    }
                }
            }
            if rules.is_empty() {
                return fail(r, "an upsert needs at least one Upsert Rule (Classic config error); not migrated.".into());
            }
            m.op_comments.push(
                "Upsert Rules: the record is updated when ALL values match, else created (matchers joined with AND).".into(),
            );
            let parts: Vec<String> = rules.iter().map(|(p, f)| format!("{f} = {p}")).collect();
            m.op = format!("upsert match {}", parts.join(" and "));
            let mut added = Vec::new();
            for (p, f) in rules {
                if !rows.iter().any(|(_, rf)| rf.eq_ignore_ascii_case(&f)) {
                    added.push(f.clone());
                    rows.push((p, f));
                }
            }
            if !added.is_empty() {
                assumptions.push(asm::UPSERT_KEY_WRITTEN);
                notes.push(format!(
                    "upsert-rule value(s) {} also written as fields, so a created record carries its match key",
                    added.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    // Several paths to one field: the first that is present wins.
    let mut merged: Vec<(String, Vec<String>)> = Vec::new();
    for (p, f) in rows {
        match merged
            .iter_mut()
            .find(|(mf, _)| mf.eq_ignore_ascii_case(&f))
        {
            Some((_, paths)) => paths.push(p),
            None => merged.push((f, vec![p])),
        }
    }
    for (f, paths) in &merged {
        let value = if paths.len() == 1 {
            paths[0].clone()
        } else {
            notes.push(format!(
                "`{f}` is mapped from several paths: the first present wins"
            ));
            format!("coalesce({})", paths.join(", "))
        };
        let comment: Vec<&str> = if value.starts_with("traits.") && on.starts_with("track") {
            vec![
                "Track events carry no top-level `traits`: this is absent unless the event has them.",
            ]
        } else {
            vec![]
        };
        m.field(&comment, format!("{f} = {value}"));
    }
    if op != "delete" {
        m.footer.push(
            "bulk stays off: Classic wrote each record with its own SOAP calls (see the report)."
                .into(),
        );
    }
    notes.extend(problems.iter().cloned());
    let status = if problems.is_empty() {
        Status::Mapped
    } else {
        Status::Approximated
    };
    let mut detail = format!(
        "mapping `{}`: {trigger_label} -> {op} {}",
        m.name, config.object
    );
    if !notes.is_empty() {
        detail.push_str("; ");
        detail.push_str(&notes.join("; "));
    }
    detail.push('.');
    r.item(topic, status, detail, &assumptions);
    Some(m)
}

fn unique_name(names: &mut BTreeSet<String>, base: &str) -> String {
    let mut name = base.to_string();
    let mut n = 2;
    while !names.insert(name.clone()) {
        name = format!("{base}_{n}");
        n += 1;
    }
    name
}

/// `Issue Submitted` -> `issue_submitted`; always a valid mapping name.
fn snake(s: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower && !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c.to_ascii_lowercase());
        } else {
            prev_lower = false;
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
        }
    }
    let out = out.trim_matches('_').to_string();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("m_{out}")
    } else {
        out
    }
}
