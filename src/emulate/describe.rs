//! Describe and global describe, served from the shared schema model (the same metadata `check`
//! uses), with the keys clients read (`urls`, `childRelationships`, `recordTypeInfos`…).

use serde_json::{Value, json};

use crate::schema::{ObjectDescribe, Schema};

fn urls(base: &str, name: &str) -> Value {
    json!({
        "sobject": format!("{base}/sobjects/{name}"),
        "describe": format!("{base}/sobjects/{name}/describe"),
        "rowTemplate": format!("{base}/sobjects/{name}/{{ID}}"),
    })
}

fn summary(base: &str, o: &ObjectDescribe) -> Value {
    json!({
        "name": o.name, "label": o.label, "labelPlural": o.label_plural, "keyPrefix": o.key_prefix,
        "custom": o.custom, "createable": o.createable, "updateable": o.updateable,
        "deletable": o.deletable, "queryable": o.queryable, "searchable": true, "retrieveable": true,
        "layoutable": true, "activateable": false, "customSetting": false, "deprecatedAndHidden": false,
        "feedEnabled": false, "mergeable": false, "replicateable": true, "triggerable": true,
        "undeletable": o.deletable, "urls": urls(base, &o.name),
    })
}

/// `GET /sobjects`
pub fn global(base: &str, schema: &Schema) -> Value {
    json!({
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": schema.objects().map(|o| summary(base, o)).collect::<Vec<_>>(),
    })
}

/// `GET /sobjects/{name}`
pub fn basic(base: &str, o: &ObjectDescribe) -> Value {
    json!({"objectDescribe": summary(base, o), "recentItems": []})
}

/// `GET /sobjects/{name}/describe`
pub fn full(base: &str, schema: &Schema, o: &ObjectDescribe) -> Value {
    let mut v = serde_json::to_value(o).unwrap_or(Value::Null);
    let summary = summary(base, o);
    if let (Value::Object(m), Value::Object(s)) = (&mut v, summary) {
        for (k, val) in s {
            m.entry(k).or_insert(val);
        }
        if let Some(Value::Array(fields)) = m.get_mut("fields") {
            for (f, meta) in fields.iter_mut().zip(&o.fields) {
                if let Value::Object(fm) = f {
                    fm.entry("relationshipName").or_insert(Value::Null);
                    fm.insert(
                        "soapType".into(),
                        Value::String(soap_type(meta.field_type).into()),
                    );
                    fm.insert("byteLength".into(), json!(meta.length * 3));
                    fm.insert("digits".into(), json!(0));
                    fm.insert("groupable".into(), json!(meta.filterable));
                    fm.insert("sortable".into(), json!(meta.filterable));
                    fm.insert("htmlFormatted".into(), json!(false));
                    fm.insert("nameField".into(), json!(meta.name == "Name"));
                    fm.insert("dependentPicklist".into(), json!(false));
                    fm.insert(
                        "polymorphicForeignKey".into(),
                        json!(meta.reference_to.len() > 1),
                    );
                }
            }
        }
        m.insert(
            "childRelationships".into(),
            Value::Array(child_relationships(schema, o)),
        );
        m.insert("recordTypeInfos".into(), json!([]));
    }
    v
}

fn child_relationships(schema: &Schema, parent: &ObjectDescribe) -> Vec<Value> {
    let mut out = Vec::new();
    for child in schema.objects() {
        for f in &child.fields {
            if f.reference_to
                .iter()
                .any(|t| t.eq_ignore_ascii_case(&parent.name))
            {
                out.push(json!({
                    "childSObject": child.name, "field": f.name, "cascadeDelete": false,
                    "deprecatedAndHidden": false, "relationshipName": null, "restrictedDelete": false,
                }));
            }
        }
    }
    out
}

fn soap_type(t: crate::schema::FieldType) -> &'static str {
    use crate::schema::FieldType::*;
    match t {
        Id | Reference => "tns:ID",
        Boolean => "xsd:boolean",
        Int => "xsd:int",
        Long => "xsd:long",
        Double | Currency | Percent => "xsd:double",
        Date => "xsd:date",
        Datetime => "xsd:dateTime",
        Time => "xsd:time",
        Base64 => "xsd:base64Binary",
        Address => "urn:address",
        Location => "urn:location",
        AnyType => "xsd:anyType",
        _ => "xsd:string",
    }
}
