//! Record writes shared by REST, Collections, Composite and Bulk: insert (required fields,
//! defaults, system fields, unique values), update, upsert by external id, delete.

use serde_json::{Map, Value};

use crate::schema::{FieldType, ObjectDescribe, Schema, sfid};

use super::error::{ApiError, ErrorCode};
use super::store::{Store, StoredRecord};
use super::validate::{self, Mode, Source, internal, is_keyed, key_text};

/// The pod characters in generated Ids (`001` + `0E` + `0` + number).
const POD: &str = "0E";

/// Everything a write needs.
pub struct Dml<'a> {
    pub schema: &'a Schema,
    pub store: &'a mut Store,
    pub user_id: &'a str,
}

/// What an upsert did.
#[derive(Debug, Clone, PartialEq)]
pub enum Upserted {
    Created(String),
    Updated(String),
    /// More than one record matched: nothing was written.
    Multiple(Vec<String>),
}

/// The current time in Salesforce's format. Formatting is cached per millisecond: Bulk jobs
/// stamp thousands of records within one.
pub fn now() -> String {
    thread_local! {
        static LAST: std::cell::RefCell<(i64, String)> = const { std::cell::RefCell::new((i64::MIN, String::new())) };
    }
    let t = chrono::Utc::now();
    let ms = t.timestamp_millis();
    LAST.with(|cell| {
        let mut last = cell.borrow_mut();
        if last.0 != ms {
            *last = (ms, validate::format_datetime(&t));
        }
        last.1.clone()
    })
}

