//! The emulated org's metadata: the built-in standard objects, overlaid field by field with a
//! `--schema` file (so a file can add `ExtId__c` to Account without restating Account), custom
//! objects given deterministic key prefixes, and the system fields every record has.

use std::path::Path;

use serde_json::json;

use crate::schema::{FieldDescribe, ObjectDescribe, Schema};

use super::error::EmulateError;
use super::system;

pub fn load(path: Option<&Path>) -> Result<Schema, EmulateError> {
    let mut schema = match path {
        Some(p) => Schema::builtin_with_file(p)?,
        None => Schema::builtin(),
    };
    assign_prefixes(&mut schema);
    let names: Vec<String> = schema.objects().map(|o| o.name.clone()).collect();
    for name in names {
        if let Some(o) = schema.object(&name) {
            let mut o = o.clone();
            add_system_fields(&mut o);
            schema.insert(o);
        }
    }
    system::add_system_objects(&mut schema);
    Ok(schema)
}

/// Custom objects without a key prefix get `a00`, `a01`, … in name order.
fn assign_prefixes(schema: &mut Schema) {
    let used: Vec<String> = schema
        .objects()
        .filter_map(|o| o.key_prefix.clone())
        .collect();
    let mut missing: Vec<ObjectDescribe> = schema
        .objects()
        .filter(|o| o.key_prefix.is_none())
        .cloned()
        .collect();
    missing.sort_by(|a, b| a.name.cmp(&b.name));
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut candidates = DIGITS
        .iter()
        .flat_map(|a| {
            DIGITS
                .iter()
                .map(move |b| format!("a{}{}", *a as char, *b as char))
        })
        .filter(|p| !used.contains(p));
    for mut o in missing {
        if let Some(p) = candidates.next() {
            o.key_prefix = Some(p);
            schema.insert(o);
        }
    }
}

fn system_field(name: &str, ty: &str, reference: Option<&str>) -> Option<FieldDescribe> {
    serde_json::from_value(json!({
        "name": name, "label": name, "type": ty, "length": if ty == "id" || ty == "reference" { 18 } else { 0 },
        "nillable": name != "Id", "createable": false, "updateable": false,
        "defaultedOnCreate": true, "idLookup": name == "Id",
        "referenceTo": reference.map(|r| vec![r]).unwrap_or_default(),
        "relationshipName": match name { "CreatedById" => Some("CreatedBy"), "LastModifiedById" => Some("LastModifiedBy"), _ => None },
    }))
    .ok()
}

/// Every record has an Id and audit fields; a schema file may leave them out.
fn add_system_fields(o: &mut ObjectDescribe) {
    for (name, ty, reference) in [
        ("Id", "id", None),
        ("IsDeleted", "boolean", None),
        ("CreatedDate", "datetime", None),
        ("CreatedById", "reference", Some("User")),
        ("LastModifiedDate", "datetime", None),
        ("LastModifiedById", "reference", Some("User")),
        ("SystemModstamp", "datetime", None),
    ] {
        if o.field(name).is_none()
            && let Some(f) = system_field(name, ty, reference)
        {
            if name == "Id" {
                o.fields.insert(0, f);
            } else {
                o.fields.push(f);
            }
        }
    }
}
