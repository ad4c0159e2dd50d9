//! Turning client input into stored values the way Salesforce validates it: case-insensitive
//! field names, type coercion (JSON numbers or numeric strings, `true`/`false`, ISO dates),
//! read-only fields, string lengths, restricted picklists, e-mail syntax, lookups by Id or by a
//! parent's external id (`"Account": {"ExtId__c": "x"}`), and the errors Salesforce gives for each.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde_json::{Map, Value};

use crate::schema::sfid;
use crate::schema::{FieldDescribe, FieldType, ObjectDescribe, Schema};

use super::error::{ApiError, ErrorCode};
use super::store::Store;

/// Whether values are written by a create or an update (decides which fields are writable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    Update,
}

/// Where a value came from: JSON keeps JSON types, CSV cells are all text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Json,
    Csv,
}

/// Converts a request body into stored values keyed by the fields' API names.
pub fn coerce_body(
    schema: &Schema,
    store: &Store,
    object: &ObjectDescribe,
    body: &Map<String, Value>,
    mode: Mode,
    source: Source,
) -> Result<Map<String, Value>, ApiError> {
    let mut out = Map::new();
    let mut read_only = Vec::new();
    for (key, value) in body {
        if key == "attributes" {
            continue;
        }
        let target = body_key(object, key);
        if let Some((i, v)) = coerce_entry(
            schema,
            store,
            object,
            target,
            key,
            Cow::Borrowed(value),
            mode,
            source,
            &mut read_only,
        )? {
            out.insert(object.fields[i].name.clone(), v);
        }
    }
    check_read_only(read_only)?;
    Ok(out)
}

/// What a body key names: a field or a lookup's relationship (both by index into
/// `object.fields`), or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKey {
    Field(usize),
    Relationship(usize),
    Unknown,
}

/// Resolves a body key the way Salesforce does: a field name first, then a relationship name,
/// both case-insensitively.
pub fn body_key(object: &ObjectDescribe, key: &str) -> BodyKey {
    if let Some(i) = object
        .fields
        .iter()
        .position(|f| f.name.eq_ignore_ascii_case(key))
    {
        return BodyKey::Field(i);
    }
    match object.fields.iter().position(|f| {
        f.relationship_name
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case(key))
    }) {
        Some(i) => BodyKey::Relationship(i),
        None => BodyKey::Unknown,
    }
}

/// One body entry (`key` resolved to `target` by [`body_key`]): the field it writes (index into
/// `object.fields`) and the stored value, or `None` when it writes nothing. Read-only fields are
/// collected in `read_only` (reported by [`check_read_only`] once the whole body is checked).
#[allow(clippy::too_many_arguments)]
pub fn coerce_entry(
    schema: &Schema,
    store: &Store,
    object: &ObjectDescribe,
    target: BodyKey,
    key: &str,
    value: Cow<'_, Value>,
    mode: Mode,
    source: Source,
    read_only: &mut Vec<String>,
) -> Result<Option<(usize, Value)>, ApiError> {
    match target {
        BodyKey::Field(i) => {
            let field = &object.fields[i];
            let writable = match mode {
                Mode::Create => field.createable,
                Mode::Update => field.updateable,
            };
            if !writable {
                if field.field_type == FieldType::Id && (mode == Mode::Update || value.is_null()) {
                    return Ok(None); // an Id in an update body names the record; a null Id is no value
                }
                read_only.push(field.name.clone());
                return Ok(None);
            }
            coerce(schema, store, field, value, source).map(|v| Some((i, v)))
        }
        BodyKey::Relationship(i) => {
            resolve_reference(schema, store, &object.fields[i], &value).map(|id| Some((i, id)))
        }
        BodyKey::Unknown => Err(ApiError::bad(
            ErrorCode::InvalidField,
            format!("No such column '{key}' on sobject of type {}", object.name),
        )),
    }
}

/// INVALID_FIELD_FOR_INSERT_UPDATE for the read-only fields a body tried to write.
pub fn check_read_only(read_only: Vec<String>) -> Result<(), ApiError> {
    if read_only.is_empty() {
        return Ok(());
    }
    Err(ApiError::bad(
        ErrorCode::InvalidFieldForInsertUpdate,
        format!(
            "Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
            read_only.join(", ")
        ),
    )
    .with_fields(read_only))
}

fn label(field: &FieldDescribe) -> &str {
    if field.label.is_empty() {
        &field.name
    } else {
        &field.label
    }
}

