//! `run` on a slow stream: with `--max-wait`, an event is delivered while the input is still
//! open, not when 2,000 events have piled up or the input ends.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The report's lines, once it has at least `n` (or whatever it has after `limit`).
fn wait_for_lines(path: &std::path::Path, n: usize, limit: Duration) -> Vec<serde_json::Value> {
    let until = Instant::now() + limit;
    loop {
        let lines: Vec<serde_json::Value> = std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        if lines.len() >= n || Instant::now() > until {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn max_wait_delivers_a_slow_stream_as_it_arrives() {
    let dir = std::env::temp_dir().join(format!("sfmap-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("report.jsonl");
    let _ = std::fs::remove_file(&report);
    let events = std::fs::read_to_string(root().join("examples/events.jsonl")).unwrap();
    let mut lines = events.lines().filter(|l| l.contains("\"identify\""));
    let mut child = Command::new(env!("CARGO_BIN_EXE_sfmap"))
        .current_dir(&dir)
        .args(["run", root().join("examples/lead.sfmap").to_str().unwrap()])
        .args(["--org", "local", "--events", "-", "--max-wait", "200ms"])
        .args(["--report", report.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{}", lines.next().unwrap()).unwrap();
    stdin.flush().unwrap();
    // The input stays open: the event goes out once it has waited 200ms.
    let first = wait_for_lines(&report, 1, Duration::from_secs(30));
    assert_eq!(
        first.len(),
        1,
        "nothing delivered while the stream was open"
    );
    assert_eq!(first[0]["outcome"], "created", "{first:?}");
    writeln!(stdin, "{}", lines.next().unwrap()).unwrap();
    stdin.flush().unwrap();
    let second = wait_for_lines(&report, 2, Duration::from_secs(30));
    assert_eq!(
        second.len(),
        2,
        "the second event was not delivered while open"
    );
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 events: 2 created"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

/// SIGINT and SIGTERM stop the run after the flush in flight: the summary, the command that
/// resumes, and the exit status of the signal (130, 143).
#[test]
fn a_signal_stops_the_run_with_a_summary_and_the_command_to_resume() {
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let dir =
            std::env::temp_dir().join(format!("sfmap-signal-{signal}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let report = dir.join("report.jsonl");
        let _ = std::fs::remove_file(&report);
        let events = std::fs::read_to_string(root().join("examples/events.jsonl")).unwrap();
        let first = events.lines().find(|l| l.contains("\"identify\"")).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_sfmap"))
            .current_dir(&dir)
            .args(["run", root().join("examples/lead.sfmap").to_str().unwrap()])
            .args(["--org", "local", "--events", "-", "--max-wait", "100ms"])
            .args(["--report", report.to_str().unwrap()])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{first}").unwrap();
        stdin.flush().unwrap();
        assert_eq!(wait_for_lines(&report, 1, Duration::from_secs(30)).len(), 1);
        let killed = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{stderr}");
        assert!(stderr.contains("1 events: 1 created"), "{stderr}");
        assert!(
            stderr.contains(&format!("stopped by SIG{signal}")),
            "{stderr}"
        );
        let resume = stderr.lines().last().unwrap().trim();
        assert!(
            resume.contains(" run ") && resume.contains("--max-wait 100ms"),
            "no resume command: {stderr}"
        );
        drop(stdin);
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// A folder given as `--events` is named as such, before any connection.
#[test]
fn a_folder_as_events_says_so() {
    let out = Command::new(env!("CARGO_BIN_EXE_sfmap"))
        .args(["run", root().join("examples/lead.sfmap").to_str().unwrap()])
        .args([
            "--org",
            "local",
            "--events",
            root().join("examples").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is a folder"), "{stderr}");
    assert!(!stderr.contains("local org:"), "connected first: {stderr}");
}
