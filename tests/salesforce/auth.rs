//! Token flows against the emulator, and what errors and Debug output may show.

use sfmap::salesforce::auth::{self, CredentialsFile, StoredProfile, WebLogin};
use sfmap::salesforce::{Auth, Client, SfError};

use crate::common::*;

#[tokio::test]
async fn password_login_then_query() {
    let emu = emulator().await;
    let client = client(&emu).await;
    assert_eq!(client.token_calls(), 1);
    assert_eq!(client.api_calls(), 0);
    let rows = client.query("SELECT Id FROM Contact").await.unwrap();
    assert!(rows.is_empty());
    assert_eq!(client.api_calls(), 1);
    assert_eq!(
        client.instance_url().as_str(),
        format!("{}/", emu.base_url())
    );
}

#[tokio::test]
async fn wrong_password_is_an_auth_error_without_secrets() {
    let emu = emulator().await;
    let c = emu.credentials().clone();
    let auth = Auth::Password {
        login_url: base(&emu),
        client_id: c.client_id.clone(),
        client_secret: c.client_secret.clone(),
        username: c.username.clone(),
        password: "WRONG-PASSWORD-123".into(),
    };
    let err = Client::connect_with(connection(&emu, auth), fast())
        .await
        .unwrap_err();
    assert!(matches!(err, SfError::Auth { .. }), "{err:?}");
    assert_eq!(err.code(), Some("invalid_grant"));
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains("WRONG-PASSWORD"), "{shown}");
        assert!(!shown.contains(&c.client_secret), "{shown}");
    }
}

#[tokio::test]
async fn client_credentials_flow() {
    let emu = emulator().await;
    let c = emu.credentials().clone();
    let auth = Auth::ClientCredentials {
        login_url: base(&emu),
        client_id: c.client_id.clone(),
        client_secret: c.client_secret.clone(),
    };
    let client = Client::connect_with(connection(&emu, auth), fast())
        .await
        .unwrap();
    client.query("SELECT Id FROM Account").await.unwrap();
    assert_eq!(client.token_calls(), 1);
}

#[tokio::test]
async fn jwt_bearer_with_a_test_key() {
    let mut config = config();
    config.jwt_cert = Some(fixture("tests/salesforce/fixtures/jwt-test.pub"));
    let emu = start(config).await;
    let key = std::fs::read_to_string(fixture("tests/salesforce/fixtures/jwt-test.key")).unwrap();
    let jwt = |key_pem: String| Auth::Jwt {
        login_url: base(&emu),
        client_id: emu.credentials().client_id.clone(),
        username: emu.credentials().username.clone(),
        key_pem,
    };
    let client = Client::connect_with(connection(&emu, jwt(key.clone())), fast())
        .await
        .expect("JWT login with the registered key");
    client.query("SELECT Id FROM Contact").await.unwrap();

    // A key the app does not know (the emulator's built-in PKCS#8 development key).
    let other = std::fs::read_to_string(fixture("src/emulate/devkeys/jwt-dev.key")).unwrap();
    let err = Client::connect_with(connection(&emu, jwt(other)), fast())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("invalid_grant"), "{err}");
    assert!(!format!("{err:?}").contains("PRIVATE KEY"));
}

#[tokio::test]
async fn jwt_bearer_with_the_pkcs8_development_key() {
    let emu = emulator().await;
    let key = std::fs::read_to_string(fixture("src/emulate/devkeys/jwt-dev.key")).unwrap();
    assert!(key.contains("BEGIN PRIVATE KEY"));
    let auth = Auth::Jwt {
        login_url: base(&emu),
        client_id: emu.credentials().client_id.clone(),
        username: emu.credentials().username.clone(),
        key_pem: key,
    };
    let client = Client::connect_with(connection(&emu, auth), fast())
        .await
        .unwrap();
    client.query("SELECT Id FROM Contact").await.unwrap();
}

/// Plays the browser: follows the authorize URL to the loopback redirect.
async fn browse(url: url::Url) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http.get(url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let page = http.get(location).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
}

