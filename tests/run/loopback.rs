//! Credentials go to a loopback address only for an emulator the user named as one: `--org
//! local`, a profile with `emulator = true`, or SFMAP_EMULATOR=1 beside SFMAP_INSTANCE_URL.
//! Without it sfmap refuses before connecting: whatever listens there gets no token.

use std::io::Read;
use std::net::TcpListener;
use std::process::Command;

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A listener on loopback that records whether anything connected to it.
fn listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    (l, url)
}

fn nobody_connected(l: &TcpListener) -> bool {
    match l.accept() {
        Ok((mut s, _)) => {
            let mut buf = [0u8; 64];
            let _ = s.read(&mut buf);
            false
        }
        Err(_) => true,
    }
}

fn run(dir: &std::path::Path, envs: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sfmap"));
    c.current_dir(dir)
        .args(["run", root().join("examples/lead.sfmap").to_str().unwrap()])
        .args([
            "--events",
            root().join("examples/events.jsonl").to_str().unwrap(),
        ])
        .args(args)
        .env_remove("SFMAP_ACCESS_TOKEN")
        .env_remove("SFMAP_INSTANCE_URL")
        .env_remove("SFMAP_EMULATOR")
        .env_remove("SFMAP_CLIENT_SECRET");
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sfmap-loopback-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_loopback_instance_url_without_the_emulator_flag_gets_no_token() {
    let (l, url) = listener();
    let dir = temp("env");
    for host in [url.clone(), url.replace("127.0.0.1", "localhost")] {
        let out = run(
            &dir,
            &[
                ("SFMAP_ACCESS_TOKEN", "00D000000000001!secret"),
                ("SFMAP_INSTANCE_URL", &host),
            ],
            &["--ledger", dir.join("l.sqlite").to_str().unwrap()],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("SFMAP_EMULATOR=1"), "{stderr}");
        assert!(!stderr.contains("secret"), "{stderr}");
    }
    assert!(
        nobody_connected(&l),
        "the token went to the loopback listener"
    );
}

#[test]
fn a_loopback_login_host_needs_emulator_true_in_the_profile() {
    let (l, url) = listener();
    let dir = temp("profile");
    std::fs::write(
        dir.join("sfmap.toml"),
        format!(
            "[profiles.dev]\nlogin_host = \"{url}\"\nauth = \"client_credentials\"\nclient_id = \"abc\"\n"
        ),
    )
    .unwrap();
    let lead = dir.join("lead.sfmap");
    std::fs::copy(root().join("examples/lead.sfmap"), &lead).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sfmap"))
        .current_dir(&dir)
        .args(["run", lead.to_str().unwrap(), "--profile", "dev"])
        .args([
            "--schema",
            root()
                .join("examples/schema/acme-org.json")
                .to_str()
                .unwrap(),
        ])
        .args([
            "--events",
            root().join("examples/events.jsonl").to_str().unwrap(),
        ])
        .args(["--credentials", dir.join("creds.json").to_str().unwrap()])
        .env("SFMAP_CLIENT_SECRET", "s3cret")
        .env_remove("SFMAP_ACCESS_TOKEN")
        .env_remove("SFMAP_INSTANCE_URL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("emulator = true"), "{stderr}");
    assert!(
        nobody_connected(&l),
        "the client secret went to the loopback listener"
    );
}

/// `auth = "password"`: username in the profile, password and security token from the
/// environment, a warning that the flow is being retired; the run delivers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_profile_logs_in_and_delivers() {
    use sfmap::emulate::EmulatorConfig;
    let emu = super::support::org(EmulatorConfig::default()).await;
    let c = emu.credentials().clone();
    let dir = temp("password");
    std::fs::write(
        dir.join("sfmap.toml"),
        format!(
            "[profiles.classic]\nlogin_host = \"{}\"\nemulator = true\nauth = \"password\"\n\
             client_id = \"{}\"\nusername = \"{}\"\n",
            emu.base_url(),
            c.client_id,
            c.username
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("m.sfmap"),
        "mapping lead {\n  on identify where traits.email exists\n  object Lead\n  \
         upsert match Email = traits.email\n  fields {\n    LastName = \"L\"\n    Company = \"C\"\n  }\n}\n",
    )
    .unwrap();
    let events: String = (0..3)
        .map(|i| {
            super::support::identify(i, &format!("pw{i}@x.com"), serde_json::json!({})).to_string()
                + "\n"
        })
        .collect();
    std::fs::write(dir.join("e.jsonl"), events).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sfmap"))
        .current_dir(&dir)
        .args([
            "run",
            "m.sfmap",
            "--profile",
            "classic",
            "--events",
            "e.jsonl",
        ])
        .args(["--credentials", dir.join("creds.json").to_str().unwrap()])
        .args(["--ledger", dir.join("l.sqlite").to_str().unwrap()])
        .env("SFMAP_CLIENT_SECRET", &c.client_secret)
        .env("SFMAP_PASSWORD", &c.password)
        .env("SFMAP_SECURITY_TOKEN", &c.security_token)
        .env_remove("SFMAP_ACCESS_TOKEN")
        .env_remove("SFMAP_INSTANCE_URL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Salesforce is retiring"), "{stderr}");
    assert!(stderr.contains("3 events: 3 created"), "{stderr}");
    assert!(!stderr.contains(&c.password), "{stderr}");
    assert_eq!(
        super::support::records(&emu, "Lead", &["Email"], "Email").len(),
        3
    );
    emu.shutdown().await;
}
