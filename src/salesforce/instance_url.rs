//! Anchored validation of instance and login URLs.
//!
//! Segment checks instance URLs with an unanchored regex, so `https://evil.example/?x.salesforce.com`
//! passes and the bearer token goes to `evil.example` (segment-behaviour.md §2). Here the URL is
//! parsed first and the *host* is compared, whole, against Salesforce's domains:
//!
//! - `https` only, default port, no user info, no query, no fragment, path empty or `/`;
//! - host `<label>.salesforce.com` (covers `*.my.salesforce.com`, enhanced sandbox hosts
//!   `*--*.sandbox.my.salesforce.com`, pod hosts like `na1.salesforce.com`, and
//!   `login`/`test.salesforce.com`) or `<label>.force.com`;
//! - Experience Cloud hosts (`*.my.site.com`) are accepted as *login* hosts only: a token
//!   response's `instance_url` is always the org's own domain, never a site;
//! - `http` or `https` on 127.0.0.1, `::1` or `localhost` with any port only when loopback is
//!   allowed (the local emulator).
//!
//! Government-cloud and China hosts are not accepted yet.

use url::{Host, Url};

use super::error::SfError;

/// What the URL is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlUse {
    /// The base of REST and Bulk calls (`instance_url`).
    Instance,
    /// An OAuth login host (`login.salesforce.com`, a My Domain, an Experience Cloud site).
    Login,
}

const INSTANCE_SUFFIXES: &[&str] = &[".salesforce.com", ".force.com"];
const LOGIN_ONLY_SUFFIXES: &[&str] = &[".my.site.com"];

fn invalid(url: &str, reason: &str) -> SfError {
    SfError::InvalidInstanceUrl {
        url: redact(url),
        reason: reason.to_string(),
    }
}

/// The URL as it may be shown: without user info, query or fragment.
pub fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => {
            let cut = url.find(['?', '#', '@']).unwrap_or(url.len());
            let shown: String = url[..cut].chars().take(100).collect();
            shown
        }
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Validates `raw` and returns it normalised to `scheme://host[:port]/`.
pub fn validate(raw: &str, usage: UrlUse, allow_loopback: bool) -> Result<Url, SfError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(invalid(raw, "it is empty; log in again"));
    }
    let url = Url::parse(raw).map_err(|_| invalid(raw, "it is not an absolute URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(raw, "it carries user info"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(raw, "it has a query or a fragment"));
    }
    if !(url.path().is_empty() || url.path() == "/") {
        return Err(invalid(raw, "it has a path"));
    }
    let host = url.host().ok_or_else(|| invalid(raw, "it has no host"))?;
    if is_loopback(&host) {
        if !allow_loopback {
            return Err(invalid(
                raw,
                "loopback hosts are only allowed for the local emulator",
            ));
        }
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(invalid(raw, "the scheme must be http or https"));
        }
        return Ok(normalise(url));
    }
    if url.scheme() != "https" {
        return Err(invalid(raw, "Salesforce URLs must use https"));
    }
    if url.port().is_some() {
        return Err(invalid(raw, "Salesforce URLs use the default https port"));
    }
    let Host::Domain(domain) = host else {
        return Err(invalid(raw, "the host must be a Salesforce domain name"));
    };
    let domain = domain.to_ascii_lowercase();
    let login_ok = usage == UrlUse::Login;
    let suffix_ok = INSTANCE_SUFFIXES
        .iter()
        .chain(LOGIN_ONLY_SUFFIXES.iter().filter(|_| login_ok))
        .any(|suffix| {
            domain.strip_suffix(suffix).is_some_and(|prefix| {
                !prefix.is_empty()
                    && prefix
                        .split('.')
                        .all(|label| !label.is_empty() && label_ok(label))
            })
        });
    if !suffix_ok {
        let reason = if LOGIN_ONLY_SUFFIXES.iter().any(|s| domain.ends_with(s)) {
            "Experience Cloud sites are login hosts, not instance URLs"
        } else {
            "the host is not a Salesforce domain (*.salesforce.com, *.force.com)"
        };
        return Err(invalid(raw, reason));
    }
    Ok(normalise(url))
}