impl Dml<'_> {
    /// Creates a record from a request body.
    pub fn create(
        &mut self,
        object: &ObjectDescribe,
        body: &Map<String, Value>,
        source: Source,
    ) -> Result<String, ApiError> {
        let fields =
            validate::coerce_body(self.schema, self.store, object, body, Mode::Create, source)?;
        self.insert(object, fields)
    }

    /// Inserts already-coerced values.
    pub fn insert(
        &mut self,
        object: &ObjectDescribe,
        mut fields: Map<String, Value>,
    ) -> Result<String, ApiError> {
        let missing: Vec<String> = object
            .required_on_create()
            .filter(|f| fields.get(&f.name).is_none_or(is_blank))
            .map(|f| f.name.clone())
            .collect();
        if !missing.is_empty() {
            return Err(required_missing(missing));
        }
        let prefix = object.key_prefix.clone().unwrap_or_else(|| "a00".into());
        let seq = self.store.take_seq();
        let id = sfid::make(&prefix, POD, seq);
        let now = now();
        let user = || Value::String(self.user_id.to_string());
        for f in &object.fields {
            let system = match f.name.as_str() {
                "CreatedDate" | "LastModifiedDate" | "SystemModstamp" => {
                    Some(Value::String(now.clone()))
                }
                "CreatedById" | "LastModifiedById" => Some(user()),
                "IsDeleted" => Some(Value::Bool(false)),
                _ => None,
            };
            if let Some(v) = system {
                fields.insert(f.name.clone(), v);
                continue;
            }
            if fields.contains_key(&f.name) {
                continue;
            }
            let default = if f.auto_number {
                Some(Value::String(format!("{seq:08}")))
            } else if f.field_type == FieldType::Boolean && !f.createable {
                Some(Value::Bool(false))
            } else if f.defaulted_on_create {
                match f.field_type {
                    FieldType::Boolean => Some(Value::Bool(false)),
                    FieldType::Reference if f.name == "OwnerId" => Some(user()),
                    _ => f
                        .picklist_values
                        .iter()
                        .find(|p| p.default_value && p.active)
                        .map(|p| Value::String(p.value.clone())),
                }
            } else {
                None
            };
            // Records are stored sparsely: an absent field reads as null.
            if let Some(v) = default {
                fields.insert(f.name.clone(), v);
            }
        }
        fields.insert("Id".into(), Value::String(id.clone()));
        compound_name(object, &mut fields);
        let keys = self.check_unique(object, &id, &fields)?;
        let rec = StoredRecord {
            id: id.clone(),
            object: object.name.clone(),
            deleted: false,
            fields,
        };
        self.store.insert(seq, &rec, &keys).map_err(internal)?;
        Ok(id)
    }

    /// Fetches a live record of `object` by any Id form; NOT_FOUND / ENTITY_IS_DELETED /
    /// MALFORMED_ID otherwise.
    pub fn live(&self, object: &ObjectDescribe, raw_id: &str) -> Result<StoredRecord, ApiError> {
        let id = validate::normalize_id(raw_id).ok_or_else(|| malformed_id(object, raw_id))?;
        if object.key_prefix.as_deref() != Some(sfid::key_prefix(&id)) {
            return Err(malformed_id(object, raw_id));
        }
        match self.store.get(&id).map_err(internal)? {
            None => Err(ApiError::not_found()),
            Some(r) if r.deleted => Err(ApiError::deleted()),
            Some(r) => Ok(r),
        }
    }

    /// Updates a record from a request body.
    pub fn update(
        &mut self,
        object: &ObjectDescribe,
        raw_id: &str,
        body: &Map<String, Value>,
        source: Source,
    ) -> Result<String, ApiError> {
        let rec = self.live(object, raw_id)?;
        let fields =
            validate::coerce_body(self.schema, self.store, object, body, Mode::Update, source)?;
        self.apply_update(object, rec, fields)
    }

    fn apply_update(
        &mut self,
        object: &ObjectDescribe,
        mut rec: StoredRecord,
        fields: Map<String, Value>,
    ) -> Result<String, ApiError> {
        let nulled: Vec<String> = object
            .required_on_create()
            .filter(|f| fields.get(&f.name).is_some_and(is_blank))
            .map(|f| f.name.clone())
            .collect();
        if !nulled.is_empty() {
            return Err(required_missing(nulled));
        }
        for (k, v) in fields {
            rec.fields.insert(k, v);
        }
        let now = now();
        for (name, value) in [
            ("LastModifiedDate", Value::String(now.clone())),
            ("SystemModstamp", Value::String(now)),
            ("LastModifiedById", Value::String(self.user_id.to_string())),
        ] {
            if object.field(name).is_some() {
                rec.fields.insert(name.to_string(), value);
            }
        }
        compound_name(object, &mut rec.fields);
        let keys = self.check_unique(object, &rec.id, &rec.fields)?;
        self.store.update(&rec, &keys).map_err(internal)?;
        Ok(rec.id)
    }

    /// Upsert by external id (or `Id`): create, update, or report several matches.
    pub fn upsert(
        &mut self,
        object: &ObjectDescribe,
        field_name: &str,
        value: &str,
        body: &Map<String, Value>,
        source: Source,
    ) -> Result<Upserted, ApiError> {
        let field = object
            .field(field_name)
            .filter(|f| f.external_id || f.id_lookup || f.field_type == FieldType::Id)
            .ok_or_else(|| {
                ApiError::new(
                    404,
                    ErrorCode::NotFound,
                    format!(
                        "Provided external ID field does not exist or is not accessible: {field_name}"
                    ),
                )
            })?;
        let mut body = body.clone();
        body.retain(|k, _| !k.eq_ignore_ascii_case(&field.name));
        let matches = if field.field_type == FieldType::Id {
            if value.is_empty() {
                Vec::new()
            } else {
                vec![self.live(object, value)?.id]
            }
        } else if value.is_empty() {
            Vec::new()
        } else {
            validate::find_by_field(self.store, object, field, value)?
        };
        match matches.as_slice() {
            [] => {
                let mut fields = validate::coerce_body(
                    self.schema,
                    self.store,
                    object,
                    &body,
                    Mode::Create,
                    source,
                )?;
                if field.field_type != FieldType::Id {
                    if value.is_empty() {
                        return Err(ApiError::bad(
                            ErrorCode::MissingArgument,
                            format!("{}: External ID value is required", field.name),
                        )
                        .with_fields(vec![field.name.clone()]));
                    }
                    let v = validate::coerce_value(
                        self.schema,
                        self.store,
                        field,
                        &Value::String(value.to_string()),
                        Source::Csv,
                    )?;
                    fields.insert(field.name.clone(), v);
                }
                self.insert(object, fields).map(Upserted::Created)
            }
            [id] => {
                let rec = self.live(object, id)?;
                let fields = validate::coerce_body(
                    self.schema,
                    self.store,
                    object,
                    &body,
                    Mode::Update,
                    source,
                )?;
                self.apply_update(object, rec, fields)
                    .map(Upserted::Updated)
            }
            _ => Ok(Upserted::Multiple(matches)),
        }
    }

    /// Moves a record to the recycle bin.
    pub fn delete(&mut self, object: &ObjectDescribe, raw_id: &str) -> Result<String, ApiError> {
        let mut rec = self.live(object, raw_id)?;
        if !object.deletable {
            return Err(ApiError::bad(
                ErrorCode::InsufficientAccess,
                "insufficient access rights on object id",
            ));
        }
        rec.fields.insert("IsDeleted".into(), Value::Bool(true));
        self.store
            .soft_delete(&rec.id, &rec.fields)
            .map_err(internal)?;
        Ok(rec.id)
    }

    /// Removes a record for good (Bulk `hardDelete`).
    pub fn hard_delete(
        &mut self,
        object: &ObjectDescribe,
        raw_id: &str,
    ) -> Result<String, ApiError> {
        let rec = self.live(object, raw_id)?;
        self.store.hard_delete(&rec.id).map_err(internal)?;
        Ok(rec.id)
    }

    /// Checks unique fields against other records; returns the key-index entries to store.
    fn check_unique(
        &self,
        object: &ObjectDescribe,
        id: &str,
        fields: &Map<String, Value>,
    ) -> Result<Vec<(String, String)>, ApiError> {
        let mut keys = Vec::new();
        for f in object.fields.iter().filter(|f| is_keyed(f)) {
            let Some(v) = fields.get(&f.name).filter(|v| !is_blank(v)) else {
                continue;
            };
            let text = key_text(f, v);
            if f.unique {
                let others = self
                    .store
                    .find_by_key(&object.name, &f.name, &text)
                    .map_err(internal)?;
                if let Some(other) = others.iter().find(|o| *o != id) {
                    return Err(ApiError::bad(
                        ErrorCode::DuplicateValue,
                        format!(
                            "duplicate value found: {} duplicates value on record with id: {other}",
                            f.name
                        ),
                    ));
                }
            }
            keys.push((f.name.clone(), text));
        }
        Ok(keys)
    }
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

