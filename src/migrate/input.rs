//! Input shapes (`classic-settings.md` §6): a Public API destination (or list) export, a bare
//! destination object, a Config API export, or a bare settings object. Detection is by top-level
//! keys; every error names the file and a line/column (JSON syntax) or a JSON path (shape).

use serde_json::{Map, Value};

/// The Classic destination's catalog id, slug and Config API name suffix.
pub const CLASSIC_ID: &str = "54521fda25e721e32a72eeef";
pub const CLASSIC_SLUG: &str = "salesforce";
/// The Actions destination, which `migrate` refuses.
pub const ACTIONS_ID: &str = "61957755c4d820be968457de";
pub const ACTIONS_SLUG: &str = "actions-salesforce";

/// The ten Classic setting keys (§2).
pub const SETTING_KEYS: &[&str] = &[
    "username",
    "password",
    "securityToken",
    "sandbox",
    "version",
    "alwaysEnabled",
    "leadLookupFields",
    "billing",
    "shipping",
    "actions",
];

/// Settings keys of the Actions destination, to recognise a bare Actions settings object.
const ACTIONS_SETTING_KEYS: &[&str] = &["instanceUrl", "isSandbox", "oauth"];

/// One input document.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// How to name it in messages (the path as given).
    pub name: String,
    pub text: String,
}

/// Bad input: nothing is migrated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub file: String,
    /// `line L, column C` or a JSON path such as `$.data.destination.settings.billing`.
    pub location: Option<String>,
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.location {
            Some(l) => write!(f, "{}: {l}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for InputError {}

impl InputError {
    pub fn at(file: &str, path: &str, message: impl Into<String>) -> InputError {
        InputError {
            file: file.to_string(),
            location: Some(path.to_string()),
            message: message.into(),
        }
    }
}

/// Which shape the destination came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// `{"data": {"destination": ...}}` or an entry of `{"data": {"destinations": [...]}}`.
    PublicApi,
    /// A bare `DestinationV1` object (`{"id", "metadata", "settings", ...}`).
    Destination,
    /// A Config API (v1beta) destination: `{"name", "config": [...]}`.
    ConfigApi,
    /// A bare settings object.
    Settings,
}

impl Shape {
    pub fn label(self) -> &'static str {
        match self {
            Shape::PublicApi => "Public API export",
            Shape::Destination => "destination object",
            Shape::ConfigApi => "Config API export",
            Shape::Settings => "settings object",
        }
    }
}

/// One setting as found in the input, with its JSON path.
#[derive(Debug, Clone)]
pub struct RawSetting {
    pub key: String,
    pub value: Value,
    pub path: String,
}

/// A Classic destination found in an input.
#[derive(Debug, Clone)]
pub struct Destination {
    pub file: String,
    /// JSON path of the destination object (`$` for bare settings).
    pub path: String,
    pub shape: Shape,
    pub name: Option<String>,
    pub id: Option<String>,
    pub source: Option<String>,
    pub enabled: Option<bool>,
    pub settings: Vec<RawSetting>,
    /// Defaults from the export's settings catalog (`metadata.options[].defaultValue`), when
    /// it has one: they take the place of the documented defaults for keys `settings` lacks.
    pub catalog: Vec<RawSetting>,
}

impl Destination {
    /// A file and profile name: the display name, else the Config API source, else the input
    /// file's stem.
    pub fn slug(&self) -> String {
        let base = match (&self.name, &self.source, self.shape) {
            (_, Some(src), Shape::ConfigApi) => format!("{src}-salesforce"),
            (Some(n), _, _) if slugify(n) != "salesforce" || self.source.is_none() => n.clone(),
            (_, Some(src), _) => format!("{src}-salesforce"),
            (Some(n), None, _) => n.clone(),
            (None, None, _) => file_stem(&self.file),
        };
        let s = slugify(&base);
        if s.is_empty() {
            "salesforce".to_string()
        } else {
            s
        }
    }

    /// Where the destination is, for messages: `file` or `file at $.path`.
    pub fn location(&self) -> String {
        if self.path == "$" {
            self.file.clone()
        } else {
            format!("{} at {}", self.file, self.path)
        }
    }
}

fn file_stem(path: &str) -> String {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name.strip_suffix(".json").unwrap_or(name).to_string()
}

