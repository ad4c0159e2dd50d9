//! One bad event never fails another: when a batched call (a lookup query, a Collections
//! write) is rejected as a whole for a reason one record can cause, the batch is split in
//! halves and each half tried again, down to the record that fails alone.
//!
//! When both halves of a rejected batch fail too, the cause is taken to be the batch's, not one
//! record's (a field the org lacks, say), and every item fails with it: a poisoned record
//! costs about two calls per halving, a broken mapping no more than two calls.

use std::future::Future;
use std::sync::Arc;

use crate::salesforce::SfError;

/// Whether an error rejecting a whole batch may come from one of its records: Salesforce
/// refused the request's content (a 400). Transient errors are the client's to retry, and an
/// authentication error stops the run.
pub fn one_record_may_cause(e: &SfError) -> bool {
    matches!(e.root(), SfError::Api { status: 400, .. }) && !e.retryable()
}

/// What a batch came to: the answers of the parts that went through, and the items that
/// failed, with why.
pub struct Isolated<T, R> {
    pub answers: Vec<R>,
    /// Each failed item with the error of the call it failed in (shared by its items).
    pub failed: Vec<(T, Arc<SfError>)>,
}

/// Tries `items` with `attempt`; on a rejection [`one_record_may_cause`], bisects as the
/// module says.
pub async fn isolate<T, R, F, Fut>(items: Vec<T>, attempt: F) -> Isolated<T, R>
where
    T: Clone,
    F: Fn(Vec<T>) -> Fut,
    Fut: Future<Output = Result<R, SfError>>,
{
    let mut out = Isolated {
        answers: Vec::new(),
        failed: Vec::new(),
    };
    // Sets still to settle, each with the error it is already known to fail with.
    let mut todo: Vec<(Vec<T>, Option<SfError>)> = vec![(items, None)];
    while let Some((set, known)) = todo.pop() {
        let err = match known {
            Some(e) => e,
            None => match attempt(set.clone()).await {
                Ok(r) => {
                    out.answers.push(r);
                    continue;
                }
                Err(e) => e,
            },
        };
        if set.len() < 2 || !one_record_may_cause(&err) {
            fail_all(&mut out, set, Arc::new(err));
            continue;
        }
        let mut first = set;
        let second = first.split_off(first.len() / 2);
        let a = attempt(first.clone()).await;
        let b = attempt(second.clone()).await;
        match (a, b) {
            (Err(_), Err(_)) => {
                let err = Arc::new(err);
                fail_all(&mut out, first, err.clone());
                fail_all(&mut out, second, err);
            }
            (a, b) => {
                for (half, result) in [(second, b), (first, a)] {
                    match result {
                        Ok(r) => out.answers.push(r),
                        Err(e) => todo.push((half, Some(e))),
                    }
                }
            }
        }
    }
    out
}

/// The error itself when no other item shares it; else an authentication error with its code
/// and text (the only kind a caller needs to own: it stops the run).
pub fn owned(e: Arc<SfError>) -> SfError {
    Arc::try_unwrap(e).unwrap_or_else(|shared| SfError::Auth {
        code: shared.code().map(str::to_string),
        message: shared.to_string(),
    })
}

fn fail_all<T, R>(out: &mut Isolated<T, R>, set: Vec<T>, err: Arc<SfError>) {
    out.failed
        .extend(set.into_iter().map(|t| (t, Arc::clone(&err))));
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::salesforce::ApiError;

    fn rejected() -> SfError {
        SfError::Api {
            status: 400,
            errors: vec![ApiError::new("MALFORMED_QUERY", "unexpected token: 42")],
        }
    }

    #[tokio::test]
    async fn one_poisoned_item_among_a_thousand_fails_alone() {
        let calls = Cell::new(0);
        let items: Vec<u32> = (0..1000).collect();
        let out = isolate(items, |set: Vec<u32>| {
            calls.set(calls.get() + 1);
            async move {
                if set.contains(&617) {
                    Err(rejected())
                } else {
                    Ok(set.len())
                }
            }
        })
        .await;
        assert_eq!(out.answers.iter().sum::<usize>(), 999);
        assert_eq!(out.failed.len(), 1);
        assert_eq!(out.failed[0].0, 617);
        assert_eq!(out.failed[0].1.code(), Some("MALFORMED_QUERY"));
        // One call, then two per halving: 1 + 2 × ⌈log2 1000⌉.
        assert_eq!(calls.get(), 1 + 2 * 10);
    }

    #[tokio::test]
    async fn a_batch_that_fails_in_both_halves_fails_whole_after_three_calls() {
        let calls = Cell::new(0);
        let out = isolate((0..2000).collect::<Vec<u32>>(), |_set: Vec<u32>| {
            calls.set(calls.get() + 1);
            async { Err::<usize, _>(rejected()) }
        })
        .await;
        assert_eq!(out.failed.len(), 2000);
        assert!(out.answers.is_empty());
        assert_eq!(calls.get(), 3);
    }

    #[tokio::test]
    async fn transient_and_authentication_errors_are_not_split() {
        for e in [
            || SfError::Api {
                status: 503,
                errors: vec![ApiError::new("SERVER_UNAVAILABLE", "busy")],
            },
            || SfError::Api {
                status: 401,
                errors: vec![ApiError::new("INVALID_SESSION_ID", "expired")],
            },
        ] {
            let calls = Cell::new(0);
            let out = isolate((0..8).collect::<Vec<u32>>(), |_set: Vec<u32>| {
                calls.set(calls.get() + 1);
                async move { Err::<usize, _>(e()) }
            })
            .await;
            assert_eq!(out.failed.len(), 8);
            assert_eq!(calls.get(), 1);
        }
    }
}
