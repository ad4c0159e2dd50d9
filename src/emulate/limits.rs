//! The daily API request allocation: a real counter per org (per UTC day, kept in the store so
//! `--state` carries it over restarts), the `Sforce-Limit-Info` header and `GET /limits`.

use std::sync::Mutex;

use serde_json::{Value, json};

/// Counts API calls against `DailyApiRequests`.
#[derive(Debug)]
pub struct ApiLimits {
    pub max: u64,
    inner: Mutex<DayCount>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCount {
    pub day: String,
    pub used: u64,
}

/// The result of counting one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Allowed { used: u64 },
    OverLimit { used: u64 },
}

impl ApiLimits {
    pub fn new(max: u64, day: String, used: u64) -> ApiLimits {
        ApiLimits {
            max,
            inner: Mutex::new(DayCount { day, used }),
        }
    }

    /// Counts one call made on `day`; calls past the allocation are refused (and not counted).
    pub fn admit(&self, day: &str) -> Admission {
        let mut c = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if c.day != day {
            c.day = day.to_string();
            c.used = 0;
        }
        if c.used >= self.max {
            return Admission::OverLimit { used: c.used };
        }
        c.used += 1;
        Admission::Allowed { used: c.used }
    }

    pub fn snapshot(&self) -> DayCount {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// `api-usage=used/max`.
    pub fn header(&self, used: u64) -> String {
        format!("api-usage={used}/{}", self.max)
    }

    /// The `GET /limits` body.
    pub fn body(&self) -> Value {
        let used = self.snapshot().used;
        let pair = |max: u64, remaining: u64| json!({"Max": max, "Remaining": remaining});
        json!({
            "DailyApiRequests": pair(self.max, self.max.saturating_sub(used)),
            "DailyBulkApiBatches": pair(15000, 15000),
            "DailyBulkV2QueryJobs": pair(10000, 10000),
            "DailyBulkV2QueryFileStorageMB": pair(976562, 976562),
            "DailyAsyncApexExecutions": pair(250000, 250000),
            "DataStorageMB": pair(5, 5),
            "FileStorageMB": pair(20, 20),
            "ConcurrentAsyncGetReportInstances": pair(200, 200),
            "HourlyPublishedPlatformEvents": pair(50000, 50000),
        })
    }
}

pub fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_allocation_and_resets_daily() {
        let l = ApiLimits::new(2, "2026-01-01".into(), 0);
        assert_eq!(l.admit("2026-01-01"), Admission::Allowed { used: 1 });
        assert_eq!(l.admit("2026-01-01"), Admission::Allowed { used: 2 });
        assert_eq!(l.admit("2026-01-01"), Admission::OverLimit { used: 2 });
        assert_eq!(l.admit("2026-01-02"), Admission::Allowed { used: 1 });
    }
}
