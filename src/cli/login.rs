//! `sfmap login`: obtain and store tokens for a profile.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::profile::{self, CLIENT_SECRET_ENV};
use crate::config::Config;
use crate::salesforce::auth::{self, StoredProfile, WebLogin};

/// Log in to the org of a profile in sfmap.toml and store its tokens (0600 file).
///
/// With `auth = "web"` (the default) this runs Salesforce's web-server flow with PKCE: it prints
/// the authorization URL (and opens a browser where it can), catches the redirect on
/// `http://localhost:PORT/OauthRedirect`, and stores the refresh token. With `auth = "jwt"` or
/// `"client_credentials"` it checks that a token can be obtained (run mints its own).
/// Tokens are never printed. Salesforce allows five approvals per user per connected app:
/// logging in a sixth time revokes the oldest refresh token.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The profile in sfmap.toml (default: `default_profile`).
    #[arg(long)]
    pub profile: Option<String>,
    /// Where sfmap.toml is searched from.
    #[arg(long, default_value = ".")]
    pub config_dir: PathBuf,
    /// The credentials file (default: $SFMAP_CREDENTIALS or ~/.config/sfmap/credentials.json).
    #[arg(long)]
    pub credentials: Option<PathBuf>,
    /// Loopback port for the web flow's redirect (must be a callback URL of the connected app).
    #[arg(long, default_value_t = 1717)]
    pub port: u16,
    /// Do not try to open a browser; only print the URL.
    #[arg(long)]
    pub no_browser: bool,
}

pub fn run(args: &LoginArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return super::usage_error(&format!("cannot start the runtime: {e}")),
    };
    match runtime.block_on(login(args)) {
        Ok(message) => {
            eprintln!("{message}");
            ExitCode::SUCCESS
        }
        Err(e) => super::usage_error(&e),
    }
}

async fn login(args: &LoginArgs) -> Result<String, String> {
    let config = Config::discover(&args.config_dir).map_err(|e| e.to_string())?;
    let resolved = profile::resolve(&config, args.profile.as_deref())?;
    if resolved.is_local() {
        return Err(
            "profile uses the embedded local org: no login needed (`run --org local`)".into(),
        );
    }
    let creds = profile::credentials(args.credentials.as_deref())?;
    let (login_url, _) = resolved.login_url()?;
    let client_id = resolved.client_id()?;
    let secret = std::env::var(CLIENT_SECRET_ENV)
        .ok()
        .filter(|s| !s.is_empty());
    let http = auth::http_client(Duration::from_secs(30));
    let (tokens, username) = match resolved.auth_kind() {
        "web" | "refresh_token" => {
            let mut web = WebLogin::new(login_url.clone(), client_id.clone());
            web.client_secret = secret;
            web.port = args.port;
            web.open_browser = !args.no_browser;
            let tokens = auth::login_web(&web).await.map_err(|e| e.to_string())?;
            (tokens, None)
        }
        "jwt" => {
            let key = std::fs::read_to_string(resolved.key_file()?)
                .map_err(|e| format!("cannot read the JWT key file: {e}"))?;
            let user = resolved.username()?;
            let tokens = auth::jwt_bearer(&http, &login_url, &client_id, &user, &key)
                .await
                .map_err(|e| e.to_string())?;
            (tokens, Some(user))
        }
        "client_credentials" => {
            let secret = secret.ok_or_else(|| {
                format!("client_credentials needs the app's secret in {CLIENT_SECRET_ENV}")
            })?;
            let tokens = auth::client_credentials(&http, &login_url, &client_id, &secret)
                .await
                .map_err(|e| e.to_string())?;
            (tokens, None)
        }
        "password" => {
            let p = resolved.password_login(secret)?;
            let tokens = auth::password(
                &http,
                &login_url,
                &client_id,
                &p.client_secret,
                &p.username,
                &p.password,
            )
            .await
            .map_err(|e| e.to_string())?;
            (tokens, Some(p.username))
        }
        other => {
            return Err(format!(
                "unknown auth {other:?} (web, jwt, client_credentials, password)"
            ));
        }
    };
    let entry =
        StoredProfile::from_tokens(&tokens, login_url.as_str(), &client_id, username.as_deref());
    creds
        .save(&resolved.name, entry)
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "logged in: profile `{}` → {}; credentials saved to {} (readable by you only)",
        resolved.name,
        tokens.instance_url,
        creds.path().display()
    ))
}