fn label_ok(label: &str) -> bool {
    label
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

fn normalise(mut url: Url) -> Url {
    url.set_path("/");
    url
}

/// The login URL for a profile: `https://test.salesforce.com` for sandboxes, the My Domain host
/// when one is named, else `https://login.salesforce.com`.
pub fn login_url(my_domain: Option<&str>, sandbox: bool) -> Result<Url, SfError> {
    let raw = match (my_domain, sandbox) {
        (Some(d), _) if d.contains("://") => d.to_string(),
        (Some(d), _) if d.contains('.') => format!("https://{d}"),
        (Some(d), true) => format!("https://{d}.sandbox.my.salesforce.com"),
        (Some(d), false) => format!("https://{d}.my.salesforce.com"),
        (None, true) => "https://test.salesforce.com".into(),
        (None, false) => "https://login.salesforce.com".into(),
    };
    validate(&raw, UrlUse::Login, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_salesforce_hosts() {
        for ok in [
            "https://na1.salesforce.com",
            "https://na1.salesforce.com/",
            "https://krusty-krab.my.salesforce.com/",
            "https://x--staging.sandbox.my.salesforce.com",
            "https://acme.lightning.force.com",
            "https://login.salesforce.com",
            "https://test.salesforce.com",
            "https://KRUSTY-KRAB.MY.SALESFORCE.COM",
        ] {
            let url = validate(ok, UrlUse::Instance, false)
                .unwrap_or_else(|e| panic!("{ok} rejected: {e}"));
            assert_eq!(url.path(), "/");
            assert_eq!(url.scheme(), "https");
        }
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "na1.salesforce.com",
            "www.website.com",
            "https://www.google.com",
            "http://na1.salesforce.com/",
            "https://evil.example/?x.salesforce.com",
            "https://evil.example/x.salesforce.com",
            "https://evil.example#.salesforce.com",
            "https://salesforce.com.evil.example",
            "https://salesforce.com",
            "https://.salesforce.com",
            "https://x..salesforce.com",
            "https://evilsalesforce.com",
            "https://x.salesforce.com@evil.example",
            "https://user:pw@x.salesforce.com",
            "https://x.salesforce.com:8443",
            "https://x.salesforce.com/services/data",
            "https://x.salesforce.com/?a=b",
            "https://x.salesforce.com.",
            "https://127.0.0.1:8080",
            "http://localhost:1234",
            "ftp://x.salesforce.com",
            "https://1.2.3.4",
            "https://x.my.site.com",
            "javascript:alert(1)//x.salesforce.com",
        ] {
            assert!(
                validate(bad, UrlUse::Instance, false).is_err(),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn sites_are_login_hosts_only() {
        assert!(validate("https://acme.my.site.com", UrlUse::Login, false).is_ok());
        let e = validate("https://acme.my.site.com", UrlUse::Instance, false).unwrap_err();
        assert!(e.to_string().contains("Experience Cloud"), "{e}");
    }

    #[test]
    fn loopback_only_when_allowed() {
        for lo in [
            "http://127.0.0.1:8765",
            "https://127.0.0.1:8765/",
            "http://localhost:1",
            "http://[::1]:9",
        ] {
            assert!(validate(lo, UrlUse::Instance, true).is_ok(), "{lo}");
            assert!(validate(lo, UrlUse::Instance, false).is_err(), "{lo}");
        }
        assert!(validate("http://127.0.0.1:1/?x", UrlUse::Instance, true).is_err());
        assert!(validate("http://user@127.0.0.1:1", UrlUse::Instance, true).is_err());
    }

    #[test]
    fn errors_do_not_echo_user_info_or_query() {
        let e = validate(
            "https://user:hunter2@evil.example/?token=abc",
            UrlUse::Instance,
            false,
        )
        .unwrap_err()
        .to_string();
        assert!(!e.contains("hunter2") && !e.contains("abc"), "{e}");
    }

    #[test]
    fn login_hosts() {
        assert_eq!(
            login_url(None, false).unwrap().as_str(),
            "https://login.salesforce.com/"
        );
        assert_eq!(
            login_url(None, true).unwrap().as_str(),
            "https://test.salesforce.com/"
        );
        assert_eq!(
            login_url(Some("acme"), false).unwrap().as_str(),
            "https://acme.my.salesforce.com/"
        );
        assert_eq!(
            login_url(Some("acme--uat"), true).unwrap().as_str(),
            "https://acme--uat.sandbox.my.salesforce.com/"
        );
        assert!(login_url(Some("evil.example"), false).is_err());
    }
}
