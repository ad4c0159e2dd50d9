//! What the emulator is started with, and the ready-made credentials it prints.

use std::path::PathBuf;
use std::time::Duration;

use super::faults::{FaultSpec, LatencySpec};

/// How to start an emulated org. `EmulatorConfig::default()` is an in-memory org on an
/// ephemeral port with the built-in standard objects.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// TCP port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Serve HTTPS with a generated self-signed certificate.
    pub tls: bool,
    /// SQLite file that keeps records across restarts; `None` keeps them in memory.
    pub state: Option<PathBuf>,
    /// Schema file with custom objects and fields, overlaid on the built-in standard objects.
    pub schema: Option<PathBuf>,
    /// JSONL file of records to load at start (`{"attributes":{"type":"Account"},"Name":..}`).
    pub seed: Option<PathBuf>,
    /// Added latency per API request.
    pub latency: Option<LatencySpec>,
    /// Injected faults.
    pub faults: FaultSpec,
    /// JSONL request log file.
    pub log: Option<PathBuf>,
    /// Lifetime of access tokens; afterwards requests get 401 INVALID_SESSION_ID.
    pub token_ttl: Duration,
    /// The org's daily API request allocation (`DailyApiRequests.Max`).
    pub daily_api_limit: u64,
    /// Certificate or public key (PEM) that JWT bearer assertions are verified against.
    /// `None` uses the emulator's built-in development key pair (its private key is written next
    /// to the TLS certificate so local tools can sign assertions).
    pub jwt_cert: Option<PathBuf>,
    /// Where generated files (TLS certificate, development JWT key) are written. `None` uses a
    /// fresh directory under the system temp dir.
    pub work_dir: Option<PathBuf>,
    /// The connected app, user and password clients log in with.
    pub credentials: Credentials,
    /// How long a client may take to send a request's line and headers (and how long an idle
    /// keep-alive connection stays open); then the connection is closed.
    pub header_timeout: Duration,
    /// How long a client may take to send a request's body once its headers are in; then the
    /// connection is closed.
    pub body_timeout: Duration,
    /// Connections served at once; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// With a seed, the first query page and about half the later ones hold fewer records than
    /// the batch size (with `done: false` while records remain), as Salesforce may answer;
    /// deterministic per seed.
    /// Catches clients that test `len(records) < batch` instead of `done`. Off by default.
    pub short_pages: Option<u64>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            port: 0,
            tls: false,
            state: None,
            schema: None,
            seed: None,
            latency: None,
            faults: FaultSpec::default(),
            log: None,
            token_ttl: Duration::from_secs(2 * 60 * 60),
            daily_api_limit: 15_000,
            jwt_cert: None,
            work_dir: None,
            credentials: Credentials::default(),
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(300),
            max_connections: 512,
            short_pages: None,
        }
    }
}

/// The emulated connected app and its user. These are local, well-known development values,
/// printed at start; `access_token` is filled in when the emulator starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
    pub username: String,
    pub password: String,
    /// Appended to the password by clients that use the legacy "password + security token" form.
    pub security_token: String,
    /// A ready access token for the user (valid for `token_ttl`).
    pub access_token: String,
    /// Callback URLs accepted by `/services/oauth2/authorize` besides any loopback URL.
    pub callback_urls: Vec<String>,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            client_id: "3MVG9sfmapEmulatorLocalConnectedApp".into(),
            client_secret: "sfmap-local-client-secret".into(),
            username: "admin@sfmap.local".into(),
            password: "sfmap-local-password".into(),
            security_token: "LOCALTOKEN".into(),
            access_token: String::new(),
            callback_urls: vec!["http://localhost:1717/OauthRedirect".into()],
        }
    }
}
