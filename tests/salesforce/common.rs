use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value};
use sfmap::emulate::{Emulator, EmulatorConfig};
use sfmap::salesforce::{Auth, Client, ClientOptions, Connection, RetryPolicy};
use url::Url;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(name)
}

pub fn config() -> EmulatorConfig {
    EmulatorConfig {
        schema: Some(fixture("examples/schema/acme-org.json")),
        ..EmulatorConfig::default()
    }
}

pub async fn emulator() -> Emulator {
    start(config()).await
}

pub async fn start(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.expect("emulator starts")
}

pub fn base(emu: &Emulator) -> Url {
    Url::parse(emu.base_url()).unwrap()
}

pub fn password_auth(emu: &Emulator) -> Auth {
    let c = emu.credentials();
    Auth::Password {
        login_url: base(emu),
        client_id: c.client_id.clone(),
        client_secret: c.client_secret.clone(),
        username: c.username.clone(),
        password: c.password.clone(),
    }
}

pub fn connection(emu: &Emulator, auth: Auth) -> Connection {
    Connection {
        instance_url: base(emu),
        api_version: "62.0".into(),
        auth,
        allow_loopback: true,
    }
}

/// Short waits so retry tests run fast.
pub fn fast() -> ClientOptions {
    let mut o = ClientOptions {
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(40),
            limit_wait: Duration::from_millis(10),
            limit_retries: 0,
        },
        ..ClientOptions::default()
    };
    o.poll.initial = Duration::from_millis(10);
    o.poll.max = Duration::from_millis(100);
    o
}

pub async fn client(emu: &Emulator) -> Client {
    Client::connect_with(connection(emu, password_auth(emu)), fast())
        .await
        .expect("password login")
}

pub fn rec(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

pub fn recs(v: Value) -> Vec<Map<String, Value>> {
    v.as_array().unwrap().iter().cloned().map(rec).collect()
}

/// (method, path) of the API requests the emulator served, without the version prefix.
pub fn api_log(emu: &Emulator) -> Vec<(String, String)> {
    emu.requests()
        .into_iter()
        .filter(|r| r.api)
        .map(|r| {
            let path = r
                .path
                .split_once("/v62.0/")
                .map(|(_, p)| p.to_string())
                .unwrap_or(r.path.clone());
            (r.method, path)
        })
        .collect()
}

/// An HTTP server answering from a script, one connection per answer; the raw requests it got
/// are collected in the returned list.
pub async fn scripted_server(
    answers: Vec<(u16, String)>,
) -> (Url, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        for (status, body) in answers {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let n = stream.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf).to_string());
            let reply = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    });
    (
        Url::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
        seen,
    )
}
