//! The HTTP front: binds 127.0.0.1, serves plain HTTP or HTTPS, and for every request applies
//! what Salesforce applies before a resource sees it: path and query decoding, Bearer
//! authentication, the daily API allocation, injected faults and latency, and logging.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Router;
use axum::body::Body as AxumBody;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use bytes::Bytes;
use serde_json::{Map, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::auth::AuthState;
use super::config::{Credentials, EmulatorConfig};
use super::connections::{self, ConnectionLimits};
use super::error::{ApiError, EmulateError, ErrorCode, OAuthCode, OAuthError};
use super::faults::{FaultKind, Faults};
use super::http::{ApiRequest, ApiResponse, Body};
use super::limits::{Admission, ApiLimits, today};
use super::log::{LoggedRequest, RequestLog};
use super::org::Org;
use super::request_body::{self, BodyProblem, MAX_API_BODY, MAX_OAUTH_BODY};
use super::store::Store;
use super::{bulk, jwt, metadata, oauth, router, seed, system, tls, versions};

/// A running emulated org.
pub struct Emulator {
    org: Arc<Org>,
    credentials: Credentials,
    cert_path: Option<std::path::PathBuf>,
    jwt_key_path: Option<std::path::PathBuf>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    _work_dir: Option<TempDir>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.org.base_url)
            .finish()
    }
}

