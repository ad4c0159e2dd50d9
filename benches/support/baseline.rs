//! The hand-written comparison: the benchmark's Lead mapping coded directly against serde_json.
//!
//! This is what a careful engineer would write for one fixed mapping, with no mapping language:
//! typed `#[derive(Deserialize)]` structs borrow from the line, unknown members are skipped by
//! serde, and wanted values are kept as `&RawValue` so they are copied to the output without
//! being decoded and re-encoded. Nested objects that may not be objects (`traits.company`,
//! `traits.address`, `context.traits`) are taken raw and parsed only when they are objects, so
//! an odd event is skipped rather than rejected. Output is one record-operation JSON line per
//! event that passes the `where` clause.
//!
//! Shared by `benches/reader.rs` and the eval bench (via `#[path]`).

#![allow(dead_code)]

use std::borrow::Cow;
use std::io::Write;

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// Keeps JSON `null` as `Some("null")`: the mapping tells an explicit null from an absent value.
fn raw<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

type Raw<'a> = Option<&'a RawValue>;

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(rename = "type", default, deserialize_with = "raw", borrow)]
    kind: Raw<'a>,
    #[serde(rename = "messageId", default, deserialize_with = "raw", borrow)]
    message_id: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    traits: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    context: Raw<'a>,
}

#[derive(Deserialize, Default)]
struct Context<'a> {
    #[serde(default, deserialize_with = "raw", borrow)]
    traits: Raw<'a>,
}

#[derive(Deserialize, Default)]
struct ContextTraits<'a> {
    #[serde(default, deserialize_with = "raw", borrow)]
    email: Raw<'a>,
}

#[derive(Deserialize, Default)]
struct Traits<'a> {
    #[serde(default, deserialize_with = "raw", borrow)]
    email: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    first_name: Raw<'a>,
    #[serde(rename = "firstName", default, deserialize_with = "raw", borrow)]
    first_name_camel: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    name: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    last_name: Raw<'a>,
    #[serde(rename = "lastName", default, deserialize_with = "raw", borrow)]
    last_name_camel: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    company: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    company_name: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    phone: Raw<'a>,
    #[serde(rename = "phoneNumber", default, deserialize_with = "raw", borrow)]
    phone_number: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    title: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    address: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    street: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    city: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    state: Raw<'a>,
    #[serde(rename = "postalCode", default, deserialize_with = "raw", borrow)]
    postal_code: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    zip: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    country: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    website: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    industry: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    description: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    utm_source: Raw<'a>,
}

#[derive(Deserialize, Default)]
struct Company<'a> {
    #[serde(default, deserialize_with = "raw", borrow)]
    name: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    industry: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    employee_count: Raw<'a>,
}

#[derive(Deserialize, Default)]
struct Address<'a> {
    #[serde(default, deserialize_with = "raw", borrow)]
    street: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    city: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    state: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    postal_code: Raw<'a>,
    #[serde(default, deserialize_with = "raw", borrow)]
    country: Raw<'a>,
}

/// Parses a nested object if the raw value is one; anything else reads as an empty object.
fn nested<'a, T: Deserialize<'a> + Default>(raw: Raw<'a>) -> Result<T, serde_json::Error> {
    match raw {
        Some(r) if r.get().starts_with('{') => serde_json::from_str(r.get()),
        _ => Ok(T::default()),
    }
}

/// The result of a coalesce chain: absent, or a raw JSON value (possibly `null`).
enum Out<'a> {
    Absent,
    /// JSON text copied from the event.
    Raw(&'a str),
    /// A string to encode as JSON.
    Text(Cow<'a, str>),
}

fn is_null(r: &RawValue) -> bool {
    r.get() == "null"
}

/// First value neither absent nor null; `null` if every present one is null; absent if all are.
fn coalesce<'a>(candidates: &[Raw<'a>]) -> Out<'a> {
    let mut saw_null = false;
    for r in candidates.iter().flatten() {
        if is_null(r) {
            saw_null = true;
        } else {
            return Out::Raw(r.get());
        }
    }
    if saw_null {
        Out::Raw("null")
    } else {
        Out::Absent
    }
}

/// `coalesce(...)` with a literal string fallback.
fn or_text<'a>(out: Out<'a>, fallback: &'a str) -> Out<'a> {
    match out {
        Out::Raw(r) if r != "null" => out,
        _ => Out::Text(Cow::Borrowed(fallback)),
    }
}

