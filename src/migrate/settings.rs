//! The ten Classic settings with their documented defaults (`classic-settings.md` §2). A missing
//! key (or `null`) takes the default; `billing` defaults to **true** and `version` to `"2"`.

use serde_json::Value;

use super::actions::{self, ActionsSetting};
use super::input::{Destination, InputError, RawSetting, type_name};

/// A setting's value and whether the input gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Val<T> {
    pub value: T,
    /// `false` when the key was missing or `null` and a default applies.
    pub explicit: bool,
    /// When not explicit: the default came from the export's own settings catalog
    /// (`metadata.options[].defaultValue`), not from the documented defaults.
    pub catalog: bool,
}

impl<T> Val<T> {
    fn default(value: T) -> Val<T> {
        Val {
            value,
            explicit: false,
            catalog: false,
        }
    }
}

/// How a report line starts for a setting the input did not give.
pub(super) fn default_note<T>(v: &Val<T>) -> &'static str {
    match (v.explicit, v.catalog) {
        (true, _) => "",
        (false, true) => "missing, the export's catalog default ",
        (false, false) => "missing, default ",
    }
}

/// Where a value being read comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// The destination's `settings`.
    Given,
    /// The export's catalog default for a key `settings` lacks.
    Catalog,
}

impl Origin {
    fn val<T>(self, value: T) -> Val<T> {
        Val {
            value,
            explicit: self == Origin::Given,
            catalog: self == Origin::Catalog,
        }
    }
}

/// A secret setting: never copied, never printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    /// Missing or empty.
    Absent,
    /// Censored by the Public API (a string with `•` characters).
    Censored,
    /// Present in clear text in the export.
    Clear,
}

/// Classic's `version` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

/// The settings of one destination.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The login user, shown as a hint only (never written to a file other than the report).
    pub username: Option<String>,
    pub password: Secret,
    pub security_token: Secret,
    pub sandbox: Val<bool>,
    pub version: Val<Version>,
    pub always_enabled: Val<bool>,
    /// (Segment trait name, Salesforce field), in input order.
    pub lead_lookup: Val<Vec<(String, String)>>,
    pub billing: Val<bool>,
    pub shipping: Val<bool>,
    pub actions: Val<ActionsSetting>,
    /// Keys that are not Classic settings (their values are never echoed).
    pub unknown_keys: Vec<String>,
    /// Whether the destination was enabled in Segment, when the export says.
    pub enabled: Option<bool>,
}

impl Settings {
    /// Reads a destination's settings; a value of the wrong type is an error at its JSON path.
    pub fn read(dest: &Destination) -> Result<Settings, InputError> {
        let mut s = Settings {
            username: None,
            password: Secret::Absent,
            security_token: Secret::Absent,
            sandbox: Val::default(false),
            version: Val::default(Version::V2),
            always_enabled: Val::default(false),
            lead_lookup: Val::default(Vec::new()),
            billing: Val::default(true),
            shipping: Val::default(false),
            actions: Val::default(ActionsSetting::Parsed(Vec::new())),
            unknown_keys: Vec::new(),
            enabled: dest.enabled,
        };
        // Keys the settings lack take the export's catalog default when it has one, read (and
        // checked) as a given value would be; credentials never take one.
        let given: Vec<&str> = dest
            .settings
            .iter()
            .filter(|r| !r.value.is_null())
            .map(|r| r.key.as_str())
            .collect();
        let from_catalog = dest.catalog.iter().filter(|r| {
            !r.value.is_null()
                && !given.contains(&r.key.as_str())
                && !matches!(r.key.as_str(), "username" | "password" | "securityToken")
        });
        for raw in from_catalog {
            s.apply(dest, raw, Origin::Catalog)?;
        }
        for raw in dest.settings.iter().filter(|r| !r.value.is_null()) {
            s.apply(dest, raw, Origin::Given)?;
        }
        Ok(s)
    }

