//! The JWT bearer assertion (salesforce-api.md §1.5): RS256, `iss` = consumer key, `sub` =
//! username, `aud` = the login server, `exp` a few minutes ahead, in seconds.

use serde::Serialize;
use url::Url;

use crate::salesforce::error::SfError;
use crate::salesforce::secret::Secret;

/// The claims Salesforce reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JwtClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
}

impl JwtClaims {
    /// Claims valid for `ttl_secs` from now.
    pub fn new(client_id: &str, username: &str, login_url: &Url, ttl_secs: i64) -> JwtClaims {
        JwtClaims {
            iss: client_id.to_string(),
            sub: username.to_string(),
            aud: jwt_audience(login_url),
            exp: chrono::Utc::now().timestamp() + ttl_secs,
        }
    }
}

/// The `aud` Salesforce expects for a login URL: `https://test.salesforce.com` for sandboxes
/// (test host or `*.sandbox.my.salesforce.com`), the site URL for Experience Cloud sites, the URL
/// itself for a loopback emulator, else `https://login.salesforce.com` (also for My Domain
/// hosts of production orgs).
pub fn jwt_audience(login_url: &Url) -> String {
    let host = login_url.host_str().unwrap_or("").to_ascii_lowercase();
    let origin = login_url.as_str().trim_end_matches('/').to_string();
    if host == "127.0.0.1"
        || host == "localhost"
        || host == "[::1]"
        || host.ends_with(".my.site.com")
    {
        origin
    } else if host == "test.salesforce.com" || host.ends_with(".sandbox.my.salesforce.com") {
        "https://test.salesforce.com".into()
    } else {
        "https://login.salesforce.com".into()
    }
}

/// Signs `claims` with an RSA private key in PEM (PKCS#1 or PKCS#8).
pub fn sign_assertion(claims: &JwtClaims, key_pem: &str) -> Result<Secret, SfError> {
    let der = super::pem::rsa_private_key_der(key_pem).map_err(|why| {
        SfError::auth(
            None,
            format!("the JWT key is not a usable RSA private key in PEM form: {why}"),
        )
    })?;
    let key = jsonwebtoken::EncodingKey::from_rsa_der(&der);
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    jsonwebtoken::encode(&header, claims, &key)
        .map(Secret::new)
        .map_err(|_| SfError::auth(None, "cannot sign the JWT assertion with the given key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences() {
        let aud = |u: &str| jwt_audience(&Url::parse(u).unwrap());
        assert_eq!(
            aud("https://login.salesforce.com/"),
            "https://login.salesforce.com"
        );
        assert_eq!(
            aud("https://acme.my.salesforce.com"),
            "https://login.salesforce.com"
        );
        assert_eq!(
            aud("https://test.salesforce.com"),
            "https://test.salesforce.com"
        );
        assert_eq!(
            aud("https://acme--uat.sandbox.my.salesforce.com"),
            "https://test.salesforce.com"
        );
        assert_eq!(aud("http://127.0.0.1:8765/"), "http://127.0.0.1:8765");
        assert_eq!(aud("https://acme.my.site.com"), "https://acme.my.site.com");
    }

    #[test]
    fn bad_key_is_an_auth_error_without_the_key() {
        let claims = JwtClaims::new(
            "cid",
            "u@x.com",
            &Url::parse("https://login.salesforce.com").unwrap(),
            180,
        );
        let e = sign_assertion(
            &claims,
            "-----BEGIN RSA PRIVATE KEY-----\nSECRETSTUFF\n-----END RSA PRIVATE KEY-----",
        )
        .unwrap_err();
        assert!(!e.to_string().contains("SECRETSTUFF"));
        assert!(matches!(e, SfError::Auth { .. }));
    }
}
