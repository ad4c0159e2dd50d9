//! `sfmap login`: the OAuth web-server flow with PKCE (S256) and a loopback redirect.
//!
//! The authorize URL is printed (and opened in a browser when `xdg-open` or `open` exists); a
//! one-shot HTTP listener on 127.0.0.1 catches the redirect, checks the `state`, and the code
//! is exchanged together with the PKCE verifier. Nothing secret is printed: the URL carries only
//! the public client id, the challenge and the state.

use std::fmt;
use std::time::Duration;

use oauth2::{CsrfToken, PkceCodeChallenge, Scope};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

use super::Tokens;
use super::flows::{exchange_code, http_client, oauth_client, with_auth_url};
use crate::salesforce::error::SfError;

/// Settings of one interactive login.
#[derive(Clone)]
pub struct WebLogin {
    pub login_url: Url,
    pub client_id: String,
    /// Only when the connected app requires a secret for the web-server flow.
    pub client_secret: Option<String>,
    /// Loopback port of the redirect (`http://localhost:PORT/OauthRedirect`, which must be a
    /// callback URL of the connected app). 0 picks a free port (fine for the emulator).
    pub port: u16,
    pub scopes: Vec<String>,
    pub open_browser: bool,
    /// How long to wait for the browser to come back.
    pub timeout: Duration,
}

impl WebLogin {
    pub fn new(login_url: Url, client_id: impl Into<String>) -> WebLogin {
        WebLogin {
            login_url,
            client_id: client_id.into(),
            client_secret: None,
            port: 1717,
            scopes: vec!["api".into(), "refresh_token".into()],
            open_browser: true,
            timeout: Duration::from_secs(300),
        }
    }
}

impl fmt::Debug for WebLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebLogin")
            .field("login_url", &self.login_url.as_str())
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("port", &self.port)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// The authorize URL for `redirect`, with its state and PKCE verifier.
pub fn authorize_url(login: &WebLogin, redirect: &Url) -> Result<(Url, String, String), SfError> {
    let client = with_auth_url(
        oauth_client(
            &login.login_url,
            &login.client_id,
            login.client_secret.as_deref(),
        )?,
        &login.login_url,
        redirect,
    )?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(login.scopes.iter().map(|s| Scope::new(s.clone())))
        .set_pkce_challenge(challenge)
        .url();
    Ok((url, state.secret().clone(), verifier.secret().clone()))
}

/// Runs the login: prints the URL to stderr, opens a browser when possible.
pub async fn login_web(login: &WebLogin) -> Result<Tokens, SfError> {
    let open = login.open_browser;
    login_web_with(login, move |url| {
        eprintln!("Open this URL in a browser to log in to Salesforce:\n\n  {url}\n");
        if open {
            open_browser(url.as_str());
        }
    })
    .await
}

fn open_browser(url: &str) {
    for opener in ["xdg-open", "open"] {
        let spawned = std::process::Command::new(opener)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        if spawned.is_ok() {
            return;
        }
    }
}

/// Runs the login, handing the authorize URL to `on_url` (tests play the browser with it).
pub async fn login_web_with(
    login: &WebLogin,
    on_url: impl FnOnce(&Url),
) -> Result<Tokens, SfError> {
    let listener = TcpListener::bind(("127.0.0.1", login.port))
        .await
        .map_err(|e| {
            SfError::auth(
                None,
                format!(
                    "cannot listen on 127.0.0.1:{} for the login redirect: {e}",
                    login.port
                ),
            )
        })?;
    let port = listener
        .local_addr()
        .map_err(|e| SfError::auth(None, e.to_string()))?
        .port();
    let redirect = Url::parse(&format!("http://localhost:{port}/OauthRedirect"))
        .map_err(|e| SfError::InvalidInput(e.to_string()))?;
    let (url, state, verifier) = authorize_url(login, &redirect)?;
    on_url(&url);
    let code = tokio::time::timeout(login.timeout, catch_code(&listener, &state))
        .await
        .map_err(|_| {
            SfError::auth(None, "no answer from the browser before the login timeout")
        })??;
    let http = http_client(Duration::from_secs(60));
    exchange_code(
        &http,
        &login.login_url,
        &login.client_id,
        login.client_secret.as_deref(),
        &redirect,
        &code,
        &verifier,
    )
    .await
}

const PAGE_OK: &str =
    "<html><body><h3>sfmap is logged in.</h3>You can close this window.</body></html>";
const PAGE_ERR: &str = "<html><body><h3>sfmap login failed.</h3>See the terminal.</body></html>";

/// Serves the redirect; returns the code once a request carries one (or an error).
async fn catch_code(listener: &TcpListener, state: &str) -> Result<String, SfError> {
    loop {
        let (mut stream, _) = listener
            .accept()
            .await
            .map_err(|e| SfError::auth(None, format!("login redirect listener: {e}")))?;
        let mut buf = Vec::with_capacity(2048);
        let mut chunk = [0u8; 2048];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let head = String::from_utf8_lossy(&buf);
        let target = head
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("");
        let Ok(url) = Url::parse(&format!("http://localhost{target}")) else {
            let _ = respond(&mut stream, 400, PAGE_ERR).await;
            continue;
        };
        if url.path() != "/OauthRedirect" {
            let _ = respond(&mut stream, 404, "not found").await;
            continue;
        }
        let get = |k: &str| {
            url.query_pairs()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.into_owned())
        };
        if get("state").as_deref() != Some(state) {
            let _ = respond(&mut stream, 400, PAGE_ERR).await;
            return Err(SfError::auth(
                None,
                "the login redirect carried the wrong state (a stale or forged redirect)",
            ));
        }
        if let Some(error) = get("error") {
            let _ = respond(&mut stream, 400, PAGE_ERR).await;
            let description = get("error_description").unwrap_or_default();
            return Err(SfError::auth(
                Some(&error),
                format!("login refused: {error} ({description})"),
            ));
        }
        match get("code") {
            Some(code) => {
                let _ = respond(&mut stream, 200, PAGE_OK).await;
                return Ok(code);
            }
            None => {
                let _ = respond(&mut stream, 400, PAGE_ERR).await;
            }
        }
    }
}

async fn respond(
    stream: &mut tokio::net::TcpStream,
    status: u16,
    body: &str,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let text = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(text.as_bytes()).await?;
    stream.shutdown().await
}
