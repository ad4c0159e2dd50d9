//! `sfmap migrate`: Segment Salesforce (Classic) settings → `.sfmap` files, `sfmap.toml` and a
//! fidelity report.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::migrate::{self, IdentifyDefault, InputFile, Options};
use crate::schema::Schema;

/// Turn Segment "Salesforce (Classic)" destination settings into `.sfmap` mappings, an
/// `sfmap.toml` profile and a fidelity report.
///
/// Inputs may be a Public API export (`GET /destinations/{id}` or the `/destinations` list), a
/// bare destination object, a Config API export, or a bare settings object; several files may
/// be given. Salesforce (Actions) exports are refused.
///
/// The output folder gets one `<destination>.sfmap` per destination (identify → Lead,
/// group → Account, one mapping per custom action), an `sfmap.toml` with one profile per
/// destination (sandbox setting, no credentials) and `migration-report.json`. The report is also
/// printed: for every setting and built-in behaviour, mapped, approximated, dropped or FAILED,
/// with the reason and the assumptions it rests on. Credentials and security tokens are never
/// written or printed.
///
/// Every generated file passes `sfmap check`: what the schema cannot accept (custom fields or
/// objects missing from the built-in schema) is written as a comment and reported as FAILED;
/// pass `--schema` with a describe of your org to carry it over.
///
/// Exit status: 0 complete, 1 written but incomplete (see FAILED items), 2 bad input, usage or
/// IO error (nothing written).
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Exported settings (JSON files).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output folder (created if needed).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Overwrite files that already exist in the output folder.
    #[arg(long)]
    pub force: bool,
    /// Report format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Migrate only the destination with this id (Public API list exports).
    #[arg(long)]
    pub destination_id: Option<String>,
    /// A describe file of your org (custom objects and fields), as for `sfmap check --schema`;
    /// also named as `schema` in the generated sfmap.toml.
    #[arg(long)]
    pub schema: Option<PathBuf>,
    /// When a custom identify action exists: keep Classic's default identify → Lead mapping too,
    /// or drop it (whether Classic ran both is not documented).
    #[arg(long, value_enum, default_value_t = IdentifyDefaultArg::Keep)]
    pub identify_default: IdentifyDefaultArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum IdentifyDefaultArg {
    Keep,
    Drop,
}

pub fn run(args: &MigrateArgs) -> ExitCode {
    let mut inputs = Vec::new();
    for path in &args.inputs {
        match std::fs::read_to_string(path) {
            Ok(text) => inputs.push(InputFile {
                name: path.display().to_string(),
                text,
            }),
            Err(e) => return super::usage_error(&format!("cannot read {}: {e}", path.display())),
        }
    }
    let schema = match &args.schema {
        Some(p) => match Schema::builtin_with_file(p) {
            Ok(s) => s,
            Err(e) => return super::usage_error(&e.to_string()),
        },
        None => Schema::builtin(),
    };
    let options = Options {
        destination_id: args.destination_id.clone(),
        identify_default: match args.identify_default {
            IdentifyDefaultArg::Keep => IdentifyDefault::Keep,
            IdentifyDefaultArg::Drop => IdentifyDefault::Drop,
        },
        schema_file: args.schema.as_ref().map(|p| schema_ref(p, &args.out)),
    };
    let migration = match migrate::migrate(&inputs, &schema, &options) {
        Ok(m) => m,
        Err(e) => return super::usage_error(&format!("{e}; nothing was written")),
    };
    if let Err(e) = migrate::write::write_all(&args.out, &migration.files, args.force) {
        return super::usage_error(&e);
    }
    match args.format {
        Format::Human => {
            print!("{}", migration.report.to_human());
            println!(
                "\nwrote {} files to {}",
                migration.files.len(),
                args.out.display()
            );
        }
        Format::Json => print!("{}", migration.report.to_json()),
    }
    if migration.report.complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The schema path as `sfmap.toml` in `out` should name it: relative to `out` when possible.
fn schema_ref(schema: &std::path::Path, out: &std::path::Path) -> String {
    let abs = |p: &std::path::Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (s, o) = (abs(schema), abs(out));
    // Walk up from `out` until `schema` is below it.
    let mut up = String::new();
    let mut dir = o.as_path();
    loop {
        if let Ok(rest) = s.strip_prefix(dir) {
            return format!("{up}{}", rest.display());
        }
        match dir.parent() {
            Some(p) => {
                dir = p;
                up.push_str("../");
            }
            None => return s.display().to_string(),
        }
    }
}
