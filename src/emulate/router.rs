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
            Some("sobjects") if since(req, versions::COLLECTIONS) => {
                let upsert = req.method == Method::PATCH && req.segments.len() == 4;
                if upsert && !since(req, versions::COLLECTIONS_UPSERT) {
                    return Err(ApiError::not_found());
                }
                collections::handle(org, req)
            }
            _ => Err(ApiError::not_found()),
        },
        "jobs" => match req.segments.get(1).map(String::as_str) {
            Some("ingest") if since(req, versions::BULK_V2) => bulk::handle(org, req),
            _ => Err(ApiError::not_found()),
        },
        "tooling" => Err(ApiError::not_found()),
        _ => Err(ApiError::not_found()),
    }
}

/// Whether the call's version has a resource that started at `major`.
fn since(req: &ApiRequest, major: u32) -> bool {
    req.version_major() >= major
}

/// The `urls` of the identity URL and userinfo. As in Salesforce, the version is left for the
/// client to fill in: the text holds a literal `{version}`.
fn identity_urls(org: &Org) -> serde_json::Value {
    let base = &org.base_url;
    let org15 = &org.org_id[..15];
    let v = format!("{base}/services/data/v{{version}}/");
    json!({
        "enterprise": format!("{base}/services/Soap/c/{{version}}/{org15}"),
        "metadata": format!("{base}/services/Soap/m/{{version}}/{org15}"),
        "partner": format!("{base}/services/Soap/u/{{version}}/{org15}"),
        "rest": v,
        "sobjects": format!("{v}sobjects/"),
        "search": format!("{v}search/"),
        "query": format!("{v}query/"),
        "recent": format!("{v}recent/"),
        "tooling_rest": format!("{v}tooling/"),
        "profile": format!("{base}/{}", org.user_id),
        "custom_domain": base,
    })
}

/// When the emulated user was last changed (a fixed instant: it never is).
const USER_UPDATED: &str = "2024-01-01T00:00:00Z";

/// The user's photo URLs (Salesforce's defaults live under `/profilephoto/`).
fn photos(org: &Org) -> serde_json::Value {
    let base = &org.base_url;
    json!({
        "picture": format!("{base}/profilephoto/005/F"),
        "thumbnail": format!("{base}/profilephoto/005/T"),
    })
}

/// Body of the identity URL (`GET /id/{orgId}/{userId}`).
pub fn identity(org: &Org) -> serde_json::Value {
    json!({
        "id": org.identity_url(),
        "asserted_user": true,
        "user_id": org.user_id,
        "organization_id": org.org_id,
        "username": org.creds.username,
        "nick_name": "admin",
        "display_name": "Emulator Admin",
        "email": org.creds.username,
        "email_verified": true,
        "first_name": "Emulator",
        "last_name": "Admin",
        "timezone": "GMT",
        "photos": photos(org),
        "active": true,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": 0,
        "last_modification_date": USER_UPDATED.replace('Z', ".000+0000"),
        "is_app_installed": true,
        "urls": identity_urls(org),
    })
}

/// Body of `GET /services/oauth2/userinfo`: the OpenID Connect claims, plus Salesforce's own.
pub fn userinfo(org: &Org) -> serde_json::Value {
    json!({
        "sub": org.identity_url(),
        "user_id": org.user_id,
        "organization_id": org.org_id,
        "preferred_username": org.creds.username,
        "nickname": "admin",
        "name": "Emulator Admin",
        "given_name": "Emulator",
        "family_name": "Admin",
        "email": org.creds.username,
        "email_verified": true,
        "zoneinfo": "GMT",
        "photos": photos(org),
        "profile": format!("{}/{}", org.base_url, org.user_id),
        "picture": format!("{}/profilephoto/005/F", org.base_url),
        "updated_at": USER_UPDATED,
        "active": true,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": 0,
        "is_app_installed": true,
        "urls": identity_urls(org),
    })
}