/// A directory removed when the emulator stops.
#[derive(Debug)]
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Emulator {
    /// Starts an org on 127.0.0.1 (port 0 = ephemeral) and returns once it accepts requests.
    pub async fn start(config: EmulatorConfig) -> Result<Emulator, EmulateError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
            .await
            .map_err(|source| EmulateError::Bind {
                port: config.port,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| EmulateError::Bind {
            port: config.port,
            source,
        })?;
        let scheme = if config.tls { "https" } else { "http" };
        let base_url = format!("{scheme}://127.0.0.1:{}", addr.port());

        let (work_dir, owned_dir) = match &config.work_dir {
            Some(d) => (d.clone(), None),
            None => {
                let d = std::env::temp_dir().join(format!(
                    "sfmap-emulate-{}-{}",
                    std::process::id(),
                    addr.port()
                ));
                (d.clone(), Some(TempDir(d)))
            }
        };
        std::fs::create_dir_all(&work_dir).map_err(|source| EmulateError::Io {
            what: "cannot create work directory",
            path: work_dir.display().to_string(),
            source,
        })?;

        let schema = metadata::load(config.schema.as_deref())?;
        let mut store = Store::open(config.state.as_deref())?;
        let ids = system::ensure_org(&schema, &mut store, &config.credentials)?;
        if let Some(seed_path) = &config.seed {
            seed::load(&schema, &mut store, &ids.user_id, seed_path)?;
        }
        let jobs = bulk::load(&store)?;
        let day = today();
        let used = store
            .counter(&format!("api-usage:{day}"))?
            .unwrap_or(0)
            .max(0) as u64;

        let jwt_key_path = if config.jwt_cert.is_none() {
            let p = work_dir.join("jwt-dev.key");
            std::fs::write(&p, jwt::DEV_PRIVATE_KEY).map_err(|source| EmulateError::Io {
                what: "cannot write development JWT key",
                path: p.display().to_string(),
                source,
            })?;
            Some(p)
        } else {
            None
        };
        let verifier = jwt::JwtVerifier::load(config.jwt_cert.as_deref())?;

        let log_file = match &config.log {
            Some(p) => Some(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|source| EmulateError::Io {
                        what: "cannot open request log",
                        path: p.display().to_string(),
                        source,
                    })?,
            ),
            None => None,
        };

        let mut auth = AuthState::default();
        let mut credentials = config.credentials.clone();
        credentials.access_token =
            auth.issue_access(&ids.org_id[..15], &ids.user_id, config.token_ttl, None);

        let org = Arc::new(Org {
            schema,
            store: std::sync::Mutex::new(store),
            auth: std::sync::Mutex::new(auth),
            creds: credentials.clone(),
            org_id: ids.org_id,
            user_id: ids.user_id,
            base_url,
            token_ttl: config.token_ttl,
            limits: ApiLimits::new(config.daily_api_limit, day, used),
            faults: Faults::new(config.faults.clone(), config.latency.clone()),
            log: RequestLog::new(log_file),
            jobs: std::sync::Mutex::new(jobs),
            cursors: std::sync::Mutex::new(Default::default()),
            jwt: verifier,
            exclusive: std::sync::RwLock::new(()),
            body_timeout: config.body_timeout,
            short_pages: config.short_pages,
            stopping: Default::default(),
            bulk_workers: Default::default(),
        });

        bulk::resume(&org);
        let app = Router::new().fallback(handle).with_state(org.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let limits = ConnectionLimits {
            header_timeout: config.header_timeout,
            max_connections: config.max_connections,
        };
        let mut cert_path = None;
        let task = if config.tls {
            let (acceptor, cert) = tls::acceptor(&work_dir)?;
            cert_path = Some(cert);
            let listener = tls::TlsListener::new(listener, acceptor);
            tokio::spawn(connections::serve(listener, app, limits, rx))
        } else {
            tokio::spawn(connections::serve(listener, app, limits, rx))
        };
        Ok(Emulator {
            org,
            credentials,
            cert_path,
            jwt_key_path,
            shutdown: Some(tx),
            task: Some(task),
            _work_dir: owned_dir,
        })
    }

    /// `http(s)://127.0.0.1:PORT`: both the login host and the instance URL.
    pub fn base_url(&self) -> &str {
        &self.org.base_url
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The org Id (18 characters).
    pub fn org_id(&self) -> &str {
        &self.org.org_id
    }

    /// The emulated user's Id (18 characters).
    pub fn user_id(&self) -> &str {
        &self.org.user_id
    }

    /// The self-signed certificate (PEM) when serving HTTPS.
    pub fn cert_path(&self) -> Option<&std::path::Path> {
        self.cert_path.as_deref()
    }

    /// The development JWT signing key (PEM) when no certificate was configured.
    pub fn jwt_key_path(&self) -> Option<&std::path::Path> {
        self.jwt_key_path.as_deref()
    }

    /// API calls counted against the daily allocation since start.
    pub fn request_count(&self) -> u64 {
        self.org.log.api_calls()
    }

    /// Every request served so far (method, path, status, ms).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.org.log.entries()
    }

    /// Runs SOQL directly against the store (for test assertions; not counted, not logged).
    /// Relationship fields come back nested as in the REST API; `attributes` are removed.
    pub fn query(&self, soql: &str) -> Result<Vec<Map<String, Value>>, EmulateError> {
        let store = self.org.store();
        let result = super::soql::eval::run(
            &self.org.schema,
            &store,
            soql,
            false,
            &format!("/services/data/v{}.0", versions::MAX_VERSION),
        )
        .map_err(EmulateError::Query)?;
        Ok(result
            .records
            .into_iter()
            .filter_map(|r| match r {
                Value::Object(mut m) => {
                    m.remove("attributes");
                    for v in m.values_mut() {
                        if let Value::Object(inner) = v {
                            inner.remove("attributes");
                        }
                    }
                    Some(m)
                }
                _ => None,
            })
            .collect())
    }

    /// Makes an access token expire now (tests of the refresh path).
    pub fn expire_token(&self, token: &str) {
        self.org.auth().expire(token);
    }

    /// Stops serving, lets Bulk jobs being processed finish their current chunk (they are
    /// taken up again by an emulator started on the same `--state` file), and saves the API
    /// usage counter.
    pub async fn shutdown(mut self) {
        self.save_counter();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.org.stopping.store(true, Ordering::SeqCst);
        while self.org.bulk_workers.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    fn save_counter(&self) {
        let c = self.org.limits.snapshot();
        let _ = self
            .org
            .store()
            .set_counter(&format!("api-usage:{}", c.day), c.used as i64);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            self.save_counter();
            let _ = tx.send(());
        }
        self.org.stopping.store(true, Ordering::SeqCst);
    }
}

/// Path segments, percent-decoded. Empty segments (a trailing slash, or the `//` some clients
/// produce when joining an instance URL that ends in `/`) are dropped.
fn decode_segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

fn to_http(resp: ApiResponse, extra: &[(&'static str, String)]) -> Response<AxumBody> {
    let status = StatusCode::from_u16(resp.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = Response::builder().status(status);
    let (body, content_type) = match resp.body {
        Body::Empty => (AxumBody::empty(), None),
        Body::Json(v) => (
            AxumBody::from(v.to_string()),
            Some("application/json;charset=UTF-8"),
        ),
        Body::Text { content_type, text } => (AxumBody::from(text), Some(content_type)),
        Body::RawJson(text) => (AxumBody::from(text), Some("application/json;charset=UTF-8")),
        Body::Drop => {
            let stream = futures_util::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "connection dropped by fault injection",
                ))
            });
            (AxumBody::from_stream(stream), Some("application/json"))
        }
    };
    if let Some(ct) = content_type {
        builder = builder.header(header::CONTENT_TYPE, ct);
    }
    for (k, v) in resp.headers.iter().chain(extra.iter()) {
        if let Ok(hv) = HeaderValue::from_str(v) {
            builder = builder.header(*k, hv);
        }
    }
    builder
        .body(body)
        .unwrap_or_else(|_| Response::new(AxumBody::empty()))
}

