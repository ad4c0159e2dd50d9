//! Compiled expressions: paths are slot numbers, functions are an enum, constants are values.

use std::sync::Arc;

use serde::{Serialize, Serializer};

use crate::event::value::Value;
use crate::syntax::ast::{CompareOp, LogicOp};

/// A compiled expression.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanExpr {
    /// A constant (`null` here is an explicit null: it clears a field).
    Const(Value<'static>),
    /// The event value at `reads[n]`; JSON null reads as absent, except inside `keep_null()`.
    Slot(usize),
    /// A template: the parts concatenated; absent if any part is absent.
    Template(Vec<PlanExpr>),
    /// A list.
    List(Vec<PlanExpr>),
    /// A built-in function call.
    Call(Builtin, Vec<PlanExpr>),
    /// `if c then a else b`
    If(Box<PlanExpr>, Box<PlanExpr>, Box<PlanExpr>),
    Not(Box<PlanExpr>),
    Logic(LogicOp, Box<PlanExpr>, Box<PlanExpr>),
    Exists(Box<PlanExpr>),
    Compare(CompareOp, Box<PlanExpr>, Box<PlanExpr>),
    /// `lookup(Account.External_Id__c, value)`: a parent reference by external id.
    Lookup {
        relationship: String,
        object: String,
        field: String,
        value: Box<PlanExpr>,
    },
    /// `jmes("...")` over the whole event.
    Jmes(JmesExpr),
}

impl PlanExpr {
    /// The objects this expression references by `lookup(Object.Field, ...)`, in order.
    pub fn lookup_objects<'e>(&'e self, out: &mut Vec<&'e str>) {
        match self {
            PlanExpr::Lookup { object, value, .. } => {
                out.push(object);
                value.lookup_objects(out);
            }
            PlanExpr::Template(parts) | PlanExpr::List(parts) | PlanExpr::Call(_, parts) => {
                parts.iter().for_each(|p| p.lookup_objects(out));
            }
            PlanExpr::If(c, a, b) => {
                for e in [c, a, b] {
                    e.lookup_objects(out);
                }
            }
            PlanExpr::Not(e) | PlanExpr::Exists(e) => e.lookup_objects(out),
            PlanExpr::Logic(_, a, b) | PlanExpr::Compare(_, a, b) => {
                a.lookup_objects(out);
                b.lookup_objects(out);
            }
            PlanExpr::Const(_) | PlanExpr::Slot(_) | PlanExpr::Jmes(_) => {}
        }
    }
}

/// The built-in functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Builtin {
    Coalesce,
    Lower,
    Upper,
    Trim,
    ToNumber,
    ToString,
    ToBool,
    ToDate,
    ToDatetime,
    Truncate,
    NameFirst,
    NameLast,
    Replace,
    Clear,
    /// `on_create(x)`: `x`, used only when the write creates the record.
    OnCreate,
    /// `keep_null(x)`: `x`, where a null in the event is null (it clears the field) instead
    /// of absent.
    KeepNull,
}

/// A JMESPath expression compiled once, shown as its source.
#[derive(Clone)]
pub struct JmesExpr {
    pub source: String,
    pub compiled: Arc<jmespath::Expression<'static>>,
}

impl std::fmt::Debug for JmesExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "jmes({:?})", self.source)
    }
}

impl Serialize for JmesExpr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}
