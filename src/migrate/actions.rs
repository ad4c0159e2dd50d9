//! The `actions` setting (custom actions, `classic-settings.md` §4). Its JSON shape is not public
//! [ASM]: we accept the normalized shape
//! `[{eventType, eventName, configurations: [{crudOperation, salesforceObject, fieldMappings, upsertRules}]}]`,
//! key aliases (`type`, `event`, `operation`, `object`, `sobject`, `mappings`, `fields`, `rules`,
//! matched ignoring case, `_` and `-`), and rows given as a `{path: field}` object, as
//! `[{from, to}]` or as `[[left, right]]`. Anything else fails this setting alone.

use serde_json::{Map, Value};

use super::input::{index_path, key_path, type_name};

/// The parsed setting, or why its shape was not understood.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionsSetting {
    Parsed(Vec<Action>),
    Unknown(ShapeError),
}

/// Where and why the shape was not understood. Never holds values, only keys and types.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapeError {
    pub path: String,
    pub message: String,
}

/// One trigger with its configurations.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub path: String,
    /// As written (`track`, `Identify`, ...).
    pub event_type: String,
    pub event_name: Option<String>,
    pub configurations: Vec<Configuration>,
}

/// One action configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Configuration {
    pub path: String,
    /// As written (`create`, `Upsert`, ...).
    pub operation: String,
    pub object: String,
    /// (Segment path, Salesforce field).
    pub field_mappings: Vec<(String, String)>,
    pub upsert_rules: Vec<(String, String)>,
}

/// A key with case, `_`, `-` and spaces removed.
fn norm(k: &str) -> String {
    k.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The first key of `m` whose normalized form is one of `names`.
fn get<'m>(m: &'m Map<String, Value>, names: &[&str]) -> Option<(&'m String, &'m Value)> {
    m.iter().find(|(k, _)| names.contains(&norm(k).as_str()))
}

const EVENT_TYPE: &[&str] = &["eventtype", "type", "trigger"];
const EVENT_NAME: &[&str] = &["eventname", "event", "name"];
const CONFIGS: &[&str] = &[
    "configurations",
    "configs",
    "actionconfigurations",
    "actions",
];
const OPERATION: &[&str] = &["crudoperation", "operation", "crud", "op", "action"];
const OBJECT: &[&str] = &["salesforceobject", "object", "sobject", "objecttype"];
const MAPPINGS: &[&str] = &["fieldmappings", "mappings", "fields", "mapping"];
const RULES: &[&str] = &["upsertrules", "rules", "upsertrule"];

fn found_keys(m: &Map<String, Value>) -> String {
    let keys: Vec<String> = m.keys().map(|k| format!("`{k}`")).collect();
    if keys.is_empty() {
        "no keys".into()
    } else {
        format!("keys {}", keys.join(", "))
    }
}

/// Parses the setting's value.
pub fn parse(v: &Value, path: &str) -> ActionsSetting {
    match parse_list(v, path) {
        Ok(a) => ActionsSetting::Parsed(a),
        Err(e) => ActionsSetting::Unknown(e),
    }
}

