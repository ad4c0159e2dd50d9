//! `sfmap.toml`: connection profiles and defaults. Never holds a secret; mapping files never hold
//! connection settings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The parsed `sfmap.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the file was found; relative paths inside it are relative to its folder.
    #[serde(skip)]
    pub dir: PathBuf,
    /// A describe file of the org, used by `check` when `--schema` is not given.
    #[serde(default)]
    pub schema: Option<PathBuf>,
    /// The profile `run` uses when `--profile` is not given.
    #[serde(default)]
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// How to reach one org.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// `login.salesforce.com` (default), `test.salesforce.com`, a My Domain host, or `local`.
    #[serde(default)]
    pub login_host: Option<String>,
    /// Shorthand for `login_host = "test.salesforce.com"`.
    #[serde(default)]
    pub sandbox: bool,
    /// `MyDomainName` (becomes `MyDomainName.my.salesforce.com`).
    #[serde(default)]
    pub my_domain: Option<String>,
    /// API version, e.g. `"62.0"` (default `"62.0"`).
    #[serde(default)]
    pub api_version: Option<String>,
    /// The connected app's consumer key (not a secret).
    #[serde(default)]
    pub client_id: Option<String>,
    /// `web` (authorization code + PKCE), `jwt`, `client_credentials`, `refresh_token`,
    /// `password` (username, password and security token; being retired by Salesforce).
    #[serde(default)]
    pub auth: Option<String>,
    /// For `jwt`: the private key file and the username.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    #[serde(default)]
    pub username: Option<String>,
    /// The org is an emulator (`sfmap emulate`) on a loopback address: only then are
    /// credentials sent to 127.0.0.1, localhost or [::1].
    #[serde(default)]
    pub emulator: bool,
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a valid sfmap.toml: {message}")]
    Parse { path: String, message: String },
}

impl Config {
    /// Finds `sfmap.toml` in `start` or its parents and reads it; an empty config if none.
    pub fn discover(start: &Path) -> Result<Config, ConfigError> {
        let mut dir = if start.is_dir() {
            Some(start)
        } else {
            start.parent()
        };
        while let Some(d) = dir {
            let candidate = d.join("sfmap.toml");
            if candidate.is_file() {
                return Config::read(&candidate);
            }
            dir = d.parent();
        }
        Ok(Config::default())
    }

    /// Reads one file.
    pub fn read(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let mut config: Config = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        config.dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(config)
    }

    /// The schema file named in the config, resolved against the config's folder.
    pub fn schema_path(&self) -> Option<PathBuf> {
        self.schema.as_ref().map(|p| {
            if p.is_absolute() {
                p.clone()
            } else {
                self.dir.join(p)
            }
        })
    }
}
