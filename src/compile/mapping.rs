//! One mapping: object, operation, matchers, fields, presets, spreads and bulk, checked against
//! the schema.

use std::collections::{BTreeSet, HashMap};

use super::Compiler;
use super::expr::{Guaranteed, event_path};
use super::facts::Facts;
use super::suggest::closest;
use super::types::{Kind, Ty, accepted_by};
use crate::diag::{Code, Diagnostic};
use crate::event::path::{EventPath, Segment};
use crate::plan::{self, PlanExpr, Strategy};
use crate::schema::{FieldDescribe, FieldType, ObjectDescribe, sfid};
use crate::source::Span;
use crate::syntax::ast::{self, ExprKind, FieldEntry, Join, OnMissing, OpKind};
use crate::syntax::{self as syntax_mod, print};

pub(crate) struct MappingCtx<'c, 's, 'a> {
    pub c: &'c mut Compiler<'s>,
    pub mapping: &'a ast::Mapping,
    pub trigger: &'a ast::Trigger,
    pub object: &'a ast::Ident,
    pub operation: &'a ast::Operation,
    pub fields: &'a [FieldEntry],
    pub presets: &'a [&'a ast::Preset],
    pub bulk: Option<(&'a Vec<ast::BulkSetting>, Span)>,
}

/// A field entry to compile: from the file or from a preset.
struct Entry<'e> {
    field: &'e ast::Ident,
    value: &'e ast::Expr,
    preset: Option<&'e str>,
}

