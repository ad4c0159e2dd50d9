//! API versions: every supported version, v31.0 to v67.0 (Summer '14 to Summer '26), is served.
//! Versions 7.0 to 30.0 are retired (7.0–20.0 since Summer '22, 21.0–30.0 since Summer '25):
//! REST answers them 410 GONE. Some resources start later: Bulk API 2.0 at v41.0, sObject
//! Collections at v42.0 and their upsert at v46.0 (earlier they are 404, as a resource a
//! version does not have).

use serde_json::{Value, json};

pub const MIN_VERSION: u32 = 31;
pub const MAX_VERSION: u32 = 67;
/// The oldest version Salesforce ever had.
const FIRST_VERSION: u32 = 7;
/// Bulk API 2.0 (`/jobs/ingest`).
pub const BULK_V2: u32 = 41;
/// sObject Collections (`/composite/sobjects`).
pub const COLLECTIONS: u32 = 42;
/// sObject Collections upsert (`PATCH /composite/sobjects/{Object}/{field}`).
pub const COLLECTIONS_UPSERT: u32 = 46;

/// Release label of a major version: Winter '15 is 32.0 and releases go Winter, Spring, Summer.
pub fn label(major: u32) -> String {
    let offset = major as i64 - 32;
    let season = ["Winter", "Spring", "Summer"][offset.rem_euclid(3) as usize];
    let year = 15 + offset.div_euclid(3);
    format!("{season} '{year:02}")
}

/// Parses `v60.0` into `60.0` when the version is served.
pub fn parse(segment: &str) -> Option<String> {
    let v = segment.strip_prefix('v')?;
    let (major, minor) = v.split_once('.')?;
    let major: u32 = major.parse().ok()?;
    if minor != "0" || !(MIN_VERSION..=MAX_VERSION).contains(&major) {
        return None;
    }
    Some(format!("{major}.0"))
}

/// Whether `v25.0` names a retired version (410 GONE).
pub fn retired(segment: &str) -> bool {
    let major = segment
        .strip_prefix('v')
        .and_then(|v| v.split_once('.'))
        .filter(|(_, minor)| *minor == "0")
        .and_then(|(major, _)| major.parse::<u32>().ok());
    major.is_some_and(|m| (FIRST_VERSION..MIN_VERSION).contains(&m))
}

/// `GET /services/data`: ascending.
pub fn list() -> Value {
    Value::Array(
        (MIN_VERSION..=MAX_VERSION)
            .map(|v| {
                json!({"label": label(v), "url": format!("/services/data/v{v}.0"), "version": format!("{v}.0")})
            })
            .collect(),
    )
}

/// `GET /services/data/vXX.X`: the resources of a version.
pub fn resources(version: &str, identity_url: &str) -> Value {
    let b = format!("/services/data/v{version}");
    json!({
        "sobjects": format!("{b}/sobjects"),
        "query": format!("{b}/query"),
        "queryAll": format!("{b}/queryAll"),
        "limits": format!("{b}/limits"),
        "composite": format!("{b}/composite"),
        "jobs": format!("{b}/jobs"),
        "identity": identity_url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_range() {
        assert_eq!(label(60), "Spring '24");
        assert_eq!(label(67), "Summer '26");
        assert_eq!(label(20), "Winter '11");
        assert_eq!(label(31), "Summer '14");
        assert_eq!(parse("v31.0").as_deref(), Some("31.0"));
        assert_eq!(parse("v67.0").as_deref(), Some("67.0"));
        assert_eq!(parse("v68.0"), None);
        assert_eq!(parse("v30.0"), None);
        assert_eq!(parse("60.0"), None);
        assert!(retired("v30.0") && retired("v21.0") && retired("v7.0"));
        assert!(!retired("v31.0") && !retired("v6.0") && !retired("v30.1") && !retired("30.0"));
    }
}
