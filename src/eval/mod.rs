//! Evaluation: a compiled plan and one event → the record operations it produces.
//!
//! Pure and synchronous: no IO. Values borrow from the event's text wherever they can; a
//! record operation can be made owned (`into_owned`) when it must outlive the input line.

mod coerce;
mod expr;
mod functions;
mod json_write;
mod output;
mod stream;

use std::borrow::Cow;

use serde::Serialize;

use crate::event::reader::{ReadError, ReadOut, ReadPlan};
use crate::event::value::Value;
use crate::outcome::RunCode;
use crate::plan::{self, EVENT_SLOT, MESSAGE_ID_SLOT, Plan, Strategy, TYPE_SLOT};
use crate::syntax::ast::{EventType, Join, OpKind};

pub use output::{push_jsonl, push_line_start, push_outcome_rest, push_unreadable_rest};
pub use stream::{Stats, eval_stream};

/// Evaluates events against one plan. Cheap to share between threads (`&Evaluator`).
pub struct Evaluator<'p> {
    plan: &'p Plan,
    reader: ReadPlan,
}

/// Reusable per-thread scratch space.
#[derive(Default)]
pub struct Scratch<'a> {
    out: ReadOut<'a>,
}

impl Scratch<'_> {
    /// Empties the scratch space and re-types it for another input line, keeping allocations.
    pub fn recycle<'b>(self) -> Scratch<'b> {
        Scratch {
            out: self.out.recycle(),
        }
    }
}

/// What happened to one mapping for one event.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Outcome<'p, 'a> {
    Op(RecordOp<'p, 'a>),
    Error(EvalError<'p>),
    Skipped(Skip<'p>),
}

/// A record operation: what to do to which Salesforce record.
#[derive(Debug, Clone, Serialize)]
pub struct RecordOp<'p, 'a> {
    #[serde(skip)]
    pub mapping: &'p plan::Mapping,
    pub operation: OpKind,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matchers: Vec<(&'p str, Value<'a>)>,
    pub fields: Vec<(Cow<'p, str>, FieldValue<'p, 'a>)>,
    /// Fields whose value came from `on_create()`: written only if the record is created.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub on_create: Vec<(&'p str, FieldValue<'p, 'a>)>,
    /// Required fields an upsert would lack if it ends up creating the record.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_on_create: Vec<&'p str>,
}

/// A field's value on the wire.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FieldValue<'p, 'a> {
    /// A value; `Value::Null` clears the field.
    Value(Value<'a>),
    /// A parent reference by external id: `"Account": {"External_Id__c": "..."}`.
    Lookup {
        relationship: &'p str,
        field: &'p str,
        value: Value<'a>,
    },
}

/// An event that a mapping fired on but could not turn into a record operation.
#[derive(Debug, Clone, Serialize)]
pub struct EvalError<'p> {
    #[serde(skip)]
    pub mapping: &'p plan::Mapping,
    pub code: RunCode,
    pub message: String,
}

/// Why a mapping did not fire (only computed when explaining).
#[derive(Debug, Clone, Serialize)]
pub struct Skip<'p> {
    #[serde(skip)]
    pub mapping: &'p plan::Mapping,
    pub reason: String,
}

/// One event's results.
#[derive(Debug, Default)]
pub struct EventResult<'p, 'a> {
    pub message_id: Option<Cow<'a, str>>,
    pub outcomes: Vec<Outcome<'p, 'a>>,
}

impl<'p> EventResult<'p, '_> {
    /// Empties the result and re-types it for another input line, keeping the allocation.
    pub fn recycle<'b>(self) -> EventResult<'p, 'b> {
        let mut outcomes = self.outcomes;
        outcomes.clear();
        EventResult {
            message_id: None,
            // An in-place collect of an empty vector: the allocation is kept.
            outcomes: outcomes.into_iter().map(|_| unreachable!()).collect(),
        }
    }
}

impl<'p> Evaluator<'p> {
    pub fn new(plan: &'p Plan) -> Evaluator<'p> {
        Evaluator {
            plan,
            reader: ReadPlan::new(&plan.reads, plan.needs_full_event),
        }
    }

    pub fn plan(&self) -> &'p Plan {
        self.plan
    }

