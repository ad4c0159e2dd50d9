//! Fault injection for reliability tests: added latency, 503/500 errors, dropped connections
//! (before the request is carried out, or after it committed), UNABLE_TO_LOCK_ROW, forced token
//! expiry and token-endpoint errors.
//!
//! Faults can be random at a rate (seeded, so a run is reproducible for a given request order)
//! or scheduled by request number, which makes tests fully deterministic. API requests (under
//! `/services/data/vXX.X/`) are numbered 1, 2, 3…; `oauth-*` faults count token requests instead.

use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::error::OAuthCode;

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// 503 SERVER_UNAVAILABLE.
    Unavailable,
    /// 500 UNKNOWN_EXCEPTION.
    Internal,
    /// The connection is closed without a complete response; nothing is written.
    Drop,
    /// The request is carried out (a write commits) and then the connection is closed
    /// without its response: the answer is lost, which is what makes a blindly retried create a
    /// duplicate.
    CommitDrop,
    /// 400 UNABLE_TO_LOCK_ROW (nothing is written).
    Lock,
    /// The presented access token expires now; the request gets 401 INVALID_SESSION_ID.
    Expire,
    /// 403 REQUEST_LIMIT_EXCEEDED, as when the org's daily allocation runs out (a burst of
    /// these, e.g. `limit@40+41+42`, is what a shared org at its limit looks like).
    Limit,
    /// The token endpoint answers 400 with this OAuth error.
    OAuth(OAuthCode),
}

/// When a fault fires.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// With this probability per request.
    Rate(f64),
    /// On these request numbers.
    At(Vec<u64>),
    /// On every n-th request.
    Every(u64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    pub kind: FaultKind,
    pub trigger: Trigger,
}

/// A parsed `--faults` value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultSpec {
    pub rules: Vec<FaultRule>,
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error(
        "unknown fault kind {0:?} (expected 503, 500, drop, commit-drop, lock, expire, limit or oauth-<error>)"
    )]
    Kind(String),
    #[error("bad fault item {0:?}: expected KIND=RATE, KIND@N[+N…] or KIND/N")]
    Item(String),
    #[error("bad rate {0:?}: expected a fraction like 0.05 or a percentage like 5%")]
    Rate(String),
    #[error("bad number {0:?}")]
    Number(String),
    #[error(
        "bad latency {0:?}: expected 50ms, fixed:50ms, uniform:10ms..200ms, normal:80ms,20ms or exp:50ms"
    )]
    Latency(String),
}

fn parse_kind(s: &str) -> Result<FaultKind, SpecError> {
    Ok(match s {
        "503" => FaultKind::Unavailable,
        "500" => FaultKind::Internal,
        "drop" => FaultKind::Drop,
        "commit-drop" => FaultKind::CommitDrop,
        "lock" => FaultKind::Lock,
        "expire" => FaultKind::Expire,
        "limit" => FaultKind::Limit,
        other => match other.strip_prefix("oauth-").and_then(OAuthCode::parse) {
            Some(code) => FaultKind::OAuth(code),
            None => return Err(SpecError::Kind(other.to_string())),
        },
    })
}

fn parse_u64(s: &str) -> Result<u64, SpecError> {
    s.trim()
        .parse()
        .map_err(|_| SpecError::Number(s.to_string()))
}

impl FromStr for FaultSpec {
    type Err = SpecError;

    /// `503=2%,drop=0.001,lock@3+7,expire/100,oauth-invalid_grant@1,seed=42`
    fn from_str(s: &str) -> Result<FaultSpec, SpecError> {
        let mut spec = FaultSpec::default();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            if let Some(seed) = item.strip_prefix("seed=") {
                spec.seed = parse_u64(seed)?;
            } else if let Some((k, rate)) = item.split_once('=') {
                let r = match rate.strip_suffix('%') {
                    Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
                    None => rate.trim().parse::<f64>(),
                }
                .map_err(|_| SpecError::Rate(rate.to_string()))?;
                if !(0.0..=1.0).contains(&r) {
                    return Err(SpecError::Rate(rate.to_string()));
                }
                spec.rules.push(FaultRule {
                    kind: parse_kind(k.trim())?,
                    trigger: Trigger::Rate(r),
                });
            } else if let Some((k, at)) = item.split_once('@') {
                let ns = at.split('+').map(parse_u64).collect::<Result<_, _>>()?;
                spec.rules.push(FaultRule {
                    kind: parse_kind(k.trim())?,
                    trigger: Trigger::At(ns),
                });
            } else if let Some((k, n)) = item.split_once('/') {
                let n = parse_u64(n)?;
                if n == 0 {
                    return Err(SpecError::Number(item.to_string()));
                }
                spec.rules.push(FaultRule {
                    kind: parse_kind(k.trim())?,
                    trigger: Trigger::Every(n),
                });
            } else {
                return Err(SpecError::Item(item.to_string()));
            }
        }
        Ok(spec)
    }
}

/// A latency distribution for `--latency`.
#[derive(Debug, Clone, PartialEq)]
pub enum LatencySpec {
    Fixed(Duration),
    Uniform(Duration, Duration),
    Normal { mean: Duration, stddev: Duration },
    Exponential { mean: Duration },
}

fn parse_duration(s: &str) -> Result<Duration, SpecError> {
    let s = s.trim();
    let err = || SpecError::Latency(s.to_string());
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = s.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        (s, 1e-3)
    };
    let v: f64 = num.trim().parse().map_err(|_| err())?;
    if v < 0.0 || !v.is_finite() {
        return Err(err());
    }
    Ok(Duration::from_secs_f64(v * scale))
}