fn deserialize_error(kind: &str, value: &Value) -> ApiError {
    let (token, shown) = match value {
        Value::String(s) => ("VALUE_STRING", s.clone()),
        Value::Number(n) => ("VALUE_NUMBER_INT", n.to_string()),
        Value::Bool(b) => (if *b { "VALUE_TRUE" } else { "VALUE_FALSE" }, b.to_string()),
        Value::Array(_) => ("START_ARRAY", "[".into()),
        Value::Object(_) => ("START_OBJECT", "{".into()),
        Value::Null => ("VALUE_NULL", "null".into()),
    };
    ApiError::json_parser(format!(
        "Cannot deserialize instance of {kind} from {token} value {shown} or request may be missing a required field"
    ))
}

/// Bulk rows report a bad cell the way the Bulk API does.
fn csv_type_error(field: &FieldDescribe, text: &str, xsd: &str) -> ApiError {
    ApiError::bad(
        ErrorCode::InvalidTypeOnFieldInRecord,
        format!(
            "{}: value not of required type: {text} (expected {xsd})",
            label(field)
        ),
    )
    .with_fields(vec![field.name.clone()])
}

/// One value, typed for its field. `null` stays `null` (required-ness is checked later).
pub fn coerce_value(
    schema: &Schema,
    store: &Store,
    field: &FieldDescribe,
    value: &Value,
    source: Source,
) -> Result<Value, ApiError> {
    coerce(schema, store, field, Cow::Borrowed(value), source)
}

/// [`coerce_value`], moving an owned text into the stored value instead of copying it.
fn coerce(
    schema: &Schema,
    store: &Store,
    field: &FieldDescribe,
    value: Cow<'_, Value>,
    source: Source,
) -> Result<Value, ApiError> {
    if value.is_null() {
        return Ok(if field.field_type == FieldType::Boolean {
            Value::Bool(false)
        } else {
            Value::Null
        });
    }
    let ty = field.field_type;
    let bad = |kind: &str, xsd: &str| -> ApiError {
        match (source, &*value) {
            (Source::Csv, Value::String(s)) => csv_type_error(field, s, xsd),
            _ => deserialize_error(kind, &value),
        }
    };
    match ty {
        FieldType::Boolean => match &*value {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            Value::String(s) if source == Source::Csv && (s == "1" || s == "0") => {
                Ok(Value::Bool(s == "1"))
            }
            _ => Err(bad("boolean", "xsd:boolean")),
        },
        FieldType::Int | FieldType::Long => {
            let n = match &*value {
                Value::Number(n) => n
                    .as_i64()
                    .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
                Value::String(s) => s.trim().parse::<i64>().ok().or_else(|| {
                    s.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|f| f.fract() == 0.0 && f.is_finite())
                        .map(|f| f as i64)
                }),
                _ => None,
            }
            .ok_or_else(|| bad(if ty == FieldType::Int { "int" } else { "long" }, "xsd:int"))?;
            check_range(field, n.unsigned_abs() as f64, || n.to_string())?;
            Ok(Value::from(n))
        }
        FieldType::Double | FieldType::Currency | FieldType::Percent => {
            let f = match &*value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
                _ => None,
            }
            .ok_or_else(|| bad("double", "xsd:double"))?;
            check_range(field, f.abs(), || f.to_string())?;
            Ok(serde_json::Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or(Value::Null))
        }
        FieldType::Date => {
            let s = value.as_str().ok_or_else(|| bad("date", "xsd:date"))?;
            parse_date(s)
                .map(|d| Value::String(d.format("%Y-%m-%d").to_string()))
                .ok_or_else(|| bad("date", "xsd:date"))
        }
        FieldType::Datetime => {
            let s = value
                .as_str()
                .ok_or_else(|| bad("datetime", "xsd:dateTime"))?;
            parse_datetime(s)
                .map(|d| Value::String(format_datetime(&d)))
                .ok_or_else(|| bad("datetime", "xsd:dateTime"))
        }
        FieldType::Time => {
            let s = value.as_str().ok_or_else(|| bad("time", "xsd:time"))?;
            let t = s.trim_end_matches('Z');
            NaiveTime::parse_from_str(t, "%H:%M:%S%.f")
                .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M"))
                .map(|t| Value::String(t.format("%H:%M:%S%.3fZ").to_string()))
                .map_err(|_| bad("time", "xsd:time"))
        }
        FieldType::Reference => {
            let s = value.as_str().ok_or_else(|| bad("string", "xsd:string"))?;
            if s.is_empty() {
                return Ok(Value::Null);
            }
            resolve_id(schema, store, field, s).map(Value::String)
        }
        _ => {
            if !matches!(
                &*value,
                Value::String(_) | Value::Number(_) | Value::Bool(_)
            ) {
                return Err(bad("string", "xsd:string"));
            }
            let text = match value.into_owned() {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                other => return Err(deserialize_error("string", &other)),
            };
            check_text(field, &text)?;
            Ok(Value::String(text))
        }
    }
}

