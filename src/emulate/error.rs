//! Errors as Salesforce puts them on the wire, plus the emulator's own start-up errors.
//!
//! REST calls answer `[{"message","errorCode","fields"}]` (salesforce-api.md §2.10), per-record
//! results in Collections use `{"statusCode","message","fields"}` (§2.7), and the token endpoint
//! answers `{"error","error_description"}` (§1.8). Keeping the code a closed enum means a typo
//! cannot reach a client.

use serde_json::{Value, json};

macro_rules! error_codes {
    ($($variant:ident => $text:literal),* $(,)?) => {
        /// Salesforce `errorCode` / `statusCode` values the emulator produces.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $($variant),* }
        impl ErrorCode {
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $text),* }
            }
        }
    };
}

error_codes! {
    InvalidSessionId => "INVALID_SESSION_ID",
    RequestLimitExceeded => "REQUEST_LIMIT_EXCEEDED",
    InvalidField => "INVALID_FIELD",
    MalformedQuery => "MALFORMED_QUERY",
    InvalidType => "INVALID_TYPE",
    RequiredFieldMissing => "REQUIRED_FIELD_MISSING",
    DuplicateValue => "DUPLICATE_VALUE",
    DuplicateExternalId => "DUPLICATE_EXTERNAL_ID",
    NotFound => "NOT_FOUND",
    EntityIsDeleted => "ENTITY_IS_DELETED",
    InvalidCrossReferenceKey => "INVALID_CROSS_REFERENCE_KEY",
    MalformedId => "MALFORMED_ID",
    UnableToLockRow => "UNABLE_TO_LOCK_ROW",
    StringTooLong => "STRING_TOO_LONG",
    InvalidFieldForInsertUpdate => "INVALID_FIELD_FOR_INSERT_UPDATE",
    JsonParserError => "JSON_PARSER_ERROR",
    MethodNotAllowed => "METHOD_NOT_ALLOWED",
    ServerUnavailable => "SERVER_UNAVAILABLE",
    UnknownException => "UNKNOWN_EXCEPTION",
    InvalidOrNullForRestrictedPicklist => "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
    InvalidEmailAddress => "INVALID_EMAIL_ADDRESS",
    InvalidQueryLocator => "INVALID_QUERY_LOCATOR",
    InvalidQueryFilterOperator => "INVALID_QUERY_FILTER_OPERATOR",
    AllOrNoneOperationRolledBack => "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    ExceededIdLimit => "EXCEEDED_ID_LIMIT",
    ProcessingHalted => "PROCESSING_HALTED",
    InvalidJob => "INVALIDJOB",
    InvalidJobState => "INVALIDJOBSTATE",
    InvalidEntity => "INVALIDENTITY",
    InvalidIdField => "INVALID_ID_FIELD",
    InvalidTypeOnFieldInRecord => "INVALID_TYPE_ON_FIELD_IN_RECORD",
    NumberOutsideValidRange => "NUMBER_OUTSIDE_VALID_RANGE",
    InvalidInputCombination => "INVALID_INPUT",
    UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
    ExceededMaxSize => "EXCEEDED_MAX_SIZE",
    MissingArgument => "MISSING_ARGUMENT",
    BulkApiError => "BULK_API_ERROR",
    InsufficientAccess => "INSUFFICIENT_ACCESS_OR_READONLY",
    Gone => "GONE",
}

/// One API error: the HTTP status it travels with and the Salesforce error element.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{} {}: {message}", status, code.as_str())]
pub struct ApiError {
    pub status: u16,
    pub code: ErrorCode,
    pub message: String,
    pub fields: Vec<String>,
}

