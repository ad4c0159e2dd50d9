//! The OAuth 2.0 endpoints (salesforce-api.md §1): `/services/oauth2/token` with the
//! authorization_code (+PKCE), refresh_token, jwt-bearer, client_credentials and password grants,
//! `/authorize` (auto-approving, for local use), `/revoke`, `/userinfo` and the identity URL.

use axum::http::{HeaderMap, Method, header};
use base64::Engine;
use serde_json::{Value, json};

use super::auth::{self, AuthCode, CODE_TTL};
use super::error::{OAuthCode, OAuthError};
use super::http::{ApiResponse, Body};
use super::org::Org;
use super::router;

const JWT_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

fn form(body: &[u8], query: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    out.extend(query.iter().cloned());
    out
}

fn get<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn error_response(e: OAuthError) -> ApiResponse {
    ApiResponse::json(400, e.body()).with_header("Cache-Control", "no-store".into())
}

pub fn handle(
    org: &Org,
    method: &Method,
    rest: &[&str],
    headers: &HeaderMap,
    query: &[(String, String)],
    body: &[u8],
) -> ApiResponse {
    match rest {
        ["token"] if *method == Method::POST => match token(org, headers, &form(body, query)) {
            Ok(v) => ApiResponse::json(200, v).with_header("Cache-Control", "no-store".into()),
            Err(e) => error_response(e),
        },
        ["authorize"] => authorize(org, &form(body, query)),
        ["revoke"] => {
            let params = form(body, query);
            match get(&params, "token") {
                Some(t) if org.auth().revoke(t) => ApiResponse::empty(200),
                Some(_) => error_response(OAuthError::new(
                    OAuthCode::InvalidToken,
                    "Token was invalid",
                )),
                None => error_response(OAuthError::new(
                    OAuthCode::UnsupportedTokenType,
                    "Token type not supported",
                )),
            }
        }
        ["userinfo"] => match session_user(org, headers) {
            Some(_) => ApiResponse::json(200, router::userinfo(org)),
            None => bad_token(),
        },
        _ => super::error::ApiError::not_found().into(),
    }
}

fn bad_token() -> ApiResponse {
    ApiResponse {
        status: 403,
        headers: Vec::new(),
        body: Body::Text {
            content_type: "text/plain",
            text: "Bad_OAuth_Token".into(),
        },
    }
}

fn session_user(org: &Org, headers: &HeaderMap) -> Option<String> {
    let h = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (_, token) = h.split_once(' ')?;
    org.auth()
        .check_access(token.trim())
        .ok()
        .map(|s| s.user_id.clone())
}

/// `GET /id/{orgId}/{userId}`
pub fn identity(org: &Org, headers: &HeaderMap, org_id: &str, user_id: &str) -> ApiResponse {
    if session_user(org, headers).is_none() {
        return bad_token();
    }
    let same = |a: &str, b: &str| a.get(..15).is_some() && a.get(..15) == b.get(..15);
    if !same(org_id, &org.org_id) || !same(user_id, &org.user_id) {
        return super::error::ApiError::not_found().into();
    }
    ApiResponse::json(200, router::identity(org))
}

/// Client authentication: HTTP Basic or `client_id`/`client_secret` in the body.
fn client(headers: &HeaderMap, params: &[(String, String)]) -> (Option<String>, Option<String>) {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "))
        && let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(basic.trim())
        && let Ok(text) = String::from_utf8(raw)
        && let Some((id, secret)) = text.split_once(':')
    {
        let dec = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        return (Some(dec(id)), Some(dec(secret)));
    }
    (
        get(params, "client_id").map(str::to_string),
        get(params, "client_secret").map(str::to_string),
    )
}