fn parse_list(v: &Value, path: &str) -> Result<Vec<Action>, ShapeError> {
    let Value::Array(items) = v else {
        return Err(ShapeError {
            path: path.into(),
            message: format!("expected a list of custom actions, found {}", type_name(v)),
        });
    };
    let mut out = Vec::new();
    for (n, item) in items.iter().enumerate() {
        let p = index_path(path, n);
        let Value::Object(m) = item else {
            return Err(ShapeError {
                path: p,
                message: format!("expected a custom action object, found {}", type_name(item)),
            });
        };
        let Some((tk, Value::String(event_type))) = get(m, EVENT_TYPE) else {
            return Err(ShapeError {
                message: format!(
                    "a custom action needs an event type (`eventType`); found {}",
                    found_keys(m)
                ),
                path: p,
            });
        };
        let _ = tk;
        let event_name = match get(m, EVENT_NAME) {
            Some((_, Value::String(s))) if !s.trim().is_empty() => Some(s.clone()),
            _ => None,
        };
        let configurations = match get(m, CONFIGS) {
            Some((k, Value::Array(configs))) => {
                let cp = key_path(&p, k);
                configs
                    .iter()
                    .enumerate()
                    .map(|(i, c)| configuration(c, &index_path(&cp, i)))
                    .collect::<Result<Vec<_>, _>>()?
            }
            Some((k, other)) => {
                return Err(ShapeError {
                    path: key_path(&p, k),
                    message: format!(
                        "expected a list of configurations, found {}",
                        type_name(other)
                    ),
                });
            }
            // The configuration's keys directly on the action.
            None if get(m, OPERATION).is_some() => vec![configuration(item, &p)?],
            None => {
                return Err(ShapeError {
                    message: format!(
                        "a custom action needs `configurations` (or `crudOperation` and `salesforceObject`); found {}",
                        found_keys(m)
                    ),
                    path: p,
                });
            }
        };
        out.push(Action {
            path: p,
            event_type: event_type.clone(),
            event_name,
            configurations,
        });
    }
    Ok(out)
}

fn configuration(v: &Value, path: &str) -> Result<Configuration, ShapeError> {
    let Value::Object(m) = v else {
        return Err(ShapeError {
            path: path.into(),
            message: format!("expected a configuration object, found {}", type_name(v)),
        });
    };
    let (Some((_, Value::String(op))), Some((_, Value::String(object)))) =
        (get(m, OPERATION), get(m, OBJECT))
    else {
        return Err(ShapeError {
            path: path.into(),
            message: format!(
                "a configuration needs `crudOperation` and `salesforceObject` as text; found {}",
                found_keys(m)
            ),
        });
    };
    let field_mappings = match get(m, MAPPINGS) {
        Some((k, v)) => rows(v, &key_path(path, k))?,
        None => Vec::new(),
    };
    let upsert_rules = match get(m, RULES) {
        Some((k, v)) => rows(v, &key_path(path, k))?,
        None => Vec::new(),
    };
    Ok(Configuration {
        path: path.into(),
        operation: op.clone(),
        object: object.clone(),
        field_mappings,
        upsert_rules,
    })
}

const FROM: &[&str] = &["from", "source", "segment", "left", "key", "path", "trait"];
const TO: &[&str] = &["to", "target", "salesforce", "right", "value", "field"];

/// Mapping rows: `{left: right}`, `[{from, to}]` or `[[left, right]]`, in input order.
pub fn rows(v: &Value, path: &str) -> Result<Vec<(String, String)>, ShapeError> {
    let bad = |p: String, what: &str, v: &Value| ShapeError {
        path: p,
        message: format!("expected {what}, found {}", type_name(v)),
    };
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, val)| match val {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(bad(
                    key_path(path, k),
                    "a Salesforce field name (text)",
                    other,
                )),
            })
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(n, item)| {
                let p = index_path(path, n);
                match item {
                    Value::Array(pair) => match pair.as_slice() {
                        [Value::String(a), Value::String(b)] => Ok((a.clone(), b.clone())),
                        _ => Err(ShapeError {
                            path: p,
                            message: "expected a pair [segment path, Salesforce field]".into(),
                        }),
                    },
                    Value::Object(m) => match (get(m, FROM), get(m, TO)) {
                        (Some((_, Value::String(a))), Some((_, Value::String(b)))) => {
                            Ok((a.clone(), b.clone()))
                        }
                        _ => Err(ShapeError {
                            message: format!(
                                "expected a row with `from` and `to` as text; found {}",
                                found_keys(m)
                            ),
                            path: p,
                        }),
                    },
                    other => Err(bad(p, "a row", other)),
                }
            })
            .collect(),
        other => Err(bad(path.into(), "an object of rows", other)),
    }
}
