//! The selective event reader on arbitrary bytes: never panics, and agrees with serde_json on
//! whether a document is a valid JSON object (but for a number beyond a double's range, which
//! fails only where it is read: see `src/event/reader.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sfmap::event::path::EventPath;
use sfmap::event::reader::{ReadOut, ReadPlan};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let paths: Vec<EventPath> = ["type", "traits.email", "traits.address.city", "context.traits", "traits.tags[0]"]
        .iter()
        .map(|p| p.parse().expect("valid path"))
        .collect();
    let plan = ReadPlan::new(&paths, false);
    let mut out = ReadOut::new();
    let ours = plan.read(text, &mut out).is_ok();
    let theirs = serde_json::from_str::<serde_json::Value>(text);
    if let Err(e) = &theirs {
        if e.to_string().starts_with("number out of range") {
            return;
        }
    }
    assert_eq!(ours, theirs.is_ok_and(|v| v.is_object()), "validity differs from serde_json");
});
