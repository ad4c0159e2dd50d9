//! Record writes shared by REST, Collections, Composite and Bulk: insert (required fields,
//! defaults, system fields, unique values), update, upsert by external id, delete.

use std::rc::Rc;

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
    /// Per object: what an insert needs (computed once per `Dml`, which a Bulk job reuses for
    /// 10,000 rows; a `Dml` writes few objects, so a list).
    plans: Vec<(String, Rc<InsertPlan>)>,
    /// The stored JSON of the record being written, and of its system values (reused).
    json: Vec<u8>,
    system: Vec<u8>,
    places: Vec<usize>,
}

/// A field an insert sets: system fields always, defaults only when the client gave no value.
#[derive(Debug, Clone)]
struct Fill {
    slot: usize,
    value: FillValue,
    always: bool,
}

/// An object's insert rules, by field index (`object.fields` order).
#[derive(Debug)]
pub struct InsertPlan {
    fills: Vec<Fill>,
    /// Fields a create must supply, in `object.fields` order.
    required: Vec<usize>,
    /// Fields kept in the key index (external ids, unique fields).
    keyed: Vec<usize>,
    /// The stored JSON's keys in the order a `serde_json::Map` writes them (sorted by name;
    /// also the index by exact name).
    order: Vec<JsonKey>,
    /// Each field's place in `order` (`usize::MAX` for a field whose name an earlier field
    /// has), and the place of `Id`.
    place: Vec<usize>,
    id_place: usize,
    /// Each `order` entry's `"key":` text, concatenated (`key_ends[k]` ends entry `k`).
    key_text: String,
    key_ends: Vec<usize>,
    /// `Name` computed from `FirstName`/`LastName` (person objects).
    compound_name: bool,
}

#[derive(Debug, Clone, Copy)]
enum JsonKey {
    Field(usize),
    /// `Id`, written from the new Id (the `Id` field's index, if the describe has one).
    Id(Option<usize>),
}

impl InsertPlan {
    fn name(object: &ObjectDescribe, key: JsonKey) -> &str {
        match key {
            JsonKey::Field(i) => &object.fields[i].name,
            JsonKey::Id(_) => "Id",
        }
    }

    /// The index of the field with exactly this API name.
    fn index(&self, object: &ObjectDescribe, name: &str) -> Option<usize> {
        let k = self
            .order
            .binary_search_by(|k| Self::name(object, *k).cmp(name))
            .ok()?;
        match self.order[k] {
            JsonKey::Field(i) | JsonKey::Id(Some(i)) => Some(i),
            JsonKey::Id(None) => None,
        }
    }
}

/// One field of a record being inserted. System values stay symbolic until the record is
/// written, so an insert allocates only for the values its client sent.
#[derive(Debug, Clone, Default)]
pub enum Slot {
    #[default]
    Absent,
    Set(Value),
    Now,
    User,
}

/// A record being inserted: one slot per field of its object, plus any keys that name no field
/// exactly (kept as given).
#[derive(Debug, Clone)]
pub struct NewRecord {
    slots: Vec<Slot>,
    /// The slots that are not `Absent`, so a record of a wide object is written and cleared
    /// by what it holds.
    filled: Vec<usize>,
    extra: Map<String, Value>,
}

impl NewRecord {
    /// An empty record of `object`.
    pub fn new(object: &ObjectDescribe) -> NewRecord {
        NewRecord {
            slots: vec![Slot::Absent; object.fields.len()],
            filled: Vec::new(),
            extra: Map::new(),
        }
    }

    /// Sets the field at `index` (into `object.fields`).
    pub fn set(&mut self, index: usize, value: Value) {
        self.fill(index, Slot::Set(value));
    }

    fn fill(&mut self, index: usize, slot: Slot) {
        if matches!(self.slots[index], Slot::Absent) {
            self.filled.push(index);
        }
        self.slots[index] = slot;
    }

    /// Empties the record for reuse.
    pub fn clear(&mut self) {
        for i in self.filled.drain(..) {
            self.slots[i] = Slot::Absent;
        }
        self.extra.clear();
    }

    fn get(&self, object: &ObjectDescribe, plan: &InsertPlan, name: &str) -> Option<&Value> {
        match plan.index(object, name) {
            Some(i) => match &self.slots[i] {
                Slot::Set(v) => Some(v),
                _ => None,
            },
            None => self.extra.get(name),
        }
    }

