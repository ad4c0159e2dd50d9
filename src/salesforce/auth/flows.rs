//! Token requests: one function per grant, each returning `Tokens` or an `SfError` whose text
//! holds Salesforce's error code and description, never a secret or a response body.

use std::time::Duration;

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError,
    ResourceOwnerPassword, ResourceOwnerUsername, StandardRevocableToken, StandardTokenResponse,
    TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use url::Url;

use super::Tokens;
use crate::salesforce::error::SfError;
use crate::salesforce::secret::Secret;

/// Salesforce's fields beyond RFC 6749 in a token response.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub(crate) struct SalesforceFields {
    #[serde(default)]
    instance_url: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    issued_at: Option<String>,
}
impl ExtraTokenFields for SalesforceFields {}

pub(crate) type SfTokenResponse = StandardTokenResponse<SalesforceFields, BasicTokenType>;

pub(crate) type OAuthClient<HasAuthUrl = EndpointNotSet> = oauth2::Client<
    BasicErrorResponse,
    SfTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    HasAuthUrl,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// The HTTP client for token requests: no redirects (a token request must not be forwarded),
/// bounded time.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .user_agent(concat!("sfmap/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

pub(crate) fn endpoint(login_url: &Url, path: &str) -> Result<Url, SfError> {
    login_url
        .join(path)
        .map_err(|_| SfError::InvalidInput(format!("cannot build {path} under the login URL")))
}

pub(crate) fn oauth_client(
    login_url: &Url,
    client_id: &str,
    client_secret: Option<&str>,
) -> Result<OAuthClient, SfError> {
    let token = endpoint(login_url, "services/oauth2/token")?;
    let mut client = oauth2::Client::new(ClientId::new(client_id.to_string()))
        .set_auth_type(AuthType::RequestBody)
        .set_token_uri(TokenUrl::from_url(token));
    if let Some(secret) = client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.to_string()));
    }
    Ok(client)
}

pub(crate) fn with_auth_url(
    client: OAuthClient,
    login_url: &Url,
    redirect: &Url,
) -> Result<OAuthClient<EndpointSet>, SfError> {
    let auth = endpoint(login_url, "services/oauth2/authorize")?;
    Ok(client
        .set_auth_uri(AuthUrl::from_url(auth))
        .set_redirect_uri(RedirectUrl::from_url(redirect.clone())))
}

fn tokens(r: SfTokenResponse) -> Result<Tokens, SfError> {
    let extra = r.extra_fields();
    let instance_url = extra
        .instance_url
        .clone()
        .ok_or_else(|| SfError::Protocol("the token response has no instance_url".into()))?;
    Ok(Tokens {
        access_token: Secret::new(r.access_token().secret().clone()),
        refresh_token: r.refresh_token().map(|t| Secret::new(t.secret().clone())),
        instance_url,
        id: extra.id.clone(),
        issued_at: extra.issued_at.clone(),
        scope: r
            .scopes()
            .map(|s| s.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(" ")),
    })
}

/// How a failed token request should be handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenFailure {
    /// Salesforce is serving a concurrent request with the same refresh token ("token request is
    /// already being processed", or "expired authorization code" on a refresh): wait and retry.
    Concurrent,
    /// The refresh token is revoked or expired: the user must log in again.
    Revoked,
    /// Anything else: report as is.
    Other,
}

/// Classifies an OAuth error answer of a token request for `grant`.
pub fn classify_token_error(grant: &str, code: &str, description: &str) -> TokenFailure {
    let d = description.to_ascii_lowercase();
    if code != "invalid_grant" {
        return TokenFailure::Other;
    }
    if d.contains("already being processed") {
        return TokenFailure::Concurrent;
    }
    if grant == "refresh_token" {
        if d.contains("expired authorization code") {
            return TokenFailure::Concurrent;
        }
        if d.contains("expired access/refresh token") || d.contains("revoked") {
            return TokenFailure::Revoked;
        }
    }
    TokenFailure::Other
}

const CONCURRENT_NOTE: &str = "another token request with the same grant was in flight";

/// Whether `e` is Salesforce's answer to concurrent token requests (worth waiting and retrying).
pub fn is_concurrent_refresh(e: &SfError) -> bool {
    matches!(e, SfError::Auth { message, .. } if message.contains(CONCURRENT_NOTE))
}

fn server_error(grant: &str, code: &str, description: Option<&str>) -> SfError {
    let description = description.unwrap_or("no description");
    let message = match classify_token_error(grant, code, description) {
        TokenFailure::Revoked => format!("{code} ({description}): {}", super::REVOKED_MESSAGE),
        TokenFailure::Concurrent => format!("{code} ({description}): {CONCURRENT_NOTE}"),
        TokenFailure::Other => format!("{grant} grant refused: {code} ({description})"),
    };
    SfError::auth(Some(code), message)
}

fn transport(e: &reqwest::Error, url: &Url) -> SfError {
    SfError::Transport {
        method: "POST".into(),
        path: url.path().to_string(),
        message: crate::salesforce::client::describe_reqwest(e),
        timeout: e.is_timeout(),
    }
}

