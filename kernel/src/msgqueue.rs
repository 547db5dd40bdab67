//! System V message queues: typed messages, receive by type, and a byte limit
//! (msg_qbytes) that makes senders wait.
//!
//! Invariants: the queue's byte count is the sum of its messages' lengths; a
//! message goes in only when it fits under the limit (which `msgctl set`
//! may then lower below what is queued, as Linux allows); messages of one
//! type keep their order.

use crate::kernel::{Flow, Kernel};
use crate::object::Body;
use crate::process::{Carry, Wait};
use crate::{CapId, Data, Error, KResult, Message, Pid, RcvOpts, Ret, Rights, Timeout};

/// A message cut to a receive buffer of `max` bytes (MSG_NOERROR: the rest
/// is lost). A string is cut at a character boundary at or below `max`
/// (Linux cuts bytes, mid-character if need be); a number or boolean longer
/// than the buffer becomes its text, cut.
fn cut(mut msg: Message, max: Option<u64>) -> Message {
    let Some(max) = max.and_then(|m| usize::try_from(m).ok()) else {
        return msg;
    };
    if msg.data.len_bytes() <= max {
        return msg;
    }
    let text = match &msg.data {
        Data::Str(s) => s.to_string(),
        d => String::from_utf8_lossy(&d.to_stream_bytes()).into_owned(),
    };
    let end = (0..=max.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    msg.data = Data::str(&text[..end]);
    msg
}

/// Which queued message a receive with this type selector takes: its index.
/// `except` (MSG_EXCEPT) turns a type > 0 into "any other type"; Linux
/// ignores it for 0 and below.
pub(crate) fn select(msgs: impl Iterator<Item = i64>, mtype: i64, except: bool) -> Option<usize> {
    if mtype == 0 {
        return msgs.enumerate().next().map(|(i, _)| i);
    }
    if mtype > 0 {
        return msgs.enumerate().find(|(_, t)| (*t == mtype) != except).map(|(i, _)| i);
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
            let Some(msg) = self.msgq_offer(pid, obj, msg) else {
                return Flow::Done(Ok(Ret::Unit));
            };
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
        if let Some(msg) = self.msgq_offer(from, obj, msg) {
            self.msgq_queue(from, obj, msg);
        }
    }

    /// Offers a message to the waiting receivers in order (Linux's
    /// `pipelined_send`): the first whose type selector takes it gets it;
    /// one whose buffer is too small (without `noerror`) is woken with
    /// `MessageTooLarge` on the way. The message back if nobody took it.
    fn msgq_offer(&mut self, from: Pid, obj: crate::ObjId, msg: Message) -> Option<Message> {
        loop {
            let Some((r, opts)) = self.msgq_receiver_for(obj, msg.mtype) else {
                return Some(msg);
            };
            self.unblock(r);
            if !opts.takes(msg.len_bytes() as u64) {
                self.finish_wait(r, Err(Error::MessageTooLarge), true);
                continue;
            }
            let m = self.deliver(from, r, obj, cut(msg, opts.max));
            self.finish_wait(r, Ok(Ret::Msg(m)), false);
            return None;
        }
    }

    /// The first waiting receiver whose type selector takes a message of
    /// `mtype`, and its buffer.
    fn msgq_receiver_for(&self, obj: crate::ObjId, mtype: i64) -> Option<(Pid, RcvOpts)> {
        let Some(Body::MsgQueue { receivers, .. }) = self.objs.get(obj.0).map(|o| &o.body) else {
            return None;
        };
        receivers
            .iter()
            .find_map(|r| match self.procs[r.index()].blocked().map(|b| &b.wait) {
                Some(Wait::MsgRcv { mtype: want, opts })
                    if select(std::iter::once(mtype), *want, opts.except).is_some() =>
                {
                    Some((r, *opts))
                }
                _ => None,
            })
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

    /// `msgrcv CAP TYPE [size N] [noerror] [except]`: the message the type
    /// selects; one longer than the buffer fails `MessageTooLarge` (E2BIG)
    /// and stays queued, or with `noerror` is taken cut.
    pub(crate) fn sys_msgrcv(&mut self, pid: Pid, cap: CapId, (mtype, opts): (i64, RcvOpts), timeout: Timeout) -> Flow {
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
        if let Some(i) = select(msgs.iter().map(|(_, m)| m.mtype), mtype, opts.except) {
            // Linux takes the first message selected, or fails: a later one
            // that would fit is not looked for.
            if !msgs.get(i).is_some_and(|(_, m)| opts.takes(m.len_bytes() as u64)) {
                return Flow::Done(Err(Error::MessageTooLarge));
            }
            let Some((from, msg)) = msgs.remove(i) else {
                return Flow::Done(Err(Error::InvalidArgument));
            };
            *bytes -= msg.len_bytes() as u64;
            self.unbuffered(msg.len_bytes());
            let m = self.deliver(from, pid, obj, cut(msg, opts.max));
            self.msgq_admit_senders(obj);
            return Flow::Done(Ok(Ret::Msg(m)));
        }
        if timeout.is_nowait() {
            return Flow::Done(Err(Error::WouldBlock));
        }
        receivers.push(prio, pid);
        self.block(pid, Wait::MsgRcv { mtype, opts }, Some(obj), Some(cap), timeout)
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
            Some(Body::MsgQueue {
                msgs,
                bytes,
                limit_bytes,
                ..
            }) => Ok(Ret::Stat {
                count: msgs.len() as u64,
                bytes: *bytes,
                qbytes: *limit_bytes,
            }),
            _ => Err(Error::InvalidArgument),
        }
    }

    /// `msgctl set [bytes N] [mode M]` (IPC_SET): by the owner or uid 0
    /// (`PermissionDenied` otherwise, whatever the capability's rights, as
    /// `IPC_RMID`); a limit above the default 16384 (msgmnb) only by uid 0
    /// (Linux: `CAP_SYS_RESOURCE`). Senders waiting for room that now fit go
    /// in. A new mode is seen by later gets (ipcsim checks permission when
    /// a queue is opened: docs/linux.md).
    pub(crate) fn sys_msgset(
        &mut self,
        pid: Pid,
        cap: CapId,
        new_bytes: Option<u64>,
        mode: Option<u32>,
    ) -> KResult<Ret> {
        let obj = self.lookup(pid, cap, Rights::empty())?.obj;
        self.owner_or_root(pid, obj)?;
        let uid = self.procs[pid.index()].uid;
        if new_bytes.is_some_and(|b| b > crate::objects::MSGQUEUE_BYTES_DEFAULT && uid != 0) {
            return Err(Error::PermissionDenied);
        }
        let Some(o) = self.objs.get_mut(obj.0) else {
            return Err(Error::InvalidCap);
        };
        let Body::MsgQueue { limit_bytes, .. } = &mut o.body else {
            return Err(Error::InvalidArgument);
        };
        if let Some(b) = new_bytes {
            *limit_bytes = b;
        }
        if let (Some(m), Some(p)) = (mode, o.perm.as_mut()) {
            p.mode = (p.mode & !0o777) | (m & 0o777);
        }
        self.msgq_admit_senders(obj);
        Ok(Ret::Unit)
    }
}

#[cfg(test)]
mod tests {
    use super::select;

    #[test]
    fn typed_selection_follows_msgrcv() {
        let q = [3, 2, 3, 1, 2];
        assert_eq!(select(q.iter().copied(), 0, false), Some(0));
        assert_eq!(select(q.iter().copied(), 2, false), Some(1));
        assert_eq!(select(q.iter().copied(), -3, false), Some(3));
        assert_eq!(select(q.iter().copied(), -2, false), Some(3));
        assert_eq!(select(q.iter().copied(), 7, false), None);
        assert_eq!(select([3].iter().copied(), -2, false), None);
        // MSG_EXCEPT: the first message of another type; ignored for 0 and below.
        assert_eq!(select(q.iter().copied(), 3, true), Some(1));
        assert_eq!(select(q.iter().copied(), 0, true), Some(0));
        assert_eq!(select(q.iter().copied(), -2, true), Some(3));
        assert_eq!(select([3, 3].iter().copied(), 3, true), None);
    }
}
