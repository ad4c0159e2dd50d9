//! Reading an RSA private key from PEM without a PEM/ASN.1 dependency: PKCS#1
//! (`RSA PRIVATE KEY`) is used as is, PKCS#8 (`PRIVATE KEY`, what `openssl genpkey` and recent
//! `openssl genrsa` write) is unwrapped to its PKCS#1 key. Encrypted keys are refused.

use base64::Engine;

/// The PKCS#1 DER of the RSA private key in `pem`.
pub fn rsa_private_key_der(pem: &str) -> Result<Vec<u8>, &'static str> {
    let (label, der) = decode(pem)?;
    match label.as_str() {
        "RSA PRIVATE KEY" => Ok(der),
        "PRIVATE KEY" => pkcs8_inner(&der).map(<[u8]>::to_vec),
        "ENCRYPTED PRIVATE KEY" => Err("the key is encrypted; decrypt it first (openssl pkey)"),
        _ => Err("the file holds no RSA private key"),
    }
}

fn decode(pem: &str) -> Result<(String, Vec<u8>), &'static str> {
    let begin = pem.find("-----BEGIN ").ok_or("not a PEM file")?;
    let rest = &pem[begin + 11..];
    let label_end = rest.find("-----").ok_or("not a PEM file")?;
    let label = rest[..label_end].to_string();
    let body_start = label_end + 5;
    let end_marker = format!("-----END {label}-----");
    let body_end = rest
        .find(&end_marker)
        .ok_or("the PEM block is not closed")?;
    if body_end < body_start {
        return Err("not a PEM file");
    }
    let body = &rest[body_start..body_end];
    if body.contains(':') {
        return Err("the key is encrypted; decrypt it first (openssl pkey)");
    }
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| "the PEM body is not base64")?;
    Ok((label, der))
}

/// One DER element at the start of `input`: (tag, content, rest).
fn element(input: &[u8]) -> Result<(u8, &[u8], &[u8]), &'static str> {
    let bad = "malformed DER";
    let (&tag, rest) = input.split_first().ok_or(bad)?;
    let (&first, mut rest) = rest.split_first().ok_or(bad)?;
    let len = if first < 0x80 {
        first as usize
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return Err(bad);
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = (len << 8) | b as usize;
        }
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return Err(bad);
    }
    Ok((tag, &rest[..len], &rest[len..]))
}

/// PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm SEQUENCE, privateKey OCTET STRING, ... }
fn pkcs8_inner(der: &[u8]) -> Result<&[u8], &'static str> {
    let (tag, seq, _) = element(der)?;
    if tag != 0x30 {
        return Err("malformed PKCS#8 key");
    }
    let (tag, _version, rest) = element(seq)?;
    if tag != 0x02 {
        return Err("malformed PKCS#8 key");
    }
    let (tag, algorithm, rest) = element(rest)?;
    // rsaEncryption OID 1.2.840.113549.1.1.1
    const RSA_OID: &[u8] = &[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
    ];
    if tag != 0x30 || !algorithm.starts_with(RSA_OID) {
        return Err("the key is not an RSA key");
    }
    let (tag, key, _) = element(rest)?;
    if tag != 0x04 {
        return Err("malformed PKCS#8 key");
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_an_rsa_key() {
        assert!(rsa_private_key_der("hello").is_err());
        assert!(
            rsa_private_key_der("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")
                .is_err()
        );
        assert!(
            rsa_private_key_der(
                "-----BEGIN RSA PRIVATE KEY-----\n!!!\n-----END RSA PRIVATE KEY-----"
            )
            .is_err()
        );
        assert!(
            rsa_private_key_der(
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----"
            )
            .is_err()
        );
    }

    #[test]
    fn unwraps_pkcs8() {
        // SEQUENCE { INTEGER 0, SEQUENCE { rsaEncryption OID, NULL }, OCTET STRING { 0x30 0x00 } }
        let der = [
            0x30, 0x16, 0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
            0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x04, 0x02, 0x30, 0x00,
        ];
        assert_eq!(pkcs8_inner(&der).unwrap(), &[0x30, 0x00]);
    }
}