fn check_range(
    field: &FieldDescribe,
    magnitude: f64,
    shown: impl Fn() -> String,
) -> Result<(), ApiError> {
    if field.precision > 0 {
        let int_digits = field.precision.saturating_sub(field.scale) as i32;
        if magnitude >= 10f64.powi(int_digits) {
            return Err(ApiError::bad(
                ErrorCode::NumberOutsideValidRange,
                format!(
                    "{}: value outside of valid range on numeric field: {}",
                    label(field),
                    shown()
                ),
            )
            .with_fields(vec![field.name.clone()]));
        }
    }
    Ok(())
}

fn check_text(field: &FieldDescribe, text: &str) -> Result<(), ApiError> {
    if field.length > 0 && text.chars().count() > field.length as usize {
        let shown: String = text.chars().take(200).collect();
        return Err(ApiError::bad(
            ErrorCode::StringTooLong,
            format!(
                "{}: data value too large: {shown} (max length={})",
                label(field),
                field.length
            ),
        )
        .with_fields(vec![field.name.clone()]));
    }
    if field.restricted_picklist
        && matches!(
            field.field_type,
            FieldType::Picklist | FieldType::Multipicklist
        )
    {
        let values: Vec<&str> = if field.field_type == FieldType::Multipicklist {
            text.split(';').collect()
        } else {
            vec![text]
        };
        if let Some(v) = values.iter().find(|v| !field.allows_picklist_value(v)) {
            return Err(ApiError::bad(
                ErrorCode::InvalidOrNullForRestrictedPicklist,
                format!(
                    "{}: bad value for restricted picklist field: {v}",
                    label(field)
                ),
            )
            .with_fields(vec![field.name.clone()]));
        }
    }
    if field.field_type == FieldType::Email && !text.is_empty() && !looks_like_email(text) {
        return Err(ApiError::bad(
            ErrorCode::InvalidEmailAddress,
            format!("{}: invalid email address: {text}", label(field)),
        )
        .with_fields(vec![field.name.clone()]));
    }
    Ok(())
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(|c| c.is_whitespace() || c == ',')
                && !domain.contains('@')
        }
        None => false,
    }
}

/// A lookup value given as an Id: right format, right object, existing record.
fn resolve_id(
    schema: &Schema,
    store: &Store,
    field: &FieldDescribe,
    raw: &str,
) -> Result<String, ApiError> {
    let malformed = || {
        ApiError::bad(
            ErrorCode::MalformedId,
            format!("{}: id value of incorrect type: {raw}", label(field)),
        )
        .with_fields(vec![field.name.clone()])
    };
    let id = normalize_id(raw).ok_or_else(malformed)?;
    let prefix = sfid::key_prefix(&id);
    let targets: Vec<&ObjectDescribe> = field
        .reference_to
        .iter()
        .filter_map(|t| schema.object(t))
        .collect();
    if targets.is_empty() {
        return Ok(id); // an object the emulator does not model (Profile, RecordType…)
    }
    if !targets
        .iter()
        .any(|o| o.key_prefix.as_deref() == Some(prefix))
    {
        return Err(malformed());
    }
    match store.get(&id) {
        Ok(Some(r)) if !r.deleted => Ok(id),
        Ok(_) => Err(ApiError::bad(
            ErrorCode::InvalidCrossReferenceKey,
            "invalid cross reference id",
        )),
        Err(e) => Err(internal(e)),
    }
}

/// `"Account": {"ExtId__c": "x"}`: finds the parent by one of its external-id fields.
pub fn resolve_reference(
    schema: &Schema,
    store: &Store,
    field: &FieldDescribe,
    value: &Value,
) -> Result<Value, ApiError> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let obj = value.as_object().ok_or_else(|| {
        deserialize_error(
            field.reference_to.first().map(String::as_str).unwrap_or(""),
            value,
        )
    })?;
    let type_hint = obj
        .get("attributes")
        .and_then(|a| a.get("type"))
        .and_then(Value::as_str);
    let target_name = type_hint
        .or_else(|| field.reference_to.first().map(String::as_str))
        .unwrap_or("");
    let target = schema.object(target_name).ok_or_else(|| {
        ApiError::bad(
            ErrorCode::InvalidField,
            format!("sObject type '{target_name}' is not supported."),
        )
    })?;
    let keys: Vec<(&String, &Value)> = obj.iter().filter(|(k, _)| *k != "attributes").collect();
    let [(key, key_value)] = keys.as_slice() else {
        return Err(ApiError::bad(
            ErrorCode::InvalidField,
            format!(
                "The relationship {} must name exactly one external ID field",
                field.relationship_name.as_deref().unwrap_or(&field.name)
            ),
        ));
    };
    let ext = target.field(key).ok_or_else(|| {
        ApiError::bad(
            ErrorCode::InvalidField,
            format!("No such column '{key}' on sobject of type {}", target.name),
        )
    })?;
    let text = match key_value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err(deserialize_error("string", key_value)),
    };
    if ext.field_type == FieldType::Id {
        return resolve_id(schema, store, field, &text).map(Value::String);
    }
    if !(ext.external_id || ext.id_lookup) {
        return Err(ApiError::bad(
            ErrorCode::InvalidField,
            format!(
                "Field {} on {} is not an external ID or indexed field",
                ext.name, target.name
            ),
        ));
    }
    let ids = find_by_field(store, target, ext, &text)?;
    match ids.as_slice() {
        [id] => Ok(Value::String(id.clone())),
        [] => Err(ApiError::bad(
            ErrorCode::InvalidField,
            format!(
                "Foreign key external ID: {text} not found for field {} in entity {}",
                ext.name, target.name
            ),
        )),
        _ => Err(ApiError::bad(
            ErrorCode::DuplicateExternalId,
            format!(
                "Foreign key external ID: {text} matched more than one record for field {} in entity {}",
                ext.name, target.name
            ),
        )),
    }
}

