//! The Salesforce client layer `run` delivers through: OAuth token flows, REST queries and
//! describe, sObject Collections writes, Bulk API 2.0 ingest jobs.
//!
//! Why a layer of its own: every way Segment's integration loses or duplicates data sits here
//! (segment-behaviour.md §5–§8) — instance URLs checked by an unanchored regex, SOQL escaped by
//! hand, creates retried after a timeout, token refreshes racing each other, bulk rows reported
//! as delivered without reading the results. The executor (`run`) decides *what* to write; this
//! module makes each call safe:
//!
//! - URLs are validated by host, never by substring (`instance_url`);
//! - SOQL literals are built by `soql`, never by string pasting;
//! - retries happen only for requests that are safe to repeat; a create whose response was lost
//!   comes back as `SfError::OutcomeUnknown` (`client`, `retry`);
//! - a 401 triggers one token refresh shared by every concurrent request (`session`);
//! - bulk results are read back and mapped to input rows (`bulk`, `bulk_results`);
//! - no secret is ever printed: tokens, secrets and passwords are `Secret`s or redacted by hand.

pub mod auth;
mod bulk;
pub mod bulk_results;
mod client;
mod collections;
pub mod csv_out;
mod error;
mod identity;
pub mod instance_url;
mod query;
mod retry;
mod secret;
mod session;
pub mod soql;

use std::fmt;

use serde::{Deserialize, Serialize};
use url::Url;

pub use bulk::{BulkJob, BulkOperation, JobInfo};
pub use bulk_results::{BulkOutcome, BulkRow, BulkState, RowOutcome};
pub use client::{Client, ClientOptions};
pub use error::{ApiError, SfError, is_transient_code};
pub use identity::Identity;
pub use retry::RetryPolicy;
pub use secret::Secret;

/// The default API version.
pub const DEFAULT_API_VERSION: &str = "62.0";

/// Where and as whom to connect.
#[derive(Clone)]
pub struct Connection {
    /// The org's instance URL (`https://acme.my.salesforce.com`). Replaced by the
    /// `instance_url` of a token response when a token is obtained.
    pub instance_url: Url,
    /// `"62.0"`.
    pub api_version: String,
    pub auth: Auth,
    /// Accept `http://127.0.0.1:PORT` instance and login URLs (the local emulator only).
    pub allow_loopback: bool,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field(
                "instance_url",
                &instance_url::redact(self.instance_url.as_str()),
            )
            .field("api_version", &self.api_version)
            .field("auth", &self.auth)
            .field("allow_loopback", &self.allow_loopback)
            .finish()
    }
}

/// How the client gets (and renews) its access token.
#[derive(Clone)]
pub enum Auth {
    /// A ready token (e.g. `SFMAP_ACCESS_TOKEN` in CI). It cannot be renewed: a 401 is an error.
    AccessToken(String),
    /// A refresh token from `sfmap login` (web-server flow).
    RefreshToken {
        login_url: Url,
        client_id: String,
        client_secret: Option<String>,
        refresh_token: String,
    },
    /// JWT bearer: an assertion signed with the connected app's private key.
    Jwt {
        login_url: Url,
        client_id: String,
        username: String,
        key_pem: String,
    },
    /// Client credentials (runs as the app's integration user; My Domain login URL required).
    ClientCredentials {
        login_url: Url,
        client_id: String,
        client_secret: String,
    },
    /// Username and password (legacy; tests and the emulator).
    Password {
        login_url: Url,
        client_id: String,
        client_secret: String,
        username: String,
        password: String,
    },
}

impl Auth {
    /// The grant's name, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Auth::AccessToken(_) => "access token",
            Auth::RefreshToken { .. } => "refresh token",
            Auth::Jwt { .. } => "JWT bearer",
            Auth::ClientCredentials { .. } => "client credentials",
            Auth::Password { .. } => "password",
        }
    }

    /// The login URL token requests go to, when the grant has one.
    pub fn login_url(&self) -> Option<&Url> {
        match self {
            Auth::AccessToken(_) => None,
            Auth::RefreshToken { login_url, .. }
            | Auth::Jwt { login_url, .. }
            | Auth::ClientCredentials { login_url, .. }
            | Auth::Password { login_url, .. } => Some(login_url),
        }
    }
}

