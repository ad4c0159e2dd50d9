//! OAuth sessions: access tokens with expiry, refresh tokens, authorization codes, and the
//! five-approvals-per-user-per-app rule (salesforce-api.md §1.10).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use rand::RngExt;
use sha2::{Digest, Sha256};

/// How many refresh-token approvals one user may hold for one connected app.
pub const MAX_APPROVALS: usize = 5;
/// Authorization codes live about 15 minutes.
pub const CODE_TTL: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: String,
    pub expires_at: Instant,
    pub refresh_token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RefreshGrant {
    pub user_id: String,
    pub client_id: String,
    pub scope: String,
}

#[derive(Debug, Clone)]
pub struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub user_id: String,
    pub scope: String,
    pub issued: Instant,
    pub used: bool,
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    Unknown,
    Expired,
}

#[derive(Debug, Default)]
pub struct AuthState {
    sessions: HashMap<String, Session>,
    refresh: HashMap<String, RefreshGrant>,
    codes: HashMap<String, AuthCode>,
    approvals: HashMap<(String, String), VecDeque<String>>,
}

/// `len` random characters from [A-Za-z0-9].
pub fn random_token(len: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

impl AuthState {
    /// Issues an access token shaped like Salesforce's (`00D…!AQ…`).
    pub fn issue_access(
        &mut self,
        org15: &str,
        user_id: &str,
        ttl: Duration,
        refresh_token: Option<String>,
    ) -> String {
        let token = format!("{org15}!AQ{}", random_token(96));
        self.sessions.insert(
            token.clone(),
            Session {
                user_id: user_id.to_string(),
                expires_at: Instant::now() + ttl,
                refresh_token,
            },
        );
        token
    }

    /// Issues a refresh token, evicting the user's oldest approval for this app beyond five.
    pub fn issue_refresh(&mut self, user_id: &str, client_id: &str, scope: &str) -> String {
        let token = format!("5Aep861{}", random_token(80));
        self.refresh.insert(
            token.clone(),
            RefreshGrant {
                user_id: user_id.to_string(),
                client_id: client_id.to_string(),
                scope: scope.to_string(),
            },
        );
        let list = self
            .approvals
            .entry((user_id.to_string(), client_id.to_string()))
            .or_default();
        list.push_back(token.clone());
        while list.len() > MAX_APPROVALS {
            if let Some(old) = list.pop_front() {
                self.refresh.remove(&old);
                self.sessions
                    .retain(|_, s| s.refresh_token.as_deref() != Some(old.as_str()));
            }
        }
        token
    }

    pub fn check_access(&self, token: &str) -> Result<&Session, TokenProblem> {
        match self.sessions.get(token) {
            None => Err(TokenProblem::Unknown),
            Some(s) if s.expires_at <= Instant::now() => Err(TokenProblem::Expired),
            Some(s) => Ok(s),
        }
    }

    /// Makes an access token expire now (fault injection, tests).
    pub fn expire(&mut self, token: &str) {
        if let Some(s) = self.sessions.get_mut(token) {
            s.expires_at = Instant::now();
        }
    }

    pub fn refresh_grant(&self, token: &str) -> Option<&RefreshGrant> {
        self.refresh.get(token)
    }

    pub fn store_code(&mut self, code: String, data: AuthCode) {
        self.codes.insert(code, data);
    }

    pub fn code_mut(&mut self, code: &str) -> Option<&mut AuthCode> {
        self.codes.get_mut(code)
    }

    /// Revokes an access or refresh token. Revoking a refresh token also revokes the access
    /// tokens issued from it. Returns false when the token is unknown.
    pub fn revoke(&mut self, token: &str) -> bool {
        if self.sessions.remove(token).is_some() {
            return true;
        }
        if let Some(grant) = self.refresh.remove(token) {
            self.sessions
                .retain(|_, s| s.refresh_token.as_deref() != Some(token));
            if let Some(list) = self
                .approvals
                .get_mut(&(grant.user_id.clone(), grant.client_id.clone()))
            {
                list.retain(|t| t != token);
            }
            return true;
        }
        false
    }
}

/// `base64url(SHA-256(verifier))` without padding: the PKCE S256 transform.
pub fn pkce_challenge(verifier: &str) -> String {
    use base64::Engine;
    let digest = Sha256::digest(verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// HMAC-SHA256, for the token response's `signature` (`base64(HMAC(secret, id + issued_at))`).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        let d = Sha256::digest(key);
        k[..d.len()].copy_from_slice(&d);
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.iter().map(|b| b ^ 0x36).collect::<Vec<u8>>());
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(k.iter().map(|b| b ^ 0x5c).collect::<Vec<u8>>());
    outer.update(inner);
    outer.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_rfc7636_example() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn sixth_approval_revokes_the_oldest() {
        let mut a = AuthState::default();
        let tokens: Vec<String> = (0..6).map(|_| a.issue_refresh("u", "c", "api")).collect();
        assert!(a.refresh_grant(&tokens[0]).is_none());
        for t in &tokens[1..] {
            assert!(a.refresh_grant(t).is_some());
        }
    }
}
