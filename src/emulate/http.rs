//! The emulator's own request/response values. Handlers work on these rather than on axum types
//! so that Composite subrequests can run through the same dispatcher as real HTTP requests.

use axum::http::{HeaderMap, Method};
use bytes::Bytes;
use serde_json::Value;

use super::error::ApiError;

/// One API call under `/services/data/vXX.X/`.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: Method,
    /// `60.0`
    pub version: String,
    /// Percent-decoded path segments after the version, trailing empty segment removed.
    pub segments: Vec<String>,
    /// Decoded query parameters (`+` is a space).
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The authenticated user.
    pub user_id: String,
}

impl ApiRequest {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Major API version as a number (`60`).
    pub fn version_major(&self) -> u32 {
        self.version
            .split('.')
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// The body as JSON, or JSON_PARSER_ERROR as Salesforce words it.
    pub fn json(&self) -> Result<Value, ApiError> {
        parse_json(&self.body)
    }

    /// `/services/data/v60.0`
    pub fn base(&self) -> String {
        format!("/services/data/v{}", self.version)
    }
}

pub fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ApiError::json_parser(
            "No content to map due to end-of-input at [line:1, column:0]",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::json_parser(format!(
            "Unexpected character: {} at [line:{}, column:{}]",
            e.to_string()
                .split(" at line")
                .next()
                .unwrap_or("invalid JSON"),
            e.line(),
            e.column()
        ))
    })
}

/// A response body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Empty,
    Json(Value),
    Text {
        content_type: &'static str,
        text: String,
    },
    /// JSON already written as text (to keep an order of keys a `Value` would sort).
    RawJson(String),
    /// Close the connection without completing the response (fault injection).
    Drop,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
}

impl ApiResponse {
    pub fn json(status: u16, value: Value) -> ApiResponse {
        ApiResponse {
            status,
            headers: Vec::new(),
            body: Body::Json(value),
        }
    }

    pub fn empty(status: u16) -> ApiResponse {
        ApiResponse {
            status,
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    pub fn csv(text: String) -> ApiResponse {
        ApiResponse {
            status: 200,
            headers: Vec::new(),
            body: Body::Text {
                content_type: "text/csv",
                text,
            },
        }
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> ApiResponse {
        self.headers.push((name, value));
        self
    }

    /// The JSON body, if any (Composite embeds it in its response).
    pub fn body_value(&self) -> Value {
        match &self.body {
            Body::Json(v) => v.clone(),
            Body::Text { text, .. } => Value::String(text.clone()),
            Body::RawJson(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            Body::Empty | Body::Drop => Value::Null,
        }
    }
}

impl From<ApiError> for ApiResponse {
    fn from(e: ApiError) -> ApiResponse {
        let mut r = ApiResponse::json(e.status, e.rest_body());
        if e.status == 401 {
            r.headers.push(("WWW-Authenticate", "Token".into()));
        }
        r
    }
}

pub type ApiResult = Result<ApiResponse, ApiError>;