    /// Reads one setting; a value of the wrong type is an error at its JSON path.
    fn apply(
        &mut self,
        dest: &Destination,
        raw: &RawSetting,
        origin: Origin,
    ) -> Result<(), InputError> {
        let s = self;
        let err = |expected: &str| {
            InputError::at(
                &dest.file,
                &raw.path,
                format!(
                    "`{}` should be {expected}, found {}",
                    raw.key,
                    type_name(&raw.value)
                ),
            )
        };
        match raw.key.as_str() {
            "username" => {
                let v = raw.value.as_str().ok_or_else(|| err("a string"))?;
                if !v.is_empty() && !v.contains('•') {
                    s.username = Some(v.to_string());
                }
            }
            "password" => s.password = secret(raw),
            "securityToken" => s.security_token = secret(raw),
            "sandbox" => s.sandbox = origin.val(boolean(raw).ok_or_else(|| err("a boolean"))?),
            "alwaysEnabled" => {
                s.always_enabled = origin.val(boolean(raw).ok_or_else(|| err("a boolean"))?);
            }
            "billing" => s.billing = origin.val(boolean(raw).ok_or_else(|| err("a boolean"))?),
            "shipping" => {
                s.shipping = origin.val(boolean(raw).ok_or_else(|| err("a boolean"))?);
            }
            "version" => {
                let v = match &raw.value {
                    Value::String(t) => t.trim().to_string(),
                    Value::Number(n) => n.to_string(),
                    _ => return Err(err("\"1\" or \"2\"")),
                };
                s.version = origin.val(match v.as_str() {
                    "1" => Version::V1,
                    "2" => Version::V2,
                    _ => {
                        return Err(InputError::at(
                            &dest.file,
                            &raw.path,
                            "`version` should be \"1\" or \"2\"",
                        ));
                    }
                });
            }
            "leadLookupFields" => {
                let rows = actions::rows(&raw.value, &raw.path).map_err(|e| {
                    InputError::at(
                        &dest.file,
                        &e.path,
                        format!("`leadLookupFields`: {}", e.message),
                    )
                })?;
                for (n, (trait_name, field)) in rows.iter().enumerate() {
                    if trait_name.trim().is_empty() || !is_api_name(field) {
                        return Err(InputError::at(
                            &dest.file,
                            &raw.path,
                            format!(
                                "`leadLookupFields` row {} needs a trait name on the left and a Salesforce field API name on the right",
                                n + 1
                            ),
                        ));
                    }
                }
                s.lead_lookup = origin.val(rows);
            }
            "actions" => {
                s.actions = origin.val(actions::parse(&raw.value, &raw.path));
            }
            _ if origin == Origin::Catalog => {}
            _ => s.unknown_keys.push(raw.key.clone()),
        }
        Ok(())
    }
}

/// The trigger condition for the opt-in gate (`alwaysEnabled`), with its explanation; the
/// built-in mappings and the custom actions share it.
pub fn gate(s: &Settings) -> (&'static str, &'static str) {
    if s.always_enabled.value {
        (
            "not (integrations.Salesforce == false or (integrations.All == false and integrations.Salesforce != true))",
            "alwaysEnabled is true: no opt-in needed; Segment's usual integrations filter still applies (dropped when `Salesforce: false`, or `All: false` without `Salesforce: true`).",
        )
    } else {
        (
            "integrations.Salesforce == true",
            "Opt-in gate: alwaysEnabled is false, so Classic sent only events with `integrations: {Salesforce: true}`.",
        )
    }
}

fn secret(raw: &RawSetting) -> Secret {
    match &raw.value {
        Value::String(s) if s.is_empty() => Secret::Absent,
        Value::String(s) if s.contains('•') => Secret::Censored,
        Value::Null => Secret::Absent,
        _ => Secret::Clear,
    }
}

/// A boolean, also accepting the strings "true"/"false" (Config API values are sometimes text).
fn boolean(raw: &RawSetting) -> Option<bool> {
    match &raw.value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// A Salesforce API name: a letter, then letters, digits and underscores.
pub fn is_api_name(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
