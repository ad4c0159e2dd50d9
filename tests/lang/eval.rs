//! `eval`: each case under tests/fixtures/eval/<case>/ has mapping.sfmap and events.jsonl; the
//! JSONL output (with --explain) is snapshotted. The output must not depend on how many threads
//! evaluate or how the input is cut into chunks: it is compared with a plain line-by-line loop.

use std::io::Read;

use sfmap::eval::{Evaluator, EventResult, Outcome, Scratch, push_jsonl};
use sfmap::eval::{Stats, eval_stream};
use sfmap::event::chunks::Chunks;
use sfmap::event::jsonl::{LineError, LineReader};
use sfmap::outcome::RunCode;
use sfmap::plan::Plan;

use crate::support::{header, load_file, render, root};

fn cases() -> Vec<std::path::PathBuf> {
    let dir = root().join("tests/fixtures/eval");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    cases
}

fn plan_of(case: &std::path::Path) -> Plan {
    let loaded = load_file(&case.join("mapping.sfmap"));
    assert!(
        !loaded
            .diagnostics
            .iter()
            .any(sfmap::diag::Diagnostic::is_error),
        "{}",
        render(&loaded)
    );
    loaded.compiled.plan
}

#[test]
fn eval_cases() {
    for case in cases() {
        let plan = plan_of(&case);
        let events = std::fs::read(case.join("events.jsonl")).unwrap();
        let mut out = Vec::new();
        eval_stream(&plan, Chunks::from_bytes(&events), &mut out, true, 1).unwrap();
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        insta::with_settings!({snapshot_suffix => name, prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!("eval", String::from_utf8(out).unwrap());
        });
    }
}

/// The reference: one line at a time through [`LineReader`], with the malformed-line output
/// written by serde_json. Returns the output and the counts.
fn line_by_line(plan: &Plan, input: &[u8], explain: bool) -> (String, [usize; 4]) {
    let evaluator = Evaluator::new(plan);
    let mut reader = LineReader::new(input);
    let mut out = Vec::new();
    let mut counts = [0; 4]; // events, ops, errors, malformed
    let malformed = |out: &mut Vec<u8>, line: usize, code: RunCode, message: String| {
        let message = serde_json::to_string(&message).unwrap();
        let row = format!(
            "{{\"line\":{line},\"error\":{{\"code\":\"{code}\",\"message\":{message}}}}}\n"
        );
        out.extend_from_slice(row.as_bytes());
    };
    while let Some(next) = reader.next_line() {
        counts[0] += 1;
        match next {
            Err(LineError::InvalidUtf8 { line, offset }) => {
                counts[3] += 1;
                let message = format!("the text is not valid UTF-8 (at byte {offset})");
                malformed(&mut out, line, RunCode::MalformedEvent, message);
            }
            Err(LineError::Io(e)) => panic!("{e}"),
            Ok((line, text)) => {
                let mut scratch = Scratch::default();
                let mut result = EventResult::default();
                match evaluator.eval_json(text, &mut scratch, explain, &mut result) {
                    Ok(()) => {
                        for o in &result.outcomes {
                            match o {
                                Outcome::Op(_) => counts[1] += 1,
                                Outcome::Error(_) => counts[2] += 1,
                                Outcome::Skipped(_) => {}
                            }
                        }
                        push_jsonl(&mut out, line, &result);
                    }
                    Err(e) => {
                        counts[3] += 1;
                        malformed(&mut out, line, e.code(), e.to_string());
                    }
                }
            }
        }
    }
    (String::from_utf8(out).unwrap(), counts)
}

fn counts(s: Stats) -> [usize; 4] {
    [s.events, s.ops, s.errors, s.malformed]
}

