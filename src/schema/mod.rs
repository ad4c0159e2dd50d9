//! Salesforce object metadata: the built-in standard objects and schema files from real orgs.
//!
//! One model (describe-shaped, see [`model`]) serves the linter, the runner and the emulator.

pub mod model;
pub mod sfid;

use std::collections::BTreeMap;
use std::path::Path;

pub use model::{FieldDescribe, FieldType, ObjectDescribe, PicklistValue, SchemaFile};

/// The built-in metadata of the standard objects, taken from the Salesforce Object Reference.
const BUILTIN_JSON: &str = include_str!("builtin/standard.json");

/// Objects by name, looked up case-insensitively.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// Keyed by the ASCII-lowercased object name.
    objects: BTreeMap<String, ObjectDescribe>,
}

/// Why a schema file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("cannot read schema file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("schema file {path} is not valid: {message} (line {line}, column {column})")]
    Parse {
        path: String,
        message: String,
        line: usize,
        column: usize,
    },
}

impl Schema {
    /// The built-in standard objects (Lead, Account, Contact, Opportunity, Case, User, Task).
    pub fn builtin() -> Schema {
        let file: SchemaFile =
            serde_json::from_str(BUILTIN_JSON).expect("built-in schema is valid JSON");
        let mut schema = Schema::default();
        schema.merge(file);
        schema
    }

    /// The built-in objects overlaid with a schema file's objects (see [`Schema::merge`]).
    pub fn builtin_with_file(path: &Path) -> Result<Schema, SchemaError> {
        let mut schema = Schema::builtin();
        schema.merge(Schema::read_file(path)?);
        Ok(schema)
    }

