//! Which mapping's operations go out when: per mapping a queue of admitted operations, flushed
//! when it holds a flush's worth or its oldest operation has waited `max_wait`.
//!
//! **Parents first.** A mapping whose fields reference another object by `lookup()` (a Contact
//! tied to its Account by external id) depends on the mappings that write that object: before
//! its queue goes out, theirs do, so a parent written by an earlier event exists when its
//! child is written, whatever the order of the mappings in the file. Independent mappings
//! still batch on their own.
//!
//! Pure: time comes in as an argument, nothing is sent from here.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use super::flush::Op;
use crate::plan::Plan;

/// One admitted operation, waiting for its flush.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The event's ledger key (messageId, or `line:N`).
    pub key: String,
    pub line: usize,
    /// The event's place in the run's input.
    pub seq: u64,
    /// The original line, for the dead letter file.
    pub raw: String,
    pub op: Op,
    /// A crashed run sent it and never learned the result.
    pub resumed: bool,
}

/// One mapping's queue.
#[derive(Debug, Default)]
struct Queue {
    ops: Vec<Pending>,
    /// The event keys waiting here (earlier flushes are in the ledger).
    keys: HashSet<String>,
    /// When the oldest waiting operation arrived.
    since: Option<Instant>,
}

/// The queues of all mappings, by mapping index.
#[derive(Debug)]
pub struct Queues {
    queues: Vec<Queue>,
    /// Operations per flush, by mapping.
    sizes: Vec<usize>,
    /// The mappings each mapping's writes depend on (see [`parents`]).
    parents: Vec<Vec<usize>>,
    max_wait: Option<Duration>,
}

/// For each mapping, the other mappings that write an object it references by `lookup()`.
pub fn parents(plan: &Plan) -> Vec<Vec<usize>> {
    plan.mappings
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let objects = m.parent_objects();
            plan.mappings
                .iter()
                .enumerate()
                .filter(|(j, p)| {
                    *j != i && objects.iter().any(|o| o.eq_ignore_ascii_case(&p.object))
                })
                .map(|(j, _)| j)
                .collect()
        })
        .collect()
}

impl Queues {
    /// `sizes[i]`: how many operations fill mapping `i`'s flush; `max_wait`: how long the
    /// oldest may wait before its flush goes out anyway (`None`: until full or the end).
    /// `parents[i]`: the mappings whose queues go out before mapping `i`'s.
    pub fn new(sizes: Vec<usize>, parents: Vec<Vec<usize>>, max_wait: Option<Duration>) -> Queues {
        Queues {
            queues: sizes.iter().map(|_| Queue::default()).collect(),
            sizes,
            parents,
            max_wait,
        }
    }

    /// The queues to send so that mapping `index`'s can go out: its parents' (and theirs,
    /// parents first) that hold operations, then its own. A cycle of lookups is cut where it
    /// closes.
    pub fn order(&self, index: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut seen = vec![false; self.queues.len()];
        self.visit(index, &mut seen, &mut out);
        out
    }

    /// Every queue that holds operations, parents before children.
    pub fn order_all(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut seen = vec![false; self.queues.len()];
        for index in 0..self.queues.len() {
            self.visit(index, &mut seen, &mut out);
        }
        out
    }

    fn visit(&self, index: usize, seen: &mut [bool], out: &mut Vec<usize>) {
        if std::mem::replace(&mut seen[index], true) {
            return;
        }
        for &p in &self.parents[index] {
            self.visit(p, seen, out);
        }
        if !self.queues[index].ops.is_empty() {
            out.push(index);
        }
    }

    /// Whether an event with this key already waits in mapping `index`'s flush.
    pub fn holds(&self, index: usize, key: &str) -> bool {
        self.queues[index].keys.contains(key)
    }

    /// Queues an operation; true when its mapping's flush is now full.
    pub fn push(&mut self, index: usize, pending: Pending, now: Instant) -> bool {
        let q = &mut self.queues[index];
        q.keys.insert(pending.key.clone());
        q.ops.push(pending);
        q.since.get_or_insert(now);
        q.ops.len() >= self.sizes[index]
    }

    /// Takes mapping `index`'s waiting operations, in event order.
    pub fn take(&mut self, index: usize) -> Vec<Pending> {
        let q = &mut self.queues[index];
        q.keys.clear();
        q.since = None;
        std::mem::take(&mut q.ops)
    }

