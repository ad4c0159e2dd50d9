//! Parse, compile and format arbitrary text: nothing may panic, and whatever parses must format
//! to a fixed point.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = sfmap::syntax::parse(text);
    let schema = sfmap::schema::Schema::builtin();
    let _ = sfmap::compile::compile(&parsed.file, &schema, "fuzz");
    if parsed.diagnostics.is_empty() {
        let once = sfmap::syntax::print::print(&parsed.file, text);
        let again = sfmap::syntax::parse(&once);
        assert!(again.diagnostics.is_empty(), "formatted output does not parse");
        let twice = sfmap::syntax::print::print(&again.file, &once);
        assert_eq!(once, twice, "fmt is not idempotent");
    }
});
