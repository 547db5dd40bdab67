//! The system calls, listed once: each entry makes the async [`Sys`] method
//! (a future) and the [`BlockingSys`] method (which returns when the kernel
//! completes the call), so the two handles have the same calls, names,
//! arguments and errors by construction.

use ipcsim_kernel::{CapId, Data, Error, HostId, Kernel, Message, SemCmd, SemOp, Syscall, Timeout};

use crate::blocking::BlockingSys;
use crate::net::{Datagram, Domain, SockType};
use crate::sys::{Issue, Mapped, Sys};

/// `syscall fn`: the body is a [`Syscall`] value, entered by `Kernel::syscall`;
/// `typed fn`: the body is a closure calling one of the kernel's typed
/// entries (the hot calls: no 96-byte enum to build and match).
macro_rules! system_calls {
    ($(
        $(#[$doc:meta])*
        $kind:ident fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $out:ty $body:block
    )*) => {
        impl Sys {
            $( system_calls!(@async $kind, [$(#[$doc])*], $name, ($($arg: $ty),*), $out, $body); )*
        }
        impl BlockingSys {
            $(
                $(#[$doc])*
                pub fn $name(&self, $($arg: $ty),*) -> Result<$out, Error> {
                    self.issue::<$out>($body)
                }
            )*
        }
    };
    (@async syscall, [$($doc:tt)*], $name:ident, ($($arg:ident: $ty:ty),*), $out:ty, $body:block) => {
        $($doc)*
        pub fn $name(&self, $($arg: $ty),*) -> Mapped<'_, $out> {
            self.mapped($body)
        }
    };
    (@async typed, [$($doc:tt)*], $name:ident, ($($arg:ident: $ty:ty),*), $out:ty, $body:block) => {
        $($doc)*
        pub fn $name(&self, $($arg: $ty),*) -> Mapped<'_, $out, impl Issue + Unpin> {
            self.mapped($body)
        }
    };
}

system_calls! {
    /// Sends data through an endpoint or mailbox.
    syscall fn send(cap: CapId, data: Data, timeout: Timeout) -> () {
        Syscall::Send { cap, msg: Message::new(data), timeout }
    }

    /// Sends a full message (type, capability to pass).
    syscall fn send_msg(cap: CapId, m: Message, timeout: Timeout) -> () {
        Syscall::Send { cap, msg: m, timeout }
    }

    /// Receives from an endpoint or mailbox.
    syscall fn recv(cap: CapId, timeout: Timeout) -> Message {
        Syscall::Recv { cap, timeout }
    }

    /// Calls through an endpoint and waits for the reply.
    typed fn call(cap: CapId, data: Data, timeout: Timeout) -> Message {
        move |k: &mut Kernel, pid| k.call(pid, cap, Message::new(data), timeout)
    }

    /// Replies to the last caller received.
    syscall fn reply(data: Data) -> () {
        Syscall::Reply { msg: Message::new(data) }
    }

    /// Replies, then receives again, in one system call.
    typed fn reply_recv(cap: CapId, data: Data, timeout: Timeout) -> Message {
        move |k: &mut Kernel, pid| k.reply_recv(pid, cap, Message::new(data), timeout)
    }

    /// Sleeps.
    syscall fn sleep(ticks: u64) -> () {
        Syscall::Sleep { ticks }
    }

    /// Uses CPU.
    syscall fn compute(ticks: u64) -> () {
        Syscall::Compute { ticks }
    }

    /// Yields to the next ready process of equal priority.
    syscall fn yield_now() -> () {
        Syscall::Yield
    }

    /// Maps a shared memory segment (or file mapping) into this process; gives its base address.
    syscall fn shmat(cap: CapId, readonly: bool) -> i64 {
        Syscall::Attach { cap, readonly }
    }

    /// Unmaps a segment.
    syscall fn shmdt(cap: CapId) -> () {
        Syscall::Detach { cap }
    }

    /// Stores data at `offset` in an attached mapping (a memory access, not a
    /// system call: no `syscall` cost, but a step the scheduler may preempt at).
    syscall fn store(cap: CapId, offset: i64, data: Data) -> () {
        Syscall::Store { cap, offset, data }
    }

    /// Loads `len` bytes at `offset` from an attached mapping, as a string
    /// (costs the cost model's `poll` ticks).
    syscall fn load(cap: CapId, offset: i64, len: i64) -> Data {
        Syscall::Load { cap, offset, len }
    }

    /// Loads the integer at `offset` (8 bytes, little-endian, as `store` of a
    /// `Data::Int` writes it) from an attached mapping, as `Data::Int`.
    syscall fn load_int(cap: CapId, offset: i64) -> Data {
        Syscall::LoadInt { cap, offset }
    }

    /// `semop`: every operation on the set applied together, or waited for
    /// (`undo`: each reversed when the process ends, as `SEM_UNDO`).
    syscall fn semop(cap: CapId, ops: &[SemOp], undo: bool, timeout: Timeout) -> () {
        Syscall::SemOp { cap, ops: ops.into(), undo, timeout }
    }

    /// `semctl`: semaphore `num`'s value or waiter counts (`Ok(0)` for `SetVal`).
    syscall fn semctl(cap: CapId, num: u32, cmd: SemCmd) -> i64 {
        Syscall::SemCtl { cap, num, cmd }
    }

    /// A new socket; its capability has the rights read and write.
    syscall fn socket(domain: Domain, ty: SockType) -> CapId {
        Syscall::Socket { stream: ty == SockType::Stream, unix: domain == Domain::Unix }
    }

    /// Two connected unix stream sockets of this host.
    syscall fn socketpair() -> (CapId, CapId) {
        Syscall::SocketPair
    }

    /// Binds an inet socket to `port` of this host (0: the lowest free port
    /// from 49152; below 1024 needs uid 0).
    syscall fn bind(cap: CapId, port: u16) -> () {
        Syscall::Bind { cap, port: i64::from(port) }
    }

    /// Binds a unix socket to `path`, creating its file with mode `mode`.
    syscall fn bind_path(cap: CapId, path: &str, mode: u32) -> () {
        Syscall::BindPath { cap, path: path.into(), mode }
    }

    /// Listens for connections (`None`: the default backlog, 8).
    syscall fn listen(cap: CapId, backlog: Option<u64>) -> () {
        Syscall::Listen { cap, backlog }
    }

    /// Takes a queued connection (waits for one); gives the connected end.
    syscall fn accept(cap: CapId, timeout: Timeout) -> CapId {
        Syscall::Accept { cap, timeout }
    }

    /// Connects an inet stream socket to `host`:`port` (one round trip).
    syscall fn connect(cap: CapId, host: HostId, port: u16, timeout: Timeout) -> () {
        Syscall::Connect { cap, host, port: i64::from(port), timeout }
    }

    /// Connects a unix stream socket to the socket bound at `path`.
    syscall fn connect_path(cap: CapId, path: &str, timeout: Timeout) -> () {
        Syscall::ConnectPath { cap, path: path.into(), timeout }
    }

    /// Writes all of `data` to a connected stream or a pipe's write end
    /// (waits while the peer has no room).
    syscall fn write(cap: CapId, data: Data, timeout: Timeout) -> () {
        Syscall::Write { cap, data, timeout }
    }

    /// Reads at most `max` bytes from a connected stream or a pipe's read end
    /// (waits while none have arrived; `""` at the end of the stream).
    syscall fn read(cap: CapId, max: u64, timeout: Timeout) -> Data {
        Syscall::Read { cap, max, timeout }
    }

    /// No more writes from this end: the peer reads the end of the stream
    /// once every byte written before has arrived.
    syscall fn shutdown(cap: CapId) -> () {
        Syscall::Shutdown { cap }
    }

    /// Sends a datagram to `host`:`port` (never waits; it may be lost).
    syscall fn sendto(cap: CapId, host: HostId, port: u16, data: Data) -> () {
        Syscall::SendTo { cap, host, port: i64::from(port), data }
    }

    /// Sends a datagram to the unix datagram socket bound at `path`.
    syscall fn sendto_path(cap: CapId, path: &str, data: Data) -> () {
        Syscall::SendToPath { cap, path: path.into(), data }
    }

    /// Receives a datagram (waits for one).
    syscall fn recvfrom(cap: CapId, timeout: Timeout) -> Datagram {
        Syscall::RecvFrom { cap, timeout }
    }

    /// Removes a unix socket's file.
    syscall fn unlink(path: &str) -> () {
        Syscall::Unlink { path: path.into() }
    }

    /// Drops a capability (the last one to a socket end closes it).
    syscall fn close(cap: CapId) -> () {
        Syscall::Close { cap }
    }
}
