//! System V message queues: typed messages, receive by type, and a byte limit
//! (msg_qbytes) that makes senders wait.
//!
//! Invariants: the queue's byte count is the sum of its messages' lengths and
//! never exceeds the limit; messages of one type keep their order.

use crate::kernel::{Flow, Kernel};
use crate::object::Body;
use crate::process::{Carry, Wait};
use crate::{CapId, Data, Error, KResult, Message, Pid, Ret, Rights, Timeout};

/// Which queued message a receive with this type selector takes: its index.
pub(crate) fn select(msgs: impl Iterator<Item = i64>, mtype: i64) -> Option<usize> {
    if mtype == 0 {
        return msgs.enumerate().next().map(|(i, _)| i);
    }
    if mtype > 0 {
        return msgs.enumerate().find(|(_, t)| *t == mtype).map(|(i, _)| i);
    }
    let bound = mtype.unsigned_abs();
    let mut best: Option<(usize, i64)> = None;
    for (i, t) in msgs.enumerate() {
        if t.unsigned_abs() <= bound && t > 0 && best.is_none_or(|(_, bt)| t < bt) {
            best = Some((i, t));
        }
    }
    best.map(|(i, _)| i)
}

impl Kernel {
    pub(crate) fn sys_msgsnd(&mut self, pid: Pid, cap: CapId, mtype: i64, data: Data, timeout: Timeout) -> Flow {
        let (obj, _, badge) = match self.need(pid, cap, Rights::SEND) {
            Ok(x) => x,
            Err(f) => return f,
        };
        let Some(Body::MsgQueue { limit_bytes, .. }) = self.objs.get(obj.0).map(|o| &o.body) else {
            return Flow::Done(Err(Error::InvalidArgument));
        };
        if mtype <= 0 {
            return Flow::Done(Err(Error::InvalidArgument));
        }
        let _ = limit_bytes;
        // Linux: over msgmax is EINVAL; one over msg_qbytes but within msgmax
        // waits (for ever, unless `msgctl set` raised the limit).
        let len = data.len_bytes() as u64;
        if len as usize > self.cfg.limits.msgmax {
            return Flow::Done(Err(Error::InvalidArgument));
        }
        let msg = Message {
            data,
            badge,
            mtype,
            is_call: false,
            cap: None,
        };
        let fits = self.msgq_fits(obj, len);
        if fits {
            if let Some(r) = self.msgq_receiver_for(obj, mtype) {
                self.msgq_hand(pid, r, obj, msg);
                return Flow::Done(Ok(Ret::Unit));
            }
            if let Err(e) = self.message_room(msg.len_bytes()) {
                return Flow::Done(Err(e));
            }
            self.msgq_queue(pid, obj, msg);
            return Flow::Done(Ok(Ret::Unit));
        }
        if timeout.is_nowait() {
            return Flow::Done(Err(Error::WouldBlock));
        }
        let prio = self.procs[pid.index()].priority;
        if let Some(Body::MsgQueue { senders, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) {
            senders.push(prio, pid);
        }
        self.procs[pid.index()].carry = Carry::Msg(msg);
        self.block(pid, Wait::MsgSnd, Some(obj), Some(cap), timeout)
    }

    /// Linux's `msg_fits_inqueue`: the bytes fit, and one more message does
    /// too (messages count against `msg_qbytes` one each, so zero-length
    /// ones cannot fill memory). Blocked senders reserve nothing: a message
    /// that fits goes in even while a larger one waits.
    fn msgq_fits(&self, obj: crate::ObjId, len: u64) -> bool {
        match self.objs.get(obj.0).map(|o| &o.body) {
            Some(Body::MsgQueue {
                bytes,
                limit_bytes,
                msgs,
                ..
            }) => {
                bytes + len <= *limit_bytes
                    && (msgs.len() as u64) < *limit_bytes
                    && msgs.len() < self.cfg.limits.queue_len_max
            }
            _ => false,
        }
    }

    /// Puts a message into the queue, or straight into a waiting receiver whose type matches.
    fn msgq_push(&mut self, from: Pid, obj: crate::ObjId, msg: Message) {
        match self.msgq_receiver_for(obj, msg.mtype) {
            Some(r) => self.msgq_hand(from, r, obj, msg),
            None => self.msgq_queue(from, obj, msg),
        }
    }

    /// The first waiting receiver whose type selector takes a message of `mtype`.
    fn msgq_receiver_for(&self, obj: crate::ObjId, mtype: i64) -> Option<Pid> {
        let Some(Body::MsgQueue { receivers, .. }) = self.objs.get(obj.0).map(|o| &o.body) else {
            return None;
        };
        receivers.iter().find(|r| {
            matches!(self.procs[r.index()].blocked().map(|b| &b.wait),
                Some(Wait::MsgRcv { mtype: want }) if select(std::iter::once(mtype), *want).is_some())
        })
    }

    /// Hands a message straight to waiting receiver `r`.
    fn msgq_hand(&mut self, from: Pid, r: Pid, obj: crate::ObjId, msg: Message) {
        self.unblock(r);
        let m = self.deliver(from, r, obj, msg);
        self.finish_wait(r, Ok(Ret::Msg(m)), false);
    }

    /// Appends a message to the queue (its room checked by the caller).
    fn msgq_queue(&mut self, from: Pid, obj: crate::ObjId, msg: Message) {
        self.buffered(msg.len_bytes());
        let data = msg.data.clone();
        if let Some(Body::MsgQueue { msgs, bytes, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) {
            *bytes += msg.len_bytes() as u64;
            msgs.push_back((from, msg));
        }
        self.record(from, || crate::EventKind::Enqueue { obj, data });
    }

    pub(crate) fn sys_msgrcv(&mut self, pid: Pid, cap: CapId, mtype: i64, timeout: Timeout) -> Flow {
        let (obj, _, _) = match self.need(pid, cap, Rights::RECV) {
            Ok(x) => x,
            Err(f) => return f,
        };
        let prio = self.procs[pid.index()].priority;
        let Some(Body::MsgQueue {
            msgs, bytes, receivers, ..
        }) = self.objs.get_mut(obj.0).map(|o| &mut o.body)
        else {
            return Flow::Done(Err(Error::InvalidArgument));
        };
        if let Some(i) = select(msgs.iter().map(|(_, m)| m.mtype), mtype) {
            let Some((from, msg)) = msgs.remove(i) else {
                return Flow::Done(Err(Error::InvalidArgument));
            };
            *bytes -= msg.len_bytes() as u64;
            self.unbuffered(msg.len_bytes());
            let m = self.deliver(from, pid, obj, msg);
            self.msgq_admit_senders(obj);
            return Flow::Done(Ok(Ret::Msg(m)));
        }
        if timeout.is_nowait() {
            return Flow::Done(Err(Error::WouldBlock));
        }
        receivers.push(prio, pid);
        self.block(pid, Wait::MsgRcv { mtype }, Some(obj), Some(cap), timeout)
    }

    /// Lets in every blocked sender whose message fits now, in queue order
    /// (Linux's `ss_wakeup` wakes each sender that fits and each retries;
    /// here each one let in completes at once). One that does not fit keeps
    /// its place and its wait (Linux moves it to the queue's tail).
    fn msgq_admit_senders(&mut self, obj: crate::ObjId) {
        let waiting: Vec<Pid> = match self.objs.get(obj.0).map(|o| &o.body) {
            Some(Body::MsgQueue { senders, .. }) => senders.iter().collect(),
            _ => return,
        };
        for s in waiting {
            let p = &self.procs[s.index()];
            let len = match (p.blocked().map(|b| b.wait), &p.carry) {
                (Some(Wait::MsgSnd), Carry::Msg(msg)) => msg.len_bytes() as u64,
                _ => continue,
            };
            if !self.msgq_fits(obj, len) {
                continue;
            }
            let Some((_, carry)) = self.unblock(s) else { continue };
            self.msgq_push(s, obj, carry.into_msg());
            self.finish_wait(s, Ok(Ret::Unit), true);
        }
    }

    /// `msgctl stat`: needs read permission (Linux: `IPC_STAT` checks `S_IRUGO`).
    pub(crate) fn sys_msgstat(&mut self, pid: Pid, cap: CapId) -> KResult<Ret> {
        let n = self.lookup(pid, cap, Rights::RECV)?;
        match self.objs.get(n.obj.0).map(|o| &o.body) {
            Some(Body::MsgQueue { msgs, bytes, .. }) => Ok(Ret::Stat {
                count: msgs.len() as u64,
                bytes: *bytes,
            }),
            _ => Err(Error::InvalidArgument),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::select;

    #[test]
    fn typed_selection_follows_msgrcv() {
        let q = [3, 2, 3, 1, 2];
        assert_eq!(select(q.iter().copied(), 0), Some(0));
        assert_eq!(select(q.iter().copied(), 2), Some(1));
        assert_eq!(select(q.iter().copied(), -3), Some(3));
        assert_eq!(select(q.iter().copied(), -2), Some(3));
        assert_eq!(select(q.iter().copied(), 7), None);
        assert_eq!(select([3].iter().copied(), -2), None);
    }
}
