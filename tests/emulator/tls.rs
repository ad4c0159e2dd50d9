//! `--tls`: HTTPS with a generated certificate that clients can trust.

use reqwest::StatusCode;
use sfmap::emulate::{Emulator, EmulatorConfig};

#[tokio::test]
async fn serves_https_with_the_written_certificate() {
    let emu = Emulator::start(EmulatorConfig {
        tls: true,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    assert!(emu.base_url().starts_with("https://127.0.0.1:"));
    let pem = std::fs::read(emu.cert_path().unwrap()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .build()
        .unwrap();
    let resp = client
        .get(format!("{}/services/data/v60.0/limits", emu.base_url()))
        .bearer_auth(&emu.credentials().access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // Without trusting the certificate the handshake fails.
    let untrusted = reqwest::Client::new()
        .get(format!("{}/services/data", emu.base_url()))
        .send()
        .await;
    assert!(untrusted.is_err());
    emu.shutdown().await;
}
