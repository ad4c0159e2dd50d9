//! OAuth 2.0 grants, errors, revoke, userinfo, token expiry and the five-approvals rule.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sfmap::emulate::{EmulatorConfig, sign_with_dev_key};

use crate::common::{Org, code, fixture, start, start_with};

async fn token(org: &Org, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let resp = org
        .http
        .post(org.url("/services/oauth2/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

async fn api_with(org: &Org, token: &str) -> StatusCode {
    org.http
        .get(org.url("/services/data/v60.0/limits"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn password_and_client_credentials() {
    let org = start().await;
    let c = org.emu.credentials().clone();
    let (s, v) = token(
        &org,
        &[
            ("grant_type", "password"),
            ("client_id", &c.client_id),
            ("client_secret", &c.client_secret),
            ("username", &c.username),
            ("password", &format!("{}{}", c.password, c.security_token)),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let at = v["access_token"].as_str().unwrap();
    assert!(at.starts_with(&format!("{}!", &org.emu.org_id()[..15])));
    assert_eq!(v["instance_url"], org.emu.base_url());
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["issued_at"].as_str().unwrap().len(), 13);
    assert!(v.get("refresh_token").is_none());
    assert!(v["id"].as_str().unwrap().ends_with(&format!(
        "/id/{}/{}",
        org.emu.org_id(),
        org.emu.user_id()
    )));
    assert_eq!(api_with(&org, at).await, StatusCode::OK);

    let (s, v) = token(
        &org,
        &[
            ("grant_type", "password"),
            ("client_id", &c.client_id),
            ("client_secret", &c.client_secret),
            ("username", &c.username),
            ("password", "wrong"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v,
        json!({"error": "invalid_grant", "error_description": "authentication failure"})
    );

    // client_credentials with HTTP Basic (simple_salesforce) and with body parameters (jsforce).
    let resp = org
        .http
        .post(org.url("/services/oauth2/token"))
        .basic_auth(&c.client_id, Some(&c.client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (s, _) = token(
        &org,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &c.client_id),
            ("client_secret", &c.client_secret),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = token(
        &org,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &c.client_id),
            ("client_secret", "nope"),
        ],
    )
    .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_client"))
    );
    let (_, v) = token(
        &org,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "other"),
            ("client_secret", "x"),
        ],
    )
    .await;
    assert_eq!(v["error"], "invalid_client_id");
    let (_, v) = token(&org, &[("grant_type", "magic")]).await;
    assert_eq!(v["error"], "unsupported_grant_type");
    // login.salesforce.com does not serve client_credentials.
    let resp = org
        .http
        .post(org.url("/services/oauth2/token"))
        .header("Host", "login.salesforce.com")
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &c.client_id),
            ("client_secret", &c.client_secret),
        ])
        .send()
        .await
        .unwrap();
    let v: Value = resp.json().await.unwrap();
    assert_eq!(
        v["error_description"],
        "request not supported on this domain"
    );
}

/// Runs the authorize step and returns the code from the redirect.
async fn authorize(org: &Org, challenge: Option<&str>) -> String {
    let c = org.emu.credentials();
    let mut q = vec![
        ("response_type", "code"),
        ("client_id", c.client_id.as_str()),
        ("redirect_uri", "http://localhost:1717/OauthRedirect"),
        ("state", "xyz"),
        ("scope", "api refresh_token"),
    ];
    if let Some(ch) = challenge {
        q.push(("code_challenge", ch));
    }
    let resp = org
        .http
        .get(org.url("/services/oauth2/authorize"))
        .query(&q)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let loc = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(loc.host_str(), Some("localhost"));
    let params: std::collections::HashMap<_, _> = loc.query_pairs().into_owned().collect();
    assert_eq!(params["state"], "xyz");
    params["code"].clone()
}

#[tokio::test]
async fn authorization_code_with_pkce_refresh_and_revoke() {
    let org = start().await;
    let c = org.emu.credentials().clone();
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let redirect = "http://localhost:1717/OauthRedirect";

    let code1 = authorize(&org, Some(challenge)).await;
    let (s, v) = token(
        &org,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code1),
            ("client_id", &c.client_id),
            ("redirect_uri", redirect),
            ("code_verifier", "wrong-verifier"),
        ],
    )
    .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let code2 = authorize(&org, Some(challenge)).await;
    let (_, v) = token(
        &org,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code2),
            ("client_id", &c.client_id),
            ("redirect_uri", redirect),
        ],
    )
    .await;
    assert_eq!(v["error"], "invalid_grant");

    let code3 = authorize(&org, Some(challenge)).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code3.as_str()),
        ("client_id", c.client_id.as_str()),
        ("client_secret", c.client_secret.as_str()),
        ("redirect_uri", redirect),
        ("code_verifier", verifier),
    ];
    let (s, v) = token(&org, &form).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let access = v["access_token"].as_str().unwrap().to_string();
    let refresh = v["refresh_token"].as_str().unwrap().to_string();
    // Codes are single-use.
    let (_, again) = token(&org, &form).await;
    assert_eq!(again["error_description"], "expired authorization code");

    // Refresh (jsforce also re-sends code_verifier; extra parameters are ignored).
    let (s, v) = token(
        &org,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &c.client_id),
            ("client_secret", &c.client_secret),
            ("code_verifier", verifier),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(v.get("refresh_token").is_none());
    let refreshed = v["access_token"].as_str().unwrap().to_string();
    assert_eq!(api_with(&org, &refreshed).await, StatusCode::OK);

    // Revoking the refresh token revokes its access tokens.
    let resp = org
        .http
        .post(org.url("/services/oauth2/revoke"))
        .form(&[("token", refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(api_with(&org, &access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(api_with(&org, &refreshed).await, StatusCode::UNAUTHORIZED);
    let (_, v) = token(
        &org,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &c.client_id),
        ],
    )
    .await;
    assert_eq!(
        v,
        json!({"error": "invalid_grant", "error_description": "expired access/refresh token"})
    );
    let resp = org
        .http
        .post(org.url("/services/oauth2/revoke"))
        .form(&[("token", "nonsense")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    // A redirect URI that is not registered (and not loopback) is refused.
    let resp = org
        .http
        .get(org.url("/services/oauth2/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", c.client_id.as_str()),
            ("redirect_uri", "https://evil.example/cb"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn sixth_approval_revokes_the_oldest_refresh_token() {
    let org = start().await;
    let c = org.emu.credentials().clone();
    let redirect = "http://localhost:1717/OauthRedirect";
    let mut refresh = Vec::new();
    for _ in 0..6 {
        let code = authorize(&org, None).await;
        let (_, v) = token(
            &org,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", &c.client_id),
                ("client_secret", &c.client_secret),
                ("redirect_uri", redirect),
            ],
        )
        .await;
        refresh.push(v["refresh_token"].as_str().unwrap().to_string());
    }
    let use_it = |rt: String| {
        let org = &org;
        let id = c.client_id.clone();
        async move {
            token(
                org,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &rt),
                    ("client_id", &id),
                ],
            )
            .await
        }
    };
    let (s, v) = use_it(refresh[0].clone()).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    for rt in &refresh[1..] {
        assert_eq!(use_it(rt.clone()).await.0, StatusCode::OK);
    }
}

#[tokio::test]
async fn jwt_bearer_as_real_clients_send_it() {
    let org = start().await;
    let c = org.emu.credentials().clone();
    let grant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    // simple_salesforce: exp as a string, aud login.salesforce.com.
    let a = sign_with_dev_key(&json!({"iss": c.client_id, "sub": c.username, "aud": "https://login.salesforce.com", "exp": (now() + 120).to_string()})).unwrap();
    let (s, v) = token(&org, &[("grant_type", grant), ("assertion", &a)]).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v.get("refresh_token").is_none());
    // sf CLI: exp in milliseconds, aud = the login URL with a trailing slash.
    let a = sign_with_dev_key(&json!({"iss": c.client_id, "sub": c.username, "aud": format!("{}/", org.emu.base_url()), "exp": (now() + 300) * 1000, "iat": now()})).unwrap();
    assert_eq!(
        token(&org, &[("grant_type", grant), ("assertion", &a)])
            .await
            .0,
        StatusCode::OK
    );

    let bad_aud = sign_with_dev_key(&json!({"iss": c.client_id, "sub": c.username, "aud": "https://evil.example", "exp": now() + 60})).unwrap();
    assert_eq!(
        token(&org, &[("grant_type", grant), ("assertion", &bad_aud)])
            .await
            .1["error_description"],
        "audience is invalid"
    );
    let expired = sign_with_dev_key(&json!({"iss": c.client_id, "sub": c.username, "aud": "https://login.salesforce.com", "exp": now() - 600})).unwrap();
    assert_eq!(
        token(&org, &[("grant_type", grant), ("assertion", &expired)])
            .await
            .1["error"],
        "invalid_grant"
    );
    let stranger = sign_with_dev_key(&json!({"iss": c.client_id, "sub": "who@else", "aud": "https://login.salesforce.com", "exp": now() + 60})).unwrap();
    assert_eq!(
        token(&org, &[("grant_type", grant), ("assertion", &stranger)])
            .await
            .1["error_description"],
        "user hasn't approved this consumer"
    );
    // A tampered signature.
    let mut forged = sign_with_dev_key(&json!({"iss": c.client_id, "sub": c.username, "aud": "https://login.salesforce.com", "exp": now() + 60})).unwrap();
    let at = forged.len() - 10;
    let flipped = if &forged[at..at + 1] == "A" { "B" } else { "A" };
    forged.replace_range(at..at + 1, flipped);
    let (s, v) = token(&org, &[("grant_type", grant), ("assertion", &forged)]).await;
    assert_eq!(
        (s, v["error_description"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid assertion"))
    );
    // Verified against a configured certificate: the development key does not match it.
    let other = start_with(EmulatorConfig {
        jwt_cert: Some(fixture("other-jwt.crt")),
        ..EmulatorConfig::default()
    })
    .await;
    let a = sign_with_dev_key(&json!({"iss": c.client_id, "sub": c.username, "aud": "https://login.salesforce.com", "exp": now() + 60})).unwrap();
    assert_eq!(
        token(&other, &[("grant_type", grant), ("assertion", &a)])
            .await
            .1["error_description"],
        "invalid assertion"
    );
}

#[tokio::test]
async fn expired_tokens_userinfo_and_identity() {
    let org = start_with(EmulatorConfig {
        token_ttl: Duration::ZERO,
        ..EmulatorConfig::default()
    })
    .await;
    let resp = org
        .http
        .get(org.url("/services/data/v60.0/limits"))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.headers()["www-authenticate"], "Token");
    let v: Value = resp.json().await.unwrap();
    assert_eq!(
        v,
        json!([{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid", "fields": []}])
    );
    let resp = org
        .http
        .get(org.url("/services/data/v60.0/limits"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    let org = start().await;
    let resp = org
        .http
        .get(org.url("/services/oauth2/userinfo"))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["user_id"], org.emu.user_id());
    assert_eq!(v["organization_id"], org.emu.org_id());
    assert_eq!(
        v["preferred_username"],
        org.emu.credentials().username.as_str()
    );
    let resp = org
        .http
        .get(org.url("/services/oauth2/userinfo"))
        .bearer_auth("bad")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(resp.text().await.unwrap(), "Bad_OAuth_Token");
    let resp = org
        .http
        .get(org.url(&format!("/id/{}/{}", org.emu.org_id(), org.emu.user_id())))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // A token made to expire answers 401 from then on.
    org.emu.expire_token(&org.token);
    let (s, v) = org.get("/limits").await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNAUTHORIZED, "INVALID_SESSION_ID")
    );
}

/// The identity URL's `urls` hold a literal `{version}` for the client to fill in, as
/// Salesforce's do, and userinfo carries the standard OpenID Connect claims.
#[tokio::test]
async fn identity_urls_leave_the_version_and_userinfo_has_openid_claims() {
    let org = start().await;
    let get = |path: String| {
        let org = &org;
        async move {
            let resp = org
                .http
                .get(org.url(&path))
                .bearer_auth(&org.token)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            resp.json::<Value>().await.unwrap()
        }
    };
    let base = org.emu.base_url();
    let id = get(format!("/id/{}/{}", org.emu.org_id(), org.emu.user_id())).await;
    let info = get("/services/oauth2/userinfo".into()).await;
    for v in [&id, &info] {
        assert_eq!(
            v["urls"]["rest"],
            format!("{base}/services/data/v{{version}}/")
        );
        assert_eq!(
            v["urls"]["sobjects"],
            format!("{base}/services/data/v{{version}}/sobjects/")
        );
        assert_eq!(
            v["urls"]["partner"],
            format!(
                "{base}/services/Soap/u/{{version}}/{}",
                &org.emu.org_id()[..15]
            )
        );
    }
    assert_eq!(id["id"], info["sub"]);
    assert_eq!(
        (&info["nickname"], &info["given_name"], &info["family_name"]),
        (&json!("admin"), &json!("Emulator"), &json!("Admin"))
    );
    assert_eq!(info["updated_at"], "2024-01-01T00:00:00Z");
    assert!(info["photos"]["picture"].is_string() && info["photos"]["thumbnail"].is_string());
}