/// A reader that gives at most `step` bytes per read, like a slow pipe.
struct Trickle<'d> {
    data: &'d [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(out.len()).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn output_is_the_same_for_any_jobs_and_chunks() {
    let mut out_of_range_read = false;
    for case in cases() {
        let plan = plan_of(&case);
        let mut events = std::fs::read(case.join("events.jsonl")).unwrap();
        // Lines that cannot be read, blank lines, a Windows line end, a long line, and no
        // newline at the end.
        events.extend_from_slice(b"\n  \n{\"type\":\"identify\"\r\nnot json\nab\xffcd\n\t\n");
        // Numbers beyond a double's range, read (where the mapping reads traits.email) and skipped.
        events.extend_from_slice(
            b"{\"type\":\"identify\",\"traits\":{\"email\":1e400}}\n{\"type\":\"identify\",\"zz\":-1e999}\n",
        );
        events.extend_from_slice(events.clone().as_slice());
        let long = format!(
            "{{\"type\":\"identify\",\"traits\":{{\"email\":\"x@example.com\",\"pad\":\"{}\"}}}}\n",
            "p".repeat(5000)
        );
        events.extend_from_slice(long.as_bytes());
        events.extend_from_slice(
            b"{\"type\":\"identify\",\"traits\":{\"email\":\"end@example.com\"}}",
        );
        for explain in [false, true] {
            let (want, want_counts) = line_by_line(&plan, &events, explain);
            assert!(want.contains("MALFORMED_EVENT"));
            out_of_range_read |= want.contains("NUMBER_OUT_OF_RANGE");
            for jobs in [1, 2, 3, 4] {
                for size in [1, 7, 100, 4096, 1 << 20] {
                    let what = format!(
                        "{}: jobs {jobs}, chunk {size}, explain {explain}",
                        case.display()
                    );
                    let mut out = Vec::new();
                    let chunks = Chunks::from_bytes(&events).with_size(size);
                    let stats = eval_stream(&plan, chunks, &mut out, explain, jobs).unwrap();
                    assert_eq!(String::from_utf8(out).unwrap(), want, "{what}");
                    assert_eq!(counts(stats), want_counts, "{what}");
                    let mut out = Vec::new();
                    let read = Trickle {
                        data: &events,
                        step: size.min(333),
                    };
                    let chunks = Chunks::from_reader(read).with_size(size);
                    let stats = eval_stream(&plan, chunks, &mut out, explain, jobs).unwrap();
                    assert_eq!(String::from_utf8(out).unwrap(), want, "{what}, read");
                    assert_eq!(counts(stats), want_counts, "{what}, read");
                }
            }
        }
    }
    assert!(out_of_range_read, "no case reads traits.email");
}

/// A byte order mark at the start of the input is no part of the first event: the output is
/// the one without it, however the input is cut and read.
#[test]
fn a_bom_at_the_start_of_the_input_is_skipped() {
    let case = &cases()[0];
    let plan = plan_of(case);
    let events = std::fs::read(case.join("events.jsonl")).unwrap();
    let eval = |chunks: Chunks<'_>, jobs: usize| {
        let mut out = Vec::new();
        let stats = eval_stream(&plan, chunks, &mut out, false, jobs).unwrap();
        (String::from_utf8(out).unwrap(), counts(stats))
    };
    let want = eval(Chunks::from_bytes(&events), 1);
    let first = "{\"line\":1,\"error\":{\"code\":\"MALFORMED_EVENT\"";
    assert!(
        !want.0.starts_with(first),
        "the case's first line is an event"
    );
    let with_bom = [&b"\xef\xbb\xbf"[..], &events].concat();
    for jobs in [1, 2] {
        for size in [1, 4096] {
            let what = format!("jobs {jobs}, chunk {size}");
            let chunks = Chunks::from_bytes(&with_bom).with_size(size);
            assert_eq!(eval(chunks, jobs), want, "{what}");
            let read = Trickle {
                data: &with_bom,
                step: 1,
            };
            let chunks = Chunks::from_reader(read).with_size(size);
            assert_eq!(eval(chunks, jobs), want, "{what}, read");
        }
    }
    assert_eq!(
        line_by_line(&plan, &with_bom, false),
        want,
        "the line reader"
    );
}

#[test]
fn read_and_write_errors_stop_the_work_and_are_returned() {
    let plan = plan_of(&cases()[0]);
    let events = std::fs::read(cases()[0].join("events.jsonl")).unwrap();
    struct FailAfter<'d>(&'d [u8]);
    impl Read for FailAfter<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Err(std::io::Error::other("read failed"));
            }
            let n = out.len().min(self.0.len()).min(64);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    struct FailingWriter(usize);
    impl std::io::Write for FailingWriter {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            if self.0 < b.len() {
                return Err(std::io::Error::other("write failed"));
            }
            self.0 -= b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    for jobs in [1, 2, 4] {
        let mut out = Vec::new();
        let chunks = Chunks::from_reader(FailAfter(&events)).with_size(64);
        let err = eval_stream(&plan, chunks, &mut out, true, jobs).unwrap_err();
        assert_eq!(err.to_string(), "read failed", "jobs {jobs}");
        // What came before the failure is written, in order: a prefix of the full output.
        let (all, _) = line_by_line(&plan, &events, true);
        assert!(
            all.starts_with(std::str::from_utf8(&out).unwrap()),
            "jobs {jobs}"
        );
        let mut out = FailingWriter(100);
        let chunks = Chunks::from_bytes(&events).with_size(64);
        let err = eval_stream(&plan, chunks, &mut out, true, jobs).unwrap_err();
        assert_eq!(err.to_string(), "write failed", "jobs {jobs}");
    }
}