    fn put(&mut self, object: &ObjectDescribe, plan: &InsertPlan, name: &str, value: Value) {
        match plan.index(object, name) {
            Some(i) => self.fill(i, Slot::Set(value)),
            None => {
                self.extra.insert(name.to_string(), value);
            }
        }
    }
}

#[derive(Debug, Clone)]
enum FillValue {
    Now,
    User,
    False,
    AutoNumber,
    Value(Value),
}

fn insert_plan(object: &ObjectDescribe) -> InsertPlan {
    let mut plan = Vec::new();
    for (slot, f) in object.fields.iter().enumerate() {
        let system = match f.name.as_str() {
            "CreatedDate" | "LastModifiedDate" | "SystemModstamp" => Some(FillValue::Now),
            "CreatedById" | "LastModifiedById" => Some(FillValue::User),
            "IsDeleted" => Some(FillValue::False),
            _ => None,
        };
        let (value, always) = match system {
            Some(v) => (Some(v), true),
            None => {
                let default = if f.auto_number {
                    Some(FillValue::AutoNumber)
                } else if f.field_type == FieldType::Boolean && !f.createable {
                    Some(FillValue::False)
                } else if f.defaulted_on_create {
                    match f.field_type {
                        FieldType::Boolean => Some(FillValue::False),
                        FieldType::Reference if f.name == "OwnerId" => Some(FillValue::User),
                        _ => f
                            .picklist_values
                            .iter()
                            .find(|p| p.default_value && p.active)
                            .map(|p| FillValue::Value(Value::String(p.value.clone()))),
                    }
                } else {
                    None
                };
                (default, false)
            }
        };
        if let Some(value) = value {
            plan.push(Fill {
                slot,
                value,
                always,
            });
        }
    }
    let mut order: Vec<JsonKey> = (0..object.fields.len())
        .map(|i| {
            if object.fields[i].name == "Id" {
                JsonKey::Id(Some(i))
            } else {
                JsonKey::Field(i)
            }
        })
        .collect();
    if !object.fields.iter().any(|f| f.name == "Id") {
        order.push(JsonKey::Id(None));
    }
    // Stable: of two fields with one name, the first is the one a map key names.
    order.sort_by(|a, b| InsertPlan::name(object, *a).cmp(InsertPlan::name(object, *b)));
    order.dedup_by(|b, a| InsertPlan::name(object, *a) == InsertPlan::name(object, *b));
    let mut key_text = Vec::new();
    let mut key_ends = Vec::with_capacity(order.len());
    for &k in &order {
        write_key(&mut key_text, InsertPlan::name(object, k));
        key_ends.push(key_text.len());
    }
    let key_text = String::from_utf8(key_text).unwrap_or_default();
    let mut place = vec![usize::MAX; object.fields.len()];
    let mut id_place = 0;
    for (k, &key) in order.iter().enumerate() {
        match key {
            JsonKey::Field(i) => place[i] = k,
            JsonKey::Id(i) => {
                id_place = k;
                if let Some(i) = i {
                    place[i] = k;
                }
            }
        }
    }
    let compound_name = object
        .field("Name")
        .is_some_and(|n| !n.createable && object.field("LastName").is_some());
    InsertPlan {
        fills: plan,
        required: object
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.required_on_create())
            .map(|(i, _)| i)
            .collect(),
        keyed: object
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| is_keyed(f))
            .map(|(i, _)| i)
            .collect(),
        order,
        place,
        id_place,
        key_text,
        key_ends,
        compound_name,
    }
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

impl<'a> Dml<'a> {
    pub fn new(schema: &'a Schema, store: &'a mut Store, user_id: &'a str) -> Dml<'a> {
        Dml {
            schema,
            store,
            user_id,
            plans: Vec::new(),
            json: Vec::new(),
            system: Vec::new(),
            places: Vec::new(),
        }
    }

    fn plan(&mut self, object: &ObjectDescribe) -> Rc<InsertPlan> {
        if let Some((_, p)) = self.plans.iter().find(|(name, _)| *name == object.name) {
            return p.clone(); // no key allocation per Bulk row
        }
        let p = Rc::new(insert_plan(object));
        self.plans.push((object.name.clone(), p.clone()));
        p
    }

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
        fields: Map<String, Value>,
    ) -> Result<String, ApiError> {
        let plan = self.plan(object);
        let mut rec = NewRecord::new(object);
        for (k, v) in fields {
            match plan.index(object, &k) {
                Some(i) => rec.set(i, v),
                None => {
                    rec.extra.insert(k, v);
                }
            }
        }
        self.insert_record(object, &mut rec)
    }

