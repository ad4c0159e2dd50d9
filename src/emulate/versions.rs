//! API versions: every version from v20.0 to v67.0 (Winter '11 to Summer '26) is served.

use serde_json::{Value, json};

pub const MIN_VERSION: u32 = 20;
pub const MAX_VERSION: u32 = 67;

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
        assert_eq!(parse("v20.0").as_deref(), Some("20.0"));
        assert_eq!(parse("v67.0").as_deref(), Some("67.0"));
        assert_eq!(parse("v68.0"), None);
        assert_eq!(parse("v19.0"), None);
        assert_eq!(parse("60.0"), None);
    }
}
