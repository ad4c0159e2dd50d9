//! Admission: whether an event's operation for a mapping goes into a flush, by what the ledger
//! knows of it and what this run has already queued.

use super::ledger::Entry;
use crate::outcome::LedgerState;

/// What to do with one event's operation for one mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Queue it. `resumed`: a crashed run sent it and never learned the result, so a create
    /// is looked for before it is sent again.
    Deliver { resumed: bool },
    /// An earlier run (or an earlier copy in this run) delivered it: report, do not record.
    AlreadyDelivered,
    /// A copy of an event still waiting in this flush (Segment retries deliver one messageId
    /// twice): the copy is skipped.
    Duplicate,
}

/// The rule: delivered before → skip; failed before → try again (the mapping may be fixed);
/// waiting in this flush already → a duplicate; sent but unfinished → resume.
pub fn admit(entry: Option<&Entry>, already_queued: bool) -> Admission {
    if entry.is_some_and(|e| e.delivered()) {
        return Admission::AlreadyDelivered;
    }
    if already_queued {
        return Admission::Duplicate;
    }
    Admission::Deliver {
        resumed: entry.is_some_and(|e| e.state == LedgerState::Sent),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;

    fn done(outcome: Outcome) -> Entry {
        Entry {
            state: LedgerState::Done,
            outcome: Some(outcome),
            record_id: None,
        }
    }

    #[test]
    fn a_new_event_is_delivered() {
        assert_eq!(admit(None, false), Admission::Deliver { resumed: false });
    }

    #[test]
    fn delivered_events_are_skipped_and_failed_ones_tried_again() {
        for o in [
            Outcome::Created,
            Outcome::Updated,
            Outcome::Skipped,
            Outcome::Deleted,
        ] {
            assert_eq!(
                admit(Some(&done(o)), false),
                Admission::AlreadyDelivered,
                "{o}"
            );
            assert_eq!(
                admit(Some(&done(o)), true),
                Admission::AlreadyDelivered,
                "{o}"
            );
        }
        assert_eq!(
            admit(Some(&done(Outcome::Failed)), false),
            Admission::Deliver { resumed: false }
        );
    }

    #[test]
    fn a_sent_event_resumes_and_a_second_copy_is_a_duplicate() {
        let sent = Entry {
            state: LedgerState::Sent,
            outcome: None,
            record_id: None,
        };
        assert_eq!(
            admit(Some(&sent), false),
            Admission::Deliver { resumed: true }
        );
        assert_eq!(admit(Some(&sent), true), Admission::Duplicate);
        assert_eq!(admit(None, true), Admission::Duplicate);
    }
}