fn check_client(
    org: &Org,
    id: Option<&str>,
    secret: Option<&str>,
    secret_required: bool,
) -> Result<(), OAuthError> {
    match id {
        Some(id) if id == org.creds.client_id => {}
        _ => {
            return Err(OAuthError::new(
                OAuthCode::InvalidClientId,
                "client identifier invalid",
            ));
        }
    }
    match secret {
        Some(s) if s == org.creds.client_secret => Ok(()),
        None if !secret_required => Ok(()),
        _ => Err(OAuthError::new(
            OAuthCode::InvalidClient,
            "invalid client credentials",
        )),
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The §1.2 success body.
fn token_response(
    org: &Org,
    user_id: &str,
    refresh: Option<String>,
    parent_refresh: Option<String>,
    scope: &str,
) -> Value {
    let access = org.auth().issue_access(
        org.org_id15(),
        user_id,
        org.token_ttl,
        refresh.clone().or(parent_refresh),
    );
    let id = org.identity_url();
    let issued_at = now_ms().to_string();
    let sig = auth::hmac_sha256(
        org.creds.client_secret.as_bytes(),
        format!("{id}{issued_at}").as_bytes(),
    );
    let mut v = json!({
        "access_token": access,
        "signature": base64::engine::general_purpose::STANDARD.encode(sig),
        "scope": scope,
        "instance_url": org.base_url,
        "id": id,
        "token_type": "Bearer",
        "issued_at": issued_at,
    });
    if let Some(r) = refresh {
        v["refresh_token"] = Value::String(r);
    }
    v
}

fn token(org: &Org, headers: &HeaderMap, p: &[(String, String)]) -> Result<Value, OAuthError> {
    if let Some(code) = org.faults.next_token() {
        return Err(OAuthError::new(code, "injected fault"));
    }
    let (client_id, secret) = client(headers, p);
    match get(p, "grant_type") {
        Some("password") => {
            check_client(org, client_id.as_deref(), secret.as_deref(), true)?;
            let user = get(p, "username").unwrap_or("");
            let pass = get(p, "password").unwrap_or("");
            let c = &org.creds;
            let pass_ok =
                pass == c.password || pass == format!("{}{}", c.password, c.security_token);
            if user != c.username || !pass_ok {
                return Err(OAuthError::grant("authentication failure"));
            }
            Ok(token_response(org, &org.user_id, None, None, "api"))
        }
        Some("client_credentials") => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("");
            if host.starts_with("login.salesforce.com") || host.starts_with("test.salesforce.com") {
                return Err(OAuthError::grant("request not supported on this domain"));
            }
            check_client(org, client_id.as_deref(), secret.as_deref(), true)?;
            Ok(token_response(org, &org.user_id, None, None, "api"))
        }
        Some("refresh_token") => {
            check_client(org, client_id.as_deref(), secret.as_deref(), false)?;
            let rt = get(p, "refresh_token").unwrap_or("");
            let grant = org
                .auth()
                .refresh_grant(rt)
                .cloned()
                .filter(|g| Some(g.client_id.as_str()) == client_id.as_deref())
                .ok_or_else(|| OAuthError::grant("expired access/refresh token"))?;
            Ok(token_response(
                org,
                &grant.user_id,
                None,
                Some(rt.to_string()),
                &grant.scope,
            ))
        }
        Some("authorization_code") => {
            check_client(org, client_id.as_deref(), secret.as_deref(), false)?;
            let code = get(p, "code").unwrap_or("");
            let data = {
                let mut a = org.auth();
                let c = a
                    .code_mut(code)
                    .ok_or_else(|| OAuthError::grant("invalid authorization code"))?;
                if c.used || c.issued.elapsed() > CODE_TTL {
                    return Err(OAuthError::grant("expired authorization code"));
                }
                c.used = true;
                c.clone()
            };
            if Some(data.client_id.as_str()) != client_id.as_deref() {
                return Err(OAuthError::grant("invalid authorization code"));
            }
            if get(p, "redirect_uri") != Some(data.redirect_uri.as_str()) {
                return Err(OAuthError::new(
                    OAuthCode::RedirectUriMismatch,
                    "redirect_uri must match configuration",
                ));
            }
            if let Some(challenge) = &data.code_challenge {
                match get(p, "code_verifier") {
                    None => return Err(OAuthError::grant("invalid code verifier")),
                    Some(v) if auth::pkce_challenge(v) != *challenge => {
                        return Err(OAuthError::new(
                            OAuthCode::InvalidRequest,
                            "invalid code verifier",
                        ));
                    }
                    Some(_) => {}
                }
            }
            let wants_refresh = data.scope.is_empty()
                || data
                    .scope
                    .split([' ', '+'])
                    .any(|s| s == "refresh_token" || s == "offline_access" || s == "full");
            let scope = if data.scope.is_empty() {
                "api refresh_token".to_string()
            } else {
                data.scope.clone()
            };
            let refresh = wants_refresh.then(|| {
                org.auth()
                    .issue_refresh(&data.user_id, &data.client_id, &scope)
            });
            Ok(token_response(org, &data.user_id, refresh, None, &scope))
        }
        Some(JWT_GRANT) => {
            let assertion = get(p, "assertion").unwrap_or("");
            let now = chrono::Utc::now().timestamp();
            let a = org.jwt.verify(assertion, now).map_err(|e| match e {
                super::jwt::AssertionError::Invalid => OAuthError::grant("invalid assertion"),
                super::jwt::AssertionError::Expired => OAuthError::grant("expired assertion"),
            })?;
            if a.iss != org.creds.client_id {
                return Err(OAuthError::new(
                    OAuthCode::InvalidClientId,
                    "client identifier invalid",
                ));
            }
            let base = org.base_url.trim_end_matches('/');
            let aud_ok = a.aud.iter().any(|aud| {
                let aud = aud.trim_end_matches('/');
                aud == base
                    || aud == "https://login.salesforce.com"
                    || aud == "https://test.salesforce.com"
                    || aud == format!("{base}/services/oauth2/token")
            });
            if !aud_ok {
                return Err(OAuthError::grant("audience is invalid"));
            }
            if a.sub != org.creds.username {
                return Err(OAuthError::grant("user hasn't approved this consumer"));
            }
            Ok(token_response(org, &org.user_id, None, None, "api"))
        }
        Some(_) => Err(OAuthError::new(
            OAuthCode::UnsupportedGrantType,
            "grant type not supported",
        )),
        None => Err(OAuthError::new(
            OAuthCode::UnsupportedGrantType,
            "grant type not supported",
        )),
    }
}

fn is_loopback(uri: &str) -> bool {
    url::Url::parse(uri)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| h == "localhost" || h == "127.0.0.1" || h == "[::1]")
        })
        .unwrap_or(false)
}