/// Live records whose `field` equals `text` (indexed fields by index, others by scan).
pub fn find_by_field(
    store: &Store,
    object: &ObjectDescribe,
    field: &FieldDescribe,
    text: &str,
) -> Result<Vec<String>, ApiError> {
    if is_keyed(field) {
        let v = key_text(field, &Value::String(text.to_string()));
        return store
            .find_by_key(&object.name, &field.name, &v)
            .map_err(internal);
    }
    let rows = store
        .scan(
            &object.name,
            false,
            // SQLite folds ASCII only: other texts are compared below, in full.
            text.is_ascii()
                .then_some((field.name.as_str(), &[text.to_string()][..])),
        )
        .map_err(internal)?;
    Ok(rows
        .into_iter()
        .filter(|r| match r.fields.get(&field.name) {
            Some(Value::String(s)) => {
                if field.case_sensitive {
                    s == text
                } else {
                    s.eq_ignore_ascii_case(text)
                }
            }
            Some(Value::Number(n)) => n.to_string() == text,
            _ => false,
        })
        .map(|r| r.id)
        .collect())
}

/// Fields whose values are kept in the key index: external ids and unique fields.
pub fn is_keyed(field: &FieldDescribe) -> bool {
    (field.external_id || field.unique) && field.field_type != FieldType::Id
}

/// The normalised index text of a value: case-folded unless the field is case-sensitive.
pub fn key_text(field: &FieldDescribe, value: &Value) -> String {
    let raw = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    };
    if field.case_sensitive || field.field_type.is_numeric() {
        match field.field_type.is_numeric() {
            true => raw
                .parse::<f64>()
                .ok()
                .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
                .map(|f| format!("{}", f as i64))
                .unwrap_or(raw),
            false => raw,
        }
    } else {
        raw.to_lowercase()
    }
}

/// The 18-character form of a syntactically valid Id.
pub fn normalize_id(raw: &str) -> Option<String> {
    sfid::validate(raw).ok()?;
    sfid::to18(&raw[..15]).ok()
}

pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let s = s.strip_suffix('Z').unwrap_or(s);
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .or_else(|| parse_datetime(s).map(|d| d.date_naive()))
}

/// ISO 8601 date-times as Salesforce accepts them: `Z`, `±HH:MM`, `±HHMM`, optional fraction;
/// a bare date means midnight UTC.
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z"] {
        if let Ok(d) = DateTime::parse_from_str(s, fmt) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(d.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

/// Salesforce's output form: `2024-01-31T12:00:00.000+0000`.
pub fn format_datetime(d: &DateTime<Utc>) -> String {
    d.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

pub fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        500,
        ErrorCode::UnknownException,
        format!("An unexpected error occurred in the emulator's store: {e}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_datetimes() {
        assert_eq!(parse_date("2024-02-29").unwrap().to_string(), "2024-02-29");
        assert!(parse_date("2024-02-30").is_none());
        let d = parse_datetime("2024-01-31T12:00:00.5-08:00").unwrap();
        assert_eq!(format_datetime(&d), "2024-01-31T20:00:00.500+0000");
        let d = parse_datetime("2024-01-31T12:00:00.000+0100").unwrap();
        assert_eq!(format_datetime(&d), "2024-01-31T11:00:00.000+0000");
        assert!(parse_datetime("yesterday").is_none());
    }

    #[test]
    fn emails() {
        assert!(looks_like_email("a@b.co"));
        assert!(!looks_like_email("a@b"));
        assert!(!looks_like_email("a b@c.d"));
    }
}