    /// Reads one schema file. Accepts `{"objects": [...]}`, a single describe object, or a
    /// JSON array of describe objects.
    pub fn read_file(path: &Path) -> Result<SchemaFile, SchemaError> {
        let text = std::fs::read_to_string(path).map_err(|source| SchemaError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Schema::parse_str(&text).map_err(|e| SchemaError::Parse {
            path: path.display().to_string(),
            message: e.to_string(),
            line: e.line(),
            column: e.column(),
        })
    }

    /// Parses the text of a schema file (see [`Schema::read_file`]).
    pub fn parse_str(text: &str) -> Result<SchemaFile, serde_json::Error> {
        let value: serde_json::Value = serde_json::from_str(text)?;
        if value.get("objects").is_some() {
            serde_json::from_value(value)
        } else if value.is_array() {
            Ok(SchemaFile {
                source: None,
                objects: serde_json::from_value(value)?,
            })
        } else {
            Ok(SchemaFile {
                source: None,
                objects: vec![serde_json::from_value(value)?],
            })
        }
    }

    /// Overlays a file's objects. A new object is added. For an object already known, the
    /// file's fields replace same-named fields and new ones are appended, so a file can add
    /// `ExtId__c` to Account without restating Account; object-level flags come from the file
    /// when it states a key prefix (a full describe). `check`, `run` and `emulate` all read
    /// schema files through this one rule.
    pub fn merge(&mut self, file: SchemaFile) {
        for object in file.objects {
            let merged = match self.object(&object.name) {
                Some(existing) => overlay(existing.clone(), object),
                None => object,
            };
            self.insert(merged);
        }
    }

    /// Adds or replaces one object.
    pub fn insert(&mut self, object: ObjectDescribe) {
        self.objects
            .insert(object.name.to_ascii_lowercase(), object);
    }

    /// An object by name, case-insensitively.
    pub fn object(&self, name: &str) -> Option<&ObjectDescribe> {
        self.objects.get(&name.to_ascii_lowercase())
    }

    /// All objects, ordered by lowercased name.
    pub fn objects(&self) -> impl Iterator<Item = &ObjectDescribe> {
        self.objects.values()
    }

    /// The object whose records have this three-character Id prefix.
    pub fn object_by_prefix(&self, prefix: &str) -> Option<&ObjectDescribe> {
        self.objects
            .values()
            .find(|o| o.key_prefix.as_deref() == Some(prefix))
    }

    /// The whole schema as a file, for `schema pull` output and the emulator.
    pub fn to_file(&self) -> SchemaFile {
        SchemaFile {
            source: None,
            objects: self.objects.values().cloned().collect(),
        }
    }
}

/// Fields of `file` replace same-named fields of `base` and new ones are appended.
fn overlay(mut base: ObjectDescribe, file: ObjectDescribe) -> ObjectDescribe {
    for f in file.fields {
        match base
            .fields
            .iter_mut()
            .find(|b| b.name.eq_ignore_ascii_case(&f.name))
        {
            Some(slot) => *slot = f,
            None => base.fields.push(f),
        }
    }
    if file.key_prefix.is_some() {
        base.key_prefix = file.key_prefix;
        base.createable = file.createable;
        base.updateable = file.updateable;
        base.deletable = file.deletable;
        base.queryable = file.queryable;
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_parses_and_has_the_standard_objects() {
        let schema = Schema::builtin();
        for name in [
            "Lead",
            "Account",
            "Contact",
            "Opportunity",
            "Case",
            "User",
            "Task",
        ] {
            assert!(schema.object(name).is_some(), "{name} missing");
        }
        assert_eq!(
            schema.object("lead").unwrap().key_prefix.as_deref(),
            Some("00Q")
        );
        assert_eq!(schema.object_by_prefix("001").unwrap().name, "Account");
    }

    #[test]
    fn a_file_adds_fields_to_a_builtin_object_without_restating_it() {
        let mut schema = Schema::builtin();
        let before = schema.object("Account").unwrap().fields.len();
        schema.merge(
            Schema::parse_str(
                r#"{"objects": [{"name": "Account", "fields": [
                    {"name": "ExtId__c", "type": "string", "externalId": true}]}]}"#,
            )
            .unwrap(),
        );
        let account = schema.object("Account").unwrap();
        assert_eq!(account.fields.len(), before + 1);
        assert!(account.field("Name").is_some(), "built-in fields stay");
        assert!(account.field("extid__c").unwrap().external_id);
        assert_eq!(account.key_prefix.as_deref(), Some("001"));
    }

    #[test]
    fn builtin_required_fields_come_from_metadata() {
        let schema = Schema::builtin();
        let names = |o: &str| -> Vec<String> {
            let mut v: Vec<String> = schema
                .object(o)
                .unwrap()
                .required_on_create()
                .map(|f| f.name.clone())
                .collect();
            v.sort();
            v
        };
        assert_eq!(names("Lead"), ["Company", "LastName"]);
        assert_eq!(names("Account"), ["Name"]);
        assert_eq!(names("Contact"), ["LastName"]);
        assert_eq!(names("Opportunity"), ["CloseDate", "Name", "StageName"]);
    }

    #[test]
    fn example_org_file_overlays_the_builtin_objects() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/schema/acme-org.json");
        let schema = Schema::builtin_with_file(&path).expect("example schema loads");
        let account = schema.object("Account").unwrap();
        let ext = account
            .field("External_Id__c")
            .expect("Acme Account has External_Id__c");
        assert!(ext.external_id && ext.id_lookup && ext.unique && ext.custom);
        assert!(account.field("Tier__c").unwrap().restricted_picklist);
        let sub = schema
            .object("subscription__c")
            .expect("custom object present");
        assert_eq!(sub.key_prefix.as_deref(), Some("a0X"));
        assert!(sub.custom);
        assert_eq!(
            schema.object_by_prefix("a0X").unwrap().name,
            "Subscription__c"
        );
        assert_eq!(
            sub.relationship("Account__r").unwrap().reference_to,
            ["Account"]
        );
        // Objects the file does not mention keep their built-in metadata.
        assert!(schema.object("Opportunity").is_some());
        assert!(
            schema
                .object("Lead")
                .unwrap()
                .field("Segment_User_Id__c")
                .unwrap()
                .external_id
        );
    }
}