const REDACTED: &str = "[redacted]";

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::AccessToken(_) => f.debug_tuple("AccessToken").field(&REDACTED).finish(),
            Auth::RefreshToken {
                login_url,
                client_id,
                client_secret,
                refresh_token: _,
            } => f
                .debug_struct("RefreshToken")
                .field("login_url", &login_url.as_str())
                .field("client_id", client_id)
                .field("client_secret", &client_secret.as_ref().map(|_| REDACTED))
                .field("refresh_token", &REDACTED)
                .finish(),
            Auth::Jwt {
                login_url,
                client_id,
                username,
                key_pem: _,
            } => f
                .debug_struct("Jwt")
                .field("login_url", &login_url.as_str())
                .field("client_id", client_id)
                .field("username", username)
                .field("key_pem", &REDACTED)
                .finish(),
            Auth::ClientCredentials {
                login_url,
                client_id,
                client_secret: _,
            } => f
                .debug_struct("ClientCredentials")
                .field("login_url", &login_url.as_str())
                .field("client_id", client_id)
                .field("client_secret", &REDACTED)
                .finish(),
            Auth::Password {
                login_url,
                client_id,
                client_secret: _,
                username,
                password: _,
            } => f
                .debug_struct("Password")
                .field("login_url", &login_url.as_str())
                .field("client_id", client_id)
                .field("client_secret", &REDACTED)
                .field("username", username)
                .field("password", &REDACTED)
                .finish(),
        }
    }
}

/// The result of one record of a Collections call, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordResult {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub success: bool,
    /// For upserts: whether the record was inserted (`true`) or updated (`false`).
    #[serde(default)]
    pub created: Option<bool>,
    #[serde(default)]
    pub errors: Vec<ApiError>,
}

impl RecordResult {
    /// A failure with one error (for records the client refused or could not send).
    pub fn failed(code: &str, message: impl Into<String>) -> RecordResult {
        RecordResult {
            id: None,
            success: false,
            created: None,
            errors: vec![ApiError::new(code, message)],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let login = Url::parse("https://login.salesforce.com").unwrap();
        let auths = [
            Auth::AccessToken("00Dxx!SECRET1".into()),
            Auth::RefreshToken {
                login_url: login.clone(),
                client_id: "cid".into(),
                client_secret: Some("SECRET2".into()),
                refresh_token: "SECRET3".into(),
            },
            Auth::Jwt {
                login_url: login.clone(),
                client_id: "cid".into(),
                username: "u@x.com".into(),
                key_pem: "-----BEGIN PRIVATE KEY-----SECRET4".into(),
            },
            Auth::ClientCredentials {
                login_url: login.clone(),
                client_id: "cid".into(),
                client_secret: "SECRET5".into(),
            },
            Auth::Password {
                login_url: login.clone(),
                client_id: "cid".into(),
                client_secret: "SECRET6".into(),
                username: "u@x.com".into(),
                password: "SECRET7".into(),
            },
        ];
        for auth in auths {
            let conn = Connection {
                instance_url: Url::parse("https://acme.my.salesforce.com").unwrap(),
                api_version: DEFAULT_API_VERSION.into(),
                auth,
                allow_loopback: false,
            };
            for shown in [format!("{conn:?}"), format!("{conn:#?}")] {
                assert!(!shown.contains("SECRET"), "{shown}");
                assert!(shown.contains("cid") || shown.contains("AccessToken"));
            }
        }
        let s = Secret::new("SECRET8");
        assert_eq!(format!("{s} {s:?}"), "[redacted] [redacted]");
    }
}
