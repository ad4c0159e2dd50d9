//! The per-run API budget (`--max-api-calls`): a number of calls, or a share of the org's daily
//! allocation as `Sforce-Limit-Info` reports it.

use std::str::FromStr;

/// How many API calls a run may spend before it stops cleanly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ApiBudget {
    /// At most this many calls.
    Calls(u64),
    /// At most this percentage of the org's daily allocation (known after the first call).
    DailyPercent(f64),
}

impl ApiBudget {
    /// The budget in calls, given the org's daily `(used, max)` when known. A percentage with
    /// no limits known yet is no limit: the first flush learns them.
    pub fn calls(self, limits: Option<(u64, u64)>) -> Option<u64> {
        match self {
            ApiBudget::Calls(n) => Some(n),
            ApiBudget::DailyPercent(p) => limits.map(|(_, max)| (max as f64 * p / 100.0) as u64),
        }
    }
}

/// Why a budget does not parse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("expected a number of API calls (5000) or a share of the daily limit (10%), got {0:?}")]
pub struct BudgetError(String);

impl FromStr for ApiBudget {
    type Err = BudgetError;

    fn from_str(s: &str) -> Result<ApiBudget, BudgetError> {
        let t = s.trim();
        let bad = || BudgetError(s.to_string());
        match t.strip_suffix('%') {
            Some(p) => {
                let p: f64 = p.trim().parse().map_err(|_| bad())?;
                if p.is_finite() && p > 0.0 && p <= 100.0 {
                    Ok(ApiBudget::DailyPercent(p))
                } else {
                    Err(bad())
                }
            }
            None => t.parse().map(ApiBudget::Calls).map_err(|_| bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ApiBudget;

    #[test]
    fn parses_calls_and_percentages() {
        assert_eq!("5000".parse(), Ok(ApiBudget::Calls(5000)));
        assert_eq!("12.5%".parse(), Ok(ApiBudget::DailyPercent(12.5)));
        for bad in ["", "-3", "0%", "150%", "ten", "5 calls"] {
            assert!(bad.parse::<ApiBudget>().is_err(), "{bad}");
        }
        assert_eq!(ApiBudget::DailyPercent(10.0).calls(None), None);
        assert_eq!(
            ApiBudget::DailyPercent(10.0).calls(Some((7, 15_000))),
            Some(1_500)
        );
        assert_eq!(ApiBudget::Calls(9).calls(None), Some(9));
    }
}
