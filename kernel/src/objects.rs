//! Construction of object bodies, with the defaults of the scenario contract.

use std::collections::VecDeque;

use crate::object::{Body, ObjectOptions, WaitQueue};
use crate::{Error, KResult, ObjectKind};

/// Default pipe capacity in bytes.
pub const PIPE_CAPACITY_DEFAULT: u64 = 4096;
/// Default mailbox capacity in messages.
pub const MAILBOX_CAPACITY_DEFAULT: u64 = 8;
/// Default message queue byte limit (msg_qbytes).
pub const MSGQUEUE_BYTES_DEFAULT: u64 = 16384;
/// Largest shared memory segment or file the simulator maps.
pub const SEGMENT_BYTES_MAX: u64 = 1 << 26;

/// Why the kernel refuses to create an object of `kind` with `opts`: the
/// error [`Kernel::create_object`](crate::Kernel::create_object) returns, and
/// a sentence saying which bound was crossed (a checker prints it at the
/// declaration, so no value the kernel would refuse gets past `check`).
/// Every buffer is bounded: a capacity above the kernel's limit is refused
/// rather than honoured in part.
pub fn refusal(kind: ObjectKind, opts: &ObjectOptions, limits: &crate::Limits) -> Option<(Error, String)> {
    let bytes_max = SEGMENT_BYTES_MAX;
    match kind {
        ObjectKind::Mailbox if !opts.unbounded && opts.capacity.is_some_and(|c| c > limits.queue_len_max as u64) => {
            Some((
                Error::LimitReached,
                format!(
                    "a mailbox holds at most {} messages (use `unbounded` for the kernel's limit)",
                    limits.queue_len_max
                ),
            ))
        }
        ObjectKind::Semaphore if opts.value > crate::sem::SEM_VALUE_MAX => Some((
            Error::InvalidArgument,
            format!("a semaphore's value is at most {}", crate::sem::SEM_VALUE_MAX),
        )),
        ObjectKind::Semaphore if opts.nsems > crate::semop::SEMMSL => Some((
            Error::InvalidArgument,
            format!("a semaphore set holds at most {} semaphores", crate::semop::SEMMSL),
        )),
        ObjectKind::Pipe if opts.capacity.is_some_and(|c| c == 0 || c > bytes_max) => Some((
            Error::InvalidArgument,
            format!("a pipe's capacity is 1 to {bytes_max} bytes"),
        )),
        ObjectKind::Shm if opts.size.is_none_or(|n| n == 0 || n > bytes_max) => Some((
            Error::InvalidArgument,
            format!("a segment's size is 1 to {bytes_max} bytes"),
        )),
        ObjectKind::File if opts.contents.len() as u64 > bytes_max => Some((
            Error::InvalidArgument,
            format!("a file holds at most {bytes_max} bytes"),
        )),
        _ => None,
    }
}

pub(crate) fn new_body(kind: ObjectKind, opts: &ObjectOptions) -> KResult<Body> {
    Ok(match kind {
        ObjectKind::Endpoint => Body::Endpoint {
            senders: WaitQueue::default(),
            receivers: WaitQueue::default(),
        },
        ObjectKind::Mailbox => Body::Mailbox {
            capacity: if opts.unbounded {
                None
            } else {
                Some(
                    usize::try_from(opts.capacity.unwrap_or(MAILBOX_CAPACITY_DEFAULT))
                        .map_err(|_| Error::InvalidArgument)?,
                )
            },
            buf: VecDeque::new(),
            senders: WaitQueue::default(),
            receivers: WaitQueue::default(),
        },
        ObjectKind::Notification => Body::Notification {
            word: 0,
            waiters: WaitQueue::default(),
        },
        ObjectKind::MsgQueue => Body::MsgQueue {
            msgs: VecDeque::new(),
            bytes: 0,
            limit_bytes: opts.size.unwrap_or(MSGQUEUE_BYTES_DEFAULT),
            senders: WaitQueue::default(),
            receivers: WaitQueue::default(),
        },
        ObjectKind::Pipe => {
            let cap = opts.capacity.unwrap_or(PIPE_CAPACITY_DEFAULT);
            if cap == 0 || cap > SEGMENT_BYTES_MAX {
                return Err(Error::InvalidArgument);
            }
            Body::Pipe {
                buf: VecDeque::new(),
                capacity: cap as usize,
                readers_waiting: WaitQueue::default(),
                writers_waiting: WaitQueue::default(),
                openers: WaitQueue::default(),
                path: opts.path.clone(),
            }
        }
        ObjectKind::Semaphore => Body::Semaphore {
            value: opts.value,
            others: vec![opts.value; opts.nsems.saturating_sub(1) as usize],
            waiters: WaitQueue::default(),
        },
        ObjectKind::Shm => {
            let size = opts.size.unwrap_or(0);
            if size == 0 || size > SEGMENT_BYTES_MAX {
                return Err(Error::InvalidArgument);
            }
            Body::Shm {
                mem: vec![0; size as usize],
                attached: 0,
                removed: false,
            }
        }
        ObjectKind::File => Body::File {
            contents: opts.contents.clone(),
        },
        ObjectKind::Socket => Body::Socket(Box::new(crate::socket::Socket::new(true, false))),
    })
}
