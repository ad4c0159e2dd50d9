//! The expression walker.

use std::borrow::Cow;

use crate::event::path::EventPath;
use crate::event::value::Value;
use crate::outcome::RunCode;
use crate::plan::{self, Builtin, PlanExpr};
use crate::syntax::ast::{CompareOp, LogicOp};

/// The values of one event.
pub(crate) struct Ctx<'s, 'a> {
    pub slots: &'s [Option<Value<'a>>],
    pub full: Option<&'s serde_json::Value>,
    /// Set when `on_create()` supplied the value being evaluated.
    pub create_only: std::cell::Cell<bool>,
    /// Set inside `keep_null()`: an event's null reads as null, not as absent.
    pub keep_null: std::cell::Cell<bool>,
}

/// Why an expression failed for this event.
#[derive(Debug)]
pub(crate) struct Failure {
    pub code: RunCode,
    pub message: String,
}

impl Failure {
    pub fn new(code: RunCode, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    pub fn into_error(self, mapping: &plan::Mapping) -> super::EvalError<'_> {
        super::EvalError {
            mapping,
            code: self.code,
            message: self.message,
        }
    }
}

/// An evaluated value: `None` is absent; borrowed from the event where possible.
pub(crate) type Val<'s, 'a> = Option<Cow<'s, Value<'a>>>;

impl<'s, 'a> Ctx<'s, 'a> {
    pub fn slot_str(&self, n: usize) -> Option<&'s str> {
        match self.slots.get(n) {
            Some(Some(Value::String(s))) => Some(s),
            _ => None,
        }
    }

    /// The event value of slot `n`: a null is absent, except inside `keep_null()`.
    #[inline]
    fn slot(&self, n: usize) -> Val<'s, 'a> {
        match self.slots.get(n) {
            Some(Some(Value::Null)) if !self.keep_null.get() => None,
            Some(Some(v)) => Some(Cow::Borrowed(v)),
            Some(None) | None => None,
        }
    }

    pub fn eval(&self, e: &PlanExpr) -> Result<Val<'s, 'a>, Failure> {
        Ok(match e {
            PlanExpr::Const(v) => Some(Cow::Owned(v.clone())),
            PlanExpr::Slot(n) => self.slot(*n),
            PlanExpr::Template(parts) => {
                let mut out = String::new();
                for p in parts {
                    match self.eval(p)? {
                        None => return Ok(None),
                        Some(v) => match &*v {
                            Value::Null => return Ok(None),
                            Value::String(s) => out.push_str(s),
                            other => out.push_str(&scalar_text(other)),
                        },
                    }
                }
                Some(Cow::Owned(Value::String(Cow::Owned(out))))
            }
            PlanExpr::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.eval(i)?.map_or(Value::Null, Cow::into_owned));
                }
                Some(Cow::Owned(Value::Array(out)))
            }
            // The most common shape, `coalesce(path, path, ...)`, without a call per path.
            PlanExpr::Call(Builtin::Coalesce, args) => {
                for a in args {
                    let v = match a {
                        PlanExpr::Slot(n) => match self.slot(*n) {
                            None => continue,
                            Some(v) => v,
                        },
                        other => match self.eval(other)? {
                            Some(v) => v,
                            None => continue,
                        },
                    };
                    return Ok(Some(v));
                }
                None
            }
            PlanExpr::Call(b, args) => super::functions::call(self, *b, args)?,
            PlanExpr::If(c, a, b) => {
                if truthy(self.eval(c)?.as_deref()) {
                    self.eval(a)?
                } else {
                    self.eval(b)?
                }
            }
            PlanExpr::Not(inner) => bool_val(!truthy(self.eval(inner)?.as_deref())),
            PlanExpr::Logic(op, a, b) => {
                let left = truthy(self.eval(a)?.as_deref());
                let result = match op {
                    LogicOp::And => left && truthy(self.eval(b)?.as_deref()),
                    LogicOp::Or => left || truthy(self.eval(b)?.as_deref()),
                };
                bool_val(result)
            }
            PlanExpr::Exists(inner) => bool_val(self.eval(inner)?.is_some_and(|v| !v.is_null())),
            PlanExpr::Compare(op, a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                bool_val(compare(*op, a.as_deref(), b.as_deref()))
            }
            PlanExpr::Lookup { value, .. } => self.eval(value)?,
            PlanExpr::Jmes(j) => {
                let Some(full) = self.full else {
                    return Ok(None);
                };
                let data = jmespath::Variable::from_serializable(full)
                    .map_err(|e| Failure::new(RunCode::JmespathError, e.to_string()))?;
                let result = j
                    .compiled
                    .search(data)
                    .map_err(|e| Failure::new(RunCode::JmespathError, e.to_string()))?;
                let json = serde_json::to_value(&*result)
                    .map_err(|e| Failure::new(RunCode::JmespathError, e.to_string()))?;
                if json.is_null() {
                    None
                } else {
                    Some(Cow::Owned(Value::from_json(&json)))
                }
            }
        })
    }
}

