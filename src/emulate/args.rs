//! `sfmap emulate`: command-line arguments and the foreground runner.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::config::EmulatorConfig;
use super::faults::{FaultSpec, LatencySpec};
use super::server::Emulator;

const EXAMPLES: &str = "\
It prints the URL (login host = instance URL), a ready-made client id and secret, user,
password, access token, the development JWT signing key and, with --tls, the certificate.

Examples:
  sfmap emulate --port 8765
  sfmap emulate --tls --state org.sqlite --schema schema.json --seed records.jsonl
  sfmap emulate --latency uniform:20ms..120ms --faults '503=2%,drop=0.5%,lock@10+20,expire/500,seed=7'

See docs/emulator.md for what is emulated and where it differs from Salesforce.";

/// Run a local Salesforce-compatible org (OAuth 2.0, REST, SOQL, Collections, Composite,
/// Bulk API 2.0) on 127.0.0.1 until Ctrl-C.
///
/// It prints the URL (login host and instance URL are the same), a ready-made connected app
/// (client id and secret), a user and password, an access token, the development JWT signing
/// key and, with --tls, the certificate to trust.
///
/// Examples:
///   sfmap emulate --port 8765
///   sfmap emulate --tls --state org.sqlite --schema schema.json --seed records.jsonl
///   sfmap emulate --latency uniform:20ms..120ms --faults '503=2%,drop=0.5%,lock@10+20,expire/500,seed=7'
#[derive(Debug, Clone, Args)]
#[command(verbatim_doc_comment, after_help = EXAMPLES)]
pub struct EmulateArgs {
    /// TCP port on 127.0.0.1 (0 picks a free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// Serve HTTPS with a generated self-signed certificate (its path is printed).
    #[arg(long)]
    pub tls: bool,

    /// SQLite file that keeps records across restarts (default: in memory).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Schema file with custom objects and fields, overlaid on the built-in standard objects.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,

    /// JSONL records to load at start, one per line: {"attributes":{"type":"Account"},"Name":"Acme"}.
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,

    /// Added latency per API request.
    /// DIST: 50ms | fixed:50ms | uniform:10ms..200ms | normal:80ms,20ms | exp:50ms
    #[arg(long, value_name = "DIST", verbatim_doc_comment)]
    pub latency: Option<LatencySpec>,

    /// Injected faults, comma-separated.
    /// KIND=RATE (503=2% or 503=0.02), KIND@N[+N…] (on API request N), KIND/N (every N-th),
    /// seed=N. KIND: 503, 500, drop (close the connection), commit-drop (carry the request
    /// out, then close the connection without its answer), lock (UNABLE_TO_LOCK_ROW),
    /// expire (the token expires, 401), limit (403 REQUEST_LIMIT_EXCEEDED),
    /// oauth-<error> (token endpoint, counted by token requests),
    /// e.g. oauth-invalid_grant@1.
    #[arg(long, value_name = "SPEC", verbatim_doc_comment)]
    pub faults: Option<FaultSpec>,

    /// Append every request (method, path, status, ms) as JSONL to this file.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,

    /// Access-token lifetime in seconds.
    #[arg(long, default_value_t = 7200, value_name = "SECS")]
    pub token_ttl: u64,

    /// Daily API request allocation (DailyApiRequests.Max).
    #[arg(long, default_value_t = 15_000, value_name = "N")]
    pub daily_api_limit: u64,

    /// Certificate or public key (PEM) that JWT bearer assertions are verified against
    /// (default: the built-in development key pair, whose private key path is printed).
    #[arg(long, value_name = "FILE")]
    pub jwt_cert: Option<PathBuf>,

    /// Seconds a client may take to send a request line and headers (also how long an idle
    /// keep-alive connection stays open); then the connection is closed.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub header_timeout: u64,

    /// Seconds a client may take to send a request body once its headers are in; then the
    /// connection is closed.
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    pub body_timeout: u64,

    /// Connections served at once; further clients wait until one closes.
    #[arg(long, default_value_t = 512, value_name = "N")]
    pub max_connections: usize,

    /// Make the first query page and about half the later ones shorter than the batch size
    /// (done: false while records remain), deterministically for this seed, as Salesforce may;
    /// catches clients that test the page length instead of `done`.
    #[arg(long, value_name = "SEED")]
    pub short_pages: Option<u64>,
}

impl EmulateArgs {
    pub fn config(&self) -> EmulatorConfig {
        EmulatorConfig {
            port: self.port,
            tls: self.tls,
            state: self.state.clone(),
            schema: self.schema.clone(),
            seed: self.seed.clone(),
            latency: self.latency.clone(),
            faults: self.faults.clone().unwrap_or_default(),
            log: self.log.clone(),
            token_ttl: Duration::from_secs(self.token_ttl),
            daily_api_limit: self.daily_api_limit,
            jwt_cert: self.jwt_cert.clone(),
            header_timeout: Duration::from_secs(self.header_timeout.max(1)),
            body_timeout: Duration::from_secs(self.body_timeout.max(1)),
            max_connections: self.max_connections.max(1),
            short_pages: self.short_pages,
            ..EmulatorConfig::default()
        }
    }

    /// Runs the emulator in the foreground until Ctrl-C.
    pub fn run(&self) -> ExitCode {
        let rt = match tokio::runtime::Runtime::new() {
            Ok(rt) => rt,
            Err(e) => {
                eprintln!("error: cannot start the async runtime: {e}");
                return ExitCode::from(2);
            }
        };
        rt.block_on(async {
            let emu = match Emulator::start(self.config()).await {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            let c = emu.credentials();
            println!("sfmap emulate: a local Salesforce-compatible org");
            println!("  URL (login + instance): {}", emu.base_url());
            println!("  client id:              {}", c.client_id);
            println!("  client secret:          {}", c.client_secret);
            println!("  username:               {}", c.username);
            println!("  password:               {}", c.password);
            println!("  security token:         {}", c.security_token);
            println!("  access token:           {}", c.access_token);
            println!(
                "  org id / user id:       {} / {}",
                emu.org_id(),
                emu.user_id()
            );
            if let Some(k) = emu.jwt_key_path() {
                println!("  JWT signing key (dev):  {}", k.display());
            }
            if let Some(cert) = emu.cert_path() {
                println!("  TLS certificate:        {}", cert.display());
            }
            println!("Press Ctrl-C to stop.");
            use std::io::Write;
            let _ = std::io::stdout().flush();
            let _ = tokio::signal::ctrl_c().await;
            emu.shutdown().await;
            ExitCode::SUCCESS
        })
    }
}
