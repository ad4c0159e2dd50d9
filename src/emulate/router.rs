//! Dispatch of an authenticated API call (`/services/data/vXX.X/…`) to its resource. Composite
//! subrequests come through here too.

use axum::http::Method;
use serde_json::json;

use super::error::ApiError;
use super::http::{ApiRequest, ApiResponse, ApiResult};
use super::org::Org;
use super::{bulk, collections, composite, query, rest, versions};

pub fn dispatch(org: &std::sync::Arc<Org>, req: &ApiRequest) -> ApiResult {
    let first = req.segments.first().map(String::as_str).unwrap_or("");
    match first {
        "" => Ok(ApiResponse::json(
            200,
            versions::resources(&req.version, &org.identity_url()),
        )),
        "sobjects" => rest::handle(org, req),
        "query" => query::handle(org, req, false),
        "queryAll" => query::handle(org, req, true),
        "limits" => match req.method {
            Method::GET | Method::HEAD => Ok(ApiResponse::json(200, org.limits.body())),
            _ => Err(ApiError::method_not_allowed(
                req.method.as_str(),
                "GET,HEAD",
            )),
        },
        "composite" => match req.segments.get(1).map(String::as_str) {
            None => composite::handle(org, req),
            Some("sobjects") => collections::handle(org, req),
            _ => Err(ApiError::not_found()),
        },
        "jobs" => match req.segments.get(1).map(String::as_str) {
            Some("ingest") => bulk::handle(org, req),
            _ => Err(ApiError::not_found()),
        },
        "tooling" => Err(ApiError::not_found()),
        _ => Err(ApiError::not_found()),
    }
}

/// Body of `GET /services/oauth2/userinfo` and the identity URL.
pub fn identity(org: &Org, version: &str) -> serde_json::Value {
    let base = &org.base_url;
    let v = format!("{base}/services/data/v{version}/");
    json!({
        "id": org.identity_url(),
        "sub": org.identity_url(),
        "asserted_user": true,
        "user_id": org.user_id,
        "organization_id": org.org_id,
        "username": org.creds.username,
        "preferred_username": org.creds.username,
        "nick_name": "admin",
        "name": "Emulator Admin",
        "display_name": "Emulator Admin",
        "email": org.creds.username,
        "email_verified": true,
        "active": true,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "zoneinfo": "GMT",
        "utcOffset": 0,
        "is_app_installed": true,
        "urls": {
            "enterprise": format!("{base}/services/Soap/c/{version}/{}", &org.org_id[..15]),
            "partner": format!("{base}/services/Soap/u/{version}/{}", &org.org_id[..15]),
            "rest": v.replace("{version}", version),
            "sobjects": format!("{v}sobjects/"),
            "search": format!("{v}search/"),
            "query": format!("{v}query/"),
            "recent": format!("{v}recent/"),
            "profile": format!("{base}/{}", org.user_id),
            "custom_domain": base,
        },
    })
}