    /// Inserts a record built field by field (Bulk rows); `rec` is left cleared for reuse.
    pub fn insert_record(
        &mut self,
        object: &ObjectDescribe,
        rec: &mut NewRecord,
    ) -> Result<String, ApiError> {
        let r = self.insert_slots(object, rec);
        rec.clear();
        r
    }

    fn insert_slots(
        &mut self,
        object: &ObjectDescribe,
        rec: &mut NewRecord,
    ) -> Result<String, ApiError> {
        let plan = self.plan(object);
        let missing: Vec<String> = plan
            .required
            .iter()
            .filter(|&&i| match &rec.slots[i] {
                Slot::Set(v) => is_blank(v),
                _ => true,
            })
            .map(|&i| object.fields[i].name.clone())
            .collect();
        if !missing.is_empty() {
            return Err(required_missing(missing));
        }
        let prefix = object.key_prefix.as_deref().unwrap_or("a00");
        let seq = self.store.take_seq();
        let id = sfid::make(prefix, POD, seq);
        // Records are stored sparsely: an absent field reads as null.
        for fill in &plan.fills {
            if !fill.always && !matches!(rec.slots[fill.slot], Slot::Absent) {
                continue;
            }
            let slot = match &fill.value {
                FillValue::Now => Slot::Now,
                FillValue::User => Slot::User,
                FillValue::False => Slot::Set(Value::Bool(false)),
                FillValue::AutoNumber => Slot::Set(Value::String(format!("{seq:08}"))),
                FillValue::Value(v) => Slot::Set(v.clone()),
            };
            rec.fill(fill.slot, slot);
        }
        let now = now();
        if plan.compound_name {
            let name = joined_name(
                rec.get(object, &plan, "FirstName"),
                rec.get(object, &plan, "LastName"),
            );
            rec.put(object, &plan, "Name", name);
        }
        let keys = self.check_unique(object, &plan.keyed, &id, |i| match &rec.slots[i] {
            Slot::Absent => None,
            Slot::Set(v) => Some(std::borrow::Cow::Borrowed(v)),
            Slot::Now => Some(std::borrow::Cow::Owned(Value::String(now.clone()))),
            Slot::User => Some(std::borrow::Cow::Owned(Value::String(
                self.user_id.to_string(),
            ))),
        })?;
        let mut json = std::mem::take(&mut self.json);
        write_record(
            object,
            &plan,
            rec,
            (&id, &now, self.user_id),
            (&mut self.system, &mut self.places),
            &mut json,
        );
        let stored = std::str::from_utf8(&json)
            .map_err(internal)
            .and_then(|data| {
                self.store
                    .insert_json(seq, &id, &object.name, data, &keys)
                    .map_err(internal)
            });
        json.clear();
        self.json = json;
        stored?;
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
        let plan = self.plan(object);
        let keys = self.check_unique(object, &plan.keyed, &rec.id, |i| {
            rec.fields
                .get(&object.fields[i].name)
                .map(std::borrow::Cow::Borrowed)
        })?;
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

    /// Checks unique fields (`keyed`, indexes into `object.fields`) against other records;
    /// returns the key-index entries to store. `value` gives a field's value by index.
    fn check_unique<'v>(
        &self,
        object: &ObjectDescribe,
        keyed: &[usize],
        id: &str,
        value: impl Fn(usize) -> Option<std::borrow::Cow<'v, Value>>,
    ) -> Result<Vec<(String, String)>, ApiError> {
        let mut keys = Vec::new();
        for &i in keyed {
            let f = &object.fields[i];
            let Some(v) = value(i).filter(|v| !is_blank(v)) else {
                continue;
            };
            let text = key_text(f, &v);
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

/// Writes a new record's stored JSON: the same text `serde_json` gives for its fields as a map
/// (keys sorted), without building the map.
fn write_record(
    object: &ObjectDescribe,
    plan: &InsertPlan,
    rec: &NewRecord,
    (id, now, user): (&str, &str, &str),
    (system, places): (&mut Vec<u8>, &mut Vec<usize>),
    out: &mut Vec<u8>,
) {
    if !rec.extra.is_empty() {
        // Keys that name no field exactly: build the map (rare).
        let mut m = rec.extra.clone();
        for (i, f) in object.fields.iter().enumerate() {
            let v = match &rec.slots[i] {
                Slot::Absent => continue,
                Slot::Set(v) => v.clone(),
                Slot::Now => Value::String(now.to_string()),
                Slot::User => Value::String(user.to_string()),
            };
            m.entry(f.name.clone()).or_insert(v);
        }
        m.insert("Id".into(), Value::String(id.to_string()));
        let _ = serde_json::to_writer(&mut *out, &m);
        return;
    }
    // System values are the same in every field that holds them: escaped once.
    system.clear();
    let _ = serde_json::to_writer(&mut *system, now);
    let now_at = system.len();
    let _ = serde_json::to_writer(&mut *system, user);
    let (now_json, user_json) = system.split_at(now_at);
    // The keys written, in `plan.order`: `Id` and the filled fields.
    places.clear();
    places.push(plan.id_place);
    places.extend(
        rec.filled
            .iter()
            .map(|&i| plan.place[i])
            .filter(|&k| k != usize::MAX && k != plan.id_place),
    );
    places.sort_unstable();
    out.push(b'{');
    for (n, &k) in places.iter().enumerate() {
        let slot = match plan.order[k] {
            JsonKey::Id(_) => None,
            JsonKey::Field(i) => Some(&rec.slots[i]),
        };
        if n > 0 {
            out.push(b',');
        }
        let from = if k == 0 { 0 } else { plan.key_ends[k - 1] };
        out.extend_from_slice(&plan.key_text.as_bytes()[from..plan.key_ends[k]]);
        let written = match slot {
            None => serde_json::to_writer(&mut *out, id),
            Some(Slot::Set(v)) => serde_json::to_writer(&mut *out, v),
            Some(Slot::Now) => {
                out.extend_from_slice(now_json);
                Ok(())
            }
            Some(Slot::User) => {
                out.extend_from_slice(user_json);
                Ok(())
            }
            Some(Slot::Absent) => Ok(()),
        };
        debug_assert!(written.is_ok());
    }
    out.push(b'}');
}

/// `"name":` (API names need no escaping; any other name is escaped).
fn write_key(out: &mut Vec<u8>, name: &str) {
    if name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, name);
    }
    out.push(b':');
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
    let name = joined_name(fields.get("FirstName"), fields.get("LastName"));
    fields.insert("Name".into(), name);
}

/// A person's `Name`: the non-empty text parts joined by a space, or null when there are none.
fn joined_name(first: Option<&Value>, last: Option<&Value>) -> Value {
    let parts: Vec<&str> = [first, last]
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() {
        Value::Null
    } else {
        Value::String(parts.join(" "))
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Inserts write the text `serde_json` writes for the record's fields as a map, whichever
    /// way the record was built.
    #[test]
    fn stored_json_is_the_maps_json() {
        let schema = Schema::builtin();
        let mut store = Store::open(None).unwrap();
        let user = "005000000000001AAA";
        let mut dml = Dml::new(&schema, &mut store, user);
        let mut ids = Vec::new();
        for (object, body) in [
            (
                "Account",
                json!({"Name": "A \"q\" \u{e9}\n", "NumberOfEmployees": 3, "Industry": "Banking", "AnnualRevenue": 1.5}),
            ),
            (
                "Contact",
                json!({"FirstName": "Ada", "LastName": "Lovelace"}),
            ),
            ("Lead", json!({"LastName": "L", "Company": "C"})),
        ] {
            let o = schema.object(object).unwrap();
            let body = body.as_object().unwrap().clone();
            ids.push(dml.create(o, &body, Source::Json).unwrap());
        }
        let o = schema.object("Account").unwrap();
        let mut rec = NewRecord::new(o);
        let i = o.fields.iter().position(|f| f.name == "Name").unwrap();
        rec.set(i, Value::String("Bulk".into()));
        ids.push(dml.insert_record(o, &mut rec).unwrap());
        for id in ids {
            let stored = store.get(&id).unwrap().unwrap();
            assert_eq!(stored.fields["Id"], id.as_str());
            assert_eq!(
                store.raw_data(&id).unwrap(),
                serde_json::to_string(&stored.fields).unwrap()
            );
            if stored.object == "Contact" {
                assert_eq!(stored.fields["Name"], "Ada Lovelace");
            }
        }
    }
}
