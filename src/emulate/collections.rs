//! sObject Collections (`/composite/sobjects`, salesforce-api.md §2.7): create, update, upsert by
//! external id, delete and retrieve up to 200 records per call, with `allOrNone` rollback through
//! a SQLite savepoint and per-record errors in the `statusCode` shape.

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::dml::{Dml, Upserted};
use super::error::{ApiError, ErrorCode};
use super::http::{ApiRequest, ApiResponse, ApiResult};
use super::org::Org;
use super::rest::record_json;
use super::validate::{Source, internal};

/// Most records one Collections call may carry.
pub const MAX_RECORDS: usize = 200;

fn too_many() -> ApiError {
    ApiError::bad(
        ErrorCode::ExceededIdLimit,
        "record limit reached. cannot submit more than 200 records into this call",
    )
}

fn rolled_back() -> ApiError {
    ApiError::bad(
        ErrorCode::AllOrNoneOperationRolledBack,
        "Record rolled back because not all records were valid and the request was using AllOrNone header",
    )
}

/// One record's result.
enum Outcome {
    Ok { id: String, created: Option<bool> },
    Err(ApiError),
}

fn render(outcomes: Vec<Outcome>, all_or_none: bool, with_created: bool) -> Value {
    let failed = outcomes.iter().any(|o| matches!(o, Outcome::Err(_)));
    Value::Array(
        outcomes
            .into_iter()
            .map(|o| match o {
                Outcome::Ok { .. } if all_or_none && failed => {
                    json!({"id": null, "success": false, "errors": [rolled_back().record_element()]})
                }
                Outcome::Ok { id, created } => {
                    let mut v = json!({"id": id, "success": true, "errors": []});
                    if with_created {
                        v["created"] = json!(created.unwrap_or(false));
                    }
                    v
                }
                Outcome::Err(e) => {
                    json!({"id": null, "success": false, "errors": [e.record_element()]})
                }
            })
            .collect(),
    )
}

struct Body {
    all_or_none: bool,
    records: Vec<Map<String, Value>>,
}

fn parse_body(req: &ApiRequest) -> Result<Body, ApiError> {
    let v = req.json()?;
    let all_or_none = v.get("allOrNone").and_then(Value::as_bool).unwrap_or(false);
    let records = match v.get("records") {
        Some(Value::Array(a)) => a,
        _ => {
            return Err(ApiError::json_parser(
                "Cannot deserialize instance of list from missing records field",
            ));
        }
    };
    if records.len() > MAX_RECORDS {
        return Err(too_many());
    }
    let records = records
        .iter()
        .map(|r| match r {
            Value::Object(m) => Ok(m.clone()),
            _ => Err(ApiError::json_parser(
                "Cannot deserialize instance of SObject from VALUE_STRING value",
            )),
        })
        .collect::<Result<_, _>>()?;
    Ok(Body {
        all_or_none,
        records,
    })
}

/// The record's `Id`, whatever the key's case (jsforce's `sobject.update` sends `id`).
fn id_value(r: &Map<String, Value>) -> Option<&Value> {
    r.get("Id").or_else(|| {
        r.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("Id"))
            .map(|(_, v)| v)
    })
}

fn record_type(r: &Map<String, Value>) -> Option<&str> {
    r.get("attributes")?.get("type")?.as_str()
}

fn ids_param(req: &ApiRequest) -> Result<Vec<String>, ApiError> {
    let ids: Vec<String> = req
        .param("ids")
        .unwrap_or("")
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if ids.len() > MAX_RECORDS {
        return Err(too_many());
    }
    Ok(ids)
}

