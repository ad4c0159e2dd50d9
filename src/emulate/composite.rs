//! `POST /composite` (salesforce-api.md §2.8): up to 25 subrequests run in order through the same
//! dispatcher as HTTP calls, with `@{ref.path}` references into earlier results and `allOrNone`
//! rollback. The whole call counts as one API request.

use std::collections::HashMap;

use axum::http::{HeaderMap, Method};
use serde_json::{Value, json};

use super::error::{ApiError, ErrorCode};
use super::http::{ApiRequest, ApiResponse, ApiResult, Body};
use super::org::Org;
use super::router;
use super::validate::internal;
use super::versions;

pub const MAX_SUBREQUESTS: usize = 25;

fn halted(message: &str) -> Value {
    json!([{"errorCode": ErrorCode::ProcessingHalted.as_str(), "message": message}])
}

/// Looks up `ref.a.b[0].c` in the earlier results.
fn lookup(results: &HashMap<String, Value>, expr: &str) -> Option<Value> {
    let mut parts = expr.split('.');
    let first = parts.next()?;
    let (name, idx) = split_index(first);
    let mut v = results.get(name)?.clone();
    if let Some(i) = idx {
        v = v.get(i)?.clone();
    }
    for p in parts {
        let (key, idx) = split_index(p);
        v = v.get(key)?.clone();
        if let Some(i) = idx {
            v = v.get(i)?.clone();
        }
    }
    Some(v)
}

fn split_index(p: &str) -> (&str, Option<usize>) {
    match p.split_once('[') {
        Some((k, rest)) => (k, rest.trim_end_matches(']').parse().ok()),
        None => (p, None),
    }
}