impl ApiError {
    pub fn new(status: u16, code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// A 400 error, the usual status for validation problems.
    pub fn bad(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError::new(400, code, message)
    }

    pub fn with_fields(mut self, fields: Vec<String>) -> ApiError {
        self.fields = fields;
        self
    }

    pub fn not_found() -> ApiError {
        ApiError::new(
            404,
            ErrorCode::NotFound,
            "The requested resource does not exist",
        )
    }

    /// A retired API version.
    pub fn retired_version(version: &str) -> ApiError {
        ApiError::new(
            410,
            ErrorCode::Gone,
            format!("API version {version} is retired and no longer available"),
        )
    }

    pub fn deleted() -> ApiError {
        ApiError::new(404, ErrorCode::EntityIsDeleted, "entity is deleted")
    }

    pub fn invalid_session() -> ApiError {
        ApiError::new(
            401,
            ErrorCode::InvalidSessionId,
            "Session expired or invalid",
        )
    }

    pub fn json_parser(message: impl Into<String>) -> ApiError {
        ApiError::bad(ErrorCode::JsonParserError, message)
    }

    pub fn method_not_allowed(method: &str, allowed: &str) -> ApiError {
        ApiError::new(
            405,
            ErrorCode::MethodNotAllowed,
            format!("HTTP Method '{method}' not allowed. Allowed are {allowed}"),
        )
    }

    /// The REST element `{"message","errorCode","fields"}`.
    pub fn rest_element(&self) -> Value {
        json!({"message": self.message, "errorCode": self.code.as_str(), "fields": self.fields})
    }

    /// The REST body: a one-element array.
    pub fn rest_body(&self) -> Value {
        Value::Array(vec![self.rest_element()])
    }

    /// The per-record element used in Collections results `{"statusCode","message","fields"}`.
    pub fn record_element(&self) -> Value {
        json!({"statusCode": self.code.as_str(), "message": self.message, "fields": self.fields})
    }

    /// The Bulk API 2.0 `sf__Error` cell: `CODE:message:fields --`.
    pub fn bulk_cell(&self) -> String {
        format!(
            "{}:{}:{} --",
            self.code.as_str(),
            self.message,
            self.fields.join(",")
        )
    }
}

/// `error` values of the token endpoint (§1.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthCode {
    InvalidGrant,
    InvalidClientId,
    InvalidClient,
    UnsupportedGrantType,
    InvalidRequest,
    RedirectUriMismatch,
    InvalidToken,
    UnsupportedTokenType,
    UnsupportedResponseType,
    RateLimitExceeded,
    InactiveUser,
}

impl OAuthCode {
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthCode::InvalidGrant => "invalid_grant",
            OAuthCode::InvalidClientId => "invalid_client_id",
            OAuthCode::InvalidClient => "invalid_client",
            OAuthCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthCode::InvalidRequest => "invalid_request",
            OAuthCode::RedirectUriMismatch => "redirect_uri_mismatch",
            OAuthCode::InvalidToken => "invalid_token",
            OAuthCode::UnsupportedTokenType => "unsupported_token_type",
            OAuthCode::UnsupportedResponseType => "unsupported_response_type",
            OAuthCode::RateLimitExceeded => "rate_limit_exceeded",
            OAuthCode::InactiveUser => "inactive_user",
        }
    }

    /// Parses the names accepted by the fault injector.
    pub fn parse(s: &str) -> Option<OAuthCode> {
        Some(match s {
            "invalid_grant" => OAuthCode::InvalidGrant,
            "invalid_client_id" => OAuthCode::InvalidClientId,
            "invalid_client" => OAuthCode::InvalidClient,
            "unsupported_grant_type" => OAuthCode::UnsupportedGrantType,
            "invalid_request" => OAuthCode::InvalidRequest,
            "redirect_uri_mismatch" => OAuthCode::RedirectUriMismatch,
            "rate_limit_exceeded" => OAuthCode::RateLimitExceeded,
            "inactive_user" => OAuthCode::InactiveUser,
            _ => return None,
        })
    }
}

/// A token-endpoint error: always HTTP 400 with `{"error","error_description"}`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    pub code: OAuthCode,
    pub description: String,
}

impl OAuthError {
    pub fn new(code: OAuthCode, description: impl Into<String>) -> OAuthError {
        OAuthError {
            code,
            description: description.into(),
        }
    }

    pub fn grant(description: &str) -> OAuthError {
        OAuthError::new(OAuthCode::InvalidGrant, description)
    }

    pub fn body(&self) -> Value {
        json!({"error": self.code.as_str(), "error_description": self.description})
    }
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmulateError {
    #[error("cannot bind 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error(transparent)]
    Schema(#[from] crate::schema::SchemaError),
    #[error("state database: {0}")]
    Store(#[from] super::store::StoreError),
    #[error("seed file {path}, line {line}: {message}")]
    Seed {
        path: String,
        line: usize,
        message: String,
    },
    #[error("cannot create TLS certificate: {0}")]
    Tls(String),
    #[error("JWT certificate {path}: {message}")]
    JwtCert { path: String, message: String },
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("query failed: {0}")]
    Query(ApiError),
}
