//! The describe-shaped metadata model shared by `check`, `run` and `emulate`.
//!
//! The JSON form is a subset of Salesforce's `GET /sobjects/{Object}/describe`, with the same
//! camelCase keys, so the output of a real org's describe can be stored as is (unknown keys are
//! ignored) and the emulator can serve this model back to clients.

use serde::{Deserialize, Serialize};

/// A schema file: `{"objects": [<describe>, ...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SchemaFile {
    /// Free text: where the metadata came from (org, API version, date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub objects: Vec<ObjectDescribe>,
}

/// One sObject, as `describe` returns it (trimmed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectDescribe {
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub label_plural: String,
    /// Three-character record-Id prefix (`00Q` for Lead). `None` for objects without records.
    #[serde(default)]
    pub key_prefix: Option<String>,
    #[serde(default)]
    pub custom: bool,
    #[serde(default = "yes")]
    pub createable: bool,
    #[serde(default = "yes")]
    pub updateable: bool,
    #[serde(default = "yes")]
    pub deletable: bool,
    #[serde(default = "yes")]
    pub queryable: bool,
    pub fields: Vec<FieldDescribe>,
}

/// One field of an sObject, as `describe` returns it (trimmed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldDescribe {
    pub name: String,
    #[serde(default)]
    pub label: String,
    /// Salesforce field type: `id`, `string`, `textarea`, `boolean`, `int`, `double`, `currency`,
    /// `percent`, `date`, `datetime`, `picklist`, `multipicklist`, `reference`, `email`, `phone`,
    /// `url`, `address`, ...
    #[serde(rename = "type")]
    pub field_type: FieldType,
    #[serde(default)]
    pub length: u32,
    #[serde(default)]
    pub precision: u32,
    #[serde(default)]
    pub scale: u32,
    #[serde(default = "yes")]
    pub nillable: bool,
    #[serde(default = "yes")]
    pub createable: bool,
    #[serde(default = "yes")]
    pub updateable: bool,
    #[serde(default)]
    pub defaulted_on_create: bool,
    #[serde(default = "yes")]
    pub filterable: bool,
    #[serde(default)]
    pub external_id: bool,
    #[serde(default)]
    pub id_lookup: bool,
    #[serde(default)]
    pub unique: bool,
    #[serde(default)]
    pub case_sensitive: bool,
    #[serde(default)]
    pub calculated: bool,
    #[serde(default)]
    pub auto_number: bool,
    #[serde(default)]
    pub custom: bool,
    /// For compound fields' components: the compound field (`Name` for `FirstName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compound_field_name: Option<String>,
    #[serde(default)]
    pub restricted_picklist: bool,
    #[serde(default)]
    pub picklist_values: Vec<PicklistValue>,
    #[serde(default)]
    pub reference_to: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship_name: Option<String>,
}

/// One picklist entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PicklistValue {
    pub value: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub default_value: bool,
}

/// Salesforce's field types. Unknown types from a real org are kept as `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Id,
    String,
    Textarea,
    Boolean,
    Int,
    Long,
    Double,
    Currency,
    Percent,
    Date,
    Datetime,
    Time,
    Picklist,
    Multipicklist,
    Combobox,
    Reference,
    Email,
    Phone,
    Url,
    Base64,
    Encryptedstring,
    Address,
    Location,
    #[serde(rename = "anyType")]
    AnyType,
    #[serde(other)]
    Other,
}

impl FieldType {
    /// The name Salesforce uses in describe output.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Id => "id",
            FieldType::String => "string",
            FieldType::Textarea => "textarea",
            FieldType::Boolean => "boolean",
            FieldType::Int => "int",
            FieldType::Long => "long",
            FieldType::Double => "double",
            FieldType::Currency => "currency",
            FieldType::Percent => "percent",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Time => "time",
            FieldType::Picklist => "picklist",
            FieldType::Multipicklist => "multipicklist",
            FieldType::Combobox => "combobox",
            FieldType::Reference => "reference",
            FieldType::Email => "email",
            FieldType::Phone => "phone",
            FieldType::Url => "url",
            FieldType::Base64 => "base64",
            FieldType::Encryptedstring => "encryptedstring",
            FieldType::Address => "address",
            FieldType::Location => "location",
            FieldType::AnyType => "anyType",
            FieldType::Other => "other",
        }
    }

    /// Numeric types: a JSON number on the wire.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            FieldType::Int
                | FieldType::Long
                | FieldType::Double
                | FieldType::Currency
                | FieldType::Percent
        )
    }

    /// Text-like types: a JSON string on the wire, checked against `length`.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            FieldType::String
                | FieldType::Textarea
                | FieldType::Picklist
                | FieldType::Multipicklist
                | FieldType::Combobox
                | FieldType::Email
                | FieldType::Phone
                | FieldType::Url
                | FieldType::Encryptedstring
        )
    }
}

fn yes() -> bool {
    true
}

impl ObjectDescribe {
    /// Field by API name, case-insensitively as Salesforce matches names.
    pub fn field(&self, name: &str) -> Option<&FieldDescribe> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// Field by relationship name (`Account` for `AccountId`), case-insensitively.
    pub fn relationship(&self, name: &str) -> Option<&FieldDescribe> {
        self.fields.iter().find(|f| {
            f.relationship_name
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(name))
        })
    }

    /// Fields a create must supply: not nillable, not defaulted, createable.
    pub fn required_on_create(&self) -> impl Iterator<Item = &FieldDescribe> {
        self.fields.iter().filter(|f| f.required_on_create())
    }
}

impl FieldDescribe {
    /// Whether a create must supply this field: createable, not nillable, not defaulted.
    pub fn required_on_create(&self) -> bool {
        self.createable && !self.nillable && !self.defaulted_on_create
    }

    /// Whether an active picklist entry has this value (exact match, as Salesforce compares).
    pub fn allows_picklist_value(&self, value: &str) -> bool {
        self.picklist_values
            .iter()
            .any(|p| p.active && p.value == value)
    }
}
