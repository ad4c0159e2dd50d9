//! From an `sfmap.toml` profile (and the credentials `sfmap login` stored) to a connection.
//! Secrets never come from `sfmap.toml`: a client secret, when an app needs one, comes from
//! `SFMAP_CLIENT_SECRET`; tokens live in the 0600 credentials file.

use std::path::{Path, PathBuf};

use url::Url;

use crate::config::{Config, Profile};
use crate::salesforce::auth::CredentialsFile;
use crate::salesforce::{Auth, Connection, instance_url};

/// The environment variable that holds a connected app's client secret.
pub const CLIENT_SECRET_ENV: &str = "SFMAP_CLIENT_SECRET";
/// The password of `auth = "password"` profiles.
pub const PASSWORD_ENV: &str = "SFMAP_PASSWORD";
/// The security token appended to it (when the org requires one from this network).
pub const SECURITY_TOKEN_ENV: &str = "SFMAP_SECURITY_TOKEN";

/// The secrets of an `auth = "password"` login (from the environment, never a file).
pub struct PasswordLogin {
    pub client_secret: String,
    pub username: String,
    /// The password with the security token appended.
    pub password: String,
}

/// A profile found in the configuration.
pub struct Resolved<'c> {
    pub name: String,
    pub profile: &'c Profile,
    pub config_dir: PathBuf,
}

/// The named profile, else the configuration's default.
pub fn resolve<'c>(config: &'c Config, name: Option<&str>) -> Result<Resolved<'c>, String> {
    let name = name
        .map(str::to_string)
        .or_else(|| config.default_profile.clone())
        .ok_or_else(|| {
            "no profile: pass --profile NAME (profiles live in sfmap.toml)".to_string()
        })?;
    let profile = config.profiles.get(&name).ok_or_else(|| {
        let known: Vec<&str> = config.profiles.keys().map(String::as_str).collect();
        if known.is_empty() {
            format!("no profile `{name}`: sfmap.toml has no [profiles.*] sections")
        } else {
            format!(
                "no profile `{name}` in sfmap.toml (profiles: {})",
                known.join(", ")
            )
        }
    })?;
    Ok(Resolved {
        name,
        profile,
        config_dir: config.dir.clone(),
    })
}