async fn web_login(emu: &sfmap::emulate::Emulator) -> auth::Tokens {
    let mut login = WebLogin::new(base(emu), emu.credentials().client_id.clone());
    login.port = 0;
    login.open_browser = false;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let browser = tokio::spawn(async move { browse(rx.await.unwrap()).await });
    let tokens = auth::login_web_with(&login, move |url| {
        let q: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(get("code_challenge_method").as_deref(), Some("S256"));
        assert!(get("code_challenge").is_some() && get("state").is_some());
        assert!(!url.as_str().contains("secret"));
        tx.send(url.clone()).unwrap();
    })
    .await
    .expect("web login");
    browser.await.unwrap();
    tokens
}

#[tokio::test]
async fn web_login_with_pkce_then_refresh_token_flow() {
    let emu = emulator().await;
    let tokens = web_login(&emu).await;
    let refresh = tokens.refresh_token.clone().expect("a refresh token");
    assert!(!format!("{tokens:?}").contains(refresh.expose()));
    assert!(tokens.org_and_user().is_some());

    let auth = Auth::RefreshToken {
        login_url: base(&emu),
        client_id: emu.credentials().client_id.clone(),
        client_secret: None,
        refresh_token: refresh.expose().to_string(),
    };
    let client = Client::connect_with(connection(&emu, auth), fast())
        .await
        .unwrap();
    client.query("SELECT Id FROM Lead").await.unwrap();
    assert_eq!(client.token_calls(), 1);
}

#[tokio::test]
async fn a_sixth_approval_revokes_the_oldest_refresh_token() {
    let emu = emulator().await;
    let first = web_login(&emu).await.refresh_token.unwrap();
    for _ in 0..5 {
        web_login(&emu).await;
    }
    let auth = Auth::RefreshToken {
        login_url: base(&emu),
        client_id: emu.credentials().client_id.clone(),
        client_secret: None,
        refresh_token: first.expose().to_string(),
    };
    let err = Client::connect_with(connection(&emu, auth), fast())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("five OAuth approvals"), "{text}");
    assert!(!text.contains(first.expose()) && !format!("{err:?}").contains(first.expose()));
}

#[tokio::test]
async fn a_given_access_token_cannot_be_renewed() {
    let emu = emulator().await;
    let token = emu.credentials().access_token.clone();
    let client = Client::connect_with(connection(&emu, Auth::AccessToken(token.clone())), fast())
        .await
        .unwrap();
    client.query("SELECT Id FROM Contact").await.unwrap();
    emu.expire_token(&token);
    let err = client.query("SELECT Id FROM Contact").await.unwrap_err();
    assert_eq!(err.code(), Some("INVALID_SESSION_ID"), "{err}");
    assert!(!err.to_string().contains(&token));
    assert_eq!(client.token_calls(), 0);
}