    /// The mappings with operations waiting, in mapping order.
    pub fn waiting(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.queues.len()).filter(|i| !self.queues[*i].ops.is_empty())
    }

    /// The mappings whose oldest operation has waited `max_wait` by `now`.
    pub fn due(&self, now: Instant) -> Vec<usize> {
        let Some(wait) = self.max_wait else {
            return Vec::new();
        };
        self.waiting()
            .filter(|i| {
                self.queues[*i]
                    .since
                    .is_some_and(|t| now.saturating_duration_since(t) >= wait)
            })
            .collect()
    }

    /// When the next flush falls due by age (`None`: nothing waits, or no `max_wait`).
    pub fn next_deadline(&self) -> Option<Instant> {
        let wait = self.max_wait?;
        self.queues
            .iter()
            .filter_map(|q| q.since)
            .min()
            .map(|t| t + wait)
    }

    /// How many operations wait in all queues.
    pub fn len(&self) -> usize {
        self.queues.iter().map(|q| q.ops.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ast::OpKind;

    fn pending(key: &str) -> Pending {
        Pending {
            key: key.into(),
            line: 1,
            seq: 0,
            raw: String::new(),
            op: Op {
                event: 0,
                operation: OpKind::Create,
                matchers: Vec::new(),
                fields: Default::default(),
                create_only: Default::default(),
                missing_on_create: Vec::new(),
            },
            resumed: false,
        }
    }

    #[test]
    fn a_queue_is_full_at_its_mapping_s_size() {
        let now = Instant::now();
        let mut q = Queues::new(vec![2, 3], vec![vec![], vec![]], None);
        assert!(!q.push(0, pending("a"), now));
        assert!(q.push(0, pending("b"), now));
        assert!(!q.push(1, pending("c"), now));
        assert!(q.holds(0, "a") && !q.holds(1, "a"));
        assert_eq!(q.take(0).len(), 2);
        assert!(!q.holds(0, "a"));
        assert_eq!(q.waiting().collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn the_oldest_operation_sets_the_deadline() {
        let t0 = Instant::now();
        let wait = Duration::from_secs(1);
        let mut q = Queues::new(vec![100, 100], vec![vec![], vec![]], Some(wait));
        assert_eq!(q.next_deadline(), None);
        q.push(1, pending("a"), t0);
        q.push(0, pending("b"), t0 + Duration::from_millis(400));
        q.push(1, pending("c"), t0 + Duration::from_millis(900));
        assert_eq!(q.next_deadline(), Some(t0 + wait));
        assert!(q.due(t0 + Duration::from_millis(999)).is_empty());
        assert_eq!(q.due(t0 + wait), [1]);
        q.take(1);
        assert_eq!(q.next_deadline(), Some(t0 + Duration::from_millis(1400)));
        assert_eq!(q.due(t0 + Duration::from_secs(2)), [0]);
    }

    #[test]
    fn without_max_wait_nothing_falls_due() {
        let t0 = Instant::now();
        let mut q = Queues::new(vec![10], vec![vec![]], None);
        q.push(0, pending("a"), t0);
        assert!(q.due(t0 + Duration::from_secs(3600)).is_empty());
        assert_eq!(q.next_deadline(), None);
    }

    #[test]
    fn parents_go_out_first() {
        let t0 = Instant::now();
        // 0: Contact, child of 1 (Account); 1: Account, child of 2 (a parent of Accounts);
        // 3: independent.
        let mut q = Queues::new(vec![10; 4], vec![vec![1], vec![2], vec![], vec![]], None);
        q.push(0, pending("c"), t0);
        q.push(3, pending("x"), t0);
        assert_eq!(q.order(0), [0], "no parent waits");
        q.push(2, pending("p"), t0);
        q.push(1, pending("a"), t0);
        assert_eq!(q.order(0), [2, 1, 0]);
        assert_eq!(q.order(1), [2, 1]);
        assert_eq!(q.order(3), [3]);
        assert_eq!(q.order_all(), [2, 1, 0, 3]);
    }

    #[test]
    fn a_cycle_of_lookups_ends() {
        let t0 = Instant::now();
        let mut q = Queues::new(vec![10; 2], vec![vec![1], vec![0]], None);
        q.push(0, pending("a"), t0);
        q.push(1, pending("b"), t0);
        assert_eq!(q.order(0), [1, 0]);
        assert_eq!(q.order_all(), [1, 0]);
    }
}
