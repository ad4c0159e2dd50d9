//! `sfmap schema pull`: the describe metadata of the mapped objects, for `check --schema`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::config::Config;
use crate::schema::SchemaFile;
use crate::syntax::ast::{ClauseKind, Expr, ExprKind, FieldEntry, PathSegment};
use crate::syntax::{self};

/// Work with org schemas.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    #[command(subcommand)]
    pub command: SchemaCommand,
}

#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    Pull(PullArgs),
}

/// Write the describe metadata of the objects your mappings use (custom fields included) to a
/// schema file, so `sfmap check --schema FILE` lints against your org offline.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// Mapping files or folders: their `object` clauses name the objects to describe.
    pub paths: Vec<PathBuf>,
    /// More objects to describe (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub objects: Vec<String>,
    /// Where to write the schema file.
    #[arg(long, short, default_value = "sfmap-schema.json")]
    pub out: PathBuf,
    /// `local` describes the embedded emulated org.
    #[arg(long)]
    pub org: Option<String>,
    /// The sfmap.toml profile (after `sfmap login`).
    #[arg(long)]
    pub profile: Option<String>,
    /// The credentials file `sfmap login` wrote.
    #[arg(long)]
    pub credentials: Option<PathBuf>,
    #[arg(long, default_value = "62.0")]
    pub api_version: String,
}

pub fn run(args: &SchemaArgs) -> ExitCode {
    let SchemaCommand::Pull(pull) = &args.command;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return super::usage_error(&format!("cannot start the runtime: {e}")),
    };
    match runtime.block_on(pull_schema(pull)) {
        Ok(n) => {
            eprintln!("wrote {} ({n} objects)", pull.out.display());
            ExitCode::SUCCESS
        }
        Err(e) => super::usage_error(&e),
    }
}

async fn pull_schema(args: &PullArgs) -> Result<usize, String> {
    let mut objects: Vec<String> = args.objects.iter().map(|o| o.trim().to_string()).collect();
    for file in super::load::expand_paths(&args.paths)? {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        for m in syntax::parse(&text).file.mappings {
            for c in m.clauses {
                match c.kind {
                    ClauseKind::Object(o) => objects.push(o.name),
                    // Parents named by `lookup(Parent.Field, ...)` are needed to check them.
                    ClauseKind::Fields(entries) => {
                        for e in entries {
                            if let FieldEntry::Assign { value, .. } = e {
                                lookup_parents(&value, &mut objects);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    objects.retain(|o| !o.is_empty());
    objects.sort_by_key(|o| o.to_ascii_lowercase());
    objects.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    if objects.is_empty() {
        return Err("no objects: name mapping files or pass --objects".into());
    }
    let start = args
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    let config = Config::discover(&start).map_err(|e| e.to_string())?;
    let super::connect::Connected {
        client, emulator, ..
    } = super::connect::connect(
        &config,
        super::connect::OrgChoice {
            org: args.org.as_deref(),
            profile: args.profile.as_deref(),
            credentials: args.credentials.as_deref(),
            api_version: &args.api_version,
            local_schema: config.schema_path(),
            client: crate::salesforce::ClientOptions::default(),
        },
    )
    .await?;
    let mut file = SchemaFile {
        source: Some(format!(
            "pulled from {} (API v{}) on {}",
            client.instance_url(),
            args.api_version,
            chrono::Utc::now().format("%Y-%m-%d")
        )),
        objects: Vec::new(),
    };
    let mut result = Ok(());
    for o in &objects {
        match client.describe(o).await {
            Ok(d) => file.objects.push(d),
            Err(e) => {
                result = Err(format!("cannot describe {o}: {e}"));
                break;
            }
        }
    }
    if let Some(emu) = emulator {
        emu.shutdown().await;
    }
    result?;
    let json = serde_json::to_string_pretty(&file).map_err(|e| e.to_string())?;
    let tmp = args.out.with_extension("json.tmp");
    std::fs::write(&tmp, json + "\n")
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &args.out)
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    Ok(file.objects.len())
}

/// The parent objects of `lookup(Parent.Field, ...)` calls in an expression.
fn lookup_parents(e: &Expr, out: &mut Vec<String>) {
    match &e.kind {
        ExprKind::Call { name, args } => {
            if name.name == "lookup" {
                if let Some(ExprKind::Path(p)) = args.first().map(|a| &a.kind) {
                    if let Some(PathSegment::Key { name, .. }) = p.segments.first() {
                        out.push(name.clone());
                    }
                }
            }
            args.iter().for_each(|a| lookup_parents(a, out));
        }
        ExprKind::If(a, b, c) => {
            for x in [a, b, c] {
                lookup_parents(x, out);
            }
        }
        ExprKind::Paren(a) | ExprKind::Not(a) | ExprKind::Exists(a) => lookup_parents(a, out),
        _ => {}
    }
}
