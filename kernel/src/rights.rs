//! Capability rights and the kinds of kernel object they apply to.
//!
//! One bit set serves every kind; each kind has its own subset of meaningful
//! bits ([`ObjectKind::rights`]). Derivation only ever masks bits away.

use bitflags::bitflags;

bitflags! {
    /// What a capability allows.
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, PartialOrd, Ord)]
    pub struct Rights: u16 {
        /// Send a message (endpoint, mailbox, msgqueue).
        const SEND = 1 << 0;
        /// Receive a message (endpoint, mailbox, msgqueue).
        const RECV = 1 << 1;
        /// Pass capabilities inside messages sent through this one.
        const GRANT = 1 << 2;
        /// OR bits into a notification.
        const SIGNAL = 1 << 3;
        /// Wait on a notification or take a semaphore unit (P).
        const WAIT = 1 << 4;
        /// Give a semaphore unit back (V).
        const POST = 1 << 5;
        /// Read a pipe, segment or file.
        const READ = 1 << 6;
        /// Write a pipe, segment or file.
        const WRITE = 1 << 7;
    }
}

/// The kinds of kernel object.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum ObjectKind {
    /// Synchronous rendezvous with call/reply.
    Endpoint,
    /// Indirect communication through a kernel FIFO buffer.
    Mailbox,
    /// A word of signal bits.
    Notification,
    /// A System V message queue.
    MsgQueue,
    /// A byte stream (anonymous or named).
    Pipe,
    /// A counting semaphore.
    Semaphore,
    /// A shared memory segment.
    Shm,
    /// A file of the simulated file system.
    File,
    /// A socket: one end of a stream, a listener, or a datagram socket.
    Socket,
}

impl ObjectKind {
    /// Every right that means something for this kind (`all`).
    pub fn rights(self) -> Rights {
        match self {
            ObjectKind::Endpoint | ObjectKind::Mailbox | ObjectKind::MsgQueue => {
                Rights::SEND | Rights::RECV | Rights::GRANT
            }
            ObjectKind::Notification => Rights::SIGNAL | Rights::WAIT,
            ObjectKind::Pipe | ObjectKind::Shm | ObjectKind::File | ObjectKind::Socket => Rights::READ | Rights::WRITE,
            ObjectKind::Semaphore => Rights::WAIT | Rights::POST | Rights::READ,
        }
    }

    /// The scenario language's word for this kind.
    pub fn name(self) -> &'static str {
        match self {
            ObjectKind::Endpoint => "endpoint",
            ObjectKind::Mailbox => "mailbox",
            ObjectKind::Notification => "notification",
            ObjectKind::MsgQueue => "msgqueue",
            ObjectKind::Pipe => "pipe",
            ObjectKind::Semaphore => "semaphore",
            ObjectKind::Shm => "shm",
            ObjectKind::File => "file",
            ObjectKind::Socket => "socket",
        }
    }

    /// The rights an `ipc_perm` read bit grants for this kind. For a
    /// semaphore only `read` (getval, the waiter counts, wait-for-zero):
    /// every `semop` that changes a value needs alter permission (Linux).
    pub fn read_rights(self) -> Rights {
        match self {
            ObjectKind::Semaphore => Rights::READ,
            _ => self.rights() & (Rights::RECV | Rights::READ | Rights::WAIT),
        }
    }

    /// The rights an `ipc_perm` write (alter) bit grants for this kind: for a
    /// semaphore both P and V.
    pub fn write_rights(self) -> Rights {
        match self {
            ObjectKind::Semaphore => Rights::WAIT | Rights::POST,
            _ => self.rights() & (Rights::SEND | Rights::WRITE | Rights::POST | Rights::SIGNAL),
        }
    }
}

impl Rights {
    /// The right named `word` in the scenario language.
    pub fn from_word(word: &str) -> Option<Rights> {
        Some(match word {
            "send" => Rights::SEND,
            "recv" => Rights::RECV,
            "grant" => Rights::GRANT,
            "signal" => Rights::SIGNAL,
            "wait" => Rights::WAIT,
            "post" => Rights::POST,
            "read" => Rights::READ,
            "write" => Rights::WRITE,
            _ => return None,
        })
    }

    /// The rights as words joined by `+` (`send+recv`), or `none`.
    pub fn words(self) -> String {
        let names = [
            (Rights::SEND, "send"),
            (Rights::RECV, "recv"),
            (Rights::GRANT, "grant"),
            (Rights::SIGNAL, "signal"),
            (Rights::WAIT, "wait"),
            (Rights::POST, "post"),
            (Rights::READ, "read"),
            (Rights::WRITE, "write"),
        ];
        let v: Vec<&str> = names
            .iter()
            .filter(|(r, _)| self.contains(*r))
            .map(|(_, n)| *n)
            .collect();
        if v.is_empty() {
            "none".into()
        } else {
            v.join("+")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        let r = Rights::SEND | Rights::GRANT;
        assert_eq!(r.words(), "send+grant");
        assert_eq!(Rights::from_word("grant"), Some(Rights::GRANT));
        assert_eq!(Rights::empty().words(), "none");
    }

    #[test]
    fn perm_bits_map_to_kind_rights() {
        assert_eq!(ObjectKind::MsgQueue.read_rights(), Rights::RECV);
        assert_eq!(ObjectKind::MsgQueue.write_rights(), Rights::SEND);
        // Every semop that changes a value needs alter permission: read
        // grants neither P nor V, only `read` (getval, wait for zero).
        assert_eq!(ObjectKind::Semaphore.read_rights(), Rights::READ);
        assert_eq!(ObjectKind::Semaphore.write_rights(), Rights::WAIT | Rights::POST);
        assert_eq!(ObjectKind::Shm.write_rights(), Rights::WRITE);
    }
}