/// Auto-approves the authorization request and redirects back with a code.
fn authorize(org: &Org, p: &[(String, String)]) -> ApiResponse {
    let redirect = get(p, "redirect_uri").unwrap_or("");
    if get(p, "client_id") != Some(org.creds.client_id.as_str()) {
        return error_response(OAuthError::new(
            OAuthCode::InvalidClientId,
            "client identifier invalid",
        ));
    }
    if !(org.creds.callback_urls.iter().any(|c| c == redirect) || is_loopback(redirect)) {
        return error_response(OAuthError::new(
            OAuthCode::RedirectUriMismatch,
            "redirect_uri must match configuration",
        ));
    }
    let mut target = match url::Url::parse(redirect) {
        Ok(u) => u,
        Err(_) => {
            return error_response(OAuthError::new(
                OAuthCode::RedirectUriMismatch,
                "redirect_uri must match configuration",
            ));
        }
    };
    {
        let mut q = target.query_pairs_mut();
        if get(p, "response_type") != Some("code") {
            q.append_pair("error", "unsupported_response_type");
            q.append_pair("error_description", "response type not supported");
        } else {
            let code = format!("aPrx{}", auth::random_token(60));
            org.auth().store_code(
                code.clone(),
                AuthCode {
                    client_id: org.creds.client_id.clone(),
                    redirect_uri: redirect.to_string(),
                    code_challenge: get(p, "code_challenge").map(str::to_string),
                    user_id: org.user_id.clone(),
                    scope: get(p, "scope").unwrap_or("").to_string(),
                    issued: std::time::Instant::now(),
                    used: false,
                },
            );
            q.append_pair("code", &code);
        }
        if let Some(state) = get(p, "state") {
            q.append_pair("state", state);
        }
    }
    ApiResponse::empty(302).with_header("Location", target.to_string())
}
