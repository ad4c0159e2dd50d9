//! Planning one flush: the record operations of one mapping, in event order, plus the records
//! the matcher lookups found → the writes to send, each tied back to its events.
//!
//! Pure and synchronous. The rule it implements: **the result equals applying the events one by
//! one, in order.** Several events for one record merge (the last value per field wins; a
//! create followed by updates becomes one create); a record created earlier in the flush is
//! found by later events instead of being created twice; a record deleted earlier is not found.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::outcome::{RunCode, WriteKind};
use crate::plan::{Mapping, Strategy};
use crate::syntax::ast::{Join, OnMissing, OpKind};

/// One event's record operation, owned (the executor's input).
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    /// The event's position in the run (its ledger key).
    pub event: u64,
    pub operation: OpKind,
    /// Matcher field → value.
    pub matchers: Vec<(String, Value)>,
    /// Field → wire value (`null` clears; relationship references as `{"Ext__c": v}` objects).
    pub fields: Map<String, Value>,
    /// Fields written only if this event creates the record (`on_create()`).
    pub create_only: Map<String, Value>,
    /// Required fields this event lacks if it ends up creating the record.
    pub missing_on_create: Vec<String>,
}

/// A record a lookup found: its Id and the values of the matcher fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub id: String,
    pub values: Map<String, Value>,
}

/// What to send.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Writes {
    /// Inserts, in first-event order.
    pub creates: Vec<Write>,
    /// Updates by record Id.
    pub updates: Vec<Write>,
    /// Upserts by external id (the key field is in `fields`).
    pub upserts: Vec<Write>,
    /// Deletes by record Id.
    pub deletes: Vec<Write>,
    /// Events settled without a write: skipped, failed before sending, or cancelled out.
    pub settled: Vec<(u64, Settled)>,
}

impl Writes {
    /// The writes by kind, in the order they go out: creates, updates, upserts, deletes
    /// (`hard_delete`: deletes that bypass the recycle bin).
    pub fn by_kind(self, hard_delete: bool) -> [(WriteKind, Vec<Write>); 4] {
        let delete = if hard_delete {
            WriteKind::HardDelete
        } else {
            WriteKind::Delete
        };
        [
            (WriteKind::Create, self.creates),
            (WriteKind::Update, self.updates),
            (WriteKind::Upsert, self.upserts),
            (delete, self.deletes),
        ]
    }

    /// Every write with its kind (deletes as [`WriteKind::Delete`]).
    pub fn iter(&self) -> impl Iterator<Item = (WriteKind, &Write)> {
        let kind = |k: WriteKind| move |w| (k, w);
        self.creates
            .iter()
            .map(kind(WriteKind::Create))
            .chain(self.updates.iter().map(kind(WriteKind::Update)))
            .chain(self.upserts.iter().map(kind(WriteKind::Upsert)))
            .chain(self.deletes.iter().map(kind(WriteKind::Delete)))
    }

