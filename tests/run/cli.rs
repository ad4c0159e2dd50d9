//! The binary end to end: `sfmap login` with a JWT profile, then `sfmap run --profile`, against
//! an emulated org; no secret in any output, file or report.

use std::process::Command;

use serde_json::json;
use sfmap::emulate::EmulatorConfig;

use crate::support::{identify, org, records};

fn sfmap(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sfmap"))
        .args(args)
        .env_remove("SFMAP_ACCESS_TOKEN")
        .env_remove("SFMAP_INSTANCE_URL")
        .env_remove("SFMAP_CLIENT_SECRET")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_then_run_with_a_profile_and_leak_no_secret() {
    let emu = org(EmulatorConfig::default()).await;
    let dir = std::env::temp_dir().join(format!("sfmap-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let c = emu.credentials().clone();
    let key = emu.jwt_key_path().expect("the emulator's development key");
    std::fs::write(
        dir.join("sfmap.toml"),
        format!(
            "default_profile = \"emu\"\n\n[profiles.emu]\nlogin_host = \"{}\"\nemulator = true\nauth = \"jwt\"\n\
             client_id = \"{}\"\nusername = \"{}\"\nkey_file = \"{}\"\n\n\
             [profiles.web]\nlogin_host = \"{}\"\nemulator = true\nclient_id = \"{}\"\n",
            emu.base_url(),
            c.client_id,
            c.username,
            key.display(),
            emu.base_url(),
            c.client_id
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("m.sfmap"),
        "mapping lead {\n  on identify where traits.email exists\n  object Lead\n  \
         upsert match Email = traits.email\n  fields {\n    LastName = \"L\"\n    Company = \"C\"\n  }\n}\n",
    )
    .unwrap();
    let events: String = (0..5)
        .map(|i| identify(i, &format!("p{i}@x.com"), json!({})).to_string() + "\n")
        .collect();
    std::fs::write(dir.join("e.jsonl"), events).unwrap();
    let creds = dir.join("creds.json");
    let d = |f: &str| dir.join(f).to_string_lossy().to_string();

    let login = sfmap(&[
        "login",
        "--config-dir",
        &d(""),
        "--credentials",
        &d("creds.json"),
    ]);
    let login_err = String::from_utf8_lossy(&login.stderr).to_string();
    assert!(login.status.success(), "{login_err}");
    assert!(
        login_err.contains("logged in: profile `emu`"),
        "{login_err}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&creds).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "credentials file must be private");
    }

    let run = sfmap(&[
        "run",
        &d("m.sfmap"),
        "--events",
        &d("e.jsonl"),
        "--credentials",
        &d("creds.json"),
        "--report",
        &d("r.jsonl"),
        "--ledger",
        &d("l.sqlite"),
    ]);
    let run_err = String::from_utf8_lossy(&run.stderr).to_string();
    assert!(run.status.success(), "{run_err}");
    assert!(run_err.contains("5 events: 5 created"), "{run_err}");
    assert_eq!(records(&emu, "Lead", &["Email"], "Email").len(), 5);

    // A web profile that never logged in is a configuration error (exit 2) that says what to do.
    let web = sfmap(&[
        "run",
        &d("m.sfmap"),
        "--events",
        &d("e.jsonl"),
        "--profile",
        "web",
        "--credentials",
        &d("creds.json"),
    ]);
    assert_eq!(web.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&web.stderr).contains("sfmap login --profile web"));

    // No secret anywhere: outputs, report, ledger, credentials aside.
    let stored = std::fs::read_to_string(&creds).unwrap();
    let token: serde_json::Value = serde_json::from_str(&stored).unwrap();
    let access = token["profiles"]["emu"]["access_token"]
        .as_str()
        .expect("login stored an access token")
        .to_string();
    let secrets = vec![
        c.client_secret.clone(),
        c.password.clone(),
        c.access_token.clone(),
        access,
    ];
    let ledger_bytes = std::fs::read(dir.join("l.sqlite")).unwrap();
    let haystacks = [
        login_err,
        String::from_utf8_lossy(&login.stdout).to_string(),
        run_err,
        String::from_utf8_lossy(&run.stdout).to_string(),
        std::fs::read_to_string(dir.join("r.jsonl")).unwrap(),
        String::from_utf8_lossy(&ledger_bytes).to_string(),
    ];
    for s in &secrets {
        assert!(s.len() > 8);
        for h in &haystacks {
            assert!(!h.contains(s.as_str()), "a secret leaked");
        }
    }
    emu.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_pull_lets_check_lint_against_the_org() {
    let emu = org(EmulatorConfig::default()).await;
    let dir = std::env::temp_dir().join(format!("sfmap-pull-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mapping = dir.join("sub.sfmap");
    std::fs::write(
        &mapping,
        "mapping sub {\n  on track(\"Started\")\n  object Subscription__c\n  \
         upsert match Subscription_Key__c = properties.id\n  fields {\n    Name = \"S\"\n    \
         Plan__c = \"Pro\"\n    Account__c = lookup(Account.External_Id__c, groupId)\n  }\n}\n",
    )
    .unwrap();
    let out = dir.join("org.json");
    let m = mapping.to_string_lossy().to_string();
    // Against the built-in schema the custom object is unknown.
    let before = sfmap(&["check", &m]);
    assert_eq!(before.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&before.stderr).contains("E0201"));
    let pull = Command::new(env!("CARGO_BIN_EXE_sfmap"))
        .args(["schema", "pull", &m, "--out", &out.to_string_lossy()])
        .env("SFMAP_INSTANCE_URL", emu.base_url())
        .env("SFMAP_EMULATOR", "1")
        .env("SFMAP_ACCESS_TOKEN", &emu.credentials().access_token)
        .output()
        .unwrap();
    assert!(
        pull.status.success(),
        "{}",
        String::from_utf8_lossy(&pull.stderr)
    );
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let names: Vec<&str> = file["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Account", "Subscription__c"],
        "the object and its lookup parent"
    );
    let after = sfmap(&["check", "--schema", &out.to_string_lossy(), &m]);
    assert!(
        after.status.success(),
        "{}",
        String::from_utf8_lossy(&after.stderr)
    );
    emu.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `sfmap login` with the web-server flow through the binary: it prints the authorize URL,
/// catches the code on its loopback port (PKCE), stores the tokens, and `run --profile` uses
/// them. A browser is played by an HTTP client following the emulator's auto-approve redirect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_login_through_the_binary_then_run() {
    use std::io::BufRead;
    let emu = org(EmulatorConfig::default()).await;
    let dir = std::env::temp_dir().join(format!("sfmap-cli-web-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let c = emu.credentials().clone();
    std::fs::write(
        dir.join("sfmap.toml"),
        format!(
            "[profiles.web]\nlogin_host = \"{}\"\nemulator = true\nclient_id = \"{}\"\n",
            emu.base_url(),
            c.client_id
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("m.sfmap"),
        "mapping lead {\n  on identify\n  object Lead\n  \
         upsert match Email = traits.email\n  fields {\n    LastName = \"L\"\n    Company = \"C\"\n  }\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("e.jsonl"),
        identify(1, "web@x.com", json!({})).to_string() + "\n",
    )
    .unwrap();
    let d = |f: &str| dir.join(f).to_string_lossy().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sfmap"))
        .args(["login", "--profile", "web", "--no-browser", "--port", &port])
        .args(["--config-dir", &d(""), "--credentials", &d("creds.json")])
        .env_remove("SFMAP_ACCESS_TOKEN")
        .env_remove("SFMAP_INSTANCE_URL")
        .env_remove("SFMAP_CLIENT_SECRET")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut printed = String::new();
    let url = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "no URL printed: {printed}"
        );
        printed.push_str(&line);
        if let Some(u) = line.trim().strip_prefix("http") {
            break format!("http{u}");
        }
    };
    assert!(url.contains("code_challenge="), "PKCE: {url}");
    assert!(url.contains("response_type=code"), "{url}");
    // The "browser": the emulator approves and redirects to sfmap's loopback port.
    let page = reqwest::get(&url).await.unwrap();
    assert!(page.status().is_success(), "{}", page.status());
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(status.success(), "{printed}{rest}");
    assert!(rest.contains("logged in: profile `web`"), "{rest}");
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("creds.json")).unwrap()).unwrap();
    assert!(
        stored["profiles"]["web"]["refresh_token"].is_string(),
        "{stored}"
    );

    let run = sfmap(&[
        "run",
        &d("m.sfmap"),
        "--events",
        &d("e.jsonl"),
        "--profile",
        "web",
        "--credentials",
        &d("creds.json"),
        "--ledger",
        &d("l.sqlite"),
    ]);
    let run_err = String::from_utf8_lossy(&run.stderr).to_string();
    assert!(run.status.success(), "{run_err}");
    assert!(run_err.contains("1 events: 1 created"), "{run_err}");
    emu.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
