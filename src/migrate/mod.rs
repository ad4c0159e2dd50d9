//! `sfmap migrate`: Segment "Salesforce (Classic)" destination settings → `.sfmap` files, an
//! `sfmap.toml` profile and a fidelity report.
//!
//! The pipeline is pure until [`write`]: [`input`] finds the Classic destinations in the given
//! JSON documents, [`settings`] reads their settings with Classic's defaults, [`generate`] (and
//! [`custom`] for custom actions) builds the mappings, [`check`] compiles every generated file
//! and disables what the schema cannot accept, and [`report`] says what was mapped, approximated
//! or dropped. Nothing touches the disk before everything has been built.
//!
//! The research behind every rule is `classic-settings.md` (kept outside the repository); the
//! assumptions it marks [ASM] or [INF] are listed in [`assumptions`] and named in the report.

pub mod actions;
pub mod assumptions;
pub mod check;
pub mod custom;
pub mod generate;
pub mod input;
pub mod profile;
pub mod report;
pub mod settings;
pub mod spec;
pub mod write;

use std::collections::BTreeSet;

use crate::schema::Schema;

pub use input::{InputError, InputFile};
pub use report::Report;

/// Whether the default identify → Lead mapping is kept when a custom identify action exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdentifyDefault {
    /// Keep it (Segment's own migration kept it).
    #[default]
    Keep,
    /// Leave it out.
    Drop,
}

/// Options of one migration.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Pick only the destination with this id (Public API exports).
    pub destination_id: Option<String>,
    /// What to do with the default Lead mapping when a custom identify action exists.
    pub identify_default: IdentifyDefault,
    /// Shown in the report and written to `sfmap.toml` as `schema`, when given.
    pub schema_file: Option<String>,
}

/// One file of the output folder.
#[derive(Debug, Clone)]
pub struct OutFile {
    /// The file name, relative to the output folder.
    pub name: String,
    pub text: String,
}

/// The whole result, in memory.
#[derive(Debug, Clone)]
pub struct Migration {
    /// The `.sfmap` files, `sfmap.toml` and `migration-report.json`.
    pub files: Vec<OutFile>,
    pub report: Report,
}

/// Migrates every Classic destination found in `inputs`. Fails on bad input (nothing is
/// produced); a setting that cannot be carried over is a report entry, not an error.
pub fn migrate(
    inputs: &[InputFile],
    schema: &Schema,
    options: &Options,
) -> Result<Migration, InputError> {
    let found = input::find_destinations(inputs, options.destination_id.as_deref())?;
    let mut destinations = Vec::new();
    let mut used_names = BTreeSet::new();
    let mut files = Vec::new();
    let mut profiles = Vec::new();
    for dest in &found {
        let settings = settings::Settings::read(dest)?;
        let slug = unique(&mut used_names, &dest.slug());
        let mut dreport = report::DestinationReport::new(dest, &slug);
        let mut specs = generate::mappings(&settings, options, &mut dreport);
        let text = check::finish(&mut specs, schema, &format!("{slug}.sfmap"), &mut dreport);
        dreport.output = format!("{slug}.sfmap");
        dreport.mappings = specs
            .iter()
            .filter(|m| m.disabled.is_none())
            .map(|m| m.name.clone())
            .collect();
        dreport.finish();
        files.push(OutFile {
            name: format!("{slug}.sfmap"),
            text,
        });
        profiles.push(profile::ProfileSpec::new(&slug, dest, &settings));
        destinations.push(dreport);
    }
    let report = Report::new(destinations);
    files.push(OutFile {
        name: "sfmap.toml".into(),
        text: profile::toml(&profiles, options.schema_file.as_deref()),
    });
    files.push(OutFile {
        name: "migration-report.json".into(),
        text: report.to_json(),
    });
    Ok(Migration { files, report })
}

/// `base`, or `base-2`, `base-3`... so that every output name is unique.
fn unique(used: &mut BTreeSet<String>, base: &str) -> String {
    let mut name = base.to_string();
    let mut n = 2;
    while !used.insert(name.clone()) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}