/// The binary: `--jobs` changes nothing in the output; unreadable lines are reported on
/// standard error in input order, with their numbers, then the summary.
#[test]
fn the_cli_gives_the_same_output_for_any_jobs_and_reports_bad_lines_in_order() {
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    let case = cases()[0].clone();
    let plan = plan_of(&case);
    let mut events = Vec::new();
    for _ in 0..400 {
        events.extend_from_slice(&std::fs::read(case.join("events.jsonl")).unwrap());
    }
    events.extend_from_slice(b"not json\nab\xffcd\n");
    let (want, counts) = line_by_line(&plan, &events, false);
    let dir = std::env::temp_dir().join(format!("sfmap-eval-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("events.jsonl");
    std::fs::write(&file, &events).unwrap();
    let mapping = case.join("mapping.sfmap");
    let schema = header(&std::fs::read_to_string(&mapping).unwrap(), "schema");
    let run = |jobs: &str, stdin: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sfmap"));
        cmd.arg("eval").arg(&mapping).args(["--jobs", jobs]);
        if let Some(schema) = &schema {
            cmd.arg("--schema").arg(root().join(schema));
        }
        if stdin {
            cmd.stdin(Stdio::piped());
        } else {
            cmd.arg("--events").arg(&file);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if stdin {
            let mut input = child.stdin.take().unwrap();
            let events = events.clone();
            std::thread::spawn(move || input.write_all(&events).unwrap());
        }
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "jobs {jobs}");
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (out, err) = run("1", false);
    assert_eq!(out, want);
    // Each copy of the fixture has its own bad lines; the stderr lines come in input order.
    let bad: Vec<&str> = err.lines().collect();
    assert_eq!(bad.len(), counts[3] + 1);
    let numbers: Vec<usize> = bad[..bad.len() - 1]
        .iter()
        .map(|l| {
            l.strip_prefix("line ")
                .unwrap()
                .split(':')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    assert_eq!(
        bad[bad.len() - 2],
        format!(
            "line {}: the text is not valid UTF-8 (at byte 2)",
            numbers[numbers.len() - 1]
        )
    );
    assert_eq!(
        bad[bad.len() - 1],
        format!(
            "{} events: {} operations, {} errors, {} malformed lines",
            counts[0], counts[1], counts[2], counts[3]
        )
    );
    for (jobs, stdin) in [("3", false), ("2", true), ("1", true)] {
        assert_eq!(
            run(jobs, stdin),
            (out.clone(), err.clone()),
            "jobs {jobs}, stdin {stdin}"
        );
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_sfmap"))
        .arg("eval")
        .arg(&mapping)
        .args(["--jobs", "0"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A bug in one thread (here: a writer that panics) surfaces as that panic; the other threads
/// stop instead of waiting for ever for the chunk the failed one held.
#[test]
fn a_panicking_thread_stops_the_others() {
    struct PanicOnThirdWrite(usize);
    impl std::io::Write for PanicOnThirdWrite {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += 1;
            assert!(self.0 < 3, "the writer broke");
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let plan = plan_of(&cases()[0]);
    let one = std::fs::read(cases()[0].join("events.jsonl")).unwrap();
    let events = one.repeat(20);
    for jobs in [2, 3] {
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let chunks = Chunks::from_bytes(&events).with_size(1);
            eval_stream(&plan, chunks, &mut PanicOnThirdWrite(0), true, jobs)
        }));
        let panic = run.expect_err("the panic comes through");
        // The calling thread's own panic comes as it is; another thread's, as the scope's.
        let message = panic.downcast_ref::<&str>().copied();
        assert!(
            matches!(
                message,
                Some("the writer broke" | "a scoped thread panicked")
            ),
            "{message:?}"
        );
    }
}

/// A slow stream (`tail -f events | sfmap eval`) is answered as its lines arrive: each line's
/// output comes before the next line is sent.
#[test]
fn the_cli_answers_a_slow_stream_line_by_line() {
    use std::io::{BufRead, BufReader, Write as _};
    use std::process::{Command, Stdio};
    use std::time::Duration;

    let case = cases()[0].clone();
    let mapping = case.join("mapping.sfmap");
    let schema = header(&std::fs::read_to_string(&mapping).unwrap(), "schema").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sfmap"))
        .arg("eval")
        .arg(&mapping)
        .arg("--schema")
        .arg(root().join(schema))
        .args(["--jobs", "2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let mut output = BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || {
        let mut line = String::new();
        while output.read_line(&mut line).unwrap() > 0 {
            tx.send(std::mem::take(&mut line)).unwrap();
        }
    });
    for i in 1..=3 {
        writeln!(
            input,
            r#"{{"type":"identify","messageId":"s{i}","traits":{{"email":"s{i}@example.com"}}}}"#
        )
        .unwrap();
        input.flush().unwrap();
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no answer to line {i} while the input stays open"));
        assert!(
            line.starts_with(&format!("{{\"line\":{i},\"event\":\"s{i}\"")),
            "{line}"
        );
    }
    drop(input);
    assert!(child.wait().unwrap().success());
}