    /// Reads one JSON event and evaluates every mapping. With `explain`, mappings that did not
    /// fire say why.
    pub fn eval_json<'a>(
        &self,
        json: &'a str,
        scratch: &mut Scratch<'a>,
        explain: bool,
        result: &mut EventResult<'p, 'a>,
    ) -> Result<(), ReadError> {
        result.outcomes.clear();
        result.message_id = None;
        self.reader.read(json, &mut scratch.out)?;
        let ctx = expr::Ctx {
            slots: &scratch.out.slots,
            full: scratch.out.full.as_ref(),
            create_only: std::cell::Cell::new(false),
            keep_null: std::cell::Cell::new(false),
        };
        result.message_id = match ctx.slots.get(MESSAGE_ID_SLOT) {
            Some(Some(Value::String(s))) => Some(s.clone()),
            _ => None,
        };
        self.eval_ctx(&ctx, explain, &mut result.outcomes);
        Ok(())
    }

    fn eval_ctx<'a>(
        &self,
        ctx: &expr::Ctx<'_, 'a>,
        explain: bool,
        outcomes: &mut Vec<Outcome<'p, 'a>>,
    ) {
        let type_name = ctx.slot_str(TYPE_SLOT);
        let event_type = type_name.and_then(EventType::from_name);
        let event_name = ctx.slot_str(EVENT_SLOT);
        for mapping in &self.plan.mappings {
            if !mapping.fires_on(event_type, event_name) {
                if explain {
                    outcomes.push(Outcome::Skipped(Skip {
                        mapping,
                        reason: trigger_miss(mapping, type_name, event_name),
                    }));
                }
                continue;
            }
            if let Some(cond) = &mapping.condition {
                match ctx.eval(cond) {
                    Ok(v) if expr::truthy(v.as_deref()) => {}
                    Ok(_) => {
                        if explain {
                            outcomes.push(Outcome::Skipped(Skip {
                                mapping,
                                reason: "the `where` condition is false".to_string(),
                            }));
                        }
                        continue;
                    }
                    Err(e) => {
                        outcomes.push(Outcome::Error(e.into_error(mapping)));
                        continue;
                    }
                }
            }
            outcomes.push(match self.record_op(mapping, ctx) {
                Ok(op) => Outcome::Op(op),
                Err(e) => Outcome::Error(e.into_error(mapping)),
            });
        }
    }

    fn record_op<'a>(
        &self,
        mapping: &'p plan::Mapping,
        ctx: &expr::Ctx<'_, 'a>,
    ) -> Result<RecordOp<'p, 'a>, expr::Failure> {
        let matchers = self.matchers(mapping, ctx)?;
        let mut fields: Vec<(Cow<'p, str>, FieldValue<'p, 'a>)> =
            Vec::with_capacity(mapping.fields.len());
        let mut on_create = Vec::new();
        for field in &mapping.fields {
            ctx.create_only.set(false);
            let value = match &field.value {
                plan::PlanExpr::Lookup {
                    relationship,
                    field: ext,
                    value,
                    ..
                } => match ctx.eval(value)? {
                    None => continue,
                    // A kept null clears the reference field itself.
                    Some(v) if v.is_null() => FieldValue::Value(Value::Null),
                    Some(v) => FieldValue::Lookup {
                        relationship,
                        field: ext,
                        // The parent's key field type is not in the plan: the value goes as it is.
                        value: coerce::matcher_value(
                            v.into_owned(),
                            &field.name,
                            crate::schema::FieldType::Other,
                        )?,
                    },
                },
                other => match ctx.eval(other)? {
                    None => continue,
                    Some(v) => FieldValue::Value(coerce::to_field(v.into_owned(), field)?),
                },
            };
            if ctx.create_only.get() {
                on_create.push((field.name.as_str(), value));
            } else {
                fields.push((Cow::Borrowed(field.name.as_str()), value));
            }
        }
        for spread in &mapping.spreads {
            spread_fields(spread, ctx, &mut fields);
        }
        // The matchers an insert copies (as run::flush does): the only one the event has, or
        // all of them when joined with `and`.
        let copied = mapping.join == Join::And || matchers.len() == 1;
        let mut missing_on_create = Vec::new();
        for req in &mapping.required_on_create {
            let present = fields.iter().any(|(n, v)| {
                n.eq_ignore_ascii_case(req) && !matches!(v, FieldValue::Value(Value::Null))
            }) || on_create.iter().any(|(n, v)| {
                n.eq_ignore_ascii_case(req) && !matches!(v, FieldValue::Value(Value::Null))
            }) || (copied
                && matchers.iter().any(|(n, _)| n.eq_ignore_ascii_case(req)));
            if !present {
                missing_on_create.push(req.as_str());
            }
        }
        if matches!(mapping.operation, OpKind::Create | OpKind::Add)
            && !missing_on_create.is_empty()
        {
            return Err(expr::Failure::new(
                RunCode::MissingRequired,
                format!(
                    "required field{} {} ha{} no value for this event",
                    if missing_on_create.len() == 1 {
                        ""
                    } else {
                        "s"
                    },
                    missing_on_create.join(", "),
                    if missing_on_create.len() == 1 {
                        "s"
                    } else {
                        "ve"
                    }
                ),
            ));
        }
        Ok(RecordOp {
            mapping,
            operation: mapping.operation,
            matchers,
            fields,
            on_create,
            missing_on_create,
        })
    }

    fn matchers<'a>(
        &self,
        mapping: &'p plan::Mapping,
        ctx: &expr::Ctx<'_, 'a>,
    ) -> Result<Vec<(&'p str, Value<'a>)>, expr::Failure> {
        let mut out = Vec::with_capacity(mapping.matchers.len());
        let mut absent = Vec::new();
        for (n, m) in mapping.matchers.iter().enumerate() {
            match ctx.eval(&m.value)? {
                Some(v) if !v.is_null() => {
                    let v = coerce::matcher_value(v.into_owned(), &m.field, m.field_type)?;
                    if addresses_a_record(mapping, m) {
                        check_record_id(&m.field, &v)?;
                    }
                    out.push((m.field.as_str(), v));
                }
                _ => absent.push(n),
            }
        }
        let all_needed = mapping.join == Join::And || mapping.matchers.len() == 1;
        if (!absent.is_empty() && all_needed) || (out.is_empty() && !mapping.matchers.is_empty()) {
            let names: Vec<String> = absent
                .iter()
                .map(|&n| {
                    let m = &mapping.matchers[n];
                    format!(
                        "{} = {}",
                        m.field,
                        expr::describe(&m.value, &self.plan.reads)
                    )
                })
                .collect();
            return Err(expr::Failure::new(
                RunCode::UndefinedMatcher,
                format!("no value for matcher {}", names.join(", ")),
            ));
        }
        Ok(out)
    }
}