impl FromStr for LatencySpec {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<LatencySpec, SpecError> {
        let err = || SpecError::Latency(s.to_string());
        let (kind, arg) = s.split_once(':').unwrap_or(("fixed", s));
        Ok(match kind.trim() {
            "fixed" => LatencySpec::Fixed(parse_duration(arg)?),
            "uniform" => {
                let (a, b) = arg.split_once("..").ok_or_else(err)?;
                let (a, b) = (parse_duration(a)?, parse_duration(b)?);
                if b < a {
                    return Err(err());
                }
                LatencySpec::Uniform(a, b)
            }
            "normal" => {
                let (m, sd) = arg.split_once(',').ok_or_else(err)?;
                LatencySpec::Normal {
                    mean: parse_duration(m)?,
                    stddev: parse_duration(sd)?,
                }
            }
            "exp" => LatencySpec::Exponential {
                mean: parse_duration(arg)?,
            },
            _ => return Err(err()),
        })
    }
}

/// The runtime fault injector.
#[derive(Debug)]
pub struct Faults {
    spec: FaultSpec,
    latency: Option<LatencySpec>,
    rng: Mutex<StdRng>,
    api_seq: AtomicU64,
    token_seq: AtomicU64,
}

impl Faults {
    pub fn new(spec: FaultSpec, latency: Option<LatencySpec>) -> Faults {
        Faults {
            rng: Mutex::new(StdRng::seed_from_u64(spec.seed)),
            spec,
            latency,
            api_seq: AtomicU64::new(0),
            token_seq: AtomicU64::new(0),
        }
    }

    fn pick(&self, n: u64, oauth: bool) -> Option<FaultKind> {
        let relevant = |k: &FaultKind| matches!(k, FaultKind::OAuth(_)) == oauth;
        for rule in self.spec.rules.iter().filter(|r| relevant(&r.kind)) {
            match &rule.trigger {
                Trigger::At(ns) if ns.contains(&n) => return Some(rule.kind),
                Trigger::Every(every) if n % every == 0 => return Some(rule.kind),
                _ => {}
            }
        }
        let rates: Vec<(FaultKind, f64)> = self
            .spec
            .rules
            .iter()
            .filter(|r| relevant(&r.kind))
            .filter_map(|r| match r.trigger {
                Trigger::Rate(p) => Some((r.kind, p)),
                _ => None,
            })
            .collect();
        if rates.is_empty() {
            return None;
        }
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        for (kind, p) in rates {
            if rng.random::<f64>() < p {
                return Some(kind);
            }
        }
        None
    }

    /// The fault (if any) for the next API request.
    pub fn next_api(&self) -> Option<FaultKind> {
        if self.spec.rules.is_empty() {
            return None;
        }
        let n = self.api_seq.fetch_add(1, Ordering::SeqCst) + 1;
        self.pick(n, false)
    }

    /// The OAuth error (if any) for the next token request.
    pub fn next_token(&self) -> Option<OAuthCode> {
        if self.spec.rules.is_empty() {
            return None;
        }
        let n = self.token_seq.fetch_add(1, Ordering::SeqCst) + 1;
        match self.pick(n, true) {
            Some(FaultKind::OAuth(code)) => Some(code),
            _ => None,
        }
    }

    /// How long to delay this request.
    pub fn delay(&self) -> Option<Duration> {
        let spec = self.latency.as_ref()?;
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        let secs = match spec {
            LatencySpec::Fixed(d) => d.as_secs_f64(),
            LatencySpec::Uniform(a, b) => {
                a.as_secs_f64() + rng.random::<f64>() * (b.as_secs_f64() - a.as_secs_f64())
            }
            LatencySpec::Normal { mean, stddev } => {
                // Box-Muller
                let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
                let u2: f64 = rng.random();
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                (mean.as_secs_f64() + z * stddev.as_secs_f64()).max(0.0)
            }
            LatencySpec::Exponential { mean } => {
                let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
                -u.ln() * mean.as_secs_f64()
            }
        };
        Some(Duration::from_secs_f64(secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_schedules_deterministically() {
        let spec: FaultSpec = "503@2+4, lock/3, oauth-invalid_grant@1, commit-drop@7, seed=7"
            .parse()
            .unwrap();
        let f = Faults::new(spec, None);
        let got: Vec<_> = (0..7).map(|_| f.next_api()).collect();
        assert_eq!(
            got,
            [
                None,
                Some(FaultKind::Unavailable),
                Some(FaultKind::Lock),
                Some(FaultKind::Unavailable),
                None,
                Some(FaultKind::Lock),
                Some(FaultKind::CommitDrop)
            ]
        );
        assert_eq!(f.next_token(), Some(OAuthCode::InvalidGrant));
        assert_eq!(f.next_token(), None);
    }

    #[test]
    fn rejects_bad_specs() {
        assert!("teapot=1%".parse::<FaultSpec>().is_err());
        assert!("503=150%".parse::<FaultSpec>().is_err());
        assert!("503/0".parse::<FaultSpec>().is_err());
        assert_eq!(
            "uniform:10ms..20ms".parse::<LatencySpec>().unwrap(),
            LatencySpec::Uniform(Duration::from_millis(10), Duration::from_millis(20))
        );
        assert!("uniform:20ms..10ms".parse::<LatencySpec>().is_err());
    }
}