pub fn handle(org: &Org, req: &ApiRequest) -> ApiResult {
    let mut store = org.store();
    let schema = &org.schema;
    let mut dml = Dml::new(schema, &mut store, &req.user_id);
    let type_error = |t: Option<&str>| match t {
        None => ApiError::bad(ErrorCode::InvalidType, "Must specify a type in attributes"),
        Some(t) => ApiError::bad(
            ErrorCode::InvalidType,
            format!("sObject type '{t}' is not supported."),
        ),
    };
    match (req.method.clone(), req.segments.len()) {
        (Method::POST, 2) | (Method::PATCH, 2) => {
            let body = parse_body(req)?;
            let create = req.method == Method::POST;
            dml.store.savepoint().map_err(internal)?;
            let mut outcomes = Vec::with_capacity(body.records.len());
            for r in &body.records {
                let t = record_type(r);
                let Some(o) = t.and_then(|t| schema.object(t)) else {
                    outcomes.push(Outcome::Err(type_error(t)));
                    continue;
                };
                let result = if create {
                    if id_value(r).is_some_and(|v| !v.is_null()) {
                        Err(ApiError::bad(
                            ErrorCode::InvalidFieldForInsertUpdate,
                            "cannot specify Id in an insert call",
                        )
                        .with_fields(vec!["Id".into()]))
                    } else {
                        dml.create(o, r, Source::Json)
                    }
                } else {
                    match id_value(r).and_then(Value::as_str) {
                        None => Err(ApiError::bad(
                            ErrorCode::MissingArgument,
                            "Id not specified in an update call",
                        )),
                        Some(id) => {
                            let mut rest = r.clone();
                            rest.retain(|k, _| !k.eq_ignore_ascii_case("Id"));
                            dml.update(o, id, &rest, Source::Json)
                        }
                    }
                };
                outcomes.push(match result {
                    Ok(id) => Outcome::Ok { id, created: None },
                    Err(e) => Outcome::Err(e),
                });
            }
            finish(&mut dml, &outcomes, body.all_or_none)?;
            Ok(ApiResponse::json(
                200,
                render(outcomes, body.all_or_none, false),
            ))
        }
        (Method::DELETE, 2) => {
            let ids = ids_param(req)?;
            let all_or_none = req.param("allOrNone") == Some("true");
            dml.store.savepoint().map_err(internal)?;
            let mut outcomes = Vec::new();
            for id in &ids {
                let o = crate::schema::sfid::validate(id)
                    .ok()
                    .and_then(|_| schema.object_by_prefix(crate::schema::sfid::key_prefix(id)));
                outcomes.push(match o {
                    None => Outcome::Err(ApiError::bad(
                        ErrorCode::MalformedId,
                        format!("malformed id {id}"),
                    )),
                    Some(o) => match dml.delete(o, id) {
                        Ok(id) => Outcome::Ok { id, created: None },
                        Err(e) => Outcome::Err(e),
                    },
                });
            }
            finish(&mut dml, &outcomes, all_or_none)?;
            Ok(ApiResponse::json(200, render(outcomes, all_or_none, false)))
        }
        (Method::GET, 3) | (Method::POST, 3) => {
            let o = schema
                .object(&req.segments[2])
                .ok_or_else(ApiError::not_found)?;
            let (ids, fields): (Vec<String>, Vec<String>) = if req.method == Method::GET {
                (
                    ids_param(req)?,
                    req.param("fields")
                        .unwrap_or("")
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect(),
                )
            } else {
                let v = req.json()?;
                let list = |k: &str| -> Vec<String> {
                    v.get(k)
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default()
                };
                (list("ids"), list("fields"))
            };
            // Both are required (an empty list too); Salesforce does not default to all fields.
            if fields.is_empty() {
                return Err(ApiError::bad(
                    ErrorCode::MissingArgument,
                    "The fields parameter is required",
                ));
            }
            if ids.is_empty() {
                return Err(ApiError::bad(
                    ErrorCode::MissingArgument,
                    "The ids parameter is required",
                ));
            }
            let base = req.base();
            let mut out = Vec::new();
            for id in &ids {
                out.push(match dml.live(o, id) {
                    Ok(rec) => record_json(&base, o, &rec, Some(&fields))?,
                    Err(_) => Value::Null,
                });
            }
            Ok(ApiResponse::json(200, Value::Array(out)))
        }
        (Method::PATCH, 4) => {
            let o = schema
                .object(&req.segments[2])
                .ok_or_else(ApiError::not_found)?;
            let ext = req.segments[3].clone();
            let field = o.field(&ext).ok_or_else(ApiError::not_found)?.name.clone();
            let body = parse_body(req)?;
            dml.store.savepoint().map_err(internal)?;
            let mut outcomes = Vec::new();
            for r in &body.records {
                let t = record_type(r);
                if t.is_none_or(|t| !t.eq_ignore_ascii_case(&o.name)) {
                    outcomes.push(Outcome::Err(type_error(t)));
                    continue;
                }
                let value = r
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&field))
                    .map(|(_, v)| match v {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    })
                    .unwrap_or_default();
                if value.is_empty() && !field.eq_ignore_ascii_case("Id") {
                    outcomes.push(Outcome::Err(ApiError::bad(
                        ErrorCode::MissingArgument,
                        format!("{field} not specified"),
                    )));
                    continue;
                }
                outcomes.push(match dml.upsert(o, &field, &value, r, Source::Json) {
                    Ok(Upserted::Created(id)) => Outcome::Ok {
                        id,
                        created: Some(true),
                    },
                    Ok(Upserted::Updated(id)) => Outcome::Ok {
                        id,
                        created: Some(false),
                    },
                    Ok(Upserted::Multiple(ids)) => Outcome::Err(ApiError::bad(
                        ErrorCode::DuplicateExternalId,
                        format!(
                            "More than one record found for external id field {field}: {}",
                            ids.join(", ")
                        ),
                    )),
                    Err(e) => Outcome::Err(e),
                });
            }
            finish(&mut dml, &outcomes, body.all_or_none)?;
            Ok(ApiResponse::json(
                200,
                render(outcomes, body.all_or_none, true),
            ))
        }
        _ => Err(ApiError::method_not_allowed(
            req.method.as_str(),
            "GET,POST,PATCH,DELETE",
        )),
    }
}

/// Commits, or rolls back everything when `allOrNone` and something failed.
fn finish(dml: &mut Dml<'_>, outcomes: &[Outcome], all_or_none: bool) -> Result<(), ApiError> {
    let failed = outcomes.iter().any(|o| matches!(o, Outcome::Err(_)));
    if all_or_none && failed {
        dml.store.rollback().map_err(internal)
    } else {
        dml.store.release().map_err(internal)
    }
}
