//! Starting an emulator for a test and talking to it.

use std::path::PathBuf;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use sfmap::emulate::{Emulator, EmulatorConfig};

pub const V: &str = "/services/data/v60.0";

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/emulator/fixtures")
        .join(name)
}

pub struct Org {
    pub emu: Emulator,
    pub http: reqwest::Client,
    pub token: String,
}

pub async fn start() -> Org {
    start_with(EmulatorConfig {
        schema: Some(fixture("schema.json")),
        ..EmulatorConfig::default()
    })
    .await
}

pub async fn start_with(config: EmulatorConfig) -> Org {
    let emu = Emulator::start(config).await.expect("emulator starts");
    let token = emu.credentials().access_token.clone();
    Org {
        emu,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        token,
    }
}

impl Org {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.base_url())
    }

    /// An API call under `/services/data/v60.0`; returns status and parsed body (or Null).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut rb = self
            .http
            .request(method, self.url(&format!("{V}{path}")))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// Creates a record and returns its Id.
    pub async fn create(&self, object: &str, body: Value) -> String {
        let (s, v) = self.post(&format!("/sobjects/{object}"), body).await;
        assert_eq!(s, StatusCode::CREATED, "create {object}: {v}");
        v["id"].as_str().expect("id").to_string()
    }

    pub async fn query(&self, soql: &str) -> (StatusCode, Value) {
        let resp = self
            .http
            .get(self.url(&format!("{V}/query")))
            .query(&[("q", soql)])
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request");
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
}

/// The `errorCode` of a REST error body.
pub fn code(v: &Value) -> &str {
    v[0]["errorCode"].as_str().unwrap_or("")
}