/// Lowercase ASCII letters and digits, other runs become `-`.
pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// A JSON path with one more key.
pub fn key_path(base: &str, key: &str) -> String {
    let simple = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if simple {
        format!("{base}.{key}")
    } else {
        format!("{base}[{}]", serde_json::to_string(key).unwrap_or_default())
    }
}

/// A JSON path with one more index.
pub fn index_path(base: &str, n: usize) -> String {
    format!("{base}[{n}]")
}

/// The JSON type of a value, for messages (values themselves are never echoed: they may be
/// secrets).
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn keys_of(m: &Map<String, Value>) -> String {
    if m.is_empty() {
        return "no keys".into();
    }
    let keys: Vec<String> = m.keys().take(12).map(|k| format!("`{k}`")).collect();
    let more = if m.len() > 12 { ", ..." } else { "" };
    format!("keys {}{more}", keys.join(", "))
}

/// Parses every input and collects its Classic destinations.
pub fn find_destinations(
    inputs: &[InputFile],
    destination_id: Option<&str>,
) -> Result<Vec<Destination>, InputError> {
    let mut out = Vec::new();
    for input in inputs {
        let value: Value = serde_json::from_str(&input.text).map_err(|e| InputError {
            file: input.name.clone(),
            location: Some(format!("line {}, column {}", e.line(), e.column())),
            message: format!("invalid JSON: {}", strip_position(&e.to_string())),
        })?;
        let mut found = Vec::new();
        let mut finder = Finder {
            file: &input.name,
            destination_id,
            found: &mut found,
        };
        finder.top(&value)?;
        if let Some(id) = destination_id {
            found.retain(|d| d.id.as_deref() == Some(id));
            if found.is_empty() {
                return Err(InputError {
                    file: input.name.clone(),
                    location: None,
                    message: format!(
                        "missing destination: no Salesforce (Classic) destination with id `{id}`"
                    ),
                });
            }
        }
        out.extend(found);
    }
    if out.is_empty() {
        return Err(InputError {
            file: inputs.first().map_or("-".into(), |i| i.name.clone()),
            location: None,
            message: "missing destination: no input given".into(),
        });
    }
    Ok(out)
}

/// serde_json appends " at line L column C"; the location is reported separately.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(n) => msg[..n].to_string(),
        None => msg.to_string(),
    }
}

struct Finder<'a> {
    file: &'a str,
    destination_id: Option<&'a str>,
    found: &'a mut Vec<Destination>,
}