impl MappingCtx<'_, '_, '_> {
    #[allow(clippy::too_many_lines)]
    pub fn compile(self) -> Option<plan::Mapping> {
        let MappingCtx {
            c,
            mapping,
            trigger,
            object,
            operation,
            fields,
            presets,
            bulk,
        } = self;
        let schema = c.schema;
        let op = operation.kind;

        // The object.
        let describe: Option<&ObjectDescribe> = schema.object(&object.name);
        if describe.is_none() {
            let suggestion = closest(&object.name, schema.objects().map(|o| o.name.as_str()));
            c.diags.push(
                Diagnostic::new(
                    Code::UnknownObject,
                    format!("the schema has no object `{}`", object.name),
                    object.span,
                    "unknown object",
                )
                .with_help(match suggestion {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "for custom objects, pass your org's schema with `--schema FILE` \
                             (see `sfmap schema pull`)"
                        .to_string(),
                }),
            );
        }
        let object_name = describe.map_or(object.name.clone(), |d| d.name.clone());
        if let Some(d) = describe {
            let (allowed, verb) = match op {
                OpKind::Create | OpKind::Add => (d.createable, "create"),
                OpKind::Update => (d.updateable, "update"),
                OpKind::Upsert => (d.createable && d.updateable, "create and update"),
                OpKind::Delete => (d.deletable, "delete"),
            };
            if !allowed {
                c.diags.push(Diagnostic::new(
                    Code::OperationNotAllowed,
                    format!("`{}` records cannot be {verb}d through the API", d.name),
                    operation.kind_span,
                    format!("{} needs {verb}", op.as_str()),
                ));
            }
        }

        // The trigger.
        let triggers: Vec<plan::EventFilter> = trigger
            .events
            .iter()
            .map(|e| plan::EventFilter {
                event_type: e.event_type,
                names: e.names.iter().map(|(n, _)| n.clone()).collect(),
            })
            .collect();
        let g: Guaranteed = Facts::of(trigger.condition.as_ref()).present();
        let mut scratch = Vec::new();
        let condition = trigger
            .condition
            .as_ref()
            .map(|cond| c.expr(cond, &Guaranteed::new(), &mut scratch).expr);

        // Matchers.
        let mut reads: Vec<EventPath> = Vec::new();
        let mut matchers = Vec::new();
        for m in &operation.matchers {
            let field = describe.and_then(|d| resolve_field(c, d, &m.field));
            let compiled = c.expr(&m.value, &g, &mut reads);
            let Some(field) = field else {
                continue;
            };
            if !field.filterable && !field.name.eq_ignore_ascii_case("Id") {
                c.diags.push(
                    Diagnostic::new(
                        Code::MatcherNotFilterable,
                        format!(
                            "`{}.{}` cannot be used in a SOQL WHERE clause",
                            object_name, field.name
                        ),
                        m.field.span,
                        format!("{} fields are not filterable", field.field_type.as_str()),
                    )
                    .with_help(
                        "match on a filterable field such as an external id, Email, or Id; \
                         Segment fails such matchers only at run time",
                    ),
                );
            }
            check_literal(c, field, &m.value, &object_name);
            check_kind(c, field, &m.value, compiled.ty);
            let guarded = g.contains(&print::expr(&m.value));
            if compiled.ty.maybe_absent && !guarded {
                c.diags.push(
                    Diagnostic::new(
                        Code::MatcherMayBeAbsent,
                        format!(
                            "the matcher value `{}` may be absent on some events",
                            print::expr(&m.value)
                        ),
                        m.value.span,
                        "may be absent",
                    )
                    .with_help(format!(
                        "guard the mapping with `where {} exists`, or add a fallback with \
                         `coalesce(...)`; events without it fail as UNDEFINED_MATCHER \
                         (Segment's \"undefined traits\")",
                        print::expr(&m.value)
                    )),
                );
            }
            matchers.push(plan::Matcher {
                field: field.name.clone(),
                field_type: field.field_type,
                value: compiled.expr,
                span: m.field.span,
            });
        }
        let strategy = strategy(op, &matchers, describe);

        // Fields: explicit entries first, then presets (an explicit field beats a preset's).
        if op == OpKind::Delete && !fields.is_empty() {
            let span = fields
                .first()
                .map(FieldEntry::span)
                .unwrap_or_default()
                .to(fields.last().map(FieldEntry::span).unwrap_or_default());
            c.diags.push(
                Diagnostic::new(
                    Code::DeleteWithFields,
                    "a delete mapping cannot set fields",
                    span,
                    "these fields would be ignored",
                )
                .with_context(operation.kind_span, "the mapping deletes records")
                .with_help("remove the `fields` block, or use `update` to change records"),
            );
        }
        let mut entries: Vec<Entry<'_>> = Vec::new();
        let mut spreads = Vec::new();
        for entry in fields {
            match entry {
                FieldEntry::Assign { field, value, .. } => entries.push(Entry {
                    field,
                    value,
                    preset: None,
                }),
                FieldEntry::Spread(s) => spreads.push(s),
            }
        }
        let preset_files: Vec<(&ast::Preset, syntax_mod::Parsed)> = presets
            .iter()
            .filter_map(|p| expand_preset(c, p, &object.name, describe.is_some()).map(|f| (*p, f)))
            .collect();
        for (preset, parsed) in &preset_files {
            for m in &parsed.file.mappings {
                for clause in &m.clauses {
                    if let ast::ClauseKind::Fields(list) = &clause.kind {
                        for e in list {
                            if let FieldEntry::Assign { field, value, .. } = e {
                                let explicit = entries.iter().any(|x| {
                                    x.preset.is_none()
                                        && x.field.name.eq_ignore_ascii_case(&field.name)
                                });
                                let earlier = entries.iter().any(|x| {
                                    x.preset.is_some()
                                        && x.field.name.eq_ignore_ascii_case(&field.name)
                                });
                                if !explicit && !earlier {
                                    entries.push(Entry {
                                        field,
                                        value,
                                        preset: Some(preset.name.as_str()),
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }

        let mut plan_fields: Vec<plan::Field> = Vec::new();
        let mut assigned: HashMap<String, Span> = HashMap::new();
        for entry in &entries {
            let preset_span = entry
                .preset
                .and_then(|n| presets.iter().find(|p| p.name == n))
                .map(|p| p.span);
            let label_span = preset_span.unwrap_or(entry.field.span);
            if entry.preset.is_none() {
                if let Some(first) = assigned.get(&entry.field.name.to_ascii_lowercase()) {
                    c.diags.push(
                        Diagnostic::new(
                            Code::DuplicateField,
                            format!("`{}` is assigned twice", entry.field.name),
                            entry.field.span,
                            "second assignment",
                        )
                        .with_context(*first, "first assigned here")
                        .with_help("keep one assignment; combine sources with `coalesce(...)`"),
                    );
                    continue;
                }
                assigned.insert(entry.field.name.to_ascii_lowercase(), entry.field.span);
            }
            let field = match (describe, entry.preset) {
                (Some(d), None) => resolve_field(c, d, entry.field),
                (Some(d), Some(_)) => d.field(&entry.field.name),
                (None, _) => None,
            };
            c.pending_lookups.clear();
            let compiled = if entry.preset.is_some() {
                // Preset spans point into the preset text: report at the `use` clause instead.
                let mut sink = Vec::new();
                std::mem::swap(&mut sink, &mut c.diags);
                let out = c.expr(entry.value, &g, &mut reads);
                std::mem::swap(&mut sink, &mut c.diags);
                out
            } else {
                c.expr(entry.value, &g, &mut reads)
            };
            let Some(field) = field else { continue };
            if !writable(field, op) {
                // A compound Name whose parts are mapped explicitly loses nothing when skipped.
                let parts_mapped = field.name == "Name"
                    && ["FirstName", "LastName"].iter().all(|p| {
                        entries
                            .iter()
                            .any(|e| e.preset.is_none() && e.field.name.eq_ignore_ascii_case(p))
                    });
                if entry.preset.is_some() && parts_mapped {
                    continue;
                }
                if let Some(preset) = entry.preset {
                    c.diags.push(
                        Diagnostic::new(
                            Code::PresetFieldSkipped,
                            format!(
                                "preset `{preset}` maps `{}.{}`, which is read-only; sfmap leaves it out",
                                object_name, field.name
                            ),
                            label_span,
                            format!("`{}` skipped", field.name),
                        )
                        .with_help(read_only_help(field)),
                    );
                } else {
                    c.diags.push(
                        Diagnostic::new(
                            Code::FieldNotWritable,
                            format!(
                                "`{}.{}` cannot be written by {}",
                                object_name,
                                field.name,
                                op.as_str()
                            ),
                            entry.field.span,
                            not_writable_label(field, op),
                        )
                        .with_context(operation.kind_span, "the operation")
                        .with_help(read_only_help(field)),
                    );
                }
                continue;
            }
            if entry.preset.is_none() {
                check_literal(c, field, entry.value, &object_name);
                check_kind(c, field, entry.value, compiled.ty);
                check_clear(c, field, entry.value, compiled.ty);
            }
            let value = finish_lookups(c, field, compiled.expr, &object_name, entry.value);
            plan_fields.push(plan::Field {
                name: field.name.clone(),
                field_type: field.field_type,
                length: if field.field_type.is_text() {
                    field.length
                } else {
                    0
                },
                value,
                preset: entry.preset.map(str::to_string),
                span: label_span,
            });
        }

        // Required fields, from the schema.
        let mut required_on_create = Vec::new();
        if let Some(d) = describe {
            if op.may_create() {
                let person_account =
                    d.name == "Account" && plan_fields.iter().any(|f| f.name == "LastName");
                for req in d.required_on_create() {
                    if person_account && req.name == "Name" {
                        continue;
                    }
                    required_on_create.push(req.name.clone());
                    let by_field = entries
                        .iter()
                        .find(|e| e.field.name.eq_ignore_ascii_case(&req.name));
                    let by_matcher = strategy == Strategy::ExternalId
                        && matchers.iter().any(|m| m.field == req.name);
                    let by_query_matcher = strategy == Strategy::Query
                        && operation.join == Join::And
                        && matchers.iter().any(|m| m.field == req.name);
                    match by_field {
                        None if !by_matcher && !by_query_matcher => {
                            c.diags.push(
                                Diagnostic::new(
                                    Code::RequiredFieldMissing,
                                    format!(
                                        "`{}.{}` is required to create a record, but is not mapped",
                                        d.name, req.name
                                    ),
                                    operation.kind_span,
                                    format!("{} may create a `{}`", op.as_str(), d.name),
                                )
                                .with_help(format!(
                                    "map it, e.g. `{} = coalesce(traits.x, \"Unknown\")`; \
                                     Salesforce rejects the create with REQUIRED_FIELD_MISSING",
                                    req.name
                                )),
                            );
                        }
                        Some(e) => {
                            let ty = plan_fields
                                .iter()
                                .find(|f| f.name == req.name)
                                .map(|f| may_be_absent(&f.value, e.value, &g));
                            if ty == Some(true) {
                                c.diags.push(
                                    Diagnostic::new(
                                        Code::RequiredFieldMayBeAbsent,
                                        format!(
                                            "`{}.{}` is required to create a record, but its value may be absent",
                                            d.name, req.name
                                        ),
                                        e.value.span,
                                        "may be absent",
                                    )
                                    .with_help(if req.field_type.is_text() {
                                        format!(
                                            "add a fallback: `{} = coalesce({}, \"Unknown\")`; events without it fail as MISSING_REQUIRED",
                                            req.name,
                                            print::expr(e.value)
                                        )
                                    } else {
                                        "add a fallback with `coalesce(...)`, or require the value in the `where` condition; events without it fail as MISSING_REQUIRED".to_string()
                                    }),
                                );
                            }
                        }
                        _ => {}
                    }
                }
            }
        }

        // Spreads.
        let mut spread_plans = Vec::new();
        let read_by_fields: BTreeSet<EventPath> = reads.iter().cloned().collect();
        for s in spreads {
            let path = event_path(&s.path);
            let slot = c.slot(path.clone());
            let mut skip: Vec<String> = s.except.iter().map(|(k, _)| k.clone()).collect();
            for r in &read_by_fields {
                if r.segments.len() > path.segments.len() && r.starts_with(&path) {
                    if let Segment::Key(k) = &r.segments[path.segments.len()] {
                        skip.push(k.to_string());
                    }
                }
            }
            skip.sort();
            skip.dedup();
            spread_plans.push(plan::SpreadPlan {
                slot,
                path,
                prefix: s.prefix.as_ref().map(|p| p.0.clone()).unwrap_or_default(),
                suffix: s.suffix.as_ref().map(|p| p.0.clone()).unwrap_or_default(),
                skip_keys: skip,
            });
        }

        // Bulk.
        let bulk_plan = bulk.map(|(settings, span)| {
            compile_bulk(
                c,
                settings,
                span,
                op,
                &matchers,
                &plan_fields,
                describe,
                strategy,
            )
        });

        Some(plan::Mapping {
            name: mapping.name.name.clone(),
            span: mapping.span,
            triggers,
            condition,
            object: object_name,
            operation: op,
            matchers,
            join: operation.join,
            on_missing: operation.on_missing.map_or(OnMissing::Error, |(m, _)| m),
            strategy,
            fields: plan_fields,
            spreads: spread_plans,
            required_on_create,
            bulk: bulk_plan,
        })
    }
}

/// Resolves a field name on an object, reporting unknown names with a suggestion.
fn resolve_field<'d>(
    c: &mut Compiler<'_>,
    d: &'d ObjectDescribe,
    name: &ast::Ident,
) -> Option<&'d FieldDescribe> {
    if let Some(f) = d.field(&name.name) {
        return Some(f);
    }
    let suggestion = closest(&name.name, d.fields.iter().map(|f| f.name.as_str()));
    let help = match suggestion {
        Some(s) => format!("did you mean `{s}`?"),
        None if name.name.ends_with("__c") => format!(
            "custom fields come from your org's schema: `sfmap check --schema FILE` (the built-in schema has only standard fields of {})",
            d.name
        ),
        None => format!("`{}` has no such field", d.name),
    };
    c.diags.push(
        Diagnostic::new(
            Code::UnknownField,
            format!("`{}` has no field `{}`", d.name, name.name),
            name.span,
            "unknown field",
        )
        .with_help(help),
    );
    None
}

fn writable(field: &FieldDescribe, op: OpKind) -> bool {
    match op {
        OpKind::Create | OpKind::Add => field.createable,
        OpKind::Update => field.updateable,
        OpKind::Upsert => field.createable && field.updateable,
        OpKind::Delete => true,
    }
}

fn not_writable_label(field: &FieldDescribe, op: OpKind) -> String {
    if !field.createable && !field.updateable {
        "read-only field".to_string()
    } else if op == OpKind::Upsert && !field.updateable {
        "can be set on create but not updated".to_string()
    } else if !field.createable {
        "cannot be set on create".to_string()
    } else {
        "cannot be updated".to_string()
    }
}

fn read_only_help(field: &FieldDescribe) -> String {
    if field.name == "Name" && field.compound_field_name.is_none() && !field.createable {
        "Name is a compound field built from FirstName and LastName: map those instead, e.g. \
         `FirstName = name_first(traits.name)` and `LastName = name_last(traits.name)`"
            .to_string()
    } else {
        "remove this field from the mapping".to_string()
    }
}

/// Chooses how records are found and written.
fn strategy(op: OpKind, matchers: &[plan::Matcher], d: Option<&ObjectDescribe>) -> Strategy {
    if op == OpKind::Create {
        return Strategy::Insert;
    }
    if let [only] = matchers {
        if only.field.eq_ignore_ascii_case("Id") && op != OpKind::Add {
            return Strategy::ById;
        }
        let external = d
            .and_then(|d| d.field(&only.field))
            .is_some_and(|f| f.external_id);
        if external && op == OpKind::Upsert {
            return Strategy::ExternalId;
        }
    }
    Strategy::Query
}

/// Checks a literal against the field: type, date format, picklist, record Id, length.
fn check_literal(c: &mut Compiler<'_>, field: &FieldDescribe, value: &ast::Expr, object: &str) {
    let t = field.field_type;
    match &value.kind {
        ExprKind::String(s) => {
            if t.is_numeric() && s.trim().parse::<f64>().is_err() {
                c.diags
                    .push(mismatch(field, value, "text that is not a number"));
            } else if t == FieldType::Boolean && s != "true" && s != "false" {
                c.diags
                    .push(mismatch(field, value, "text that is not true or false"));
            } else if t == FieldType::Date
                && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_err()
            {
                c.diags.push(
                    Diagnostic::new(
                        Code::InvalidDateLiteral,
                        format!("\"{s}\" is not a date"),
                        value.span,
                        format!("`{}` is a date field", field.name),
                    )
                    .with_help("write dates as \"YYYY-MM-DD\", or convert with `to_date(value, \"%d/%m/%Y\")`"),
                );
            } else if t == FieldType::Datetime
                && chrono::DateTime::parse_from_rfc3339(s).is_err()
                && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_err()
            {
                c.diags.push(
                    Diagnostic::new(
                        Code::InvalidDateLiteral,
                        format!("\"{s}\" is not a datetime"),
                        value.span,
                        format!("`{}` is a datetime field", field.name),
                    )
                    .with_help("write datetimes as \"2024-05-01T12:00:00Z\", or convert with `to_datetime(...)`"),
                );
            } else if matches!(t, FieldType::Picklist | FieldType::Multipicklist)
                && !field.picklist_values.is_empty()
            {
                let values: Vec<&str> = if t == FieldType::Multipicklist {
                    s.split(';').collect()
                } else {
                    vec![s.as_str()]
                };
                for v in values {
                    if !field.allows_picklist_value(v) {
                        let suggestion =
                            closest(v, field.picklist_values.iter().map(|p| p.value.as_str()));
                        c.diags.push(
                            Diagnostic::new(
                                Code::PicklistValue,
                                format!(
                                    "\"{v}\" is not a value of picklist `{object}.{}`",
                                    field.name
                                ),
                                value.span,
                                "not in the picklist",
                            )
                            .with_help(match suggestion {
                                Some(s) => format!("did you mean \"{s}\"?"),
                                None => format!(
                                    "the values are: {}",
                                    field
                                        .picklist_values
                                        .iter()
                                        .filter(|p| p.active)
                                        .map(|p| format!("\"{}\"", p.value))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            }),
                        );
                    }
                }
            } else if matches!(t, FieldType::Reference | FieldType::Id) {
                check_record_id(c, field, value, s);
            } else if t.is_text() && field.length > 0 && s.chars().count() > field.length as usize {
                c.diags.push(
                    Diagnostic::new(
                        Code::ValueTooLong,
                        format!(
                            "this text has {} characters, but `{}` holds at most {}",
                            s.chars().count(),
                            field.name,
                            field.length
                        ),
                        value.span,
                        "too long",
                    )
                    .with_help("shorten it; Salesforce rejects it with STRING_TOO_LONG"),
                );
            }
        }
        ExprKind::Number(_) => {
            if matches!(
                t,
                FieldType::Date | FieldType::Boolean | FieldType::Reference | FieldType::Id
            ) {
                c.diags.push(mismatch(field, value, "a number"));
            }
        }
        ExprKind::Bool(_)
            if (t.is_numeric()
                || matches!(
                    t,
                    FieldType::Date | FieldType::Datetime | FieldType::Reference | FieldType::Id
                )) =>
        {
            c.diags.push(mismatch(field, value, "a boolean"));
        }
        _ => {}
    }
}

fn check_record_id(c: &mut Compiler<'_>, field: &FieldDescribe, value: &ast::Expr, s: &str) {
    if let Err(e) = sfid::validate(s) {
        c.diags.push(
            Diagnostic::new(
                Code::InvalidRecordId,
                format!("\"{s}\" is not a record Id"),
                value.span,
                e.to_string(),
            )
            .with_help(
                "copy the Id from Salesforce; 18-character Ids end with a 3-character checksum",
            ),
        );
        return;
    }
    let prefix = sfid::key_prefix(s);
    let targets: Vec<&str> = if field.field_type == FieldType::Id {
        Vec::new()
    } else {
        field.reference_to.iter().map(String::as_str).collect()
    };
    let prefixes: Vec<String> = targets
        .iter()
        .filter_map(|t| c.schema.object(t).and_then(|o| o.key_prefix.clone()))
        .collect();
    if !prefixes.is_empty() && !prefixes.iter().any(|p| p == prefix) {
        let found = c.schema.object_by_prefix(prefix).map_or_else(
            || format!("prefix {prefix}"),
            |o| format!("a {} Id", o.name),
        );
        c.diags.push(
            Diagnostic::new(
                Code::InvalidRecordId,
                format!(
                    "\"{s}\" is {found}, but `{}` references {}",
                    field.name,
                    targets.join(" or ")
                ),
                value.span,
                "wrong kind of record",
            )
            .with_help(format!(
                "{} Ids start with {}",
                targets.join("/"),
                prefixes.join(" or ")
            )),
        );
    }
}

fn mismatch(field: &FieldDescribe, value: &ast::Expr, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::TypeMismatch,
        format!(
            "`{}` is a {} field, but this is {what}",
            field.name,
            field.field_type.as_str()
        ),
        value.span,
        format!("{what} here"),
    )
    .with_help(convert_help(field.field_type))
}

fn convert_help(t: FieldType) -> String {
    if t.is_numeric() {
        "write a number literal, or convert with `to_number(...)`".into()
    } else if t == FieldType::Boolean {
        "write true or false, or convert with `to_bool(...)`".into()
    } else if t == FieldType::Date {
        "write \"YYYY-MM-DD\", or convert with `to_date(...)`".into()
    } else if t == FieldType::Datetime {
        "write an ISO datetime, or convert with `to_datetime(...)`".into()
    } else if matches!(t, FieldType::Reference | FieldType::Id) {
        "write a record Id, or use `lookup(Object.External_Id__c, value)`".into()
    } else {
        "convert the value with `to_string(...)`".into()
    }
}

/// Reports a value whose kinds can never fit the field.
fn check_kind(c: &mut Compiler<'_>, field: &FieldDescribe, value: &ast::Expr, ty: Ty) {
    if matches!(
        value.kind,
        ExprKind::String(_) | ExprKind::Number(_) | ExprKind::Bool(_) | ExprKind::Null
    ) {
        return;
    }
    let accepted = accepted_by(field);
    let fits = ty.kind.and(accepted);
    if fits.is_empty() && !ty.kind.is_empty() {
        c.diags.push(mismatch(field, value, &ty.kind.describe()));
    }
}

/// An explicit null into a field that cannot be empty.
fn check_clear(c: &mut Compiler<'_>, field: &FieldDescribe, value: &ast::Expr, ty: Ty) {
    if ty.kind == Kind::NULL && !field.nillable {
        c.diags.push(
            Diagnostic::new(
                Code::TypeMismatch,
                format!(
                    "`{}` cannot be cleared: Salesforce requires a value",
                    field.name
                ),
                value.span,
                "clears the field",
            )
            .with_help("remove the assignment to leave the field unchanged"),
        );
    }
}

/// Whether a field's value may be absent, honouring a `where ... exists` guard on its expression.
fn may_be_absent(_value: &PlanExpr, ast_value: &ast::Expr, g: &Guaranteed) -> bool {
    if g.contains(&print::expr(ast_value)) {
        return false;
    }
    expr_may_be_absent(ast_value, g)
}

fn expr_may_be_absent(e: &ast::Expr, g: &Guaranteed) -> bool {
    match &e.kind {
        ExprKind::Path(p) => !g.contains(&print::path(p)),
        ExprKind::Call { name, args } => match name.name.as_str() {
            "coalesce" => args.iter().all(|a| expr_may_be_absent(a, g)),
            "clear" | "jmes" => name.name == "jmes",
            _ => args.iter().any(|a| expr_may_be_absent(a, g)),
        },
        ExprKind::Template(parts) => parts.iter().any(|p| match p {
            ast::TemplatePart::Expr(e) => expr_may_be_absent(e, g),
            ast::TemplatePart::Text(_) => false,
        }),
        ExprKind::If(_, a, b) => expr_may_be_absent(a, g) || expr_may_be_absent(b, g),
        ExprKind::Paren(inner) => expr_may_be_absent(inner, g),
        _ => false,
    }
}

/// Expands a preset into parsed entries, or reports it unknown / not for this object.
fn expand_preset(
    c: &mut Compiler<'_>,
    p: &ast::Preset,
    object: &str,
    object_known: bool,
) -> Option<syntax_mod::Parsed> {
    match super::presets::lookup(&p.name, object) {
        None => {
            let suggestion = closest(&p.name, super::presets::NAMES.iter().copied());
            c.diags.push(
                Diagnostic::new(
                    Code::UnknownPreset,
                    format!("there is no preset `{}`", p.name),
                    p.span,
                    "unknown preset",
                )
                .with_help(match suggestion {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("presets: {}", super::presets::NAMES.join(", ")),
                }),
            );
            None
        }
        Some(Err(objects)) => {
            if object_known {
                c.diags.push(
                    Diagnostic::new(
                        Code::UnknownPreset,
                        format!("preset `{}` has no fields for `{object}`", p.name),
                        p.span,
                        "does not fit this object",
                    )
                    .with_help(format!(
                        "`{}` is for {}",
                        p.name,
                        objects.join(", ")
                    )),
                );
            }
            None
        }
        Some(Ok(body)) => {
            let text = format!("mapping preset {{ fields {{ {body} }} }}");
            Some(respan(syntax_mod::parse(&text), p.span))
        }
    }
}

/// Points every span of a preset's parse at the `use` clause.
fn respan(mut parsed: syntax_mod::Parsed, span: Span) -> syntax_mod::Parsed {
    fn expr(e: &mut ast::Expr, span: Span) {
        e.span = span;
        match &mut e.kind {
            ExprKind::Path(p) => p.span = span,
            ExprKind::Call { name, args } => {
                name.span = span;
                args.iter_mut().for_each(|a| expr(a, span));
            }
            ExprKind::List(items) => items.iter_mut().for_each(|a| expr(a, span)),
            ExprKind::Not(a) | ExprKind::Exists(a) | ExprKind::Paren(a) => expr(a, span),
            ExprKind::Logic(_, a, b) | ExprKind::Compare(_, a, b) => {
                expr(a, span);
                expr(b, span);
            }
            ExprKind::If(a, b, c) => {
                expr(a, span);
                expr(b, span);
                expr(c, span);
            }
            ExprKind::Template(parts) => parts.iter_mut().for_each(|p| {
                if let ast::TemplatePart::Expr(e) = p {
                    expr(e, span);
                }
            }),
            _ => {}
        }
    }
    for m in &mut parsed.file.mappings {
        for clause in &mut m.clauses {
            if let ast::ClauseKind::Fields(list) = &mut clause.kind {
                for e in list {
                    if let FieldEntry::Assign {
                        field,
                        value,
                        span: s,
                    } = e
                    {
                        field.span = span;
                        *s = span;
                        expr(value, span);
                    }
                }
            }
        }
    }
    parsed
}

/// Fills in `lookup()` relationship names and checks them against the schema.
fn finish_lookups(
    c: &mut Compiler<'_>,
    field: &FieldDescribe,
    value: PlanExpr,
    object: &str,
    ast_value: &ast::Expr,
) -> PlanExpr {
    let calls = std::mem::take(&mut c.pending_lookups);
    let PlanExpr::Lookup {
        object: parent,
        field: ext,
        value: inner,
        ..
    } = value
    else {
        if let Some((call, _)) = calls.first() {
            c.diags.push(
                Diagnostic::new(
                    Code::InvalidLookup,
                    "`lookup()` must be the whole value of a reference field",
                    *call,
                    "nested lookup",
                )
                .with_help("write `AccountId = lookup(Account.External_Id__c, groupId)`"),
            );
        }
        return value;
    };
    let span = calls.first().map_or(ast_value.span, |(_, target)| *target);
    let bad = |c: &mut Compiler<'_>, msg: String, label: &str, help: String| {
        c.diags
            .push(Diagnostic::new(Code::InvalidLookup, msg, span, label).with_help(help));
    };
    if field.field_type != FieldType::Reference {
        bad(
            c,
            format!("`{object}.{}` is not a reference field", field.name),
            "lookup into a non-reference field",
            "`lookup()` sets a parent reference such as `AccountId` or `Account__c`".into(),
        );
        return PlanExpr::Const(crate::event::value::Value::Null);
    }
    let Some(target) = field
        .reference_to
        .iter()
        .find(|t| t.eq_ignore_ascii_case(&parent))
    else {
        bad(
            c,
            format!(
                "`{object}.{}` references {}, not `{parent}`",
                field.name,
                field.reference_to.join(", ")
            ),
            "wrong parent object",
            format!("look up a {} instead", field.reference_to.join(" or ")),
        );
        return PlanExpr::Const(crate::event::value::Value::Null);
    };
    let target = target.clone();
    let parent_describe = c.schema.object(&target);
    let ext_field = parent_describe.and_then(|d| d.field(&ext));
    match ext_field {
        Some(f) if f.external_id => {}
        Some(f) => {
            bad(
                c,
                format!("`{target}.{}` is not an external id", f.name),
                "not an external id",
                "mark the field as External ID in Salesforce, or look up by another one".into(),
            );
            return PlanExpr::Const(crate::event::value::Value::Null);
        }
        None => {
            let suggestion = parent_describe.and_then(|d| {
                closest(
                    &ext,
                    d.fields
                        .iter()
                        .filter(|f| f.external_id)
                        .map(|f| f.name.as_str()),
                )
            });
            bad(
                c,
                format!("`{target}` has no field `{ext}`"),
                "unknown field",
                match suggestion {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "pass your org's schema with `--schema FILE` for custom fields".into(),
                },
            );
            return PlanExpr::Const(crate::event::value::Value::Null);
        }
    }
    let ext_name = ext_field.map_or(ext, |f| f.name.clone());
    PlanExpr::Lookup {
        relationship: field
            .relationship_name
            .clone()
            .unwrap_or_else(|| field.name.trim_end_matches("Id").to_string()),
        object: target,
        field: ext_name,
        value: inner,
    }
}

#[allow(clippy::too_many_arguments)]
fn compile_bulk(
    c: &mut Compiler<'_>,
    settings: &[ast::BulkSetting],
    span: Span,
    op: OpKind,
    matchers: &[plan::Matcher],
    fields: &[plan::Field],
    d: Option<&ObjectDescribe>,
    strategy: Strategy,
) -> plan::Bulk {
    let mut bulk = plan::Bulk {
        batch_size: 5000,
        hard_delete: false,
    };
    for s in settings {
        match (s.name.name.as_str(), &s.value.kind) {
            ("batch_size", ExprKind::Number(n)) => match n.parse::<u32>() {
                Ok(v) if (1..=10_000).contains(&v) => bulk.batch_size = v,
                _ => c.diags.push(
                    Diagnostic::new(
                        Code::BatchSizeRange,
                        format!("batch size {n} is out of range"),
                        s.value.span,
                        "must be 1 to 10000",
                    )
                    .with_help(
                        "Bulk API 2.0 takes at most 10,000 records per batch; the default is 5000",
                    ),
                ),
            },
            ("hard_delete", ExprKind::Bool(b)) => bulk.hard_delete = *b,
            ("batch_size" | "hard_delete", _) => c.diags.push(Diagnostic::new(
                Code::TypeMismatch,
                format!(
                    "`{}` takes {}",
                    s.name.name,
                    if s.name.name == "batch_size" {
                        "a whole number"
                    } else {
                        "true or false"
                    }
                ),
                s.value.span,
                "wrong kind of value",
            )),
            (other, _) => {
                let suggestion = closest(other, ["batch_size", "hard_delete"]);
                c.diags.push(
                    Diagnostic::new(
                        Code::UnknownBulkSetting,
                        format!("unknown bulk setting `{other}`"),
                        s.name.span,
                        "unknown setting",
                    )
                    .with_help(match suggestion {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "bulk settings are `batch_size` and `hard_delete`".into(),
                    }),
                );
            }
        }
    }
    if op == OpKind::Upsert {
        if strategy != Strategy::ExternalId {
            let (label_span, what) = match matchers {
                [only] => (
                    only.span,
                    format!("`{}` is not an external-id field", only.field),
                ),
                _ => (span, format!("{} matchers", matchers.len())),
            };
            let ext: Vec<&str> = d
                .map(|d| {
                    d.fields
                        .iter()
                        .filter(|f| f.external_id)
                        .map(|f| f.name.as_str())
                        .collect()
                })
                .unwrap_or_default();
            c.diags.push(
                Diagnostic::new(
                    Code::BulkUpsertKey,
                    "a bulk upsert matches on exactly one external-id field",
                    label_span,
                    what,
                )
                .with_context(span, "bulk turned on here")
                .with_help(if ext.is_empty() {
                    "mark a field as External ID in Salesforce and match on it (Segment's \"Bulk Upsert External Id\")".to_string()
                } else {
                    format!("match on one of: {}", ext.join(", "))
                }),
            );
        } else if let [only] = matchers {
            if let Some(f) = fields.iter().find(|f| f.name == only.field) {
                c.diags.push(
                    Diagnostic::new(
                        Code::KeyMappedAsField,
                        format!("`{}` is the upsert key and is also mapped as a field", only.field),
                        f.span,
                        "mapped again here",
                    )
                    .with_context(only.span, "the external-id key")
                    .with_help("remove the field: the key's value is sent from the matcher (a duplicate CSV column makes Salesforce fail every row)"),
                );
            }
        }
    }
    bulk
}