fn bool_val<'s, 'a>(b: bool) -> Val<'s, 'a> {
    Some(Cow::Owned(Value::Bool(b)))
}

/// Conditions: true is true; absent, null and false are false; any other value is true.
pub(crate) fn truthy(v: Option<&Value<'_>>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => true,
    }
}

/// Text of a scalar for templates and text fields.
pub(crate) fn scalar_text(v: &Value<'_>) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

fn as_f64(v: &Value<'_>) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

fn equal(a: Option<&Value<'_>>, b: Option<&Value<'_>>) -> bool {
    match (a, b) {
        (None | Some(Value::Null), None | Some(Value::Null)) => true,
        (Some(x), Some(y)) => match (as_f64(x), as_f64(y)) {
            (Some(p), Some(q)) => p == q,
            _ => x == y,
        },
        _ => false,
    }
}

fn compare(op: CompareOp, a: Option<&Value<'_>>, b: Option<&Value<'_>>) -> bool {
    use std::cmp::Ordering;
    let order = || -> Option<Ordering> {
        match (a?, b?) {
            (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
            (x, y) => as_f64(x)?.partial_cmp(&as_f64(y)?),
        }
    };
    let member = || match b {
        Some(Value::Array(items)) => items.iter().any(|i| equal(a, Some(i))),
        _ => false,
    };
    match op {
        CompareOp::Eq => equal(a, b),
        CompareOp::Ne => !equal(a, b),
        CompareOp::Lt => order() == Some(Ordering::Less),
        CompareOp::Le => matches!(order(), Some(Ordering::Less | Ordering::Equal)),
        CompareOp::Gt => order() == Some(Ordering::Greater),
        CompareOp::Ge => matches!(order(), Some(Ordering::Greater | Ordering::Equal)),
        CompareOp::In => member(),
        CompareOp::NotIn => !member(),
        CompareOp::Contains => match (a, b) {
            (Some(Value::String(x)), Some(Value::String(y))) => x.contains(&**y),
            (Some(Value::Array(items)), _) => items.iter().any(|i| equal(Some(i), b)),
            _ => false,
        },
        CompareOp::StartsWith => matches!((a, b),
            (Some(Value::String(x)), Some(Value::String(y))) if x.starts_with(&**y)),
        CompareOp::EndsWith => matches!((a, b),
            (Some(Value::String(x)), Some(Value::String(y))) if x.ends_with(&**y)),
    }
}

/// A short description of an expression for messages (`traits.email`).
pub(crate) fn describe(e: &PlanExpr, reads: &[EventPath]) -> String {
    match e {
        PlanExpr::Slot(n) => reads.get(*n).map_or_else(String::new, ToString::to_string),
        PlanExpr::Call(b, args) => {
            let args: Vec<String> = args.iter().map(|a| describe(a, reads)).collect();
            let name = serde_json::to_value(b)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            format!("{name}({})", args.join(", "))
        }
        PlanExpr::Const(v) => serde_json::to_string(v).unwrap_or_default(),
        _ => "an expression".to_string(),
    }
}
