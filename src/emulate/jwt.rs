//! JWT bearer assertions (salesforce-api.md §1.5): RS256 signatures verified against the
//! connected app's certificate, with the lenient `exp`/`aud` handling real clients need
//! (simple_salesforce sends `exp` as a string, the sf CLI in milliseconds with a trailing-slash
//! `aud`).

use std::path::Path;

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::error::EmulateError;

/// The development key pair used when no certificate is configured. It is a published test key,
/// not a secret: anyone can sign assertions for the local emulator with it.
pub const DEV_PRIVATE_KEY: &str = include_str!("devkeys/jwt-dev.key");
pub const DEV_CERT: &str = include_str!("devkeys/jwt-dev.crt");

/// Verifies assertions against one RSA public key.
pub struct JwtVerifier {
    key: DecodingKey,
}

/// The claims the emulator checks, after verification.
#[derive(Debug, Clone, PartialEq)]
pub struct Assertion {
    pub iss: String,
    pub sub: String,
    pub aud: Vec<String>,
    /// Expiry in seconds since the epoch, normalised from seconds, milliseconds or a string.
    pub exp: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AssertionError {
    #[error("invalid assertion")]
    Invalid,
    #[error("expired")]
    Expired,
}

impl JwtVerifier {
    /// Loads a certificate, a `PUBLIC KEY` or an `RSA PUBLIC KEY` PEM file; `None` uses the
    /// built-in development certificate.
    pub fn load(path: Option<&Path>) -> Result<JwtVerifier, EmulateError> {
        let (text, name) = match path {
            Some(p) => (
                std::fs::read_to_string(p).map_err(|source| EmulateError::Io {
                    what: "cannot read JWT certificate",
                    path: p.display().to_string(),
                    source,
                })?,
                p.display().to_string(),
            ),
            None => (
                DEV_CERT.to_string(),
                "built-in development certificate".into(),
            ),
        };
        let pkcs1 = rsa_public_key_from_pem(&text).map_err(|message| EmulateError::JwtCert {
            path: name,
            message,
        })?;
        Ok(JwtVerifier {
            key: DecodingKey::from_rsa_der(&pkcs1),
        })
    }

    pub fn verify(&self, token: &str, now_secs: i64) -> Result<Assertion, AssertionError> {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<Value>(token, &self.key, &validation)
            .map_err(|_| AssertionError::Invalid)?;
        let claims = data.claims;
        let text = |k: &str| claims.get(k).and_then(Value::as_str).map(str::to_string);
        let iss = text("iss").ok_or(AssertionError::Invalid)?;
        let sub = text("sub")
            .or_else(|| text("prn"))
            .ok_or(AssertionError::Invalid)?;
        let aud = match claims.get("aud") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let exp = match claims.get("exp") {
            Some(Value::Number(n)) => n.as_f64().map(|f| f as i64),
            Some(Value::String(s)) => s.trim().parse::<f64>().ok().map(|f| f as i64),
            _ => None,
        }
        .map(|e| if e > 100_000_000_000 { e / 1000 } else { e });
        if let Some(e) = exp
            && e < now_secs
        {
            return Err(AssertionError::Expired);
        }
        Ok(Assertion { iss, sub, aud, exp })
    }
}

/// Signs claims (RS256) with the built-in development key: what a local tool needs to log in to
/// the emulator with the JWT bearer flow when no certificate was configured.
pub fn sign_with_dev_key(claims: &Value) -> Result<String, jsonwebtoken::errors::Error> {
    let key = jsonwebtoken::EncodingKey::from_rsa_der(&dev_private_pkcs1());
    jsonwebtoken::encode(&jsonwebtoken::Header::new(Algorithm::RS256), claims, &key)
}

/// The development key as PKCS#1 DER (PKCS#8 `PrivateKeyInfo` unwrapped).
fn dev_private_pkcs1() -> Vec<u8> {
    let pkcs1 = || -> Result<Vec<u8>, String> {
        let (_, der) = pem_decode(DEV_PRIVATE_KEY)?;
        let (_, seq, _) = der_next(&der)?;
        let (_, _, rest) = der_next(seq)?; // version
        let (_, _, rest) = der_next(rest)?; // algorithm
        let (_, octets, _) = der_next(rest)?;
        Ok(octets.to_vec())
    };
    pkcs1().unwrap_or_default()
}

/// PKCS#1 `RSAPublicKey` DER from a PEM certificate, SubjectPublicKeyInfo or PKCS#1 key.
fn rsa_public_key_from_pem(text: &str) -> Result<Vec<u8>, String> {
    let (label, der) = pem_decode(text)?;
    match label.as_str() {
        "RSA PUBLIC KEY" => Ok(der),
        "PUBLIC KEY" => spki_to_pkcs1(&der),
        "CERTIFICATE" => {
            let (_, cert, _) = der_next(&der)?;
            let (_, tbs, _) = der_next(cert)?;
            let mut rest = tbs;
            let (tag, _, after) = der_next(rest)?;
            if tag == 0xA0 {
                rest = after;
            }
            // serial, signature algorithm, issuer, validity, subject
            for _ in 0..5 {
                rest = der_next(rest)?.2;
            }
            let (tag, _, _) = der_next(rest)?;
            if tag != 0x30 {
                return Err("certificate has no public key".into());
            }
            let len = der_len(rest)?;
            spki_to_pkcs1(&rest[..len])
        }
        other => Err(format!(
            "expected a certificate or public key, found {other}"
        )),
    }
}

fn pem_decode(text: &str) -> Result<(String, Vec<u8>), String> {
    let begin = text
        .lines()
        .position(|l| l.starts_with("-----BEGIN "))
        .ok_or("no PEM block")?;
    let lines: Vec<&str> = text.lines().collect();
    let label = lines[begin]
        .trim()
        .trim_start_matches("-----BEGIN ")
        .trim_end_matches("-----")
        .to_string();
    let body: String = lines[begin + 1..]
        .iter()
        .take_while(|l| !l.starts_with("-----END"))
        .map(|l| l.trim())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| format!("bad base64 in PEM: {e}"))?;
    Ok((label, der))
}

