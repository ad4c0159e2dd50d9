//! The client: one HTTP connection pool, one session, and the request loop every call goes
//! through — token, send, count, read `Sforce-Limit-Info`, and decide between returning,
//! renewing the token, waiting, retrying, or reporting an unknown outcome.
//!
//! Which failures are retried depends on whether the request is safe to repeat (`Safety`):
//! reads, updates and deletes by Id, upserts by external id and bulk polls are; a create is not
//! once it may have reached Salesforce. A create is retried only when Salesforce provably did
//! not process it (connection refused, 503, UNABLE_TO_LOCK_ROW, REQUEST_LIMIT_EXCEEDED, 401);
//! otherwise it ends in `SfError::OutcomeUnknown`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use url::Url;

use super::auth::http_client;
use super::error::{SfError, parse_error_body};
use super::instance_url::{self, UrlUse};
use super::retry::{PollPolicy, RetryPolicy};
use super::session::Session;
use super::{Auth, Connection};

/// Tuning of a client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub retry: RetryPolicy,
    pub poll: PollPolicy,
    /// Timeout of one request (bulk uploads get `upload_timeout`).
    pub timeout: Duration,
    pub upload_timeout: Duration,
    /// Records per Collections call (Salesforce's maximum is 200).
    pub collection_size: usize,
    /// Attempts for records a Collections call rejected with UNABLE_TO_LOCK_ROW.
    pub lock_retries: u32,
    /// Refuse every request that could write (anything but GET): the safety net of a dry run.
    pub read_only: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            retry: RetryPolicy::default(),
            poll: PollPolicy::default(),
            timeout: Duration::from_secs(120),
            upload_timeout: Duration::from_secs(15 * 60),
            collection_size: 200,
            lock_retries: 3,
            read_only: false,
        }
    }
}

/// A connected client. Cheap to clone; clones share the connection pool, the token and the
/// counters.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("instance_url", &self.instance_url().as_str())
            .field("api_version", &self.inner.api_version)
            .field("api_calls", &self.api_calls())
            .finish()
    }
}

pub(crate) struct Inner {
    http: reqwest::Client,
    session: Session,
    pub(crate) api_version: String,
    pub(crate) options: ClientOptions,
    api_calls: AtomicU64,
    /// (used, max) of the last `Sforce-Limit-Info`; max 0 = unknown.
    limit_used: AtomicU64,
    limit_max: AtomicU64,
}

/// Whether a request may be sent again after a failure that leaves its effect unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Safety {
    /// Reads, updates/deletes by Id, upserts by external id, job control.
    Repeatable,
    /// Inserts: sending twice may create twice.
    Create,
}

pub(crate) enum Body {
    None,
    Json(Value),
    Csv(Vec<u8>),
}

pub(crate) struct Request {
    pub method: Method,
    /// Relative to the instance URL, e.g. `services/data/v62.0/query`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Body,
    pub safety: Safety,
    pub accept: &'static str,
    /// Counted in `api_calls` (every REST and Bulk request; not the identity look-up, which
    /// Salesforce does not count against the daily allocation).
    pub counted: bool,
}

impl Request {
    pub fn new(method: Method, path: String, safety: Safety) -> Request {
        Request {
            method,
            path,
            query: Vec::new(),
            body: Body::None,
            safety,
            accept: "application/json",
            counted: true,
        }
    }

    pub fn query(mut self, k: &str, v: impl Into<String>) -> Request {
        self.query.push((k.to_string(), v.into()));
        self
    }

    pub fn json(mut self, v: Value) -> Request {
        self.body = Body::Json(v);
        self
    }

    pub fn csv(mut self, bytes: Vec<u8>) -> Request {
        self.body = Body::Csv(bytes);
        self
    }

    pub fn accept(mut self, accept: &'static str) -> Request {
        self.accept = accept;
        self
    }
}

pub(crate) struct Response {
    pub body: Vec<u8>,
}

impl Response {
    pub fn json<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T, SfError> {
        serde_json::from_slice(&self.body).map_err(|e| SfError::Protocol(format!("{what}: {e}")))
    }
}