    /// How many records the writes send.
    pub fn len(&self) -> usize {
        self.creates.len() + self.updates.len() + self.upserts.len() + self.deletes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One record write and the events it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    /// For updates and deletes.
    pub id: Option<String>,
    pub fields: Map<String, Value>,
    pub events: Vec<u64>,
}

/// How an event ended without its own write.
#[derive(Debug, Clone, PartialEq)]
pub enum Settled {
    /// `add` found the record, or update/delete found none with `else skip`.
    Skipped(String),
    /// The event fails: a stable code and a message.
    Failed { code: RunCode, message: String },
    /// Created and deleted within the flush: nothing to send.
    CreatedThenDeleted,
    /// Matched this existing record, but no field had a value: nothing to send (Segment PATCHes
    /// an empty body, which spends a call and touches the record).
    Unchanged(String),
}

/// A record as the flush sees it while applying events in order.
#[derive(Debug, Clone)]
struct Slot {
    /// The record's Id when it exists in the org.
    id: Option<String>,
    /// Matcher field values, to find it again.
    values: Map<String, Value>,
    /// Pending field changes.
    fields: Map<String, Value>,
    events: Vec<u64>,
    state: SlotState,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum SlotState {
    /// Exists, unchanged so far.
    Existing,
    /// Exists, with pending updates.
    Updated,
    /// To be created.
    New,
    /// To be deleted.
    Deleted,
    /// Created and deleted within the flush.
    Gone,
}

/// Plans the writes for one mapping's operations (in event order) given the lookup results.
pub fn plan(mapping: &Mapping, ops: &[Op], found: &[Found]) -> Writes {
    plan_with(mapping, ops, found, needs_lookup(mapping, ops))
}

/// [`plan`], saying whether the records were looked up: a dry run looks up external-id
/// upserts too, to tell creates from updates.
pub fn plan_with(mapping: &Mapping, ops: &[Op], found: &[Found], looked_up: bool) -> Writes {
    match mapping.strategy {
        // A native upsert cannot say which fields apply only on create: with `on_create()`
        // values the records are looked up first, as for a query matcher.
        Strategy::ExternalId if !looked_up => plan_external_id(mapping, ops),
        Strategy::Insert => Writes {
            creates: ops
                .iter()
                .map(|op| {
                    let mut fields = op.create_only.clone();
                    fields.extend(op.fields.clone());
                    Write {
                        id: None,
                        fields,
                        events: vec![op.event],
                    }
                })
                .collect(),
            ..Writes::default()
        },
        Strategy::ExternalId | Strategy::ById | Strategy::Query => {
            plan_matched(mapping, ops, found)
        }
    }
}

/// Whether the flush must look records up before writing: query matchers always, external-id
/// upserts when some event has create-only values or lacks a field required to create (it
/// fails MISSING_REQUIRED only if it would create).
pub fn needs_lookup(mapping: &Mapping, ops: &[Op]) -> bool {
    match mapping.strategy {
        Strategy::Query => true,
        Strategy::ExternalId => ops
            .iter()
            .any(|op| !op.create_only.is_empty() || !op.missing_on_create.is_empty()),
        Strategy::Insert | Strategy::ById => false,
    }
}

/// Native upsert by external id: merge events per key value, in order.
fn plan_external_id(mapping: &Mapping, ops: &[Op]) -> Writes {
    let key = &mapping.matchers[0].field;
    let mut by_key: BTreeMap<String, usize> = BTreeMap::new();
    let mut writes = Writes::default();
    for op in ops {
        let Some((_, value)) = op.matchers.first() else {
            continue;
        };
        let k = value_key(value);
        let n = *by_key.entry(k).or_insert_with(|| {
            let mut fields = Map::new();
            fields.insert(key.clone(), value.clone());
            writes.upserts.push(Write {
                id: None,
                fields,
                events: Vec::new(),
            });
            writes.upserts.len() - 1
        });
        let w = &mut writes.upserts[n];
        for (f, v) in &op.fields {
            if !f.eq_ignore_ascii_case(key) {
                w.fields.insert(f.clone(), v.clone());
            }
        }
        w.events.push(op.event);
    }
    writes
}

fn plan_matched(mapping: &Mapping, ops: &[Op], found: &[Found]) -> Writes {
    let mut slots: Vec<Slot> = found
        .iter()
        .map(|f| Slot {
            id: Some(f.id.clone()),
            values: values_with_id(f),
            fields: Map::new(),
            events: Vec::new(),
            state: SlotState::Existing,
        })
        .collect();
    // Slots by (matcher field, normalised value): finding candidates is a hash probe, not a
    // scan, so a flush stays linear in its size.
    let mut index: std::collections::HashMap<(String, String), Vec<usize>> =
        std::collections::HashMap::new();
    let fields: Vec<String> = mapping
        .matchers
        .iter()
        .map(|m| m.field.to_ascii_lowercase())
        .collect();
    for (n, slot) in slots.iter().enumerate() {
        index_slot(&mut index, &fields, &slot.values, n);
    }
    let mut settled = Vec::new();
    for op in ops {
        let hits: Vec<usize> = if mapping.strategy == Strategy::ById {
            let id = op.matchers.first().map(|(_, v)| value_key(v));
            let hit = slots.iter().position(|s| {
                s.state != SlotState::Gone
                    && s.state != SlotState::Deleted
                    && s.id.as_deref().map(id15) == id.as_deref().map(id15)
            });
            match hit {
                Some(n) => vec![n],
                None => {
                    // By-Id operations address the record directly: no lookup needed.
                    slots.push(Slot {
                        id: id.clone(),
                        values: Map::new(),
                        fields: Map::new(),
                        events: Vec::new(),
                        state: SlotState::Existing,
                    });
                    vec![slots.len() - 1]
                }
            }
        } else {
            let mut candidates: Vec<usize> = op
                .matchers
                .iter()
                .filter_map(|(f, v)| index.get(&index_key(f, v)))
                .flatten()
                .copied()
                .collect();
            candidates.sort_unstable();
            candidates.dedup();
            candidates
                .into_iter()
                .filter(|&n| {
                    let s = &slots[n];
                    !matches!(s.state, SlotState::Gone | SlotState::Deleted)
                        && matches_record(mapping.join, &op.matchers, &s.values)
                })
                .collect()
        };
        match (op.operation, hits.as_slice()) {
            (OpKind::Create, _) | (OpKind::Add | OpKind::Upsert, []) => {
                if let Some(missing) = missing(op) {
                    settled.push((op.event, missing));
                    continue;
                }
                let mut fields = Map::new();
                let mut values = Map::new();
                // The record gets an Id of its own: an `Id` matcher's value is not it.
                for (f, v) in op.matchers.iter().filter(|(f, _)| !is_id(f)) {
                    values.insert(f.clone(), v.clone());
                    if op.operation != OpKind::Create && mapping.join == Join::And
                        || op.matchers.len() == 1
                    {
                        fields.insert(f.clone(), v.clone());
                    }
                }
                for (f, v) in op.create_only.iter().chain(&op.fields) {
                    fields.insert(f.clone(), v.clone());
                }
                index_slot(&mut index, &fields_lc(mapping), &values, slots.len());
                slots.push(Slot {
                    id: None,
                    values,
                    fields,
                    events: vec![op.event],
                    state: SlotState::New,
                });
            }
            (OpKind::Add, _) => settled.push((
                op.event,
                Settled::Skipped("a matching record exists".to_string()),
            )),
            (OpKind::Update | OpKind::Delete, []) => {
                let message = format!(
                    "no {} record matches {}",
                    mapping.object,
                    describe_matchers(&op.matchers, mapping.join)
                );
                settled.push((
                    op.event,
                    match mapping.on_missing {
                        OnMissing::Skip => Settled::Skipped(message),
                        OnMissing::Error => Settled::Failed {
                            code: RunCode::NotFound,
                            message,
                        },
                    },
                ));
            }
            (_, [one]) => {
                let slot = &mut slots[*one];
                if op.operation == OpKind::Delete {
                    slot.state = if slot.state == SlotState::New {
                        SlotState::Gone
                    } else {
                        SlotState::Deleted
                    };
                    slot.events.push(op.event);
                } else {
                    for (f, v) in &op.fields {
                        slot.fields.insert(f.clone(), v.clone());
                    }
                    if slot.state == SlotState::Existing && !op.fields.is_empty() {
                        slot.state = SlotState::Updated;
                    }
                    slot.events.push(op.event);
                }
            }
            (_, many) => settled.push((
                op.event,
                Settled::Failed {
                    code: RunCode::MultipleMatches,
                    message: format!(
                        "{} {} records match {}",
                        many.len(),
                        mapping.object,
                        describe_matchers(&op.matchers, mapping.join)
                    ),
                },
            )),
        }
    }
    let mut writes = Writes {
        settled,
        ..Writes::default()
    };
    for slot in slots {
        let write = Write {
            id: slot.id,
            fields: slot.fields,
            events: slot.events,
        };
        match slot.state {
            SlotState::Existing => {
                let id = write.id.unwrap_or_default();
                for e in write.events {
                    writes.settled.push((e, Settled::Unchanged(id.clone())));
                }
            }
            SlotState::Updated => writes.updates.push(write),
            SlotState::New => writes.creates.push(write),
            SlotState::Deleted => writes.deletes.push(write),
            SlotState::Gone => {
                for e in write.events {
                    writes.settled.push((e, Settled::CreatedThenDeleted));
                }
            }
        }
    }
    writes.settled.sort_by_key(|(e, _)| *e);
    writes
}

fn fields_lc(mapping: &Mapping) -> Vec<String> {
    mapping
        .matchers
        .iter()
        .map(|m| m.field.to_ascii_lowercase())
        .collect()
}

/// Adds a slot to the index under each matcher field it has a value for.
fn index_slot(
    index: &mut std::collections::HashMap<(String, String), Vec<usize>>,
    fields: &[String],
    values: &Map<String, Value>,
    n: usize,
) {
    for (k, v) in values {
        if fields.contains(&k.to_ascii_lowercase()) {
            index.entry(index_key(k, v)).or_default().push(n);
        }
    }
}

/// A found record's values, with its Id as an `Id` matcher compares it.
fn values_with_id(found: &Found) -> Map<String, Value> {
    let mut values = found.values.clone();
    values.insert("Id".to_string(), Value::String(found.id.clone()));
    values
}

fn is_id(field: &str) -> bool {
    field.eq_ignore_ascii_case("Id")
}

/// The index key of a matcher field's value: a record Id by its case-sensitive 15-character
/// form, other values as SOQL `=` compares them ([`norm`]).
fn index_key(field: &str, v: &Value) -> (String, String) {
    let key = match v {
        Value::String(id) if is_id(field) => id15(id).to_string(),
        other => norm(other),
    };
    (field.to_ascii_lowercase(), key)
}

/// A value as SOQL `=` compares it: text case-insensitively, numbers by value.
fn norm(v: &Value) -> String {
    match v {
        Value::String(s) => match s.parse::<f64>() {
            Ok(f) if f.is_finite() => format!("#{f}"),
            _ => s.to_lowercase(),
        },
        Value::Number(n) => n
            .as_f64()
            .map_or_else(|| n.to_string(), |f| format!("#{f}")),
        other => other.to_string(),
    }
}

fn missing(op: &Op) -> Option<Settled> {
    (!op.missing_on_create.is_empty()).then(|| Settled::Failed {
        code: RunCode::MissingRequired,
        message: format!(
            "creating the record needs {}, which this event lacks",
            op.missing_on_create.join(", ")
        ),
    })
}

/// Whether a record's values satisfy the matchers, as SOQL `=` compares: text
/// case-insensitively, numbers numerically, record Ids by their 15-character form (case
/// matters).
pub fn matches_record(
    join: Join,
    matchers: &[(String, Value)],
    values: &Map<String, Value>,
) -> bool {
    let one = |(f, v): &(String, Value)| {
        values
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(f))
            .is_some_and(|(_, have)| match (have, v) {
                (Value::String(x), Value::String(y)) if is_id(f) => id15(x) == id15(y),
                _ => soql_equal(have, v),
            })
    };
    match join {
        Join::And => matchers.iter().all(one),
        Join::Or => matchers.iter().any(one),
    }
}

fn soql_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.to_lowercase() == y.to_lowercase(),
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::Number(y)) | (Value::Number(y), Value::String(x)) => {
            x.parse::<f64>().ok() == y.as_f64()
        }
        _ => a == b,
    }
}

fn value_key(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The case-sensitive 15-character form of a record Id (an 18-character Id adds a checksum).
pub fn id15(id: &str) -> &str {
    id.get(..15).unwrap_or(id)
}

fn describe_matchers(matchers: &[(String, Value)], join: Join) -> String {
    let sep = if join == Join::And { " and " } else { " or " };
    matchers
        .iter()
        .map(|(f, v)| format!("{f} = {v}"))
        .collect::<Vec<_>>()
        .join(sep)
}

#[cfg(test)]
mod tests;