#[tokio::test]
async fn login_tokens_round_trip_through_the_credentials_file() {
    let emu = emulator().await;
    let c = emu.credentials().clone();
    let tokens = auth::password(
        &auth::http_client(std::time::Duration::from_secs(10)),
        &base(&emu),
        &c.client_id,
        &c.client_secret,
        &c.username,
        &c.password,
    )
    .await
    .unwrap();
    let dir = std::env::temp_dir().join(format!("sfmap-sf-test-{}", std::process::id()));
    let file = CredentialsFile::new(dir.join("credentials.json"));
    file.save(
        "local",
        StoredProfile::from_tokens(&tokens, emu.base_url(), &c.client_id, Some(&c.username)),
    )
    .unwrap();
    let stored = file.load("local").unwrap().unwrap();
    let client = Client::connect_with(
        sfmap::salesforce::Connection {
            instance_url: url::Url::parse(&stored.instance_url).unwrap(),
            api_version: "62.0".into(),
            auth: Auth::AccessToken(stored.access_token.expose().to_string()),
            allow_loopback: true,
        },
        fast(),
    )
    .await
    .unwrap();
    client.query("SELECT Id FROM Contact").await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn loopback_needs_allow_loopback() {
    let emu = emulator().await;
    let mut conn = connection(&emu, password_auth(&emu));
    conn.allow_loopback = false;
    let err = Client::connect_with(conn, fast()).await.unwrap_err();
    assert!(matches!(err, SfError::InvalidInstanceUrl { .. }), "{err}");
    assert_eq!(
        emu.requests().len(),
        0,
        "nothing may be sent to an unvalidated host"
    );
}

#[tokio::test]
async fn concurrent_refresh_answers_are_waited_out() {
    let emu = emulator().await;
    let grant_error = |d: &str| {
        (
            400,
            serde_json::json!({"error": "invalid_grant", "error_description": d}).to_string(),
        )
    };
    let ok = serde_json::json!({
        "access_token": emu.credentials().access_token,
        "instance_url": emu.base_url(),
        "id": format!("{}/id/{}/{}", emu.base_url(), emu.org_id(), emu.user_id()),
        "token_type": "Bearer",
        "issued_at": "1700000000000",
    })
    .to_string();
    let (login, _) = scripted_server(vec![
        grant_error("token request is already being processed"),
        grant_error("expired authorization code"),
        (200, ok),
    ])
    .await;
    let auth = Auth::RefreshToken {
        login_url: login,
        client_id: "cid".into(),
        client_secret: None,
        refresh_token: "RT-SECRET".into(),
    };
    let client = Client::connect_with(connection(&emu, auth), fast())
        .await
        .unwrap();
    assert_eq!(client.token_calls(), 3);
    client.query("SELECT Id FROM Contact").await.unwrap();
}

#[tokio::test]
async fn a_token_response_naming_a_foreign_instance_is_refused() {
    let ok = serde_json::json!({
        "access_token": "00D!x",
        "instance_url": "https://evil.example/?x.salesforce.com",
        "token_type": "Bearer",
    })
    .to_string();
    let (login, _) = scripted_server(vec![(200, ok)]).await;
    let auth = Auth::RefreshToken {
        login_url: login.clone(),
        client_id: "cid".into(),
        client_secret: None,
        refresh_token: "RT".into(),
    };
    let conn = sfmap::salesforce::Connection {
        instance_url: login,
        api_version: "62.0".into(),
        auth,
        allow_loopback: true,
    };
    let err = Client::connect_with(conn, fast()).await.unwrap_err();
    assert!(matches!(err, SfError::InvalidInstanceUrl { .. }), "{err}");
}

/// Sends the browser back to the login's redirect with extra query pairs.
async fn redirect_with(url: url::Url, pairs: Vec<(&'static str, String)>) {
    let q: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let get = |k: &str| {
        q.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let mut back = url::Url::parse(&get("redirect_uri")).unwrap();
    for (k, v) in pairs {
        let v = if v == "$state" { get("state") } else { v };
        back.query_pairs_mut().append_pair(k, &v);
    }
    let _ = reqwest::get(back).await;
}

async fn web_login_answered(pairs: Vec<(&'static str, String)>) -> SfError {
    let emu = emulator().await;
    let mut login = WebLogin::new(base(&emu), emu.credentials().client_id.clone());
    login.port = 0;
    login.open_browser = false;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let browser = tokio::spawn(async move { redirect_with(rx.await.unwrap(), pairs).await });
    let err = auth::login_web_with(&login, move |url| tx.send(url.clone()).unwrap())
        .await
        .unwrap_err();
    browser.await.unwrap();
    err
}

#[tokio::test]
async fn web_login_reports_a_denial() {
    let err = web_login_answered(vec![
        ("error", "access_denied".into()),
        ("error_description", "end-user denied authorization".into()),
        ("state", "$state".into()),
    ])
    .await;
    assert_eq!(err.code(), Some("access_denied"), "{err}");
}

#[tokio::test]
async fn web_login_refuses_a_forged_state() {
    let err = web_login_answered(vec![
        ("code", "stolen".into()),
        ("state", "not-the-state".into()),
    ])
    .await;
    assert!(err.to_string().contains("wrong state"), "{err}");
}
