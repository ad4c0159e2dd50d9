//! One mapping: object, operation, matchers, fields, presets, spreads and bulk, checked against
//! the schema. [`MappingCtx::compile`] takes the clauses one method each, in order; the checks
//! of a value against its field are in `values.rs`, `lookup()` in `lookups.rs`, presets in
//! `presets.rs` and the `bulk` clause in `bulk.rs`.

use std::collections::{BTreeSet, HashMap};

use super::Compiler;
use super::bulk::compile_bulk;
use super::expr::{Guaranteed, event_path};
use super::facts::Facts;
use super::lookups::finish_lookups;
use super::presets::expand_preset;
use super::suggest::closest;
use super::values::{check_clear, check_kind, check_literal, may_be_absent};
use crate::diag::{Code, Diagnostic};
use crate::event::path::{EventPath, Segment};
use crate::plan::{self, PlanExpr, Strategy};
use crate::schema::{FieldDescribe, FieldType, ObjectDescribe};
use crate::source::Span;
use crate::syntax::ast::{self, FieldEntry, Join, OnMissing, OpKind};
use crate::syntax::{self, print};

/// One mapping's clauses, gathered by `Compiler::mapping` (which reports missing and repeated
/// clauses), and the compiler state they compile into.
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
    /// The preset's name, for an entry from a preset.
    preset: Option<&'e str>,
}

/// What the `object` and `on` clauses settle, read by the clauses after them.
struct Known<'s> {
    /// The object's describe, when the schema has the object. When it has not, the unknown
    /// object is reported once and nothing is checked against it.
    describe: Option<&'s ObjectDescribe>,
    /// The object's name, spelled as the schema spells it (as written when it is unknown).
    name: String,
    /// The paths the trigger's `where` condition guarantees present.
    guaranteed: Guaranteed,
}

