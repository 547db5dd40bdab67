//! Message passing through endpoints (synchronous rendezvous with call/reply and
//! control-flow transfer) and mailboxes (indirect, with a bounded kernel buffer).
//!
//! Invariants: a message is delivered exactly once or its sender gets an error;
//! a reply right is used at most once and a reply never blocks; an endpoint
//! never holds queued senders and queued receivers at once; a mailbox's buffer
//! is non-empty only when no receiver waits.

use crate::event::EventKind;
use crate::kernel::{Flow, Kernel};
use crate::object::Body;
use crate::process::{Blocked, Carry, State, Wait};
use crate::{CapId, Error, Message, ObjId, ObjectKind, Pid, Ret, Rights, Timeout};

impl Kernel {
    pub(crate) fn sys_send(&mut self, pid: Pid, cap: CapId, mut msg: Message, timeout: Timeout, call: bool) -> Flow {
        let (obj, rights, badge) = match self.need(pid, cap, Rights::SEND) {
            Ok(x) => x,
            Err(f) => return f,
        };
        let kind = self.objs.get(obj.0).map(|o| o.kind);
        match kind {
            Some(ObjectKind::Endpoint) => {}
            Some(ObjectKind::Mailbox) if !call => {}
            _ => return Flow::Done(Err(Error::InvalidArgument)),
        }
        if msg.len_bytes() > self.cfg.limits.message_bytes_max {
            return Flow::Done(Err(Error::MessageTooLarge));
        }
        msg.cap = match self.prepare_transfer(pid, rights, msg.cap) {
            Ok(c) => c,
            Err(e) => return Flow::Done(Err(e)),
        };
        msg.badge = badge;
        msg.is_call = call;
        if kind == Some(ObjectKind::Mailbox) {
            return self.mailbox_send(pid, cap, obj, msg, timeout);
        }
        let Some(Body::Endpoint { receivers, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) else {
            return Flow::Done(Err(Error::InvalidArgument));
        };
        if let Some(r) = receivers.pop() {
            // The receiver leaves its wait: it will run with the message.
            self.procs[r.index()].state = State::Ready;
            let m = self.deliver(pid, r, obj, msg);
            self.procs[r.index()].result = Some(Ok(Ret::Msg(m)));
            if call {
                let nonce = self.next_nonce();
                self.procs[r.index()].reply_right = Some((pid, nonce));
                let _ = self.block(
                    pid,
                    Wait::Reply { server: r, nonce },
                    None,
                    None,
                    timeout_after_send(timeout),
                );
                self.inherit_priority(r);
                self.ready_receiver_after_call(r);
                Flow::Blocked
            } else {
                self.make_ready(r);
                Flow::Done(Ok(Ret::Unit))
            }
        } else {
            if timeout.is_nowait() {
                if let Some(c) = msg.cap {
                    self.drop_cap_silently(c);
                }
                return Flow::Done(Err(Error::WouldBlock));
            }
            let prio = self.procs[pid.index()].priority;
            if let Some(Body::Endpoint { senders, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) {
                senders.push(prio, pid);
            }
            self.procs[pid.index()].carry = Carry::Msg(msg);
            self.block(pid, Wait::Send { call, room: false }, Some(obj), Some(cap), timeout)
        }
    }

    /// Control-flow transfer: the receiver of a call runs at once unless a
    /// process of higher priority than the receiver is ready.
    fn ready_receiver_after_call(&mut self, r: Pid) {
        let rp = self.procs[r.index()].priority;
        let above = self.top_ready_priority().is_some_and(|p| p > rp);
        if self.current.is_none() && !above && !self.procs[r.index()].stopped {
            self.transfer_to(r);
        } else {
            self.make_ready(r);
        }
    }

    pub(crate) fn sys_recv(&mut self, pid: Pid, cap: CapId, timeout: Timeout) -> Flow {
        let (obj, _, _) = match self.need(pid, cap, Rights::RECV) {
            Ok(x) => x,
            Err(f) => return f,
        };
        let kind = self.objs.get(obj.0).map(|o| o.kind);
        if !matches!(kind, Some(ObjectKind::Endpoint | ObjectKind::Mailbox)) {
            return Flow::Done(Err(Error::InvalidArgument));
        }
        self.drop_reply_right(pid);
        if kind == Some(ObjectKind::Mailbox) {
            return self.mailbox_recv(pid, cap, obj, timeout);
        }
        let Some(Body::Endpoint { senders, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) else {
            return Flow::Done(Err(Error::InvalidArgument));
        };
        if let Some(s) = senders.pop() {
            let (msg, plain) = self.take_sender_message(s, pid);
            let m = self.deliver(s, pid, obj, msg);
            if plain {
                self.finish_wait(s, Ok(Ret::Unit), true);
            }
            Flow::Done(Ok(Ret::Msg(m)))
        } else {
            if timeout.is_nowait() {
                return Flow::Done(Err(Error::WouldBlock));
            }
            let prio = self.procs[pid.index()].priority;
            if let Some(Body::Endpoint { receivers, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) {
                receivers.push(prio, pid);
            }
            self.block(pid, Wait::Recv, Some(obj), Some(cap), timeout)
        }
    }

    /// Takes the message of a sender popped from a queue. A caller moves on to
    /// wait for the reply (keeping its deadline), and the receiver gets the reply
    /// right; a plain sender is done, and the second value says it must be woken
    /// (after the delivery is recorded).
    fn take_sender_message(&mut self, s: Pid, receiver: Pid) -> (Message, bool) {
        let State::Blocked(b) = self.procs[s.index()].state else {
            return (Message::default(), false);
        };
        let Wait::Send { call, .. } = b.wait else {
            return (Message::default(), false);
        };
        let p = &mut self.procs[s.index()];
        p.state = State::Ready;
        let msg = std::mem::take(&mut p.carry).into_msg();
        if call {
            let nonce = self.next_nonce();
            self.procs[receiver.index()].reply_right = Some((s, nonce));
            self.procs[s.index()].state = State::Blocked(Blocked {
                wait: Wait::Reply {
                    server: receiver,
                    nonce,
                },
                obj: None,
                through: None,
                deadline: b.deadline,
                seq: b.seq,
            });
            self.record(s, || EventKind::Block {
                wait: crate::WaitKind::Reply(receiver),
                obj: None,
                deadline: b.deadline,
            });
            self.inherit_priority(receiver);
        }
        (msg, !call)
    }

    /// An unused reply right is dropped when its holder receives again; the
    /// caller left waiting wakes with ObjectGone (the reply object is gone).
    fn drop_reply_right(&mut self, pid: Pid) {
        if let Some((caller, nonce)) = self.procs[pid.index()].reply_right.take() {
            if self.awaits_reply(caller, nonce) {
                self.record(pid, || EventKind::ReplyDropped { caller });
                self.wake(caller, Err(Error::ObjectGone));
            }
            self.inherit_priority(pid);
        }
    }

    /// Priority inheritance (`config priority_inheritance on`): a process that
    /// holds a caller's reply right runs at no less than that caller's
    /// priority, until it replies or the caller stops waiting. Called whenever
    /// a reply right is given, used, dropped, or its caller leaves.
    pub(crate) fn inherit_priority(&mut self, server: Pid) {
        if !self.cfg.priority_inheritance {
            return;
        }
        let p = &self.procs[server.index()];
        let mut want = p.base_priority;
        if let Some((caller, nonce)) = p.reply_right {
            if self.awaits_reply(caller, nonce) {
                want = want.max(self.procs[caller.index()].priority);
            }
        }
        if want != p.priority {
            self.set_priority(server, want);
        }
    }

    #[inline(always)]
    pub(crate) fn awaits_reply(&self, caller: Pid, nonce: u64) -> bool {
        matches!(self.procs[caller.index()].blocked(), Some(b) if matches!(b.wait, Wait::Reply { nonce: n, .. } if n == nonce))
    }

    pub(crate) fn sys_reply(&mut self, pid: Pid, mut msg: Message) -> Result<(), Error> {
        let res = (|| {
            let (caller, nonce) = self.procs[pid.index()].reply_right.ok_or(Error::NoReplyTarget)?;
            if !self.awaits_reply(caller, nonce) {
                self.procs[pid.index()].reply_right = None;
                return Err(Error::NoReplyTarget);
            }
            // A reply right carries the grant right: a server may hand capabilities
            // back. A capability it cannot pass refuses the reply before anything
            // happens: the right stays, and the caller keeps waiting for a reply.
            msg.cap = self.prepare_transfer(pid, Rights::GRANT, msg.cap)?;
            self.procs[pid.index()].reply_right = None;
            msg.badge = 0;
            msg.is_call = false;
            self.unblock(caller);
            self.inherit_priority(pid);
            self.record(pid, || EventKind::Reply {
                to: caller,
                data: msg.data.clone(),
            });
            let m = self.take_delivered(caller, msg);
            self.count_copy(pid, ObjectKind::Endpoint, m.len_bytes());
            self.finish_wait(caller, Ok(Ret::Msg(m)), false);
            Ok(())
        })();
        if let Err(e) = res {
            self.record(pid, || EventKind::Fail { error: e });
        }
        res
    }

    /// Records a delivery from `from` to `to`, counts its copies, and returns the
    /// receiver's view of the message.
    pub(crate) fn deliver(&mut self, from: Pid, to: Pid, obj: ObjId, msg: Message) -> Message {
        let kind = self.objs.get(obj.0).map_or(ObjectKind::Endpoint, |o| o.kind);
        let copies = self.copies();
        self.record(to, || EventKind::Deliver {
            from,
            obj: Some(obj),
            data: msg.data.clone(),
            badge: msg.badge,
            call: msg.is_call,
            copies,
        });
        self.count_copy(from, kind, msg.len_bytes());
        self.take_delivered(to, msg)
    }

    pub(crate) fn count_copy(&mut self, _from: Pid, kind: ObjectKind, bytes: usize) {
        let copies = if kind == ObjectKind::Shm { 0 } else { self.copies() };
        self.stats.count(kind, bytes, copies);
        if let Some(cur) = self.current {
            self.charge_copy(cur, bytes, copies);
        }
    }

    /// The receiver's view of a message: its capability adopted.
    pub(crate) fn take_delivered(&mut self, to: Pid, mut msg: Message) -> Message {
        if let Some(c) = msg.cap {
            // A capability revoked in flight arrives as what it is now, a
            // stale handle: using it fails InvalidCap (not "no capability").
            msg.cap = Some(self.adopt(c, to).unwrap_or(c));
        }
        msg
    }

    // ----- mailboxes ------------------------------------------------------------------

    fn mailbox_send(&mut self, pid: Pid, cap: CapId, obj: ObjId, msg: Message, timeout: Timeout) -> Flow {
        let queue_max = self.cfg.limits.queue_len_max;
        let Some(Body::Mailbox {
            capacity,
            buf,
            receivers,
            ..
        }) = self.objs.get_mut(obj.0).map(|o| &mut o.body)
        else {
            return Flow::Done(Err(Error::InvalidArgument));
        };
        if let Some(r) = receivers.pop() {
            self.procs[r.index()].state = State::Ready;
            let m = self.deliver(pid, r, obj, msg);
            self.finish_wait(r, Ok(Ret::Msg(m)), false);
            return Flow::Done(Ok(Ret::Unit));
        }
        let room = match capacity {
            Some(c) => buf.len() < *c,
            None => {
                if buf.len() >= queue_max {
                    if let Some(c) = msg.cap {
                        self.drop_cap_silently(c);
                    }
                    return Flow::Done(Err(Error::LimitReached));
                }
                true
            }
        };
        if room {
            if let Err(e) = self.message_room(msg.len_bytes()) {
                if let Some(c) = msg.cap {
                    self.drop_cap_silently(c);
                }
                return Flow::Done(Err(e));
            }
            self.buffered(msg.len_bytes());
            let data = msg.data.clone();
            let Some(Body::Mailbox { buf, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) else {
                return Flow::Done(Err(Error::InvalidArgument));
            };
            buf.push_back((pid, msg));
            self.record(pid, || EventKind::Enqueue { obj, data });
            return Flow::Done(Ok(Ret::Unit));
        }
        if timeout.is_nowait() {
            if let Some(c) = msg.cap {
                self.drop_cap_silently(c);
            }
            return Flow::Done(Err(Error::WouldBlock));
        }
        let prio = self.procs[pid.index()].priority;
        if let Some(Body::Mailbox { senders, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) {
            senders.push(prio, pid);
        }
        let room = capacity_nonzero(self, obj);
        self.procs[pid.index()].carry = Carry::Msg(msg);
        self.block(pid, Wait::Send { call: false, room }, Some(obj), Some(cap), timeout)
    }

    fn mailbox_recv(&mut self, pid: Pid, cap: CapId, obj: ObjId, timeout: Timeout) -> Flow {
        let Some(Body::Mailbox { buf, senders, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) else {
            return Flow::Done(Err(Error::InvalidArgument));
        };
        if let Some((from, msg)) = buf.pop_front() {
            self.unbuffered(msg.len_bytes());
            // Room freed: the first blocked sender's message moves into the buffer.
            let m = self.deliver(from, pid, obj, msg);
            if let Some(s) = senders_pop(self, obj) {
                let (sm, _) = self.take_sender_message(s, pid);
                self.buffered(sm.len_bytes());
                let data = sm.data.clone();
                if let Some(Body::Mailbox { buf, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) {
                    buf.push_back((s, sm));
                }
                self.record(s, || EventKind::Enqueue { obj, data });
                self.finish_wait(s, Ok(Ret::Unit), true);
            }
            return Flow::Done(Ok(Ret::Msg(m)));
        }
        if let Some(s) = senders.pop() {
            // Capacity 0: a rendezvous with the first blocked sender.
            let (msg, _) = self.take_sender_message(s, pid);
            let m = self.deliver(s, pid, obj, msg);
            self.finish_wait(s, Ok(Ret::Unit), true);
            return Flow::Done(Ok(Ret::Msg(m)));
        }
        if timeout.is_nowait() {
            return Flow::Done(Err(Error::WouldBlock));
        }
        let prio = self.procs[pid.index()].priority;
        if let Some(Body::Mailbox { receivers, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) {
            receivers.push(prio, pid);
        }
        self.block(pid, Wait::Recv, Some(obj), Some(cap), timeout)
    }

    /// Removes a process from whichever queue of `obj` holds it.
    pub(crate) fn unlink_from_object(&mut self, obj: ObjId, pid: Pid) {
        let Some(o) = self.objs.get_mut(obj.0) else {
            return;
        };
        match &mut o.body {
            Body::Endpoint { senders, receivers }
            | Body::Mailbox { senders, receivers, .. }
            | Body::MsgQueue { senders, receivers, .. } => {
                let _ = senders.remove(pid) || receivers.remove(pid);
            }
            Body::Notification { waiters, .. } | Body::Semaphore { waiters, .. } => {
                waiters.remove(pid);
            }
            Body::Pipe {
                readers_waiting,
                writers_waiting,
                openers,
                ..
            } => {
                let _ = readers_waiting.remove(pid) || writers_waiting.remove(pid) || openers.remove(pid);
            }
            Body::Socket(s) => {
                let _ = s.waiters.remove(pid) || s.writers.remove(pid);
                // A connect given up (timed out, interrupted) withdraws its request.
                if matches!(self.procs[pid.index()].blocked().map(|b| b.wait), Some(Wait::Connect)) {
                    self.withdraw(obj);
                }
            }
            Body::Shm { .. } | Body::File { .. } => {}
        }
    }
}

/// A call's timeout covers the send and the wait for the reply; `nowait` only
/// applies to the send, after which the reply is awaited as usual.
fn timeout_after_send(t: Timeout) -> Timeout {
    if t.is_nowait() {
        Timeout::Never
    } else {
        t
    }
}

fn senders_pop(k: &mut Kernel, obj: ObjId) -> Option<Pid> {
    match k.objs.get_mut(obj.0).map(|o| &mut o.body) {
        Some(Body::Mailbox { senders, .. }) => senders.pop(),
        _ => None,
    }
}

/// Whether a mailbox buffers anything (a sender to a full one waits for room, not for a receiver).
fn capacity_nonzero(k: &Kernel, obj: ObjId) -> bool {
    matches!(k.objs.get(obj.0).map(|o| &o.body), Some(Body::Mailbox { capacity, .. }) if *capacity != Some(0))
}