fn spki_to_pkcs1(spki: &[u8]) -> Result<Vec<u8>, String> {
    let (_, seq, _) = der_next(spki)?;
    let (_, _, rest) = der_next(seq)?; // algorithm
    let (tag, bits, _) = der_next(rest)?;
    if tag != 0x03 || bits.is_empty() {
        return Err("public key is not a BIT STRING".into());
    }
    Ok(bits[1..].to_vec())
}

/// Total encoded length (header + content) of the first DER element.
fn der_len(input: &[u8]) -> Result<usize, String> {
    let (_, _, rest) = der_next(input)?;
    Ok(input.len() - rest.len())
}

/// Splits the first DER element: (tag, content, remaining input).
fn der_next(input: &[u8]) -> Result<(u8, &[u8], &[u8]), String> {
    let bad = || "truncated DER".to_string();
    let tag = *input.first().ok_or_else(bad)?;
    let first = *input.get(1).ok_or_else(bad)? as usize;
    let (len, header) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return Err("unsupported DER length".into());
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *input.get(2 + i).ok_or_else(bad)? as usize;
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len).ok_or_else(bad)?;
    if input.len() < end {
        return Err(bad());
    }
    Ok((tag, &input[header..end], &input[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(claims: serde_json::Value) -> String {
        sign_with_dev_key(&claims).unwrap()
    }

    #[test]
    fn verifies_dev_key_and_normalises_exp() {
        let v = JwtVerifier::load(None).unwrap();
        let ok =
            sign(serde_json::json!({"iss":"c","sub":"u","aud":"http://x/","exp":"1900000000"}));
        let a = v.verify(&ok, 1_800_000_000).unwrap();
        assert_eq!(a.exp, Some(1_900_000_000));
        let ms =
            sign(serde_json::json!({"iss":"c","sub":"u","aud":"a","exp":1_900_000_000_000i64}));
        assert_eq!(
            v.verify(&ms, 1_800_000_000).unwrap().exp,
            Some(1_900_000_000)
        );
        assert_eq!(v.verify(&ms, 1_950_000_000), Err(AssertionError::Expired));
        assert_eq!(v.verify("a.b.c", 0), Err(AssertionError::Invalid));
    }
}