fn required_missing(fields: Vec<String>) -> ApiError {
    ApiError::bad(
        ErrorCode::RequiredFieldMissing,
        format!("Required fields are missing: [{}]", fields.join(", ")),
    )
    .with_fields(fields)
}

pub fn malformed_id(object: &ObjectDescribe, raw: &str) -> ApiError {
    ApiError::bad(
        ErrorCode::MalformedId,
        format!(
            "{} ID: id value of incorrect type: {raw}",
            object.label_or_name()
        ),
    )
}

/// Person names (Contact, Lead, User): `Name` is computed from its components.
fn compound_name(object: &ObjectDescribe, fields: &mut Map<String, Value>) {
    let Some(name) = object.field("Name") else {
        return;
    };
    if name.createable || object.field("LastName").is_none() {
        return;
    }
    let part = |k: &str| {
        fields
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let joined: Vec<String> = [part("FirstName"), part("LastName")]
        .into_iter()
        .flatten()
        .collect();
    fields.insert(
        "Name".into(),
        if joined.is_empty() {
            Value::Null
        } else {
            Value::String(joined.join(" "))
        },
    );
}

trait LabelOrName {
    fn label_or_name(&self) -> &str;
}

impl LabelOrName for ObjectDescribe {
    fn label_or_name(&self) -> &str {
        if self.label.is_empty() {
            &self.name
        } else {
            &self.label
        }
    }
}