/// Replaces every `@{…}` in a string; `Err(expr)` names an unresolved reference.
fn substitute_str(s: &str, results: &HashMap<String, Value>) -> Result<Value, String> {
    // A string that is exactly one reference takes the referenced value's type.
    if let Some(inner) = s.strip_prefix("@{").and_then(|r| r.strip_suffix('}'))
        && !inner.contains('}')
    {
        return lookup(results, inner).ok_or_else(|| inner.to_string());
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("@{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| after.to_string())?;
        let expr = &after[..end];
        match lookup(results, expr) {
            Some(Value::String(v)) => out.push_str(&v),
            Some(v) => out.push_str(&v.to_string()),
            None => return Err(expr.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(Value::String(out))
}

fn substitute(v: &Value, results: &HashMap<String, Value>) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) => substitute_str(s, results)?,
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| substitute(x, results))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| Ok((k.clone(), substitute(x, results)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

pub fn handle(org: &std::sync::Arc<Org>, req: &ApiRequest) -> ApiResult {
    if req.method != Method::POST {
        return Err(ApiError::method_not_allowed(req.method.as_str(), "POST"));
    }
    let body = req.json()?;
    let all_or_none = body
        .get("allOrNone")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let subs = body
        .get("compositeRequest")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ApiError::json_parser(
                "Cannot deserialize instance of list from missing compositeRequest field",
            )
        })?;
    if subs.len() > MAX_SUBREQUESTS {
        return Err(ApiError::bad(
            ErrorCode::InvalidInputCombination,
            "The composite request can contain up to 25 subrequests",
        ));
    }
    // Validate the whole request before running any of it.
    let mut seen = std::collections::HashSet::new();
    for s in subs {
        let method = s.get("method").and_then(Value::as_str).unwrap_or("");
        if !matches!(method, "GET" | "POST" | "PATCH" | "PUT" | "DELETE") {
            return Err(ApiError::bad(
                ErrorCode::JsonParserError,
                format!("Invalid HTTP method: {method}"),
            ));
        }
        let rid = s.get("referenceId").and_then(Value::as_str).unwrap_or("");
        if rid.is_empty() || !seen.insert(rid.to_string()) {
            return Err(ApiError::bad(
                ErrorCode::JsonParserError,
                format!("Duplicate or missing referenceId: {rid}"),
            ));
        }
        if let Some(h) = s.get("httpHeaders").and_then(Value::as_object)
            && h.keys().any(|k| {
                ["authorization", "accept", "content-type"]
                    .contains(&k.to_ascii_lowercase().as_str())
            })
        {
            return Err(ApiError::bad(
                ErrorCode::InvalidInputCombination,
                "Subrequests may not set the Authorization, Accept or Content-Type headers",
            ));
        }
    }

    org.store().savepoint().map_err(internal)?;
    let mut results: HashMap<String, Value> = HashMap::new();
    let mut out: Vec<Value> = Vec::new();
    let mut failed_any = false;
    for s in subs {
        let rid = s
            .get("referenceId")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if all_or_none && failed_any {
            out.push(json!({"body": halted("The transaction was rolled back since another operation in the same transaction failed."), "httpHeaders": {}, "httpStatusCode": 400, "referenceId": rid}));
            continue;
        }
        let resp = run_one(org, req, s, &results);
        let resp = match resp {
            Ok(r) => r,
            Err(expr) => {
                failed_any = true;
                out.push(json!({"body": halted(&format!("Invalid reference specified. No value for {expr} found in {rid}. Provided referenceId ({rid}) must be declared and its operation must succeed before it can be referenced.")), "httpHeaders": {}, "httpStatusCode": 400, "referenceId": rid}));
                continue;
            }
        };
        if resp.status >= 400 {
            failed_any = true;
        }
        let value = resp.body_value();
        if resp.status < 400 {
            results.insert(rid.clone(), value.clone());
        }
        let headers: serde_json::Map<String, Value> = resp
            .headers
            .iter()
            .filter(|(k, _)| *k == "Location")
            .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
            .collect();
        out.push(json!({"body": if matches!(resp.body, Body::Empty) { Value::Null } else { value }, "httpHeaders": headers, "httpStatusCode": resp.status, "referenceId": rid}));
    }
    if all_or_none && failed_any {
        org.store().rollback().map_err(internal)?;
        for item in out.iter_mut() {
            if item["httpStatusCode"].as_u64().is_some_and(|s| s < 400) {
                item["httpStatusCode"] = json!(400);
                item["httpHeaders"] = json!({});
                item["body"] = halted(
                    "The transaction was rolled back since another operation in the same transaction failed.",
                );
            }
        }
    } else {
        org.store().release().map_err(internal)?;
    }
    Ok(ApiResponse::json(200, json!({"compositeResponse": out})))
}

fn run_one(
    org: &std::sync::Arc<Org>,
    parent: &ApiRequest,
    s: &Value,
    results: &HashMap<String, Value>,
) -> Result<ApiResponse, String> {
    let method = s.get("method").and_then(Value::as_str).unwrap_or("GET");
    let url = s.get("url").and_then(Value::as_str).unwrap_or("");
    let url = match substitute_str(url, results)? {
        Value::String(u) => u,
        other => other.to_string(),
    };
    let body = match s.get("body") {
        Some(b) => substitute(b, results)?.to_string().into_bytes(),
        None => Vec::new(),
    };
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let segs: Vec<String> = path
        .split('/')
        .map(|x| {
            percent_encoding::percent_decode_str(x)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let mut segs: Vec<String> = segs.into_iter().skip_while(|x| x.is_empty()).collect();
    while segs.last().is_some_and(|x| x.is_empty()) {
        segs.pop();
    }
    let version = match segs.as_slice() {
        [a, b, v, ..] if a == "services" && b == "data" => {
            if versions::retired(v) {
                return Ok(ApiError::retired_version(v).into());
            }
            versions::parse(v)
        }
        _ => None,
    };
    let Some(version) = version else {
        return Ok(ApiError::not_found().into());
    };
    let req = ApiRequest {
        method: Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET),
        version,
        segments: segs[3..].to_vec(),
        query: url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect(),
        headers: HeaderMap::new(),
        body: body.into(),
        user_id: parent.user_id.clone(),
    };
    if req.segments.first().map(String::as_str) == Some("composite") && req.segments.len() == 1 {
        return Ok(ApiError::bad(
            ErrorCode::InvalidInputCombination,
            "Composite requests cannot be nested",
        )
        .into());
    }
    Ok(match router::dispatch(org, &req) {
        Ok(r) => r,
        Err(e) => e.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_with_types_and_indexes() {
        let mut r = HashMap::new();
        r.insert(
            "acc".to_string(),
            json!({"id": "001X", "records": [{"Id": "003Y"}]}),
        );
        assert_eq!(substitute_str("@{acc.id}", &r), Ok(json!("001X")));
        assert_eq!(
            substitute_str("/x/@{acc.records[0].Id}/y", &r),
            Ok(json!("/x/003Y/y"))
        );
        assert_eq!(substitute_str("@{nope.id}", &r), Err("nope.id".to_string()));
    }
}
