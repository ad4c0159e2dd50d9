//! The access token a client uses, and its renewal.
//!
//! Renewal is single-flight: when many requests get 401 at once, the first one to take the
//! refresh lock asks for a new token and bumps the generation; the others, waiting on the lock,
//! see the generation moved and reuse the new token instead of sending their own refresh (which
//! Salesforce answers with `invalid_grant` "token request is already being processed").

use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use url::Url;

use super::Auth;
use super::auth::{self, Tokens};
use super::error::SfError;
use super::instance_url::{self, UrlUse};
use super::retry::RetryPolicy;
use super::secret::Secret;

struct State {
    instance_url: Url,
    token: Option<Secret>,
    generation: u64,
}

pub(crate) struct Session {
    auth: Auth,
    allow_loopback: bool,
    http: reqwest::Client,
    retry: RetryPolicy,
    state: RwLock<State>,
    refresh: tokio::sync::Mutex<()>,
    token_calls: AtomicU64,
}

/// What a request needs: where to send it and with which token.
pub(crate) struct Current {
    pub instance_url: Url,
    pub token: Secret,
    pub generation: u64,
}

/// Token requests tried while Salesforce answers that another one is in flight.
const CONCURRENT_ATTEMPTS: u32 = 6;

impl Session {
    pub fn new(
        auth: Auth,
        instance_url: Url,
        allow_loopback: bool,
        http: reqwest::Client,
        retry: RetryPolicy,
    ) -> Session {
        let token = match &auth {
            Auth::AccessToken(t) => Some(Secret::new(t.clone())),
            _ => None,
        };
        Session {
            auth,
            allow_loopback,
            http,
            retry,
            state: RwLock::new(State {
                instance_url,
                token,
                generation: 0,
            }),
            refresh: tokio::sync::Mutex::new(()),
            token_calls: AtomicU64::new(0),
        }
    }

    pub fn token_calls(&self) -> u64 {
        self.token_calls.load(Ordering::Relaxed)
    }

    pub fn instance_url(&self) -> Url {
        self.read().instance_url.clone()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn can_renew(&self) -> bool {
        !matches!(self.auth, Auth::AccessToken(_))
    }

    /// The current token, obtaining one first if there is none.
    pub async fn current(&self) -> Result<Current, SfError> {
        let generation = {
            let s = self.read();
            if let Some(token) = &s.token {
                return Ok(Current {
                    instance_url: s.instance_url.clone(),
                    token: token.clone(),
                    generation: s.generation,
                });
            }
            s.generation
        };
        self.renew(generation).await?;
        let s = self.read();
        match &s.token {
            Some(token) => Ok(Current {
                instance_url: s.instance_url.clone(),
                token: token.clone(),
                generation: s.generation,
            }),
            None => Err(SfError::auth(None, "no access token could be obtained")),
        }
    }

    /// Replaces the token of generation `seen` (the one a request failed with). If another task
    /// already replaced it, does nothing.
    pub async fn renew(&self, seen: u64) -> Result<(), SfError> {
        let _guard = self.refresh.lock().await;
        {
            let s = self.read();
            if s.generation != seen && s.token.is_some() {
                return Ok(());
            }
        }
        let tokens = self.obtain().await?;
        let url =
            instance_url::validate(&tokens.instance_url, UrlUse::Instance, self.allow_loopback)?;
        let mut s = self.state.write().unwrap_or_else(|p| p.into_inner());
        s.instance_url = url;
        s.token = Some(tokens.access_token);
        s.generation += 1;
        tracing::debug!(
            grant = self.auth.kind(),
            generation = s.generation,
            "new access token"
        );
        Ok(())
    }

    /// One token request for the configured grant, repeated on transport errors and on
    /// Salesforce's concurrent-refresh answers.
    async fn obtain(&self) -> Result<Tokens, SfError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.token_calls.fetch_add(1, Ordering::Relaxed);
            let result = self.request().await;
            let again = match &result {
                Err(SfError::Transport { .. }) => attempt < self.retry.max_attempts,
                Err(e) if auth::is_concurrent_refresh(e) => attempt < CONCURRENT_ATTEMPTS,
                _ => false,
            };
            if !again {
                return result;
            }
            tokio::time::sleep(self.retry.delay(attempt)).await;
        }
    }

    async fn request(&self) -> Result<Tokens, SfError> {
        let http = &self.http;
        match &self.auth {
            Auth::AccessToken(_) => Err(SfError::auth(
                Some("INVALID_SESSION_ID"),
                "the access token is expired or invalid and cannot be renewed (it was given \
                 directly, e.g. in SFMAP_ACCESS_TOKEN); provide a fresh one or use a profile",
            )),
            Auth::RefreshToken {
                login_url,
                client_id,
                client_secret,
                refresh_token,
            } => {
                auth::refresh(
                    http,
                    login_url,
                    client_id,
                    client_secret.as_deref(),
                    refresh_token,
                )
                .await
            }
            Auth::Jwt {
                login_url,
                client_id,
                username,
                key_pem,
            } => auth::jwt_bearer(http, login_url, client_id, username, key_pem).await,
            Auth::ClientCredentials {
                login_url,
                client_id,
                client_secret,
            } => auth::client_credentials(http, login_url, client_id, client_secret).await,
            Auth::Password {
                login_url,
                client_id,
                client_secret,
                username,
                password,
            } => {
                auth::password(
                    http,
                    login_url,
                    client_id,
                    client_secret,
                    username,
                    password,
                )
                .await
            }
        }
    }
}
