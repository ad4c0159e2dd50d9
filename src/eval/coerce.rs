//! Turning evaluated values into what a Salesforce field accepts on the wire, once per event,
//! before any API call: a value that cannot fit fails here, with a clear code, not at Salesforce.

use std::borrow::Cow;

use super::expr::{Failure, scalar_text};
use crate::event::value::Value;
use crate::outcome::RunCode;
use crate::plan;
use crate::salesforce::soql;
use crate::schema::FieldType;

/// Coerces a value for a field. `Value::Null` passes through (it clears the field).
pub(crate) fn to_field<'a>(v: Value<'a>, field: &plan::Field) -> Result<Value<'a>, Failure> {
    let t = field.field_type;
    if matches!(v, Value::Null) {
        return Ok(v);
    }
    if matches!(v, Value::Object(_) | Value::Array(_)) && t != FieldType::AnyType {
        return Err(mismatch(&field.name, t, &v));
    }
    let out = if t.is_text() || matches!(t, FieldType::Reference | FieldType::Id) {
        let s = text(v);
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
        number(v).map_err(|v| mismatch(&field.name, t, &v))?
    } else if t == FieldType::Boolean {
        boolean(v).map_err(|v| mismatch(&field.name, t, &v))?
    } else if t == FieldType::Date {
        date(v, &field.name)?
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
            _ => return Err(mismatch(&field.name, t, &v)),
        }
    } else {
        v
    };
    Ok(out)
}

/// A matcher value, coerced to its field's type `t` as a written value is, so that the lookup
/// quotes it as the field needs and compares it as Salesforce does: text for a text or Id field
/// (the number `42` is `'42'`), a number for a numeric field (`"7"` is 7), a boolean for a
/// checkbox, a `YYYY-MM-DD` date for a date field. A value that cannot take the type fails this
/// event alone (`TYPE_MISMATCH`, `INVALID_DATE`), never the flush's lookup; objects and arrays
/// match nothing (`UNSUPPORTED_MATCHER_TYPE`). Other types (datetimes, a field the schema does
/// not know) pass as they are.
pub(crate) fn matcher_value<'a>(
    v: Value<'a>,
    field: &str,
    t: FieldType,
) -> Result<Value<'a>, Failure> {
    if !matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)) {
        return Err(Failure::new(
            RunCode::UnsupportedMatcherType,
            format!(
                "the value for {field} is {} {}; matchers take text, numbers or booleans",
                article(v.type_name()),
                v.type_name()
            ),
        ));
    }
    if t.is_text() || matches!(t, FieldType::Reference | FieldType::Id) {
        Ok(Value::String(text(v)))
    } else if t.is_numeric() {
        number(v).map_err(|v| mismatch(field, t, &v))
    } else if t == FieldType::Boolean {
        boolean(v).map_err(|v| mismatch(field, t, &v))
    } else if t == FieldType::Date {
        // The lookup writes a date bare, as SOQL compares dates: only its plain form goes there.
        match date(v, field)? {
            Value::String(s) if !soql::is_date_literal(&s) => Err(invalid_date(field, &s)),
            d => Ok(d),
        }
    } else {
        Ok(v)
    }
}

/// A date: `YYYY-MM-DD` as it is, an RFC 3339 datetime as its UTC date; anything else fails.
fn date<'a>(v: Value<'a>, field: &str) -> Result<Value<'a>, Failure> {
    let Value::String(s) = &v else {
        return Err(mismatch(field, FieldType::Date, &v));
    };
    if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() {
        return Ok(v);
    }
    match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(dt) => Ok(Value::String(Cow::Owned(
            dt.with_timezone(&chrono::Utc)
                .format("%Y-%m-%d")
                .to_string(),
        ))),
        Err(_) => Err(invalid_date(field, s)),
    }
}

fn invalid_date(field: &str, s: &str) -> Failure {
    Failure::new(
        RunCode::InvalidDate,
        format!("{field} is a date field; {s:?} is not a date (use to_date())"),
    )
}

/// A scalar as text: strings as they are, numbers and booleans as JSON writes them.
fn text(v: Value<'_>) -> Cow<'_, str> {
    match v {
        Value::String(s) => s,
        other => Cow::Owned(scalar_text(&other)),
    }
}

/// A number, or text that reads as one (trimmed); anything else is given back.
fn number(v: Value<'_>) -> Result<Value<'_>, Value<'_>> {
    let Value::String(s) = &v else {
        return match v {
            Value::Number(_) => Ok(v),
            other => Err(other),
        };
    };
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
    n.map(Value::Number).ok_or(v)
}

/// A boolean, or the text `true` or `false` (any case); anything else is given back.
fn boolean(v: Value<'_>) -> Result<Value<'_>, Value<'_>> {
    match v {
        Value::Bool(_) => Ok(v),
        Value::String(ref s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
        Value::String(ref s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
        other => Err(other),
    }
}

/// `TYPE_MISMATCH`: `v` cannot be a value of `field`, of type `t`.
fn mismatch(field: &str, t: FieldType, v: &Value<'_>) -> Failure {
    Failure::new(
        RunCode::TypeMismatch,
        format!(
            "{field} is {} {} field; got {} {}",
            article(t.as_str()),
            t.as_str(),
            article(v.type_name()),
            v.type_name()
        ),
    )
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn coerced(v: serde_json::Value, t: FieldType) -> Result<serde_json::Value, RunCode> {
        matcher_value(Value::from_json(&v), "F", t)
            .map(|v| v.to_json())
            .map_err(|f| f.code)
    }

    #[test]
    fn matcher_values_take_the_field_type() {
        for t in [
            FieldType::Email,
            FieldType::Phone,
            FieldType::String,
            FieldType::Id,
        ] {
            assert_eq!(coerced(json!(42), t), Ok(json!("42")), "{t:?}");
            assert_eq!(coerced(json!(true), t), Ok(json!("true")), "{t:?}");
            assert_eq!(coerced(json!("a@x.com"), t), Ok(json!("a@x.com")), "{t:?}");
        }
        assert_eq!(coerced(json!(" 7 "), FieldType::Int), Ok(json!(7)));
        assert_eq!(coerced(json!("2.5"), FieldType::Double), Ok(json!(2.5)));
        assert_eq!(
            coerced(json!("many"), FieldType::Int),
            Err(RunCode::TypeMismatch)
        );
        assert_eq!(
            coerced(json!(false), FieldType::Int),
            Err(RunCode::TypeMismatch)
        );
        assert_eq!(coerced(json!("TRUE"), FieldType::Boolean), Ok(json!(true)));
        assert_eq!(
            coerced(json!(1), FieldType::Boolean),
            Err(RunCode::TypeMismatch)
        );
        assert_eq!(
            coerced(json!("1990-05-01"), FieldType::Date),
            Ok(json!("1990-05-01"))
        );
        assert_eq!(
            coerced(json!("1990-05-01T23:30:00-02:00"), FieldType::Date),
            Ok(json!("1990-05-02"))
        );
        assert_eq!(
            coerced(json!("+1990-05-01"), FieldType::Date),
            Err(RunCode::InvalidDate)
        );
        assert_eq!(
            coerced(json!("May 1"), FieldType::Date),
            Err(RunCode::InvalidDate)
        );
        assert_eq!(coerced(json!(42), FieldType::Other), Ok(json!(42)));
        assert_eq!(
            coerced(json!({"a": 1}), FieldType::String),
            Err(RunCode::UnsupportedMatcherType)
        );
    }
}
