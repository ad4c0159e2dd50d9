//! Choosing and connecting to an org, shared by the verbs that talk to Salesforce.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::emulate::{Emulator, EmulatorConfig};
use crate::salesforce::auth::CredentialsFile;
use crate::salesforce::{Auth, Client, ClientOptions, Connection};

/// Set to `1` beside SFMAP_INSTANCE_URL to allow a loopback instance (an emulator).
pub const ENV_EMULATOR: &str = "SFMAP_EMULATOR";

/// Where to connect, as the command line said.
pub struct OrgChoice<'a> {
    /// `Some("local")` for the embedded emulated org.
    pub org: Option<&'a str>,
    pub profile: Option<&'a str>,
    pub credentials: Option<&'a Path>,
    pub api_version: &'a str,
    /// The schema the embedded org serves (custom objects and fields).
    pub local_schema: Option<PathBuf>,
    /// Retries, waits and the read-only safety net.
    pub client: ClientOptions,
}

/// A connected client, and what it is connected through.
pub struct Connected {
    pub client: Client,
    /// The embedded org, when one was started (the caller shuts it down).
    pub emulator: Option<Emulator>,
    /// How the org was chosen, for the user: `profile prod`, `--org local`,
    /// `SFMAP_ACCESS_TOKEN`.
    pub source: String,
}

/// Connects: `--org local`, else `--profile`, else SFMAP_ACCESS_TOKEN + SFMAP_INSTANCE_URL,
/// else the configuration's `default_profile`.
pub async fn connect(config: &Config, choice: OrgChoice<'_>) -> Result<Connected, String> {
    if let Some(org) = choice.org.filter(|o| *o != "local") {
        return Err(format!(
            "unknown --org {org:?}: use `--org local`, or --profile NAME for a real org"
        ));
    }
    let from_env = CredentialsFile::from_env();
    let profile = if choice.org.is_none() && (choice.profile.is_some() || from_env.is_none()) {
        match super::profile::resolve(config, choice.profile) {
            Ok(p) => Some(p),
            Err(e) if choice.profile.is_some() => return Err(e),
            Err(_) => None,
        }
    } else {
        None
    };
    let local = choice.org == Some("local")
        || profile
            .as_ref()
            .is_some_and(super::profile::Resolved::is_local);
    let mut emulator = None;
    let source = match (&profile, choice.org) {
        (_, Some(_)) => "--org local".to_string(),
        (Some(p), None) => format!("profile {}", p.name),
        (None, None) => crate::salesforce::auth::ENV_ACCESS_TOKEN.to_string(),
    };
    let connection = if local {
        let emu = Emulator::start(EmulatorConfig {
            schema: choice.local_schema,
            ..EmulatorConfig::default()
        })
        .await
        .map_err(|e| format!("cannot start the local org: {e}"))?;
        eprintln!("local org: {}", emu.base_url());
        let connection = local_connection(&emu, choice.api_version)?;
        emulator = Some(emu);
        connection
    } else if let Some(p) = profile.as_ref() {
        let creds = super::profile::credentials(choice.credentials)?;
        p.connection(&creds, choice.api_version)?
    } else if let Some((url, token)) = from_env {
        let url = url::Url::parse(&url).map_err(|e| format!("SFMAP_INSTANCE_URL: {e}"))?;
        let loopback = super::profile::is_loopback(&url);
        if loopback && std::env::var(ENV_EMULATOR).as_deref() != Ok("1") {
            return Err(format!(
                "SFMAP_INSTANCE_URL {url} is a loopback address; the access token goes there only \
                 for an emulator: set {ENV_EMULATOR}=1 if `sfmap emulate` listens there"
            ));
        }
        Connection {
            instance_url: url.clone(),
            api_version: choice.api_version.to_string(),
            auth: Auth::AccessToken(token.expose().to_string()),
            // A loopback instance can only be an emulator (`sfmap emulate`), as said above.
            allow_loopback: loopback,
        }
    } else {
        return Err(
            "no org: use `--org local` for the embedded emulated org, `--profile NAME` \
                    after `sfmap login`, or set SFMAP_ACCESS_TOKEN and SFMAP_INSTANCE_URL"
                .to_string(),
        );
    };
    let client = Client::connect_with(connection, choice.client)
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    Ok(Connected {
        client,
        emulator,
        source,
    })
}

/// The connection to an emulated org: its login host is its instance, and its local user logs
/// in with the password grant (a real OAuth flow, so tokens renew as with a real org).
pub fn local_connection(emu: &Emulator, api_version: &str) -> Result<Connection, String> {
    let url = url::Url::parse(emu.base_url()).map_err(|e| format!("local org URL: {e}"))?;
    let c = emu.credentials().clone();
    Ok(Connection {
        instance_url: url.clone(),
        api_version: api_version.to_string(),
        auth: Auth::Password {
            login_url: url,
            client_id: c.client_id,
            client_secret: c.client_secret,
            username: c.username,
            password: c.password,
        },
        allow_loopback: true,
    })
}
