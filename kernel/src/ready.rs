//! The ready queues: one FIFO per priority, highest priority first.
//!
//! Invariants: `levels` is sorted by strictly decreasing priority; a level,
//! once made, stays (even empty), so a round trip between two processes never
//! allocates; `len` is the number of processes in all levels together.
//!
//! A kernel has a handful of priorities in use, so the levels live in one
//! small sorted vector: finding the top one is a scan of a few words, and a
//! given priority is found by binary search. (A `BTreeMap` did the same with a
//! tree walk per look-up; it showed up in every profile of the scheduler.)

use std::collections::VecDeque;

use crate::Pid;

/// Ready processes by priority.
#[derive(Debug, Default)]
pub(crate) struct ReadyQueues {
    levels: Vec<(i64, VecDeque<Pid>)>,
    len: usize,
}

impl ReadyQueues {
    /// Processes ready at every priority together.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Where priority `prio`'s level is, or would be inserted.
    #[inline]
    fn find(&self, prio: i64) -> Result<usize, usize> {
        // Levels are sorted by decreasing priority.
        self.levels.binary_search_by(|(p, _)| prio.cmp(p))
    }

    /// The queue of priority `prio`, made (empty, in its place) if new.
    #[inline]
    fn level(&mut self, prio: i64) -> &mut VecDeque<Pid> {
        let i = match self.find(prio) {
            Ok(i) => i,
            Err(i) => self.new_level(i, prio),
        };
        &mut self.levels[i].1
    }

    /// Makes the (empty) queue of a priority first used, at `i`.
    #[cold]
    fn new_level(&mut self, i: usize, prio: i64) -> usize {
        self.levels.insert(i, (prio, VecDeque::new()));
        i
    }

    /// Adds `pid` at the tail (or the head) of its priority's queue.
    pub fn push(&mut self, prio: i64, pid: Pid, head: bool) {
        let q = self.level(prio);
        if head {
            q.push_front(pid);
        } else {
            q.push_back(pid);
        }
        self.len += 1;
    }

    /// The highest priority with a ready process.
    #[inline]
    pub fn top_priority(&self) -> Option<i64> {
        if self.len == 0 {
            return None;
        }
        self.levels.iter().find(|(_, q)| !q.is_empty()).map(|(p, _)| *p)
    }

    /// Ready processes at priority `prio`.
    #[inline]
    pub fn at(&self, prio: i64) -> usize {
        match self.find(prio) {
            Ok(i) => self.levels[i].1.len(),
            Err(_) => 0,
        }
    }

    /// The queue of priority `prio`, if it has ever been used.
    pub fn queue(&self, prio: i64) -> Option<&VecDeque<Pid>> {
        self.find(prio).ok().map(|i| &self.levels[i].1)
    }

    /// Where the queue of the highest priority with a ready process is (for
    /// [`ReadyQueues::level_queue`] and [`ReadyQueues::take_from`]: one search
    /// for a look and a take).
    #[inline]
    pub fn top_level(&self) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        self.levels.iter().position(|(_, q)| !q.is_empty())
    }

    /// The queue at `level` (as [`ReadyQueues::top_level`] gives it).
    #[inline]
    pub fn level_queue(&self, level: usize) -> Option<&VecDeque<Pid>> {
        self.levels.get(level).map(|(_, q)| q)
    }

    /// Takes the process at `index` of the queue at `level`.
    #[inline]
    pub fn take_from(&mut self, level: usize, index: usize) -> Option<Pid> {
        let q = &mut self.levels.get_mut(level)?.1;
        let pid = take_at(q, index)?;
        self.len -= 1;
        Some(pid)
    }

    /// Takes `pid` out of queue `prio`; returns whether it was there.
    pub fn remove(&mut self, prio: i64, pid: Pid) -> bool {
        let Ok(i) = self.find(prio) else { return false };
        let q = &mut self.levels[i].1;
        match q.iter().position(|p| *p == pid) {
            Some(at) => {
                q.remove(at);
                self.len -= 1;
                true
            }
            None => false,
        }
    }

    /// In queue `prio`: moves the process at `index` to the head and `pid` to
    /// the tail (a seeded preemption hands the CPU to that process).
    pub fn hand_over(&mut self, prio: i64, index: usize, pid: Pid) {
        let q = self.level(prio);
        if let Some(c) = take_at(q, index) {
            q.push_front(c);
        }
        q.push_back(pid);
        self.len += 1;
    }

    /// Every level, highest priority first (empty ones included).
    pub fn iter(&self) -> impl Iterator<Item = (i64, &VecDeque<Pid>)> {
        self.levels.iter().map(|(p, q)| (*p, q))
    }
}