/// Every request enters here. An API call is authenticated before its body is read, so an
/// unauthenticated client cannot make the org buffer anything.
async fn handle(State(org): State<Arc<Org>>, request: Request<AxumBody>) -> Response<AxumBody> {
    let started = Instant::now();
    let seq = org.log.next_seq();
    let (parts, body) = request.into_parts();
    let method = parts.method.clone();
    let path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let query: Vec<(String, String)> = url::form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect();
    let segments = decode_segments(&path);
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    // OAuth query strings can carry tokens and codes: log only the path for them.
    let oauth = segs.first() == Some(&"services") && segs.get(1) == Some(&"oauth2");
    let logged_path = if oauth || raw_query.is_empty() {
        path.clone()
    } else {
        format!("{path}?{raw_query}")
    };
    let finish = |resp: ApiResponse, api: bool, extra: &[(&'static str, String)]| {
        let status = resp.status;
        let http = to_http(resp, extra);
        log(&org, seq, &method, &logged_path, status, started, api);
        http
    };

    let (resp, api, extra) = match segs.as_slice() {
        ["services", "oauth2", rest @ ..] => {
            let bytes =
                match request_body::read(body, &parts.headers, MAX_OAUTH_BODY, org.body_timeout)
                    .await
                {
                    Ok(b) => b,
                    Err(p) => return finish(body_refused(p, true), false, &[]),
                };
            let r = oauth::handle(&org, &method, rest, &parts.headers, &query, &bytes);
            (r, false, Vec::new())
        }
        ["id", org_id, user_id] => (
            oauth::identity(&org, &parts.headers, org_id, user_id),
            false,
            Vec::new(),
        ),
        ["services", "data"] => (ApiResponse::json(200, versions::list()), false, Vec::new()),
        ["services", "data", version, rest @ ..] => match versions::parse(version) {
            None if versions::retired(version) => {
                (ApiError::retired_version(version).into(), false, Vec::new())
            }
            None => (ApiError::not_found().into(), false, Vec::new()),
            Some(v) => {
                let token = bearer(&parts.headers).map(str::to_string);
                let Some(user_id) = authenticate(&org, token.as_deref()) else {
                    return finish(ApiError::invalid_session().into(), false, &[]);
                };
                let bytes =
                    match request_body::read(body, &parts.headers, MAX_API_BODY, org.body_timeout)
                        .await
                    {
                        Ok(b) => b,
                        Err(p) => return finish(body_refused(p, false), false, &[]),
                    };
                let call = Call {
                    method: method.clone(),
                    version: v,
                    segments: rest.iter().map(|s| s.to_string()).collect(),
                    query,
                    headers: parts.headers,
                    body: bytes,
                    token,
                    user_id,
                };
                api_call(&org, call).await
            }
        },
        _ => (ApiError::not_found().into(), false, Vec::new()),
    };
    finish(resp, api, &extra)
}

/// The answer to a body that could not be read.
fn body_refused(problem: BodyProblem, oauth: bool) -> ApiResponse {
    match (problem, oauth) {
        (BodyProblem::TooLarge, false) => ApiError::bad(
            ErrorCode::ExceededMaxSize,
            "The request body exceeds the 150 MB limit",
        )
        .into(),
        (BodyProblem::TooLarge, true) => ApiResponse::json(
            400,
            OAuthError::new(OAuthCode::InvalidRequest, "request body too large").body(),
        ),
        (BodyProblem::Broken | BodyProblem::TimedOut, _) => ApiResponse {
            status: 400,
            headers: Vec::new(),
            body: Body::Drop,
        },
    }
}

/// The user a presented access token belongs to, if it is valid.
fn authenticate(org: &Org, token: Option<&str>) -> Option<String> {
    let auth = org.auth();
    auth.check_access(token?).ok().map(|s| s.user_id.clone())
}

fn log(org: &Org, seq: u64, method: &Method, path: &str, status: u16, started: Instant, api: bool) {
    org.log.record(LoggedRequest {
        seq,
        method: method.to_string(),
        path: path.to_string(),
        status,
        ms: started.elapsed().as_secs_f64() * 1000.0,
        api,
    });
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let h = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = h.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth") {
        Some(token.trim())
    } else {
        None
    }
}