fn map_oauth_error(
    grant: &str,
    login_url: &Url,
    e: RequestTokenError<oauth2::HttpClientError<reqwest::Error>, BasicErrorResponse>,
) -> SfError {
    let url = endpoint(login_url, "services/oauth2/token").unwrap_or_else(|_| login_url.clone());
    match e {
        RequestTokenError::ServerResponse(r) => server_error(
            grant,
            r.error().as_ref(),
            r.error_description().map(String::as_str),
        ),
        RequestTokenError::Request(oauth2::HttpClientError::Reqwest(inner)) => {
            transport(&inner, &url)
        }
        RequestTokenError::Request(other) => SfError::Transport {
            method: "POST".into(),
            path: url.path().to_string(),
            message: other.to_string(),
            timeout: false,
        },
        // The body may hold a token: never shown.
        RequestTokenError::Parse(_, _) => {
            SfError::Protocol("the token endpoint answered with unreadable JSON".into())
        }
        RequestTokenError::Other(m) => SfError::Protocol(format!("token endpoint: {m}")),
    }
}

/// `grant_type=password` (legacy; the emulator and old orgs).
pub async fn password(
    http: &reqwest::Client,
    login_url: &Url,
    client_id: &str,
    client_secret: &str,
    username: &str,
    password: &str,
) -> Result<Tokens, SfError> {
    let client = oauth_client(login_url, client_id, Some(client_secret))?;
    let user = ResourceOwnerUsername::new(username.to_string());
    let pass = ResourceOwnerPassword::new(password.to_string());
    let r = client
        .exchange_password(&user, &pass)
        .request_async(http)
        .await
        .map_err(|e| map_oauth_error("password", login_url, e))?;
    tokens(r)
}

/// `grant_type=refresh_token`. The response has no new refresh token; the caller keeps its own.
pub async fn refresh(
    http: &reqwest::Client,
    login_url: &Url,
    client_id: &str,
    client_secret: Option<&str>,
    refresh_token: &str,
) -> Result<Tokens, SfError> {
    let client = oauth_client(login_url, client_id, client_secret)?;
    let rt = RefreshToken::new(refresh_token.to_string());
    let r = client
        .exchange_refresh_token(&rt)
        .request_async(http)
        .await
        .map_err(|e| map_oauth_error("refresh_token", login_url, e))?;
    tokens(r)
}

/// `grant_type=client_credentials` (a My Domain login URL is required by Salesforce).
pub async fn client_credentials(
    http: &reqwest::Client,
    login_url: &Url,
    client_id: &str,
    client_secret: &str,
) -> Result<Tokens, SfError> {
    let client = oauth_client(login_url, client_id, Some(client_secret))?;
    let r = client
        .exchange_client_credentials()
        .request_async(http)
        .await
        .map_err(|e| map_oauth_error("client_credentials", login_url, e))?;
    tokens(r)
}

/// `grant_type=authorization_code` with the PKCE verifier of the authorize request.
pub async fn exchange_code(
    http: &reqwest::Client,
    login_url: &Url,
    client_id: &str,
    client_secret: Option<&str>,
    redirect: &Url,
    code: &str,
    verifier: &str,
) -> Result<Tokens, SfError> {
    let client = with_auth_url(
        oauth_client(login_url, client_id, client_secret)?,
        login_url,
        redirect,
    )?;
    let r = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_string()))
        .request_async(http)
        .await
        .map_err(|e| map_oauth_error("authorization_code", login_url, e))?;
    tokens(r)
}

const JWT_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` with an RS256 assertion signed by
/// `key_pem` (the connected app's certificate key).
pub async fn jwt_bearer(
    http: &reqwest::Client,
    login_url: &Url,
    client_id: &str,
    username: &str,
    key_pem: &str,
) -> Result<Tokens, SfError> {
    let claims = super::jwt::JwtClaims::new(client_id, username, login_url, 180);
    let assertion = super::jwt::sign_assertion(&claims, key_pem)?;
    let url = endpoint(login_url, "services/oauth2/token")?;
    let response = http
        .post(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&[("grant_type", JWT_GRANT), ("assertion", assertion.expose())])
        .send()
        .await
        .map_err(|e| transport(&e, &url))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| transport(&e, &url))?;
    if status.as_u16() != 200 {
        return Err(match serde_json::from_slice::<BasicErrorResponse>(&body) {
            Ok(r) => server_error(
                "jwt-bearer",
                r.error().as_ref(),
                r.error_description().map(String::as_str),
            ),
            Err(_) => SfError::auth(
                None,
                format!("the token endpoint answered HTTP {status} to the JWT bearer grant"),
            ),
        });
    }
    let r: SfTokenResponse = serde_json::from_slice(&body).map_err(|_| {
        SfError::Protocol("the token endpoint answered with unreadable JSON".into())
    })?;
    tokens(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_refresh_answers_are_recognised() {
        assert_eq!(
            classify_token_error(
                "refresh_token",
                "invalid_grant",
                "token request is already being processed"
            ),
            TokenFailure::Concurrent
        );
        assert_eq!(
            classify_token_error(
                "refresh_token",
                "invalid_grant",
                "expired authorization code"
            ),
            TokenFailure::Concurrent
        );
        assert_eq!(
            classify_token_error(
                "refresh_token",
                "invalid_grant",
                "expired access/refresh token"
            ),
            TokenFailure::Revoked
        );
        assert_eq!(
            classify_token_error("password", "invalid_grant", "authentication failure"),
            TokenFailure::Other
        );
        assert_eq!(
            classify_token_error(
                "refresh_token",
                "invalid_client",
                "invalid client credentials"
            ),
            TokenFailure::Other
        );
    }

    #[test]
    fn revoked_message_explains_the_five_approvals_limit() {
        let e = server_error(
            "refresh_token",
            "invalid_grant",
            Some("expired access/refresh token"),
        );
        let text = e.to_string();
        assert!(text.contains("five OAuth approvals"), "{text}");
        assert!(text.contains("sfmap login"), "{text}");
        assert_eq!(e.code(), Some("invalid_grant"));
    }
}
