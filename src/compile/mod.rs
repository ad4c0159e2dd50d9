//! The compiler: syntax tree + schema → [`Plan`] and diagnostics.
//!
//! One walk per mapping resolves the object and fields against the schema, expands presets,
//! compiles expressions into slot-based [`PlanExpr`]s, and checks what Salesforce would reject at
//! run time. Compilation never stops at the first error; it reports everything it can, and a
//! name that failed to resolve is not reported again downstream.

mod bulk;
mod expr;
mod facts;
mod lint;
mod lookups;
mod mapping;
pub mod presets;
pub mod suggest;
pub mod types;
mod values;

use std::collections::HashMap;

pub use expr::EVENT_ROOTS;

use crate::diag::{Code, Diagnostic};
use crate::event::path::EventPath;
use crate::plan::{self, Plan};
use crate::schema::Schema;
use crate::source::Span;
use crate::syntax::ast::{self, ClauseKind, File};

/// The result of compiling: the plan (usable only when there are no errors) and diagnostics.
#[derive(Debug)]
pub struct Compiled {
    pub plan: Plan,
    pub diagnostics: Vec<Diagnostic>,
}

impl Compiled {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Compiles a parsed file against a schema.
pub fn compile(file: &File, schema: &Schema, source_name: &str) -> Compiled {
    let mut c = Compiler {
        schema,
        diags: Vec::new(),
        slots: Vec::new(),
        slot_index: HashMap::new(),
        needs_full_event: false,
        pending_lookups: Vec::new(),
    };
    // Slots 0..3 are fixed: every event's type, name and id are read to route and report it.
    for root in ["type", "event", "messageId"] {
        c.slot(EventPath::keys(&[root]));
    }
    let mut mappings = Vec::new();
    let mut names: HashMap<&str, Span> = HashMap::new();
    for m in &file.mappings {
        if let Some(first) = names.get(m.name.name.as_str()) {
            c.diags.push(
                Diagnostic::new(
                    Code::DuplicateMapping,
                    format!("a mapping named `{}` already exists", m.name.name),
                    m.name.span,
                    "second mapping with this name",
                )
                .with_context(*first, "first defined here")
                .with_help("mapping names identify outcomes in reports and the ledger; rename one"),
            );
        } else {
            names.insert(&m.name.name, m.name.span);
        }
        if let Some(mapping) = c.mapping(m) {
            mappings.push(mapping);
        }
    }
    lint::lint(file, &mappings, &mut c.diags);
    crate::diag::sort(&mut c.diags);
    Compiled {
        plan: Plan {
            source: source_name.to_string(),
            mappings,
            reads: c.slots,
            needs_full_event: c.needs_full_event,
        },
        diagnostics: c.diags,
    }
}

/// Compiler state shared by all mappings of a file.
pub(crate) struct Compiler<'s> {
    pub(crate) schema: &'s Schema,
    pub(crate) diags: Vec<Diagnostic>,
    slots: Vec<EventPath>,
    slot_index: HashMap<EventPath, usize>,
    pub(crate) needs_full_event: bool,
    /// `lookup()` calls compiled in the current field, checked by the assignment: (call, target).
    pub(crate) pending_lookups: Vec<(Span, Span)>,
}

impl Compiler<'_> {
    /// The slot of a path, shared by every mapping that reads it.
    pub(crate) fn slot(&mut self, path: EventPath) -> usize {
        if let Some(&n) = self.slot_index.get(&path) {
            return n;
        }
        let n = self.slots.len();
        self.slots.push(path.clone());
        self.slot_index.insert(path, n);
        n
    }

    fn mapping(&mut self, m: &ast::Mapping) -> Option<plan::Mapping> {
        let mut seen: HashMap<&'static str, Span> = HashMap::new();
        let mut trigger = None;
        let mut object = None;
        let mut operation = None;
        let mut fields: Option<&[ast::FieldEntry]> = None;
        let mut bulk = None;
        let mut presets = Vec::new();
        for clause in &m.clauses {
            let key = match &clause.kind {
                ClauseKind::On(t) => {
                    trigger = Some(t);
                    "on"
                }
                ClauseKind::Object(o) => {
                    object = Some(o);
                    "object"
                }
                ClauseKind::Operation(op) => {
                    operation = Some(op);
                    "operation"
                }
                ClauseKind::Fields(f) => {
                    fields = Some(f);
                    "fields"
                }
                ClauseKind::Bulk(b) => {
                    bulk = Some((b, clause.span));
                    "bulk"
                }
                ClauseKind::Use(p) => {
                    presets.push(p);
                    continue;
                }
            };
            if let Some(first) = seen.get(key) {
                let what = if key == "operation" {
                    "an operation"
                } else {
                    key
                };
                self.diags.push(
                    Diagnostic::new(
                        Code::DuplicateClause,
                        format!("mapping `{}` has {what} clause twice", m.name.name),
                        clause.span,
                        "second clause",
                    )
                    .with_context(*first, "first given here")
                    .with_help("a mapping has one trigger, one object, one operation, one `fields` block and one `bulk` block; write a second mapping for a second one"),
                );
            } else {
                seen.insert(key, clause.span);
            }
        }
        // (what is missing, the help that adds it)
        let mut missing = Vec::new();
        if trigger.is_none() {
            missing.push(("`on` trigger", "an `on` trigger, e.g. `on identify`"));
        }
        if object.is_none() {
            missing.push(("`object` clause", "an `object` clause, e.g. `object Lead`"));
        }
        if operation.is_none() {
            missing.push((
                "operation",
                "an operation: `create`, `add`, `update`, `upsert` or `delete`",
            ));
        }
        for (what, add) in &missing {
            self.diags.push(
                Diagnostic::new(
                    Code::MissingClause,
                    format!("mapping `{}` has no {what}", m.name.name),
                    m.name.span,
                    "incomplete mapping",
                )
                .with_help(format!("add {add}")),
            );
        }
        let (trigger, object, operation) = (trigger?, object?, operation?);
        mapping::MappingCtx {
            c: self,
            mapping: m,
            trigger,
            object,
            operation,
            fields: fields.unwrap_or(&[]),
            presets: &presets,
            bulk,
        }
        .compile()
    }
}
