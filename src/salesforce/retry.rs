//! When and how long to wait before repeating a request.
//!
//! Exponential backoff with jitter (a random wait between half and all of the exponential bound),
//! so that many clients hitting the same 503 do not come back in lockstep. Which requests may be
//! repeated at all is decided by the caller (`client::Safety`): this only says how long.

use std::time::Duration;

use rand::RngExt;

/// Retry settings of a client.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request for transient failures (transport errors, 5xx, UNABLE_TO_LOCK_ROW),
    /// the first one included.
    pub max_attempts: u32,
    /// The bound of the first wait; doubled for each further attempt.
    pub base_delay: Duration,
    /// The largest wait between two attempts.
    pub max_delay: Duration,
    /// How long to wait after REQUEST_LIMIT_EXCEEDED before trying again.
    pub limit_wait: Duration,
    /// How many times to wait `limit_wait` before giving up with `SfError::LimitExceeded`
    /// (0: fail at once).
    pub limit_retries: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            limit_wait: Duration::from_secs(60),
            limit_retries: 0,
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`, given that `attempt` (1-based) attempts failed.
    pub fn delay(&self, attempt: u32) -> Duration {
        let bound = self.bound(attempt);
        if bound.is_zero() {
            return bound;
        }
        let nanos = rand::rng().random_range(bound.as_nanos() as u64 / 2..=bound.as_nanos() as u64);
        Duration::from_nanos(nanos)
    }

    /// The upper bound of the wait after `attempt` failures: base × 2^(attempt-1), capped.
    pub fn bound(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1).min(20))
            .unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// Poll intervals for bulk jobs: `initial`, doubling up to `max`, for at most `timeout`.
#[derive(Debug, Clone)]
pub struct PollPolicy {
    pub initial: Duration,
    pub max: Duration,
    /// `None`: poll until the job ends.
    pub timeout: Option<Duration>,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(15),
            timeout: Some(Duration::from_secs(60 * 60)),
        }
    }
}

impl PollPolicy {
    pub fn next(&self, current: Duration) -> Duration {
        current.saturating_mul(2).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        assert_eq!(p.bound(1), Duration::from_millis(100));
        assert_eq!(p.bound(2), Duration::from_millis(200));
        assert_eq!(p.bound(4), Duration::from_millis(800));
        assert_eq!(p.bound(5), Duration::from_secs(1));
        assert_eq!(p.bound(60), Duration::from_secs(1));
        for attempt in 1..8 {
            let d = p.delay(attempt);
            assert!(d <= p.bound(attempt) && d >= p.bound(attempt) / 2, "{d:?}");
        }
    }

    #[test]
    fn poll_interval_doubles_to_max() {
        let p = PollPolicy::default();
        assert_eq!(p.next(Duration::from_millis(500)), Duration::from_secs(1));
        assert_eq!(p.next(Duration::from_secs(10)), Duration::from_secs(15));
    }
}
