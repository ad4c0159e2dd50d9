//! `/sobjects`: global describe, describe, create, read, update, delete and upsert by external id
//! (salesforce-api.md §2.2–§2.4, §2.6).

use axum::http::Method;
use serde_json::{Map, Value, json};

use crate::schema::{FieldType, ObjectDescribe};

use super::describe;
use super::dml::{Dml, Upserted};
use super::error::ApiError;
use super::http::{ApiRequest, ApiResponse, ApiResult};
use super::org::Org;
use super::store::StoredRecord;
use super::validate::{self, Source};

pub fn object<'a>(org: &'a Org, name: &str) -> Result<&'a ObjectDescribe, ApiError> {
    org.schema.object(name).ok_or_else(ApiError::not_found)
}

fn body_map(req: &ApiRequest) -> Result<Map<String, Value>, ApiError> {
    match req.json()? {
        Value::Object(m) => Ok(m),
        other => Err(ApiError::json_parser(format!(
            "Cannot deserialize instance of SObject from {} value",
            if other.is_array() {
                "START_ARRAY"
            } else {
                "VALUE_STRING"
            }
        ))),
    }
}

/// The REST form of a stored record (`?fields=` limits the fields).
pub fn record_json(
    base: &str,
    object: &ObjectDescribe,
    rec: &StoredRecord,
    only: Option<&[String]>,
) -> Result<Value, ApiError> {
    let mut out = Map::new();
    out.insert(
        "attributes".into(),
        json!({"type": object.name, "url": format!("{base}/sobjects/{}/{}", object.name, rec.id)}),
    );
    match only {
        Some(names) => {
            for n in names {
                let f = object.field(n.trim()).ok_or_else(|| {
                    ApiError::bad(
                        super::error::ErrorCode::InvalidField,
                        format!(
                            "No such column '{}' on sobject of type {}",
                            n.trim(),
                            object.name
                        ),
                    )
                })?;
                out.insert(
                    f.name.clone(),
                    rec.fields.get(&f.name).cloned().unwrap_or(Value::Null),
                );
            }
        }
        None => {
            for f in &object.fields {
                out.insert(
                    f.name.clone(),
                    rec.fields.get(&f.name).cloned().unwrap_or(Value::Null),
                );
            }
        }
    }
    Ok(Value::Object(out))
}

/// Routes `sobjects[/…]`.
pub fn handle(org: &Org, req: &ApiRequest) -> ApiResult {
    let base = req.base();
    let seg = &req.segments;
    let m = &req.method;
    match seg.len() {
        1 => match *m {
            Method::GET | Method::HEAD => {
                Ok(ApiResponse::json(200, describe::global(&base, &org.schema)))
            }
            _ => Err(ApiError::method_not_allowed(m.as_str(), "GET,HEAD")),
        },
        2 => {
            let o = object(org, &seg[1])?;
            match *m {
                Method::GET | Method::HEAD => Ok(ApiResponse::json(200, describe::basic(&base, o))),
                Method::POST => create(org, req, o),
                _ => Err(ApiError::method_not_allowed(m.as_str(), "GET,HEAD,POST")),
            }
        }
        3 => {
            let o = object(org, &seg[1])?;
            let key = &seg[2];
            if key.eq_ignore_ascii_case("describe") {
                return match *m {
                    Method::GET | Method::HEAD => Ok(ApiResponse::json(
                        200,
                        describe::full(&base, &org.schema, o),
                    )),
                    _ => Err(ApiError::method_not_allowed(m.as_str(), "GET,HEAD")),
                };
            }
            if key.eq_ignore_ascii_case("Id") && *m == Method::POST {
                return create(org, req, o);
            }
            if validate::normalize_id(key).is_some() {
                return by_id(org, req, o, key);
            }
            if o.field(key).is_some() {
                // `sobjects/Account/ExtId__c` without a value.
                return Err(ApiError::not_found());
            }
            Err(ApiError::new(
                404,
                super::error::ErrorCode::NotFound,
                format!("Provided external ID field does not exist or is not accessible: {key}"),
            ))
        }
        _ => {
            let o = object(org, &seg[1])?;
            // Values may contain unencoded '/', so the rest of the path is the value.
            let value = seg[3..].join("/");
            by_external_id(org, req, o, &seg[2], &value)
        }
    }
}