/// Takes the process at `index` of a queue: the head, the usual pick, by
/// `pop_front` (a general `remove` works out which side to shift first).
#[inline]
fn take_at(q: &mut VecDeque<Pid>, index: usize) -> Option<Pid> {
    match index {
        0 => q.pop_front(),
        i if i + 1 == q.len() => q.pop_back(),
        i => q.remove(i),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes the process at `index` of the top non-empty queue (as the scheduler does).
    fn take_top(r: &mut ReadyQueues, index: usize) -> Option<Pid> {
        let level = r.top_level()?;
        r.take_from(level, index)
    }

    #[test]
    fn highest_priority_first_fifo_within() {
        let mut r = ReadyQueues::default();
        r.push(1, Pid(1), false);
        r.push(5, Pid(2), false);
        r.push(1, Pid(3), false);
        r.push(-2, Pid(4), false);
        r.push(5, Pid(5), true);
        assert_eq!(r.len(), 5);
        assert_eq!(r.top_priority(), Some(5));
        assert_eq!(r.at(1), 2);
        assert_eq!(r.at(7), 0);
        let order: Vec<_> = std::iter::from_fn(|| take_top(&mut r, 0)).collect();
        assert_eq!(order, vec![Pid(5), Pid(2), Pid(1), Pid(3), Pid(4)]);
        assert_eq!(r.len(), 0);
        assert_eq!(r.top_priority(), None);
        let prios: Vec<_> = r.iter().map(|(p, _)| p).collect();
        assert_eq!(prios, vec![5, 1, -2], "levels stay, sorted");
    }

    #[test]
    fn remove_and_hand_over() {
        let mut r = ReadyQueues::default();
        for i in 0..4 {
            r.push(0, Pid(i), false);
        }
        assert!(r.remove(0, Pid(2)));
        assert!(!r.remove(0, Pid(2)));
        assert!(!r.remove(3, Pid(0)));
        r.hand_over(0, 1, Pid(9));
        let q: Vec<_> = r.queue(0).into_iter().flatten().copied().collect();
        assert_eq!(q, vec![Pid(1), Pid(0), Pid(3), Pid(9)]);
        assert_eq!(r.len(), 4);
    }

    /// A pick at the head, the tail or the middle takes that process and
    /// keeps the others' order (each position has its own way out).
    #[test]
    fn take_any_position_keeps_order() {
        let mut r = ReadyQueues::default();
        for i in 0..5 {
            r.push(0, Pid(i), false);
        }
        assert_eq!(take_top(&mut r, 4), Some(Pid(4)));
        assert_eq!(take_top(&mut r, 0), Some(Pid(0)));
        assert_eq!(take_top(&mut r, 1), Some(Pid(2)));
        assert_eq!(take_top(&mut r, 5), None);
        let q: Vec<_> = r.queue(0).into_iter().flatten().copied().collect();
        assert_eq!(q, vec![Pid(1), Pid(3)]);
        assert_eq!(r.len(), 2);
        // A hand-over from the tail: the chosen one to the head, the caller last.
        r.hand_over(0, 1, Pid(7));
        let q: Vec<_> = r.queue(0).into_iter().flatten().copied().collect();
        assert_eq!(q, vec![Pid(3), Pid(1), Pid(7)]);
        assert_eq!(r.len(), 3);
    }
}