/// The first whitespace-separated word of a JSON string value.
fn first_word(raw: Raw<'_>) -> Option<String> {
    let r = raw?;
    let name: Cow<'_, str> = serde_json::from_str(r.get()).ok()?;
    name.split_whitespace().next().map(str::to_owned)
}

fn put(out: &mut Vec<u8>, first: &mut bool, field: &str, value: Out<'_>) {
    if let Out::Absent = value {
        return;
    }
    if !*first {
        out.push(b',');
    }
    *first = false;
    out.push(b'"');
    out.extend_from_slice(field.as_bytes());
    out.extend_from_slice(b"\":");
    match value {
        Out::Absent => {}
        Out::Raw(r) => out.extend_from_slice(r.as_bytes()),
        Out::Text(t) => serde_json::to_writer(&mut *out, &t).expect("writing to a Vec"),
    }
}

/// Maps one event line. Returns `Ok(true)` when a record operation was written to `out`,
/// `Ok(false)` when the event does not match, `Err` when the line is not valid JSON.
pub fn map_event(line: &str, out: &mut Vec<u8>) -> Result<bool, serde_json::Error> {
    let event: Event<'_> = serde_json::from_str(line)?;
    if event.kind.map(RawValue::get) != Some("\"identify\"") {
        return Ok(false);
    }
    let t: Traits<'_> = nested(event.traits)?;
    let ctx: Context<'_> = nested(event.context)?;
    let ctx_traits: ContextTraits<'_> = nested(ctx.traits)?;
    let Out::Raw(email_raw) = coalesce(&[t.email, ctx_traits.email]) else {
        return Ok(false);
    };
    if email_raw == "null" {
        return Ok(false);
    }
    let company: Company<'_> = nested(t.company)?;
    let address: Address<'_> = nested(t.address)?;

    out.extend_from_slice(b"{\"event\":");
    out.extend_from_slice(event.message_id.map_or("null", RawValue::get).as_bytes());
    out.extend_from_slice(
        b",\"mapping\":\"lead_bench\",\"object\":\"Lead\",\"operation\":\"upsert\",\"match\":{\"Email\":",
    );
    out.extend_from_slice(email_raw.as_bytes());
    out.extend_from_slice(b"},\"fields\":{");
    let first = &mut true;
    put(out, first, "Email", Out::Raw(email_raw));
    let first_name = match coalesce(&[t.first_name, t.first_name_camel]) {
        Out::Raw(r) if r != "null" => Out::Raw(r),
        other => first_word(t.name).map_or(other, |w| Out::Text(Cow::Owned(w))),
    };
    put(out, first, "FirstName", first_name);
    put(
        out,
        first,
        "LastName",
        or_text(coalesce(&[t.last_name, t.last_name_camel]), "Unknown"),
    );
    put(
        out,
        first,
        "Company",
        or_text(coalesce(&[company.name, t.company_name]), "Unknown"),
    );
    put(out, first, "Phone", coalesce(&[t.phone, t.phone_number]));
    put(out, first, "Title", coalesce(&[t.title]));
    put(out, first, "Street", coalesce(&[address.street, t.street]));
    put(out, first, "City", coalesce(&[address.city, t.city]));
    put(out, first, "State", coalesce(&[address.state, t.state]));
    put(
        out,
        first,
        "PostalCode",
        coalesce(&[address.postal_code, t.postal_code, t.zip]),
    );
    put(
        out,
        first,
        "Country",
        coalesce(&[address.country, t.country]),
    );
    put(out, first, "Website", coalesce(&[t.website]));
    put(
        out,
        first,
        "Industry",
        coalesce(&[company.industry, t.industry]),
    );
    put(
        out,
        first,
        "NumberOfEmployees",
        coalesce(&[company.employee_count]),
    );
    put(out, first, "Description", coalesce(&[t.description]));
    put(
        out,
        first,
        "LeadSource",
        or_text(coalesce(&[t.utm_source]), "Web"),
    );
    out.extend_from_slice(b"}}\n");
    Ok(true)
}

/// Maps every line of a JSONL text; returns (record operations written, malformed lines).
pub fn run(input: &str, out: &mut Vec<u8>) -> (usize, usize) {
    let (mut written, mut malformed) = (0, 0);
    for line in input.lines() {
        if line.trim().is_empty() {
            continue;
        }
        match map_event(line, out) {
            Ok(true) => written += 1,
            Ok(false) => {}
            Err(_) => {
                malformed += 1;
                let _ = writeln!(out, "{{\"error\":\"malformed event\"}}");
            }
        }
    }
    (written, malformed)
}