fn create(org: &Org, req: &ApiRequest, o: &ObjectDescribe) -> ApiResult {
    if !o.createable {
        return Err(ApiError::not_found());
    }
    let body = body_map(req)?;
    let mut store = org.store();
    let id = Dml::new(&org.schema, &mut store, &req.user_id).create(o, &body, Source::Json)?;
    Ok(
        ApiResponse::json(201, json!({"id": id, "success": true, "errors": []})).with_header(
            "Location",
            format!("{}/sobjects/{}/{id}", req.base(), o.name),
        ),
    )
}

/// `?fields=Name,Phone` of a record GET.
fn fields_param(req: &ApiRequest) -> Option<Vec<String>> {
    req.param("fields")
        .map(|f| f.split(',').map(str::to_string).collect())
}

fn by_id(org: &Org, req: &ApiRequest, o: &ObjectDescribe, id: &str) -> ApiResult {
    let mut store = org.store();
    let mut dml = Dml::new(&org.schema, &mut store, &req.user_id);
    match req.method {
        Method::GET | Method::HEAD => {
            let rec = dml.live(o, id)?;
            let only = fields_param(req);
            Ok(ApiResponse::json(
                200,
                record_json(&req.base(), o, &rec, only.as_deref())?,
            ))
        }
        Method::PATCH => {
            let body = body_map(req)?;
            dml.update(o, id, &body, Source::Json)?;
            Ok(ApiResponse::empty(204))
        }
        Method::DELETE => {
            dml.delete(o, id)?;
            Ok(ApiResponse::empty(204))
        }
        _ => Err(ApiError::method_not_allowed(
            req.method.as_str(),
            "HEAD,GET,PATCH,DELETE",
        )),
    }
}

fn by_external_id(
    org: &Org,
    req: &ApiRequest,
    o: &ObjectDescribe,
    field: &str,
    value: &str,
) -> ApiResult {
    let f = o
        .field(field)
        .filter(|f| f.external_id || f.id_lookup || f.field_type == FieldType::Id)
        .ok_or_else(|| {
            ApiError::new(
                404,
                super::error::ErrorCode::NotFound,
                format!("Provided external ID field does not exist or is not accessible: {field}"),
            )
        })?;
    let mut store = org.store();
    let mut dml = Dml::new(&org.schema, &mut store, &req.user_id);
    let base = req.base();
    let urls = |ids: &[String]| -> Value {
        Value::Array(
            ids.iter()
                .map(|id| Value::String(format!("{base}/sobjects/{}/{id}", o.name)))
                .collect(),
        )
    };
    match req.method {
        Method::PATCH | Method::POST => {
            let body = body_map(req)?;
            let update_only = req.param("updateOnly") == Some("true");
            if update_only {
                let ids = validate::find_by_field(dml.store, o, f, value)?;
                if ids.is_empty() {
                    return Err(ApiError::not_found());
                }
            }
            let modern = req.version_major() >= 46;
            match dml.upsert(o, &f.name, value, &body, Source::Json)? {
                Upserted::Created(id) => Ok(ApiResponse::json(
                    201,
                    if modern {
                        json!({"id": id, "success": true, "errors": [], "created": true})
                    } else {
                        json!({"id": id, "success": true, "errors": []})
                    },
                )
                .with_header("Location", format!("{base}/sobjects/{}/{id}", o.name))),
                Upserted::Updated(id) => {
                    if modern {
                        Ok(ApiResponse::json(
                            200,
                            json!({"id": id, "success": true, "errors": [], "created": false}),
                        ))
                    } else {
                        Ok(ApiResponse::empty(204))
                    }
                }
                Upserted::Multiple(ids) => Ok(ApiResponse::json(300, urls(&ids))),
            }
        }
        Method::GET | Method::HEAD | Method::DELETE => {
            let ids = if f.field_type == FieldType::Id {
                vec![dml.live(o, value)?.id]
            } else {
                validate::find_by_field(dml.store, o, f, value)?
            };
            match ids.as_slice() {
                [] => Err(ApiError::not_found()),
                [id] => {
                    if req.method == Method::DELETE {
                        dml.delete(o, id)?;
                        Ok(ApiResponse::empty(204))
                    } else {
                        let rec = dml.live(o, id)?;
                        let only = fields_param(req);
                        Ok(ApiResponse::json(
                            200,
                            record_json(&base, o, &rec, only.as_deref())?,
                        ))
                    }
                }
                _ => Ok(ApiResponse::json(300, urls(&ids))),
            }
        }
        _ => Err(ApiError::method_not_allowed(
            req.method.as_str(),
            "HEAD,GET,PATCH,DELETE",
        )),
    }
}
