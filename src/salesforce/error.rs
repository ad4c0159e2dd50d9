//! Errors of the Salesforce client, as typed data the executor can act on: per-record
//! `ApiError`s, whether an error is worth retrying, and the one case a caller must not retry
//! blindly (`OutcomeUnknown`, a create whose response was lost).
//!
//! No variant carries a token, a client secret or a password: messages are built from status
//! codes, Salesforce's error texts and request paths without their query strings.

use serde::Deserialize;

/// One error of a REST call or of one record in a Collections / Bulk result.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct ApiError {
    /// Salesforce's code, e.g. `REQUIRED_FIELD_MISSING`. REST bodies call it `errorCode`,
    /// Collections results `statusCode`; both are read.
    #[serde(rename = "statusCode", alias = "errorCode", default)]
    pub status_code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub fields: Vec<String>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status_code: code.to_string(),
            message: message.into(),
            fields: Vec::new(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status_code, self.message)?;
        if !self.fields.is_empty() {
            write!(f, " [{}]", self.fields.join(", "))?;
        }
        Ok(())
    }
}

fn summary(errors: &[ApiError]) -> String {
    if errors.is_empty() {
        return "no error detail".into();
    }
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Everything the client can fail with.
#[derive(Debug, thiserror::Error)]
pub enum SfError {
    /// Login or token refresh failed, or the session is invalid and cannot be renewed.
    #[error("Salesforce authentication failed: {message}")]
    Auth {
        /// The OAuth error code (`invalid_grant`, `invalid_client_id`, ...) or REST error code.
        code: Option<String>,
        message: String,
    },
    /// Salesforce answered with an error status (after any retries).
    #[error("Salesforce answered HTTP {status}: {}", summary(errors))]
    Api { status: u16, errors: Vec<ApiError> },
    /// The request could not be sent or its response could not be read (after any retries).
    #[error("cannot reach Salesforce ({method} {path}): {message}")]
    Transport {
        method: String,
        path: String,
        message: String,
        timeout: bool,
    },
    /// A create was sent but its response was lost: the records may or may not exist. It is
    /// never retried by the client; the caller must find out (dedupe key, ledger) first.
    #[error("the outcome of {method} {path} is unknown: the request was sent but {message}")]
    OutcomeUnknown {
        method: String,
        path: String,
        message: String,
    },
    /// An instance or login URL that is not a Salesforce host (or loopback when allowed).
    #[error("invalid Salesforce URL {url}: {reason}")]
    InvalidInstanceUrl { url: String, reason: String },
    /// REQUEST_LIMIT_EXCEEDED persisted after the configured waits.
    #[error("Salesforce API request limit exceeded: {message}")]
    LimitExceeded {
        message: String,
        used: Option<u64>,
        max: Option<u64>,
    },
    /// A bulk job did not reach a final state within the poll timeout. It keeps running on
    /// Salesforce's side; `Client::bulk_resume` picks it up again.
    #[error("bulk job {job_id} is still {state} after the poll timeout")]
    BulkTimeout { job_id: String, state: String },
    /// The caller passed something the client refuses to send (bad object name, record without
    /// `Id` for an update, an oversized upload, ...).
    #[error("invalid request: {0}")]
    InvalidInput(String),
    /// Salesforce's answer did not have the expected shape.
    #[error("unexpected response from Salesforce: {0}")]
    Protocol(String),
    /// A split call failed after some of its chunks were applied: `done` holds the results of
    /// the first `done.len()` records, in input order; `error` is why the rest has no result.
    #[error("{error} (after {} records were processed)", done.len())]
    Incomplete {
        done: Vec<crate::salesforce::RecordResult>,
        error: Box<SfError>,
    },
    /// Reading or writing the local credentials file.
    #[error("credentials file {path}: {message}")]
    Credentials { path: String, message: String },
}

impl SfError {
    /// Whether trying the same call again later can succeed without changing anything:
    /// transport errors, 5xx, UNABLE_TO_LOCK_ROW, REQUEST_LIMIT_EXCEEDED, bulk poll timeouts.
    /// `OutcomeUnknown` is *not* retryable: the caller must first check whether the write
    /// happened.
    pub fn retryable(&self) -> bool {
        match self {
            SfError::Transport { .. } | SfError::LimitExceeded { .. } => true,
            SfError::BulkTimeout { .. } => true,
            SfError::Api { status, errors } => {
                *status >= 500 || errors.iter().any(|e| is_transient_code(&e.status_code))
            }
            SfError::Incomplete { error, .. } => error.retryable(),
            _ => false,
        }
    }

    /// Whether the session is refused and cannot be renewed (a 401 after renewal, a failed
    /// login): no request can succeed until the credentials are fixed.
    pub fn is_authentication(&self) -> bool {
        match self.root() {
            SfError::Auth { .. } => true,
            SfError::Api { status, .. } => *status == 401,
            _ => false,
        }
    }

    /// The error behind `Incomplete`, or this one.
    pub fn root(&self) -> &SfError {
        match self {
            SfError::Incomplete { error, .. } => error.root(),
            other => other,
        }
    }

    /// The first Salesforce error code, when there is one.
    pub fn code(&self) -> Option<&str> {
        match self.root() {
            SfError::Api { errors, .. } => errors.first().map(|e| e.status_code.as_str()),
            SfError::Auth { code, .. } => code.as_deref(),
            SfError::LimitExceeded { .. } => Some("REQUEST_LIMIT_EXCEEDED"),
            SfError::Protocol(_) => Some("BAD_RESPONSE"),
            _ => None,
        }
    }

    pub(crate) fn auth(code: Option<&str>, message: impl Into<String>) -> SfError {
        SfError::Auth {
            code: code.map(str::to_string),
            message: message.into(),
        }
    }
}

/// Error codes that describe a passing condition rather than bad data.
pub fn is_transient_code(code: &str) -> bool {
    matches!(
        code,
        "UNABLE_TO_LOCK_ROW" | "SERVER_UNAVAILABLE" | "REQUEST_LIMIT_EXCEEDED"
    )
}

/// Parses a REST error body: a JSON array of `{errorCode, message, fields}`, or a single object.
/// Falls back to one error holding the (truncated) text.
pub(crate) fn parse_error_body(status: u16, body: &[u8]) -> Vec<ApiError> {
    if let Ok(list) = serde_json::from_slice::<Vec<ApiError>>(body) {
        return list;
    }
    if let Ok(one) = serde_json::from_slice::<ApiError>(body)
        && !one.status_code.is_empty()
    {
        return vec![one];
    }
    // A 300 from an upsert by external id is a JSON array of record URLs.
    if status == 300
        && let Ok(urls) = serde_json::from_slice::<Vec<String>>(body)
    {
        return vec![ApiError::new(
            "MULTIPLE_CHOICES",
            format!("the external id matches {} records", urls.len()),
        )];
    }
    let text = String::from_utf8_lossy(body);
    let text: String = text.chars().take(300).collect();
    vec![ApiError::new(
        &format!("HTTP_{status}"),
        text.trim().to_string(),
    )]
}