impl Finder<'_> {
    fn err(&self, path: &str, message: impl Into<String>) -> InputError {
        InputError::at(self.file, path, message)
    }

    fn top(&mut self, v: &Value) -> Result<(), InputError> {
        match v {
            Value::Array(items) => self.list(items, "$", false),
            Value::Object(m) => self.object(m, "$"),
            other => Err(self.err(
                "$",
                format!(
                    "unknown shape: expected a JSON object (a Segment destination export or a settings object), found {}",
                    type_name(other)
                ),
            )),
        }
    }

    fn object(&mut self, m: &Map<String, Value>, path: &str) -> Result<(), InputError> {
        if let Some(data) = m.get("data") {
            let p = key_path(path, "data");
            let Value::Object(d) = data else {
                return Err(self.err(&p, format!("expected an object, found {}", type_name(data))));
            };
            if let Some(dest) = d.get("destination") {
                return self.destination(dest, &key_path(&p, "destination"), Shape::PublicApi);
            }
            if let Some(list) = d.get("destinations") {
                let lp = key_path(&p, "destinations");
                let Value::Array(items) = list else {
                    return Err(
                        self.err(&lp, format!("expected an array, found {}", type_name(list)))
                    );
                };
                return self.list(items, &lp, true);
            }
            return Err(self.err(
                &p,
                format!(
                    "missing destination: expected `destination` or `destinations` here, found {}",
                    keys_of(d)
                ),
            ));
        }
        if let Some(dest) = m.get("destination") {
            return self.destination(dest, &key_path(path, "destination"), Shape::PublicApi);
        }
        if let Some(Value::Array(items)) = m.get("destinations") {
            return self.list(items, &key_path(path, "destinations"), true);
        }
        if m.contains_key("config") {
            return self.config_api(m, path);
        }
        if m.contains_key("metadata") || m.contains_key("settings") {
            return self.destination(&Value::Object(m.clone()), path, Shape::Destination);
        }
        if m.keys().any(|k| SETTING_KEYS.contains(&k.as_str())) {
            self.found.push(Destination {
                file: self.file.to_string(),
                path: path.to_string(),
                shape: Shape::Settings,
                name: None,
                id: None,
                source: None,
                enabled: None,
                settings: m
                    .iter()
                    .map(|(k, v)| RawSetting {
                        key: k.clone(),
                        value: v.clone(),
                        path: key_path(path, k),
                    })
                    .collect(),
                catalog: Vec::new(),
            });
            return Ok(());
        }
        if m.keys().any(|k| ACTIONS_SETTING_KEYS.contains(&k.as_str())) {
            return Err(self.err(path, refuse_actions()));
        }
        Err(self.err(
            path,
            format!(
                "unknown shape: found {}; expected a Public API export (`data.destination`), a destination (`metadata`, `settings`), a Config API export (`config`) or a settings object (`username`, `alwaysEnabled`, `leadLookupFields`, ...)",
                keys_of(m)
            ),
        ))
    }

    /// A list of destinations: keep the Classic Salesforce ones.
    fn list(&mut self, items: &[Value], path: &str, public_api: bool) -> Result<(), InputError> {
        let before = self.found.len();
        let mut actions_seen = false;
        for (n, item) in items.iter().enumerate() {
            let p = index_path(path, n);
            let Value::Object(m) = item else {
                return Err(self.err(
                    &p,
                    format!("expected a destination object, found {}", type_name(item)),
                ));
            };
            match classify(m) {
                Kind::Classic | Kind::Unknown => {
                    if let Some(want) = self.destination_id {
                        if m.get("id").and_then(Value::as_str) != Some(want) {
                            continue;
                        }
                    }
                    if public_api {
                        self.destination(item, &p, Shape::PublicApi)?;
                    } else {
                        self.object(m, &p)?;
                    }
                }
                Kind::Actions => actions_seen = true,
                Kind::Other => {}
            }
        }
        if self.found.len() == before {
            if let Some(id) = self.destination_id {
                return Err(self.err(
                    path,
                    format!("missing destination: no Salesforce (Classic) destination with id `{id}` in this list"),
                ));
            }
            if actions_seen {
                return Err(self.err(path, refuse_actions()));
            }
            return Err(self.err(
                path,
                "missing destination: no Salesforce (Classic) destination in this list (metadata.slug `salesforce`)",
            ));
        }
        Ok(())
    }

    fn destination(&mut self, v: &Value, path: &str, shape: Shape) -> Result<(), InputError> {
        let Value::Object(m) = v else {
            return Err(self.err(
                path,
                format!("expected a destination object, found {}", type_name(v)),
            ));
        };
        match classify(m) {
            Kind::Actions => return Err(self.err(path, refuse_actions())),
            Kind::Other => {
                let slug = m
                    .get("metadata")
                    .and_then(|md| md.get("slug"))
                    .and_then(Value::as_str)
                    .unwrap_or("?");
                return Err(self.err(
                    &key_path(&key_path(path, "metadata"), "slug"),
                    format!("not a Salesforce (Classic) destination: slug `{slug}` (expected `salesforce`)"),
                ));
            }
            Kind::Classic | Kind::Unknown => {}
        }
        let sp = key_path(path, "settings");
        let settings = match m.get("settings") {
            Some(Value::Object(s)) => s,
            Some(other) => {
                return Err(self.err(
                    &sp,
                    format!("expected an object, found {}", type_name(other)),
                ));
            }
            None => return Err(self.err(path, format!("missing `settings`: found {}", keys_of(m)))),
        };
        self.found.push(Destination {
            file: self.file.to_string(),
            path: path.to_string(),
            shape,
            name: m.get("name").and_then(Value::as_str).map(str::to_string),
            id: m.get("id").and_then(Value::as_str).map(str::to_string),
            source: m
                .get("sourceId")
                .and_then(Value::as_str)
                .map(str::to_string),
            enabled: m.get("enabled").and_then(Value::as_bool),
            settings: settings
                .iter()
                .map(|(k, v)| RawSetting {
                    key: k.clone(),
                    value: v.clone(),
                    path: key_path(&sp, k),
                })
                .collect(),
            catalog: catalog_defaults(m.get("metadata"), &key_path(path, "metadata")),
        });
        Ok(())
    }

    fn config_api(&mut self, m: &Map<String, Value>, path: &str) -> Result<(), InputError> {
        let name = m.get("name").and_then(Value::as_str);
        if let Some(n) = name {
            if n.ends_with(&format!("/destinations/{ACTIONS_SLUG}")) {
                return Err(self.err(&key_path(path, "name"), refuse_actions()));
            }
            if !n.ends_with(&format!("/destinations/{CLASSIC_SLUG}")) {
                return Err(self.err(
                    &key_path(path, "name"),
                    "not a Salesforce (Classic) destination: the Config API name does not end in `/destinations/salesforce`",
                ));
            }
        }
        let cp = key_path(path, "config");
        let Some(Value::Array(config)) = m.get("config") else {
            return Err(self.err(&cp, "expected an array of settings"));
        };
        let mut settings = Vec::new();
        for (n, entry) in config.iter().enumerate() {
            let ep = index_path(&cp, n);
            let Value::Object(e) = entry else {
                return Err(self.err(
                    &ep,
                    format!("expected a setting object, found {}", type_name(entry)),
                ));
            };
            let Some(full) = e.get("name").and_then(Value::as_str) else {
                return Err(self.err(
                    &ep,
                    format!("a setting needs a `name`: found {}", keys_of(e)),
                ));
            };
            let key = full.rsplit_once("/config/").map_or(full, |(_, k)| k);
            settings.push(RawSetting {
                key: key.to_string(),
                value: e.get("value").cloned().unwrap_or(Value::Null),
                path: key_path(&ep, "value"),
            });
        }
        // "workspaces/<ws>/sources/<src>/destinations/salesforce"
        let source = name.and_then(|n| {
            let parts: Vec<&str> = n.split('/').collect();
            parts
                .iter()
                .position(|p| *p == "sources")
                .and_then(|i| parts.get(i + 1))
                .map(|s| (*s).to_string())
        });
        self.found.push(Destination {
            file: self.file.to_string(),
            path: path.to_string(),
            shape: Shape::ConfigApi,
            name: m
                .get("display_name")
                .and_then(Value::as_str)
                .map(str::to_string),
            id: name.map(str::to_string),
            source,
            enabled: m.get("enabled").and_then(Value::as_bool),
            settings,
            // The Config API had no defaults in its catalog.
            catalog: Vec::new(),
        });
        Ok(())
    }
}