/// An authenticated API call, its body read.
struct Call {
    method: Method,
    version: String,
    segments: Vec<String>,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
    token: Option<String>,
    user_id: String,
}

/// Counts, injects faults, dispatches.
async fn api_call(org: &Arc<Org>, call: Call) -> (ApiResponse, bool, Vec<(&'static str, String)>) {
    let Call {
        method,
        version,
        segments,
        query,
        headers,
        body,
        token,
        user_id,
    } = call;
    let used = match org.limits.admit(&today()) {
        Admission::Allowed { used } => used,
        Admission::OverLimit { used } => {
            let e = ApiError::new(
                403,
                ErrorCode::RequestLimitExceeded,
                "TotalRequests Limit exceeded.",
            );
            return (
                e.into(),
                false,
                vec![("Sforce-Limit-Info", org.limits.header(used))],
            );
        }
    };
    org.log.count_api_call();
    let limit_header = vec![("Sforce-Limit-Info", org.limits.header(used))];
    if let Some(d) = org.faults.delay() {
        tokio::time::sleep(d).await;
    }
    let fault = org.faults.next_api();
    if let Some(resp) = fault.and_then(|f| refusal(org, f, token.as_deref())) {
        return (resp, true, limit_header);
    }
    let req = ApiRequest {
        method,
        version,
        segments,
        query,
        headers,
        body,
        user_id,
    };
    let org2 = org.clone();
    // Store work is synchronous; keep it off the async workers.
    let resp = tokio::task::spawn_blocking(move || {
        let alone = req.segments.len() == 1 && req.segments[0] == "composite";
        let _guard = if alone {
            Gate::Write(org2.exclusive.write().unwrap_or_else(|e| e.into_inner()))
        } else {
            Gate::Read(org2.exclusive.read().unwrap_or_else(|e| e.into_inner()))
        };
        match router::dispatch(&org2, &req) {
            Ok(r) => r,
            Err(e) => e.into(),
        }
    })
    .await
    .unwrap_or_else(|_| ApiError::new(500, ErrorCode::UnknownException, "internal error").into());
    // The write is committed; the client never hears of it.
    let resp = if fault == Some(FaultKind::CommitDrop) {
        ApiResponse {
            status: resp.status,
            headers: Vec::new(),
            body: Body::Drop,
        }
    } else {
        resp
    };
    if used % 100 == 0 {
        let c = org.limits.snapshot();
        let _ = org
            .store()
            .set_counter(&format!("api-usage:{}", c.day), c.used as i64);
    }
    (resp, true, limit_header)
}

/// The answer an injected fault gives instead of carrying the request out; `None` for a fault
/// that lets it be carried out.
fn refusal(org: &Org, fault: FaultKind, token: Option<&str>) -> Option<ApiResponse> {
    let resp: ApiResponse = match fault {
        FaultKind::Unavailable => ApiError::new(
            503,
            ErrorCode::ServerUnavailable,
            "Server temporarily unavailable, please try again",
        )
        .into(),
        FaultKind::Internal => ApiError::new(
            500,
            ErrorCode::UnknownException,
            "An unexpected error occurred. Please include this ErrorId if you contact support: 0000000000-00000 (0000000000)",
        )
        .into(),
        FaultKind::Lock => ApiError::bad(
            ErrorCode::UnableToLockRow,
            "unable to obtain exclusive access to this record or 1 records: 001000000000000AAA",
        )
        .into(),
        FaultKind::Drop => ApiResponse {
            status: 200,
            headers: Vec::new(),
            body: Body::Drop,
        },
        FaultKind::Expire => {
            if let Some(t) = token {
                org.auth().expire(t);
            }
            ApiError::invalid_session().into()
        }
        FaultKind::Limit => {
            ApiError::new(403, ErrorCode::RequestLimitExceeded, "TotalRequests Limit exceeded.")
                .into()
        }
        FaultKind::OAuth(_) => ApiError::invalid_session().into(),
        // Carried out first; its answer is dropped afterwards.
        FaultKind::CommitDrop => return None,
    };
    Some(resp)
}

/// Holds the composite gate for the duration of one call.
#[allow(dead_code)]
enum Gate<'a> {
    Read(std::sync::RwLockReadGuard<'a, ()>),
    Write(std::sync::RwLockWriteGuard<'a, ()>),
}