impl<'s, 'a> MappingCtx<'_, 's, 'a> {
    /// Compiles the mapping one clause after another. The order is the order diagnostics are
    /// pushed in; `diag::sort` then orders them by place, severity and code, so the order
    /// here decides only between diagnostics of the same place and code.
    pub fn compile(mut self) -> Option<plan::Mapping> {
        let op = self.operation.kind;
        let describe = self.object();
        let (triggers, condition, guaranteed) = self.trigger();
        let known = Known {
            describe,
            name: describe.map_or_else(|| self.object.name.clone(), |d| d.name.clone()),
            guaranteed,
        };
        // Every path the matchers and fields read: a spread leaves those keys out.
        let mut reads: Vec<EventPath> = Vec::new();
        let matchers = self.matchers(&known, &mut reads);
        let strategy = strategy(op, &matchers, describe);
        self.no_fields_on_delete();
        let presets = self.expand_presets(&known);
        let (entries, spreads) = self.field_entries(&presets);
        let fields = self.fields(&known, &entries, &mut reads);
        let required_on_create =
            self.required_on_create(&known, &entries, &fields, &matchers, strategy);
        self.blank_insert(&known, &entries, &spreads);
        let spreads = self.spreads(&spreads, &reads);
        let bulk = self.bulk.map(|(settings, span)| {
            compile_bulk(
                self.c, settings, span, op, &matchers, &fields, describe, strategy,
            )
        });
        Some(plan::Mapping {
            name: self.mapping.name.name.clone(),
            span: self.mapping.span,
            triggers,
            condition,
            object: known.name,
            operation: op,
            matchers,
            join: self.operation.join,
            on_missing: self
                .operation
                .on_missing
                .map_or(OnMissing::Error, |(m, _)| m),
            strategy,
            fields,
            spreads,
            required_on_create,
            bulk,
        })
    }

    /// The `object` clause: the schema's describe of the object (an unknown one is reported,
    /// with the closest name or how to pass an org's schema), and whether the API allows the
    /// operation on it.
    fn object(&mut self) -> Option<&'s ObjectDescribe> {
        let (c, object, operation) = (&mut *self.c, self.object, self.operation);
        let schema = c.schema;
        let op = operation.kind;
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
        describe
    }

    /// The `on` clause: the event filters, the compiled `where` condition, and the paths the
    /// condition guarantees present (the matchers and fields may read those without a warning).
    fn trigger(&mut self) -> (Vec<plan::EventFilter>, Option<PlanExpr>, Guaranteed) {
        let trigger = self.trigger;
        let triggers = trigger
            .events
            .iter()
            .map(|e| plan::EventFilter {
                event_type: e.event_type,
                names: e.names.iter().map(|(n, _)| n.clone()).collect(),
            })
            .collect();
        let guaranteed = Facts::of(trigger.condition.as_ref()).present();
        // The condition's reads are not the fields': a spread does not leave them out.
        let mut scratch = Vec::new();
        let condition = trigger
            .condition
            .as_ref()
            .map(|cond| self.c.expr(cond, &Guaranteed::new(), &mut scratch).expr);
        (triggers, condition, guaranteed)
    }

    /// The operation's matchers. Each names a field of the object that SOQL can filter on
    /// (`Id` always can); its value must fit the field and should be present on every event
    /// the mapping fires for, else `MatcherMayBeAbsent`. A matcher on an unknown field is
    /// reported and left out.
    fn matchers(&mut self, known: &Known<'_>, reads: &mut Vec<EventPath>) -> Vec<plan::Matcher> {
        let (c, operation) = (&mut *self.c, self.operation);
        let g = &known.guaranteed;
        let mut matchers = Vec::new();
        for m in &operation.matchers {
            let field = known.describe.and_then(|d| resolve_field(c, d, &m.field));
            let compiled = c.expr(&m.value, g, reads);
            let Some(field) = field else {
                continue;
            };
            if !field.filterable && !field.name.eq_ignore_ascii_case("Id") {
                c.diags.push(
                    Diagnostic::new(
                        Code::MatcherNotFilterable,
                        format!(
                            "`{}.{}` cannot be used in a SOQL WHERE clause",
                            known.name, field.name
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
            check_literal(c, field, &m.value, &known.name);
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
        matchers
    }

    /// A delete mapping with a `fields` block: the fields would be ignored.
    fn no_fields_on_delete(&mut self) {
        let fields = self.fields;
        if self.operation.kind != OpKind::Delete || fields.is_empty() {
            return;
        }
        let span = fields
            .first()
            .map(FieldEntry::span)
            .unwrap_or_default()
            .to(fields.last().map(FieldEntry::span).unwrap_or_default());
        self.c.diags.push(
            Diagnostic::new(
                Code::DeleteWithFields,
                "a delete mapping cannot set fields",
                span,
                "these fields would be ignored",
            )
            .with_context(self.operation.kind_span, "the mapping deletes records")
            .with_help("remove the `fields` block, or use `update` to change records"),
        );
    }

    /// The `use` clauses' presets, parsed, in order; an unknown one, or one with nothing for
    /// this object, is reported and left out.
    fn expand_presets(&mut self, known: &Known<'_>) -> Vec<(&'a ast::Preset, syntax::Parsed)> {
        let object_known = known.describe.is_some();
        self.presets
            .iter()
            .filter_map(|p| {
                expand_preset(self.c, p, &self.object.name, object_known).map(|f| (*p, f))
            })
            .collect()
    }

    /// The field entries to compile, explicit ones first: the `fields` block's assignments,
    /// then each preset's (in `use` order) for the fields not assigned yet, explicitly or by
    /// an earlier preset. Also the block's spreads.
    fn field_entries<'e>(
        &self,
        presets: &'e [(&'a ast::Preset, syntax::Parsed)],
    ) -> (Vec<Entry<'e>>, Vec<&'a ast::Spread>)
    where
        'a: 'e,
    {
        let mut entries: Vec<Entry<'e>> = Vec::new();
        let mut spreads = Vec::new();
        for entry in self.fields {
            match entry {
                FieldEntry::Assign { field, value, .. } => entries.push(Entry {
                    field,
                    value,
                    preset: None,
                }),
                FieldEntry::Spread(s) => spreads.push(s),
            }
        }
        for (preset, parsed) in presets {
            for m in &parsed.file.mappings {
                for clause in &m.clauses {
                    let ast::ClauseKind::Fields(list) = &clause.kind else {
                        continue;
                    };
                    for e in list {
                        let FieldEntry::Assign { field, value, .. } = e else {
                            continue;
                        };
                        let taken = entries
                            .iter()
                            .any(|x| x.field.name.eq_ignore_ascii_case(&field.name));
                        if !taken {
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
        (entries, spreads)
    }

    /// The field entries, compiled. An explicit field must exist on the object and be assigned
    /// once (a preset's fields the object lacks are left out silently); every field must be
    /// writable by the operation; an explicit value must fit its field. `lookup()` values are
    /// settled here, where the field is known.
    fn fields(
        &mut self,
        known: &Known<'_>,
        entries: &[Entry<'_>],
        reads: &mut Vec<EventPath>,
    ) -> Vec<plan::Field> {
        let op = self.operation.kind;
        let mut plan_fields: Vec<plan::Field> = Vec::new();
        let mut assigned: HashMap<String, Span> = HashMap::new();
        for entry in entries {
            // A preset's fields are reported at its `use` clause.
            let preset_span = entry
                .preset
                .and_then(|n| self.presets.iter().find(|p| p.name == n))
                .map(|p| p.span);
            let label_span = preset_span.unwrap_or(entry.field.span);
            if entry.preset.is_none() && !self.first_assignment(entry, &mut assigned) {
                continue;
            }
            let field = match (known.describe, entry.preset) {
                (Some(d), None) => resolve_field(self.c, d, entry.field),
                (Some(d), Some(_)) => d.field(&entry.field.name),
                (None, _) => None,
            };
            let compiled = self.field_value(entry, &known.guaranteed, reads);
            let Some(field) = field else { continue };
            if !writable(field, op) {
                self.not_writable(entry, entries, field, &known.name, label_span);
                continue;
            }
            let c = &mut *self.c;
            if entry.preset.is_none() {
                check_literal(c, field, entry.value, &known.name);
                check_kind(c, field, entry.value, compiled.ty);
                check_clear(c, field, entry.value, compiled.ty);
            }
            let value = finish_lookups(c, field, compiled.expr, &known.name, entry.value);
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
        plan_fields
    }

    /// Whether an explicit entry is its field's first assignment (`assigned` holds the first
    /// ones, by lower-cased name); a second one is reported.
    fn first_assignment(
        &mut self,
        entry: &Entry<'_>,
        assigned: &mut HashMap<String, Span>,
    ) -> bool {
        let key = entry.field.name.to_ascii_lowercase();
        if let Some(first) = assigned.get(&key) {
            self.c.diags.push(
                Diagnostic::new(
                    Code::DuplicateField,
                    format!("`{}` is assigned twice", entry.field.name),
                    entry.field.span,
                    "second assignment",
                )
                .with_context(*first, "first assigned here")
                .with_help("keep one assignment; combine sources with `coalesce(...)`"),
            );
            return false;
        }
        assigned.insert(key, entry.field.span);
        true
    }

    /// Compiles an entry's value, collecting its `lookup()` calls afresh for `finish_lookups`.
    fn field_value(
        &mut self,
        entry: &Entry<'_>,
        g: &Guaranteed,
        reads: &mut Vec<EventPath>,
    ) -> super::expr::Compiled {
        let c = &mut *self.c;
        c.pending_lookups.clear();
        if entry.preset.is_none() {
            return c.expr(entry.value, g, reads);
        }
        // Preset spans point into the preset text: report at the `use` clause instead. (The
        // value's own diagnostics are dropped; what the preset maps is checked by the field.)
        let mut sink = Vec::new();
        std::mem::swap(&mut sink, &mut c.diags);
        let out = c.expr(entry.value, g, reads);
        std::mem::swap(&mut sink, &mut c.diags);
        out
    }

    /// Reports a field the operation cannot write. A preset's is only a warning that it is
    /// left out, and not even that for a compound `Name` whose parts are mapped explicitly.
    fn not_writable(
        &mut self,
        entry: &Entry<'_>,
        entries: &[Entry<'_>],
        field: &FieldDescribe,
        object_name: &str,
        label_span: Span,
    ) {
        let op = self.operation.kind;
        // A compound Name whose parts are mapped explicitly loses nothing when skipped.
        let parts_mapped = field.name == "Name"
            && ["FirstName", "LastName"].iter().all(|p| {
                entries
                    .iter()
                    .any(|e| e.preset.is_none() && e.field.name.eq_ignore_ascii_case(p))
            });
        if entry.preset.is_some() && parts_mapped {
            return;
        }
        if let Some(preset) = entry.preset {
            self.c.diags.push(
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
            self.c.diags.push(
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
                .with_context(self.operation.kind_span, "the operation")
                .with_help(read_only_help(field)),
            );
        }
    }

    /// The fields the schema requires to create a record, for an operation that may create
    /// one. Each should be mapped (a person account's `LastName` stands in for `Account.Name`)
    /// or set by the matchers a create copies: the external-id key of an upsert, and a query
    /// matcher that is alone or joined by `and`. A mapped one should be present on every event, else
    /// `RequiredFieldMayBeAbsent`.
    fn required_on_create(
        &mut self,
        known: &Known<'_>,
        entries: &[Entry<'_>],
        fields: &[plan::Field],
        matchers: &[plan::Matcher],
        strategy: Strategy,
    ) -> Vec<String> {
        let (c, operation) = (&mut *self.c, self.operation);
        let op = operation.kind;
        let mut required_on_create = Vec::new();
        let Some(d) = known.describe.filter(|_| op.may_create()) else {
            return required_on_create;
        };
        let person_account = d.name == "Account" && fields.iter().any(|f| f.name == "LastName");
        // An upsert's missing fields, for one warning.
        let mut unmapped = Vec::new();
        for req in d.required_on_create() {
            if person_account && req.name == "Name" {
                continue;
            }
            required_on_create.push(req.name.clone());
            let by_field = entries
                .iter()
                .find(|e| e.field.name.eq_ignore_ascii_case(&req.name));
            let by_matcher =
                strategy == Strategy::ExternalId && matchers.iter().any(|m| m.field == req.name);
            // The insert copies a query matcher when it is the only one or they are joined
            // with `and` (run::flush does the same).
            let by_query_matcher = strategy == Strategy::Query
                && (operation.join == Join::And || matchers.len() == 1)
                && matchers.iter().any(|m| m.field == req.name);
            match by_field {
                None if !by_matcher && !by_query_matcher && op == OpKind::Upsert => {
                    unmapped.push(req.name.as_str());
                }
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
                    // Only a field that made it into the plan.
                    let compiled = fields.iter().any(|f| f.name == req.name);
                    if compiled && may_be_absent(e.value, &known.guaranteed) {
                        c.diags.push(required_may_be_absent(d, req, e.value));
                    }
                }
                _ => {}
            }
        }
        if !unmapped.is_empty() {
            c.diags
                .push(upsert_required_missing(d, &unmapped, operation.kind_span));
        }
        required_on_create
    }

    /// A `create` or `add` whose inserts get no field at all: no field, preset field or
    /// spread, and for `add` no matcher value the insert copies (one matcher, or matchers
    /// joined with `and`). Not reported when the object requires fields: that is E0402.
    fn blank_insert(&mut self, known: &Known<'_>, entries: &[Entry<'_>], spreads: &[&ast::Spread]) {
        let operation = self.operation;
        let copies_matchers = operation.kind == OpKind::Add
            && (operation.join == Join::And || operation.matchers.len() == 1);
        let requires = known
            .describe
            .is_some_and(|d| d.required_on_create().next().is_some());
        if !matches!(operation.kind, OpKind::Create | OpKind::Add)
            || !entries.is_empty()
            || !spreads.is_empty()
            || copies_matchers
            || requires
        {
            return;
        }
        self.c.diags.push(
            Diagnostic::new(
                Code::CreateWritesNoField,
                format!(
                    "{} writes no field: every `{}` it inserts is blank",
                    operation.kind.as_str(),
                    known.name
                ),
                operation.kind_span,
                "inserts records with no field set",
            )
            .with_help(if operation.kind == OpKind::Add {
                "give the mapping a `fields` block, e.g. `fields { Subject = properties.subject }`; \
                 matchers joined with `or` only find records, their values are not written"
            } else {
                "give the mapping a `fields` block, e.g. `fields { Subject = properties.subject }`, \
                 or a spread such as `...properties`"
            }),
        );
    }

    /// The `...path` spreads: each sends the object's remaining keys as fields, leaving out
    /// its `except` keys and the keys the matchers and fields read.
    fn spreads(&mut self, spreads: &[&ast::Spread], reads: &[EventPath]) -> Vec<plan::SpreadPlan> {
        let mut spread_plans = Vec::new();
        let read_by_fields: BTreeSet<EventPath> = reads.iter().cloned().collect();
        for s in spreads {
            let path = event_path(&s.path);
            let slot = self.c.slot(path.clone());
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
                keep_null: s.keep_null.is_some(),
            });
        }
        spread_plans
    }
}

/// `UpsertRequiredFieldMissing`: an upsert on `d` maps none of the required fields `unmapped`.
fn upsert_required_missing(d: &ObjectDescribe, unmapped: &[&str], op_span: Span) -> Diagnostic {
    let quoted: Vec<String> = unmapped.iter().map(|f| format!("`{f}`")).collect();
    let names = match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => quoted.join(""),
    };
    Diagnostic::new(
        Code::UpsertRequiredFieldMissing,
        format!(
            "upsert may create `{}` records without {names}, which Salesforce requires: \
             events that find no record fail",
            d.name
        ),
        op_span,
        "updates are delivered; creates fail as MISSING_REQUIRED",
    )
    .with_help({
        let them = if unmapped.len() == 1 { "it" } else { "them" };
        // "Unknown" fits free text only (not a picklist, an email, a date ...).
        let text = d
            .field(unmapped[0])
            .is_some_and(|f| matches!(f.field_type, FieldType::String | FieldType::Textarea));
        if text {
            format!(
                "to create records too, map {them} with a default for new records only, e.g. \
                 `{} = coalesce(traits.x, on_create(\"Unknown\"))`; to never create, use `update`",
                unmapped[0]
            )
        } else {
            format!(
                "to create records too, map {them} with a default for new records only \
                 (`on_create(...)`); to never create, use `update`"
            )
        }
    })
}

/// `RequiredFieldMayBeAbsent` for a required field `req` of `d` mapped from `value`.
fn required_may_be_absent(
    d: &ObjectDescribe,
    req: &FieldDescribe,
    value: &ast::Expr,
) -> Diagnostic {
    Diagnostic::new(
        Code::RequiredFieldMayBeAbsent,
        format!(
            "`{}.{}` is required to create a record, but its value may be absent",
            d.name, req.name
        ),
        value.span,
        "may be absent",
    )
    .with_help(if req.field_type.is_text() {
        format!(
            "add a fallback: `{} = coalesce({}, \"Unknown\")`; events without it fail as MISSING_REQUIRED",
            req.name,
            print::expr(value)
        )
    } else {
        "add a fallback with `coalesce(...)`, or require the value in the `where` condition; events without it fail as MISSING_REQUIRED".to_string()
    })
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
