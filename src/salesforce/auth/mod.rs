//! OAuth 2.0 for Salesforce (salesforce-api.md §1): the token flows, the web-server login with
//! PKCE, and the local token store.
//!
//! The flows use the `oauth2` crate (authorization code + PKCE, refresh token, client
//! credentials, password); the JWT bearer grant, which `oauth2` does not model, is a plain form
//! POST that reads the same token response. Salesforce's extra response fields (`instance_url`,
//! `id`, `issued_at`) are read through `oauth2`'s extra-fields hook.
//!
//! See docs/auth.md for which flow to use when.

mod flows;
mod jwt;
mod pem;
mod store;
mod web;

use serde::{Deserialize, Serialize};

use super::secret::Secret;

pub use flows::{
    TokenFailure, classify_token_error, client_credentials, exchange_code, http_client,
    is_concurrent_refresh, jwt_bearer, password, refresh,
};
pub use jwt::{JwtClaims, jwt_audience, sign_assertion};
pub use store::{CredentialsFile, ENV_ACCESS_TOKEN, ENV_INSTANCE_URL, StoredProfile};
pub use web::{WebLogin, authorize_url, login_web, login_web_with};

/// What a token endpoint returned. `Debug` shows no token (they are `Secret`s).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    pub access_token: Secret,
    /// Only the web-server flow returns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    pub instance_url: String,
    /// The identity URL `https://login.../id/{orgId}/{userId}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Milliseconds since the epoch, as Salesforce sends it (a string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl Tokens {
    /// The org Id and user Id, from the last two segments of the identity URL.
    pub fn org_and_user(&self) -> Option<(&str, &str)> {
        let id = self.id.as_deref()?;
        let mut parts = id.trim_end_matches('/').rsplit('/');
        let user = parts.next()?;
        let org = parts.next()?;
        Some((org, user))
    }
}

/// The message for a refresh token Salesforce no longer accepts.
pub const REVOKED_MESSAGE: &str = "the refresh token was revoked or has expired; run `sfmap login` again. \
Salesforce keeps at most five OAuth approvals per user per connected app: connecting a sixth \
(another machine, another tool using the same app and user) silently revokes the oldest. Prefer \
the JWT bearer or client-credentials flow for unattended runs, or a dedicated connected app";
