//! The local token store: one JSON file, readable by its owner only, holding per profile the
//! instance URL and the tokens `sfmap login` obtained.
//!
//! The file is created with mode 0600 (written to a temporary file in the same folder, then
//! renamed, so a crash never leaves half a file) and is refused on read when group or others can
//! access it — as ssh does with keys. In CI, `SFMAP_ACCESS_TOKEN` and `SFMAP_INSTANCE_URL`
//! replace the file.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Tokens;
use crate::salesforce::error::SfError;
use crate::salesforce::secret::Secret;

pub const ENV_ACCESS_TOKEN: &str = "SFMAP_ACCESS_TOKEN";
pub const ENV_INSTANCE_URL: &str = "SFMAP_INSTANCE_URL";

/// What is kept for one profile.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredProfile {
    pub instance_url: String,
    pub login_url: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    pub access_token: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<String>,
}

impl StoredProfile {
    pub fn from_tokens(
        tokens: &Tokens,
        login_url: &str,
        client_id: &str,
        username: Option<&str>,
    ) -> StoredProfile {
        StoredProfile {
            instance_url: tokens.instance_url.clone(),
            login_url: login_url.to_string(),
            client_id: client_id.to_string(),
            username: username.map(str::to_string),
            access_token: tokens.access_token.clone(),
            refresh_token: tokens.refresh_token.clone(),
            issued_at: tokens.issued_at.clone(),
        }
    }
}

impl fmt::Debug for StoredProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredProfile")
            .field("instance_url", &self.instance_url)
            .field("login_url", &self.login_url)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .finish()
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct FileBody {
    #[serde(default)]
    profiles: BTreeMap<String, StoredProfile>,
}

/// The credentials file.
#[derive(Debug, Clone)]
pub struct CredentialsFile {
    path: PathBuf,
}

impl CredentialsFile {
    pub fn new(path: impl Into<PathBuf>) -> CredentialsFile {
        CredentialsFile { path: path.into() }
    }

    /// `$SFMAP_CREDENTIALS`, else `$XDG_CONFIG_HOME/sfmap/credentials.json`, else
    /// `~/.config/sfmap/credentials.json`.
    pub fn default_location() -> Option<CredentialsFile> {
        if let Some(p) = std::env::var_os("SFMAP_CREDENTIALS") {
            return Some(CredentialsFile::new(p));
        }
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
        Some(CredentialsFile::new(
            base.join("sfmap").join("credentials.json"),
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, message: impl Into<String>) -> SfError {
        SfError::Credentials {
            path: self.path.display().to_string(),
            message: message.into(),
        }
    }

    /// The token and instance URL from `SFMAP_ACCESS_TOKEN` / `SFMAP_INSTANCE_URL`, when both
    /// are set.
    pub fn from_env() -> Option<(String, Secret)> {
        let token = std::env::var(ENV_ACCESS_TOKEN)
            .ok()
            .filter(|t| !t.is_empty())?;
        let url = std::env::var(ENV_INSTANCE_URL)
            .ok()
            .filter(|u| !u.is_empty())?;
        Some((url, Secret::new(token)))
    }

    fn read_all(&self) -> Result<FileBody, SfError> {
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileBody::default()),
            Err(e) => return Err(self.err(e.to_string())),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(self.err(format!(
                    "permissions {mode:o} let other users read it; run `chmod 600` on it (or log in again)"
                )));
            }
        }
        let _ = meta;
        let text = std::fs::read(&self.path).map_err(|e| self.err(e.to_string()))?;
        serde_json::from_slice(&text)
            .map_err(|e| self.err(format!("not a valid credentials file (line {})", e.line())))
    }

    /// The stored profile, if any.
    pub fn load(&self, profile: &str) -> Result<Option<StoredProfile>, SfError> {
        Ok(self.read_all()?.profiles.remove(profile))
    }

    /// Stores (or replaces) a profile.
    pub fn save(&self, profile: &str, entry: StoredProfile) -> Result<(), SfError> {
        let mut body = self.read_all()?;
        body.profiles.insert(profile.to_string(), entry);
        self.write_all(&body)
    }

    /// Forgets a profile; `true` if it was there.
    pub fn remove(&self, profile: &str) -> Result<bool, SfError> {
        let mut body = self.read_all()?;
        let had = body.profiles.remove(profile).is_some();
        if had {
            self.write_all(&body)?;
        }
        Ok(had)
    }

    fn write_all(&self, body: &FileBody) -> Result<(), SfError> {
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| self.err(e.to_string()))?;
        let json = serde_json::to_vec_pretty(body).map_err(|e| self.err(e.to_string()))?;
        let tmp = dir.join(format!(
            ".{}.tmp{}",
            self.path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "credentials".into()),
            std::process::id()
        ));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let result = (|| {
            let mut f = options.open(&tmp)?;
            #[cfg(unix)]
            {
                // The mode only applies to a new file; a leftover temp file is tightened too.
                use std::os::unix::fs::PermissionsExt;
                f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            }
            f.write_all(&json)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(self.err(e.to_string()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> StoredProfile {
        StoredProfile {
            instance_url: "https://acme.my.salesforce.com".into(),
            login_url: "https://login.salesforce.com".into(),
            client_id: "cid".into(),
            username: None,
            access_token: Secret::new("00D!ACCESSSECRET"),
            refresh_token: Some(Secret::new("REFRESHSECRET")),
            issued_at: None,
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("sfmap-creds-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn round_trip_with_owner_only_permissions() {
        let dir = temp_dir("rt");
        let file = CredentialsFile::new(dir.join("sub").join("credentials.json"));
        assert_eq!(file.load("default").unwrap(), None);
        file.save("default", entry()).unwrap();
        file.save("other", entry()).unwrap();
        assert_eq!(file.load("default").unwrap(), Some(entry()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(file.remove("other").unwrap());
        assert_eq!(file.load("other").unwrap(), None);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_file_others_can_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("perm");
        let file = CredentialsFile::new(dir.join("credentials.json"));
        file.save("default", entry()).unwrap();
        std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = file.load("default").unwrap_err().to_string();
        assert!(e.contains("chmod 600"), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn debug_hides_tokens() {
        let shown = format!("{:?}", entry());
        assert!(!shown.contains("SECRET"), "{shown}");
    }
}
