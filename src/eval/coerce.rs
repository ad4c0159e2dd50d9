//! Turning evaluated values into what a Salesforce field accepts on the wire, once per event,
//! before any API call: a value that cannot fit fails here, with a clear code, not at Salesforce.

use std::borrow::Cow;

use super::expr::{Failure, scalar_text};
use crate::event::value::Value;
use crate::outcome::RunCode;
use crate::plan;
use crate::schema::FieldType;

/// Coerces a value for a field. `Value::Null` passes through (it clears the field).
pub(crate) fn to_field<'a>(v: Value<'a>, field: &plan::Field) -> Result<Value<'a>, Failure> {
    let t = field.field_type;
    if matches!(v, Value::Null) {
        return Ok(v);
    }
    let mismatch = |v: &Value<'_>| {
        Failure::new(
            RunCode::TypeMismatch,
            format!(
                "{} is a {} field; got {} {}",
                field.name,
                t.as_str(),
                article(v.type_name()),
                v.type_name()
            ),
        )
    };
    if matches!(v, Value::Object(_) | Value::Array(_)) && t != FieldType::AnyType {
        return Err(mismatch(&v));
    }
    let out = if t.is_text() || matches!(t, FieldType::Reference | FieldType::Id) {
        let s = match v {
            Value::String(s) => s,
            other => Cow::Owned(scalar_text(&other)),
        };
        // A string no longer in bytes than the limit is within it in characters too.
        if field.length > 0
            && s.len() > field.length as usize
            && s.chars().count() > field.length as usize
        {
            return Err(Failure::new(
                RunCode::ValueTooLong,
                format!(
                    "{} holds at most {} characters; this value has {} (use truncate())",
                    field.name,
                    field.length,
                    s.chars().count()
                ),
            ));
        }
        Value::String(s)
    } else if t.is_numeric() {
        match v {
            Value::Number(_) => v,
            Value::String(ref s) => {
                let trimmed = s.trim();
                let n = trimmed
                    .parse::<i64>()
                    .map(serde_json::Number::from)
                    .ok()
                    .or_else(|| {
                        trimmed
                            .parse::<f64>()
                            .ok()
                            .filter(|f| f.is_finite())
                            .and_then(serde_json::Number::from_f64)
                    });
                match n {
                    Some(n) => Value::Number(n),
                    None => return Err(mismatch(&v)),
                }
            }
            _ => return Err(mismatch(&v)),
        }
    } else if t == FieldType::Boolean {
        match v {
            Value::Bool(_) => v,
            Value::String(ref s) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
            Value::String(ref s) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => return Err(mismatch(&v)),
        }
    } else if t == FieldType::Date {
        match v {
            Value::String(ref s) => {
                if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() {
                    v
                } else if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
                    Value::String(Cow::Owned(
                        dt.with_timezone(&chrono::Utc)
                            .format("%Y-%m-%d")
                            .to_string(),
                    ))
                } else {
                    return Err(Failure::new(
                        RunCode::InvalidDate,
                        format!(
                            "{} is a date field; {s:?} is not a date (use to_date())",
                            field.name
                        ),
                    ));
                }
            }
            _ => return Err(mismatch(&v)),
        }
    } else if t == FieldType::Datetime {
        match v {
            Value::String(ref s) => {
                if chrono::DateTime::parse_from_rfc3339(s).is_ok()
                    || chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
                {
                    v
                } else {
                    return Err(Failure::new(
                        RunCode::InvalidDate,
                        format!(
                            "{} is a datetime field; {s:?} is not an ISO datetime (use to_datetime())",
                            field.name
                        ),
                    ));
                }
            }
            _ => return Err(mismatch(&v)),
        }
    } else {
        v
    };
    Ok(out)
}

/// A matcher value: a string, number or boolean.
pub(crate) fn matcher_value<'a>(v: Value<'a>, field: &str) -> Result<Value<'a>, Failure> {
    match v {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok(v),
        other => Err(Failure::new(
            RunCode::UnsupportedMatcherType,
            format!(
                "the value for {field} is {} {}; matchers take text, numbers or booleans",
                article(other.type_name()),
                other.type_name()
            ),
        )),
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}
