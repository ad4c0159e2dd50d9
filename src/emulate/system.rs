//! What every org has besides data: the Organization object (the sf CLI queries it at login),
//! the org's Id, and the emulated admin user (`sobjects/User/{id}` must give a `Username`).

use serde_json::{Map, Value, json};

use crate::schema::{FieldDescribe, FieldType, ObjectDescribe, Schema, sfid};

use super::config::Credentials;
use super::dml::now;
use super::error::EmulateError;
use super::store::{Store, StoredRecord};

/// The org's and the user's Ids.
#[derive(Debug, Clone)]
pub struct OrgIds {
    pub org_id: String,
    pub user_id: String,
}

fn field(name: &str, t: FieldType) -> FieldDescribe {
    serde_json::from_value(json!({
        "name": name, "label": name, "type": t.as_str(), "length": if t == FieldType::String { 255 } else { 0 },
        "nillable": name != "Id", "createable": false, "updateable": false,
        "idLookup": name == "Id",
    }))
    .unwrap_or_else(|_| plain_field(name))
}

/// A read-only text field (used if the JSON form above were ever refused).
fn plain_field(name: &str) -> FieldDescribe {
    FieldDescribe {
        name: name.into(),
        label: name.into(),
        field_type: FieldType::String,
        length: 255,
        precision: 0,
        scale: 0,
        nillable: true,
        createable: false,
        updateable: false,
        defaulted_on_create: false,
        filterable: true,
        external_id: false,
        id_lookup: false,
        unique: false,
        case_sensitive: false,
        calculated: false,
        auto_number: false,
        custom: false,
        compound_field_name: None,
        restricted_picklist: false,
        picklist_values: Vec::new(),
        reference_to: Vec::new(),
        relationship_name: None,
    }
}

/// Adds `Organization` unless a schema file supplied one.
pub fn add_system_objects(schema: &mut Schema) {
    if schema.object("Organization").is_some() {
        return;
    }
    let fields = vec![
        field("Id", FieldType::Id),
        field("Name", FieldType::String),
        field("InstanceName", FieldType::String),
        field("IsSandbox", FieldType::Boolean),
        field("TrialExpirationDate", FieldType::Datetime),
        field("NamespacePrefix", FieldType::String),
        field("OrganizationType", FieldType::String),
        field("CreatedDate", FieldType::Datetime),
    ];
    schema.insert(ObjectDescribe {
        name: "Organization".into(),
        label: "Organization".into(),
        label_plural: "Organizations".into(),
        key_prefix: Some("00D".into()),
        custom: false,
        createable: false,
        updateable: false,
        deletable: false,
        queryable: true,
        fields,
    });
}

/// The number in this org's Id: drawn at random when the org is created, so two emulated orgs
/// are two orgs (a ledger tells them apart), and kept in the store so a `--state` file is the
/// same org across restarts. A state file from before the number was kept holds org number 1.
fn org_number(store: &mut Store) -> Result<u64, EmulateError> {
    const KEY: &str = "org_number";
    if let Some(n) = store.counter(KEY)? {
        return Ok(n as u64);
    }
    let n = if store.get(&sfid::make("00D", "0E", 1))?.is_some() {
        1
    } else {
        // Nine base-62 digits hold 62^9 > 2^53; stay in i64 for the counter.
        rand::RngExt::random_range(&mut rand::rng(), 2..(1u64 << 52))
    };
    store.set_counter(KEY, n as i64)?;
    Ok(n)
}

/// Creates the Organization and admin User records on first start (a `--state` file keeps them).
pub fn ensure_org(
    schema: &Schema,
    store: &mut Store,
    creds: &Credentials,
) -> Result<OrgIds, EmulateError> {
    let org_id = sfid::make("00D", "0E", org_number(store)?);
    let user_id = sfid::make("005", "0E", 1);
    if store.get(&org_id)?.is_none() {
        let mut f = Map::new();
        for (k, v) in [
            ("Id", json!(org_id)),
            ("Name", json!("sfmap Emulated Org")),
            ("InstanceName", json!("LOCAL")),
            ("IsSandbox", json!(false)),
            ("TrialExpirationDate", Value::Null),
            ("NamespacePrefix", Value::Null),
            ("OrganizationType", json!("Developer Edition")),
            ("CreatedDate", json!(now())),
        ] {
            f.insert(k.into(), v);
        }
        let seq = store.take_seq();
        store.insert(
            seq,
            &StoredRecord {
                id: org_id.clone(),
                object: "Organization".into(),
                deleted: false,
                fields: f,
            },
            &[],
        )?;
    }
    if store.get(&user_id)?.is_none() {
        let mut f = Map::new();
        if let Some(user) = schema.object("User") {
            for fd in &user.fields {
                f.insert(fd.name.clone(), Value::Null);
            }
        }
        let ts = now();
        for (k, v) in [
            ("Id", json!(user_id)),
            ("Username", json!(creds.username)),
            ("LastName", json!("Admin")),
            ("FirstName", json!("Emulator")),
            ("Name", json!("Emulator Admin")),
            ("Email", json!(creds.username)),
            ("Alias", json!("admin")),
            ("IsActive", json!(true)),
            ("TimeZoneSidKey", json!("GMT")),
            ("LocaleSidKey", json!("en_US")),
            ("EmailEncodingKey", json!("UTF-8")),
            ("LanguageLocaleKey", json!("en_US")),
            ("CreatedDate", json!(ts)),
            ("LastModifiedDate", json!(ts)),
            ("SystemModstamp", json!(ts)),
            ("CreatedById", json!(user_id)),
            ("LastModifiedById", json!(user_id)),
        ] {
            f.insert(k.into(), v);
        }
        let keys = vec![("Username".to_string(), creds.username.to_lowercase())];
        let seq = store.take_seq();
        store.insert(
            seq,
            &StoredRecord {
                id: user_id.clone(),
                object: "User".into(),
                deleted: false,
                fields: f,
            },
            &keys,
        )?;
    }
    Ok(OrgIds { org_id, user_id })
}