/// Whether the matcher's value is a record Id: an `Id` or lookup field, or the `Id` a by-Id
/// mapping addresses. A lookup query with a value that is not one would fail as a whole.
fn addresses_a_record(mapping: &plan::Mapping, m: &plan::Matcher) -> bool {
    mapping.strategy == Strategy::ById
        || matches!(
            m.field_type,
            crate::schema::FieldType::Id | crate::schema::FieldType::Reference
        )
}

/// `MALFORMED_ID` unless a matcher's text value is a record Id.
fn check_record_id(field: &str, v: &Value<'_>) -> Result<(), expr::Failure> {
    let Value::String(s) = v else { return Ok(()) };
    crate::schema::sfid::validate(s).map_err(|e| {
        expr::Failure::new(
            RunCode::MalformedId,
            format!("matcher {field} {s:?} is not a record Id: {e}"),
        )
    })
}

/// Adds the spread's remaining keys as fields.
fn spread_fields<'p, 'a>(
    spread: &'p plan::SpreadPlan,
    ctx: &expr::Ctx<'_, 'a>,
    fields: &mut Vec<(Cow<'p, str>, FieldValue<'p, 'a>)>,
) {
    let Some(Some(Value::Object(entries))) = ctx.slots.get(spread.slot) else {
        return;
    };
    for (key, value) in entries {
        if spread
            .skip_keys
            .binary_search_by(|k| k.as_str().cmp(key))
            .is_ok()
        {
            continue;
        }
        if !valid_api_name(key) {
            continue;
        }
        match value {
            Value::Object(_) | Value::Array(_) => continue,
            Value::Null if !spread.keep_null => continue,
            _ => {}
        }
        let name = format!("{}{key}{}", spread.prefix, spread.suffix);
        if fields.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            continue;
        }
        fields.push((Cow::Owned(name), FieldValue::Value(value.clone())));
    }
}

/// Salesforce API names: a letter, then letters, digits and single underscores.
fn valid_api_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !key.contains("__")
        && !key.ends_with('_')
}

fn trigger_miss(mapping: &plan::Mapping, type_name: Option<&str>, event: Option<&str>) -> String {
    let wanted: Vec<String> = mapping
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
    match (type_name, event) {
        (None, _) => format!(
            "the event has no `type`; the mapping fires on {}",
            wanted.join(", ")
        ),
        (Some("track"), Some(name)) => format!(
            "track event \"{name}\" does not match {}",
            wanted.join(", ")
        ),
        (Some(t), _) => format!("{t} event does not match {}", wanted.join(", ")),
    }
}

/// A short description of a compiled expression, for `plan` and messages.
pub fn describe_expr(e: &plan::PlanExpr, reads: &[crate::event::path::EventPath]) -> String {
    expr::describe(e, reads)
}