impl Resolved<'_> {
    /// Whether the profile is the embedded local org.
    pub fn is_local(&self) -> bool {
        self.profile.login_host.as_deref() == Some("local")
    }

    /// The OAuth login URL: `login_host`, else My Domain, else login/test.salesforce.com.
    pub fn login_url(&self) -> Result<(Url, bool), String> {
        let p = self.profile;
        if let Some(host) = p.login_host.as_deref() {
            let raw = if host.contains("://") {
                host.to_string()
            } else {
                format!("https://{host}")
            };
            let url = Url::parse(&raw).map_err(|e| format!("login_host {host:?}: {e}"))?;
            if is_loopback(&url) {
                // Only an emulator listens on loopback, and only the profile can say it is one.
                if !p.emulator {
                    return Err(format!(
                        "profile `{}`: login_host {host:?} is a loopback address; credentials go \
                         there only for an emulator: add `emulator = true` to the profile if \
                         `sfmap emulate` listens there",
                        self.name
                    ));
                }
                return Ok((url, true));
            }
            return instance_url::validate(&raw, instance_url::UrlUse::Login, false)
                .map(|u| (u, false))
                .map_err(|e| e.to_string());
        }
        instance_url::login_url(p.my_domain.as_deref(), p.sandbox)
            .map(|u| (u, false))
            .map_err(|e| e.to_string())
    }

    pub fn auth_kind(&self) -> &str {
        self.profile.auth.as_deref().unwrap_or("web")
    }

    pub fn client_id(&self) -> Result<String, String> {
        self.profile.client_id.clone().ok_or_else(|| {
            format!(
                "profile `{}` has no client_id (the connected app's consumer key)",
                self.name
            )
        })
    }

    pub fn key_file(&self) -> Result<PathBuf, String> {
        let k = self
            .profile
            .key_file
            .as_ref()
            .ok_or_else(|| format!("profile `{}` uses jwt but has no key_file", self.name))?;
        Ok(if k.is_absolute() {
            k.clone()
        } else {
            self.config_dir.join(k)
        })
    }

    pub fn username(&self) -> Result<String, String> {
        self.profile
            .username
            .clone()
            .ok_or_else(|| format!("profile `{}` uses jwt but has no username", self.name))
    }

    /// What `auth = "password"` logs in with: the profile's username, the password and the
    /// security token from the environment, the app's secret. Warns that Salesforce is
    /// retiring the flow.
    pub fn password_login(&self, secret: Option<String>) -> Result<PasswordLogin, String> {
        eprintln!(
            "warning: profile `{}` logs in with username, password and security token \
             (the OAuth username-password flow), which Salesforce is retiring; prefer \
             auth = \"jwt\" or \"client_credentials\"",
            self.name
        );
        let env = |name: &str| std::env::var(name).ok().filter(|s| !s.is_empty());
        let client_secret = secret.ok_or_else(|| {
            format!("auth = \"password\" needs the app's secret in {CLIENT_SECRET_ENV}")
        })?;
        let password = env(PASSWORD_ENV)
            .ok_or_else(|| format!("auth = \"password\" needs the password in {PASSWORD_ENV}"))?;
        let token = env(SECURITY_TOKEN_ENV).unwrap_or_default();
        let username =
            self.profile.username.clone().ok_or_else(|| {
                format!("profile `{}` uses password but has no username", self.name)
            })?;
        Ok(PasswordLogin {
            client_secret,
            username,
            password: format!("{password}{token}"),
        })
    }

    pub fn api_version(&self) -> Option<String> {
        self.profile.api_version.clone()
    }

    /// The connection `run` uses: JWT and client credentials mint tokens themselves; the web
    /// flow uses the refresh token `sfmap login` stored.
    pub fn connection(
        &self,
        creds: &CredentialsFile,
        api_version: &str,
    ) -> Result<Connection, String> {
        let (login_url, loopback) = self.login_url()?;
        let client_id = self.client_id()?;
        let secret = std::env::var(CLIENT_SECRET_ENV)
            .ok()
            .filter(|s| !s.is_empty());
        let (instance_url, auth) = match self.auth_kind() {
            "jwt" => {
                let key_pem = std::fs::read_to_string(self.key_file()?)
                    .map_err(|e| format!("cannot read the JWT key file: {e}"))?;
                (
                    login_url.clone(),
                    Auth::Jwt {
                        login_url,
                        client_id,
                        username: self.username()?,
                        key_pem,
                    },
                )
            }
            "client_credentials" => {
                let client_secret = secret.ok_or_else(|| {
                    format!("client_credentials needs the app's secret in {CLIENT_SECRET_ENV}")
                })?;
                (
                    login_url.clone(),
                    Auth::ClientCredentials {
                        login_url,
                        client_id,
                        client_secret,
                    },
                )
            }
            "password" => {
                let p = self.password_login(secret)?;
                (
                    login_url.clone(),
                    Auth::Password {
                        login_url,
                        client_id,
                        client_secret: p.client_secret,
                        username: p.username,
                        password: p.password,
                    },
                )
            }
            "web" | "refresh_token" => {
                let stored = creds
                    .load(&self.name)
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| {
                        format!(
                            "not logged in to profile `{}`: run `sfmap login --profile {}`",
                            self.name, self.name
                        )
                    })?;
                let instance = Url::parse(&stored.instance_url)
                    .map_err(|e| format!("stored instance URL: {e}"))?;
                let auth = match stored.refresh_token {
                    Some(rt) => Auth::RefreshToken {
                        login_url,
                        client_id,
                        client_secret: secret,
                        refresh_token: rt.expose().to_string(),
                    },
                    None => Auth::AccessToken(stored.access_token.expose().to_string()),
                };
                (instance, auth)
            }
            other => {
                return Err(format!(
                    "profile `{}`: unknown auth {other:?} (web, jwt, client_credentials, refresh_token, password)",
                    self.name
                ));
            }
        };
        Ok(Connection {
            instance_url,
            api_version: self
                .api_version()
                .unwrap_or_else(|| api_version.to_string()),
            auth,
            allow_loopback: loopback,
        })
    }
}

/// The credentials file: `--credentials`, else the default location.
pub fn credentials(explicit: Option<&Path>) -> Result<CredentialsFile, String> {
    match explicit {
        Some(p) => Ok(CredentialsFile::new(p)),
        None => CredentialsFile::default_location()
            .ok_or_else(|| "no HOME: pass --credentials FILE".to_string()),
    }
}

pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}