/// A reqwest error without its URL (which may carry SOQL values) and with its cause chain.
pub(crate) fn describe_reqwest(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "connection failed".to_string()
    } else if e.is_body() || e.is_decode() {
        "the response body was cut off".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !s_text.contains("://") {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// `api-usage=N/M` from a `Sforce-Limit-Info` header.
pub(crate) fn parse_limit_info(header: &str) -> Option<(u64, u64)> {
    header.split(';').find_map(|part| {
        let usage = part.trim().strip_prefix("api-usage=")?;
        let (used, max) = usage.split_once('/')?;
        Some((used.trim().parse().ok()?, max.trim().parse().ok()?))
    })
}

impl Client {
    /// Validates the URLs, then obtains a token unless one was given.
    pub async fn connect(conn: Connection) -> Result<Client, SfError> {
        Client::connect_with(conn, ClientOptions::default()).await
    }

    pub async fn connect_with(conn: Connection, options: ClientOptions) -> Result<Client, SfError> {
        let instance = instance_url::validate(
            conn.instance_url.as_str(),
            UrlUse::Instance,
            conn.allow_loopback,
        )?;
        if let Some(login) = conn.auth.login_url() {
            instance_url::validate(login.as_str(), UrlUse::Login, conn.allow_loopback)?;
        }
        if !is_api_version(&conn.api_version) {
            return Err(SfError::InvalidInput(format!(
                "API version {:?} is not of the form 62.0",
                conn.api_version
            )));
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.timeout)
            .user_agent(concat!("sfmap/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SfError::Protocol(format!("cannot build the HTTP client: {e}")))?;
        let needs_token = !matches!(conn.auth, Auth::AccessToken(_));
        let session = Session::new(
            conn.auth,
            instance,
            conn.allow_loopback,
            http_client(options.timeout),
            options.retry.clone(),
        );
        let client = Client {
            inner: Arc::new(Inner {
                http,
                session,
                api_version: conn.api_version,
                options,
                api_calls: AtomicU64::new(0),
                limit_used: AtomicU64::new(0),
                limit_max: AtomicU64::new(0),
            }),
        };
        if needs_token {
            client.inner.session.current().await?;
        }
        Ok(client)
    }

    /// Every REST/Bulk HTTP request sent, retries included (token requests not included).
    pub fn api_calls(&self) -> u64 {
        self.inner.api_calls.load(Ordering::Relaxed)
    }

    /// Token requests sent.
    pub fn token_calls(&self) -> u64 {
        self.inner.session.token_calls()
    }

    /// (used, max) of the org's daily API allocation, from the last `Sforce-Limit-Info`.
    pub fn limits(&self) -> Option<(u64, u64)> {
        let max = self.inner.limit_max.load(Ordering::Relaxed);
        (max > 0).then(|| (self.inner.limit_used.load(Ordering::Relaxed), max))
    }

    /// Reads `GET limits` and returns (used, max) of `DailyApiRequests`, also remembered for
    /// `limits()`. Costs one API call.
    pub async fn fetch_limits(&self) -> Result<(u64, u64), SfError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Limit {
            max: u64,
            remaining: u64,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Limits {
            daily_api_requests: Limit,
        }
        let req = Request::new(Method::GET, self.data_path("limits"), Safety::Repeatable);
        let l: Limits = self.send(req).await?.json("limits")?;
        let max = l.daily_api_requests.max;
        let used = max.saturating_sub(l.daily_api_requests.remaining);
        self.inner.limit_used.store(used, Ordering::Relaxed);
        self.inner.limit_max.store(max, Ordering::Relaxed);
        Ok((used, max))
    }

    /// The instance URL in use (it may change when a token response names another).
    pub fn instance_url(&self) -> Url {
        self.inner.session.instance_url()
    }

    pub fn api_version(&self) -> &str {
        &self.inner.api_version
    }

    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// `services/data/vXX.X/` + `rest`.
    pub(crate) fn data_path(&self, rest: &str) -> String {
        format!("services/data/v{}/{rest}", self.inner.api_version)
    }

    fn note_limits(&self, headers: &reqwest::header::HeaderMap) {
        if let Some((used, max)) = headers
            .get("sforce-limit-info")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_limit_info)
        {
            self.inner.limit_used.store(used, Ordering::Relaxed);
            self.inner.limit_max.store(max, Ordering::Relaxed);
        }
    }

    /// Sends `req` with retries, token renewal and limit waits (see the module docs).
    pub(crate) async fn send(&self, req: Request) -> Result<Response, SfError> {
        let inner = &self.inner;
        let policy = &inner.options.retry;
        let mut attempt: u32 = 0;
        let mut renewed = false;
        let mut limit_waits = 0;
        let method_name = req.method.as_str().to_string();
        if inner.options.read_only && req.method != Method::GET {
            return Err(SfError::InvalidInput(format!(
                "this client is read-only (dry run): {method_name} {} was not sent",
                req.path
            )));
        }
        loop {
            attempt += 1;
            let current = inner.session.current().await?;
            let mut url = current
                .instance_url
                .join(&req.path)
                .map_err(|_| SfError::InvalidInput(format!("bad request path {}", req.path)))?;
            if !req.query.is_empty() {
                url.query_pairs_mut().extend_pairs(req.query.iter());
            }
            let mut rb = inner
                .http
                .request(req.method.clone(), url)
                .bearer_auth(current.token.expose())
                .header(reqwest::header::ACCEPT, req.accept);
            rb = match &req.body {
                Body::None => rb,
                Body::Json(v) => rb.json(v),
                Body::Csv(bytes) => rb
                    .header(reqwest::header::CONTENT_TYPE, "text/csv")
                    .timeout(inner.options.upload_timeout)
                    .body(bytes.clone()),
            };
            if req.counted {
                inner.api_calls.fetch_add(1, Ordering::Relaxed);
            }
            let lost = |message: String, timeout: bool| -> SfError {
                if req.safety == Safety::Create {
                    SfError::OutcomeUnknown {
                        method: method_name.clone(),
                        path: req.path.clone(),
                        message,
                    }
                } else {
                    SfError::Transport {
                        method: method_name.clone(),
                        path: req.path.clone(),
                        message,
                        timeout,
                    }
                }
            };
            let response = match rb.send().await {
                Ok(r) => r,
                Err(e) => {
                    // A refused connection never reached Salesforce: safe to repeat anything.
                    let unsent = e.is_connect() && !e.is_timeout();
                    if req.safety == Safety::Create && !unsent {
                        return Err(lost(
                            format!("no response came back ({})", describe_reqwest(&e)),
                            e.is_timeout(),
                        ));
                    }
                    if attempt < policy.max_attempts {
                        tracing::debug!(attempt, error = %describe_reqwest(&e), path = %req.path, "retrying");
                        tokio::time::sleep(policy.delay(attempt)).await;
                        continue;
                    }
                    return Err(SfError::Transport {
                        method: method_name,
                        path: req.path.clone(),
                        message: describe_reqwest(&e),
                        timeout: e.is_timeout(),
                    });
                }
            };
            self.note_limits(response.headers());
            let status = response.status().as_u16();
            let body = match response.bytes().await {
                Ok(b) => b.to_vec(),
                Err(e) => {
                    if req.safety == Safety::Create {
                        return Err(lost(
                            format!("the response was cut off ({})", describe_reqwest(&e)),
                            e.is_timeout(),
                        ));
                    }
                    if attempt < policy.max_attempts {
                        tokio::time::sleep(policy.delay(attempt)).await;
                        continue;
                    }
                    return Err(lost(describe_reqwest(&e), e.is_timeout()));
                }
            };
            if (200..300).contains(&status) {
                return Ok(Response { body });
            }
            let errors = parse_error_body(status, &body);
            let code = errors.first().map(|e| e.status_code.as_str()).unwrap_or("");
            if status == 401 {
                if !renewed && inner.session.can_renew() {
                    renewed = true;
                    attempt -= 1;
                    inner.session.renew(current.generation).await?;
                    continue;
                }
                return Err(SfError::auth(
                    Some(if code.is_empty() {
                        "INVALID_SESSION_ID"
                    } else {
                        code
                    }),
                    match inner.session.can_renew() {
                        true => "the session is still invalid after a token refresh".to_string(),
                        false => "the access token is expired or invalid and cannot be renewed \
                                  (it was given directly); provide a fresh one or use a profile"
                            .to_string(),
                    },
                ));
            }
            if code == "REQUEST_LIMIT_EXCEEDED" {
                if limit_waits < policy.limit_retries {
                    limit_waits += 1;
                    attempt -= 1;
                    tracing::warn!(wait = ?policy.limit_wait, "REQUEST_LIMIT_EXCEEDED; waiting");
                    tokio::time::sleep(policy.limit_wait).await;
                    continue;
                }
                let (used, max) = self.limits().unzip();
                return Err(SfError::LimitExceeded {
                    message: errors
                        .first()
                        .map(|e| e.message.clone())
                        .unwrap_or_default(),
                    used,
                    max,
                });
            }
            let locked = errors.iter().any(|e| e.status_code == "UNABLE_TO_LOCK_ROW");
            let transient = status >= 500 || locked;
            if transient {
                // 503 and a lock error mean Salesforce did not process the request.
                let unprocessed = status == 503 || locked;
                if req.safety == Safety::Create && !unprocessed {
                    return Err(lost(
                        format!("Salesforce answered HTTP {status} {code}"),
                        false,
                    ));
                }
                if attempt < policy.max_attempts {
                    tracing::debug!(attempt, status, code, path = %req.path, "retrying");
                    tokio::time::sleep(policy.delay(attempt)).await;
                    continue;
                }
            }
            return Err(SfError::Api { status, errors });
        }
    }
}

fn is_api_version(v: &str) -> bool {
    v.split_once('.')
        .is_some_and(|(a, b)| !a.is_empty() && a.bytes().all(|c| c.is_ascii_digit()) && b == "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_info_header() {
        assert_eq!(parse_limit_info("api-usage=18/5000"), Some((18, 5000)));
        assert_eq!(
            parse_limit_info("api-usage=25/15000; per-app-api-usage=17/250(appName=x)"),
            Some((25, 15000))
        );
        assert_eq!(parse_limit_info("per-app-api-usage=17/250"), None);
        assert_eq!(parse_limit_info("api-usage=x/5"), None);
    }

    #[test]
    fn api_versions() {
        assert!(is_api_version("62.0"));
        assert!(!is_api_version("v62.0"));
        assert!(!is_api_version("62.0/../x"));
        assert!(!is_api_version("62"));
    }
}
