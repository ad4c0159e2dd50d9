//! The compiled plan: what `eval` and `run` execute. Owned, `Send + Sync`, serializable.
//!
//! Names are resolved, presets expanded, paths pre-parsed into a slot table (`reads`) shared by
//! every mapping, and every field carries its Salesforce type so values are coerced once, here,
//! and not rediscovered per event.

pub mod expr;

use serde::Serialize;

pub use expr::{Builtin, PlanExpr};

use crate::event::path::EventPath;
use crate::schema::FieldType;
use crate::source::Span;
use crate::syntax::ast::{EventType, Join, OnMissing, OpKind};

/// A compiled file.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The file the plan came from.
    pub source: String,
    pub mappings: Vec<Mapping>,
    /// Every event path the plan reads; `PlanExpr::Slot(n)` reads `reads[n]`.
    pub reads: Vec<EventPath>,
    /// Whether some expression needs the whole event (`jmes()`).
    pub needs_full_event: bool,
}

/// The slot of the event's `type`.
pub const TYPE_SLOT: usize = 0;
/// The slot of a track event's `event` name.
pub const EVENT_SLOT: usize = 1;
/// The slot of the event's `messageId`.
pub const MESSAGE_ID_SLOT: usize = 2;

/// One compiled mapping.
#[derive(Debug, Clone, Serialize)]
pub struct Mapping {
    pub name: String,
    #[serde(skip)]
    pub span: Span,
    pub triggers: Vec<EventFilter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<PlanExpr>,
    pub object: String,
    pub operation: OpKind,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matchers: Vec<Matcher>,
    pub join: Join,
    pub on_missing: OnMissing,
    /// How records are found and written (decided from the operation and the matchers).
    pub strategy: Strategy,
    pub fields: Vec<Field>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub spreads: Vec<SpreadPlan>,
    /// Fields a create needs (from the schema), checked per event.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub required_on_create: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bulk: Option<Bulk>,
}

/// Which events fire a mapping: a type, and for `track` optionally event names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventFilter {
    pub event_type: EventType,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
}

/// How the runner finds and writes records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Insert without looking.
    Insert,
    /// The single matcher is `Id`: address the record directly.
    ById,
    /// The single matcher is an external-id field: Salesforce's native upsert by external id.
    ExternalId,
    /// Find records with a SOQL query on the matchers (batched per flush).
    Query,
}

/// `Email = traits.email`
#[derive(Debug, Clone, Serialize)]
pub struct Matcher {
    pub field: String,
    pub field_type: FieldType,
    pub value: PlanExpr,
    #[serde(skip)]
    pub span: Span,
}

/// `LastName = coalesce(...)`
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub name: String,
    pub field_type: FieldType,
    /// Maximum length for text fields (0 = unknown).
    #[serde(skip_serializing_if = "is_zero")]
    pub length: u32,
    pub value: PlanExpr,
    /// The preset this field came from, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    #[serde(skip)]
    pub span: Span,
}

/// `...traits suffix "__c" except [...]`
#[derive(Debug, Clone, Serialize)]
pub struct SpreadPlan {
    pub slot: usize,
    pub path: EventPath,
    pub prefix: String,
    pub suffix: String,
    /// Keys never spread: the `except` list plus keys other fields of the mapping read.
    pub skip_keys: Vec<String>,
    /// `keep_null`: a key whose value is null is sent as null (clearing the field) instead of
    /// being left out.
    #[serde(skip_serializing_if = "is_false")]
    pub keep_null: bool,
}

/// Bulk API 2.0 settings.
#[derive(Debug, Clone, Serialize)]
pub struct Bulk {
    pub batch_size: u32,
    pub hard_delete: bool,
}

impl Strategy {
    /// The name it is shown and serialised under.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Insert => "insert",
            Strategy::ById => "by_id",
            Strategy::ExternalId => "external_id",
            Strategy::Query => "query",
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Plan {
    /// A mapping by name.
    pub fn mapping(&self, name: &str) -> Option<&Mapping> {
        self.mappings.iter().find(|m| m.name == name)
    }
}

impl Mapping {
    /// The objects whose records this mapping's writes reference by external id (its
    /// `lookup()` fields): they must exist before its records are written.
    pub fn parent_objects(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for f in &self.fields {
            f.value.lookup_objects(&mut out);
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether an event of this type and name fires the mapping's trigger (before `where`).
    pub fn fires_on(&self, event_type: Option<EventType>, event_name: Option<&str>) -> bool {
        let Some(t) = event_type else { return false };
        self.triggers.iter().any(|f| {
            f.event_type == t
                && (f.names.is_empty()
                    || event_name.is_some_and(|n| f.names.iter().any(|x| x == n)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategy_names_are_the_serialised_ones() {
        for s in [
            Strategy::Insert,
            Strategy::ById,
            Strategy::ExternalId,
            Strategy::Query,
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }
}
