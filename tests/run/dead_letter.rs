//! The dead letter file says why, keeps each line byte for byte (invalid UTF-8 included), and
//! `replay` reads it back without piling entries up.

use std::process::Command;

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const BROKEN: &str = "mapping lead {\n  on identify where traits.email exists\n  object Lead\n  \
    create\n  fields {\n    LastName = traits.last_name\n    Company = \"Acme\"\n    Email = traits.email\n  }\n}\n";
const FIXED: &str = "mapping lead {\n  on identify where traits.email exists\n  object Lead\n  \
    create\n  fields {\n    LastName = coalesce(traits.last_name, \"Unknown\")\n    Company = \"Acme\"\n    Email = traits.email\n  }\n}\n";

fn run(dir: &std::path::Path, verb: &str, mapping: &str, events: &str) -> std::process::Output {
    std::fs::write(dir.join("m.sfmap"), mapping).unwrap();
    Command::new(env!("CARGO_BIN_EXE_sfmap"))
        .current_dir(dir)
        .args([verb, "m.sfmap", "--events", events, "--org", "local"])
        .args([
            "--schema",
            root()
                .join("examples/schema/acme-org.json")
                .to_str()
                .unwrap(),
        ])
        .args(["--dead-letter", "dl.jsonl", "--report", "report.jsonl"])
        .output()
        .unwrap()
}

fn entries(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_dead_letter_round_trip_keeps_every_byte_and_says_why() {
    let dir = std::env::temp_dir().join(format!("sfmap-dead-letter-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let bad_utf8: &[u8] =
        b"{\"type\":\"identify\",\"traits\":{\"email\":\"z@x.com\",\"n\":\"\xff\xfe\"}}";
    let no_name = br#"{"type":"identify","messageId":"m2","traits":{"email":"b@x.com"}}"#;
    let mut events = Vec::new();
    events.extend_from_slice(
        br#"{"type":"identify","messageId":"m1","traits":{"email":"a@x.com","last_name":"A"}}"#,
    );
    events.push(b'\n');
    events.extend_from_slice(no_name);
    events.push(b'\n');
    events.extend_from_slice(bad_utf8);
    events.push(b'\n');
    std::fs::write(dir.join("events.jsonl"), &events).unwrap();

    let first = run(&dir, "run", BROKEN, "events.jsonl");
    assert_eq!(
        first.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let dl = entries(&dir.join("dl.jsonl"));
    assert_eq!(dl.len(), 2, "{dl:?}");
    assert_eq!(dl[0]["line"], 2);
    assert_eq!(dl[0]["mapping"], "lead");
    assert_eq!(dl[0]["error_code"], "MISSING_REQUIRED");
    assert_eq!(dl[0]["event"].as_str().unwrap().as_bytes(), no_name);
    assert_eq!(dl[1]["line"], 3);
    assert_eq!(dl[1]["error_code"], "MALFORMED_EVENT");
    use base64::Engine;
    let kept = base64::engine::general_purpose::STANDARD
        .decode(dl[1]["event_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(kept, bad_utf8, "the invalid line is kept byte for byte");

    // Replay the dead letter into itself with the mapping fixed.
    let second = run(&dir, "replay", FIXED, "dl.jsonl");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("2 events: 1 created, 1 failed"), "{stderr}");
    let report = entries(&dir.join("report.jsonl"));
    assert_eq!(
        report[0]["line"], 2,
        "replayed events keep their original line"
    );
    assert_eq!(report[0]["outcome"], "created");
    let again = entries(&dir.join("dl.jsonl"));
    assert_eq!(again.len(), 1, "entries do not pile up: {again:?}");
    assert_eq!(again[0]["event_base64"], dl[1]["event_base64"]);
    assert_eq!(entries(&dir.join("dl.jsonl.prev")), dl);
    std::fs::remove_dir_all(&dir).ok();
}