enum Kind {
    Classic,
    Actions,
    Other,
    Unknown,
}

/// Classic, Actions, another destination, or no metadata to tell.
/// `metadata.options[]` entries with a name and a `defaultValue`; anything else in the catalog
/// is ignored (it describes settings, it does not set them).
fn catalog_defaults(metadata: Option<&Value>, path: &str) -> Vec<RawSetting> {
    let options = key_path(path, "options");
    let Some(Value::Array(items)) = metadata.and_then(|md| md.get("options")) else {
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            let key = o.get("name")?.as_str()?.to_string();
            let value = o.get("defaultValue")?.clone();
            Some(RawSetting {
                key,
                value,
                path: key_path(&index_path(&options, i), "defaultValue"),
            })
        })
        .collect()
}

fn classify(m: &Map<String, Value>) -> Kind {
    let Some(Value::Object(md)) = m.get("metadata") else {
        return Kind::Unknown;
    };
    let id = md.get("id").and_then(Value::as_str);
    let slug = md.get("slug").and_then(Value::as_str);
    let name = md.get("name").and_then(Value::as_str);
    if id == Some(ACTIONS_ID) || slug == Some(ACTIONS_SLUG) || name == Some("Salesforce (Actions)")
    {
        Kind::Actions
    } else if id == Some(CLASSIC_ID) || slug == Some(CLASSIC_SLUG) {
        Kind::Classic
    } else if id.is_none() && slug.is_none() {
        Kind::Unknown
    } else {
        Kind::Other
    }
}

fn refuse_actions() -> String {
    "this is a Salesforce (Actions) destination (`actions-salesforce`); `sfmap migrate` reads \
     Salesforce (Classic) settings only. Export the Classic destination (slug `salesforce`), or \
     write the mappings by hand (`use segment.defaults` reproduces the Actions defaults)"
        .to_string()
}
