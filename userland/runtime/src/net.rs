//! `Sys` methods for sockets, streams and hosts: every socket call of the
//! kernel (`spec/sockets.md`), typed, so Rust protocols can use sockets
//! across simulated hosts as scenarios do.

use ipcsim_kernel::{CapId, Data, Error, HostId, Ret, SysResult, Syscall, Timeout};

use crate::sys::{FromRet, Mapped, Sys};

/// A socket's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockType {
    /// A connected byte stream (TCP-like; a unix stream has no latency).
    Stream,
    /// Datagrams with their boundaries kept, never waiting to send (UDP-like).
    Dgram,
}

/// Where a socket's addresses live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    /// Host and port.
    Inet,
    /// A path in the host's file system.
    Unix,
}

/// A datagram received, with where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Datagram {
    /// Its data.
    pub data: Data,
    /// The sender's host.
    pub host: HostId,
    /// The sender's port (0 for a unix sender).
    pub port: u16,
    /// A unix sender's path, if it was bound.
    pub path: Option<String>,
}

impl FromRet for CapId {
    #[inline]
    fn from_ret(r: SysResult) -> Result<CapId, Error> {
        match r? {
            Ret::Cap(c) => Ok(c),
            _ => Err(Error::InvalidArgument),
        }
    }
}

impl FromRet for (CapId, CapId) {
    fn from_ret(r: SysResult) -> Result<(CapId, CapId), Error> {
        match r? {
            Ret::Pair(a, b) => Ok((a, b)),
            _ => Err(Error::InvalidArgument),
        }
    }
}

impl FromRet for Datagram {
    fn from_ret(r: SysResult) -> Result<Datagram, Error> {
        match r? {
            Ret::Datagram { data, host, port, path } => Ok(Datagram {
                data,
                host,
                port,
                path: path.map(String::from),
            }),
            _ => Err(Error::InvalidArgument),
        }
    }
}

impl Sys {
    /// The host this process runs on.
    pub fn host(&self) -> HostId {
        self.with_kernel(|k| k.host_of(self.pid()))
    }

    /// The host named `name`, if there is one (`local` is host 0).
    pub fn host_named(&self, name: &str) -> Option<HostId> {
        self.with_kernel(|k| k.host_named(name))
    }

    /// A new socket; its capability has the rights read and write.
    pub fn socket(&self, domain: Domain, ty: SockType) -> Mapped<'_, CapId> {
        self.mapped(Syscall::Socket {
            stream: ty == SockType::Stream,
            unix: domain == Domain::Unix,
        })
    }

    /// Two connected unix stream sockets of this host.
    pub fn socketpair(&self) -> Mapped<'_, (CapId, CapId)> {
        self.mapped(Syscall::SocketPair)
    }

    /// Binds an inet socket to `port` of this host (0: the lowest free port
    /// from 49152; below 1024 needs uid 0).
    pub fn bind(&self, cap: CapId, port: u16) -> Mapped<'_, ()> {
        self.mapped(Syscall::Bind {
            cap,
            port: i64::from(port),
        })
    }

    /// Binds a unix socket to `path`, creating its file with mode `mode`.
    pub fn bind_path(&self, cap: CapId, path: &str, mode: u32) -> Mapped<'_, ()> {
        self.mapped(Syscall::BindPath {
            cap,
            path: path.into(),
            mode,
        })
    }

    /// Listens for connections (`None`: the default backlog, 8).
    pub fn listen(&self, cap: CapId, backlog: Option<u64>) -> Mapped<'_, ()> {
        self.mapped(Syscall::Listen { cap, backlog })
    }

    /// Takes a queued connection (waits for one); gives the connected end.
    pub fn accept(&self, cap: CapId, timeout: Timeout) -> Mapped<'_, CapId> {
        self.mapped(Syscall::Accept { cap, timeout })
    }

    /// Connects an inet stream socket to `host`:`port` (one round trip).
    pub fn connect(&self, cap: CapId, host: HostId, port: u16, timeout: Timeout) -> Mapped<'_, ()> {
        self.mapped(Syscall::Connect {
            cap,
            host,
            port: i64::from(port),
            timeout,
        })
    }

    /// Connects a unix stream socket to the socket bound at `path`.
    pub fn connect_path(&self, cap: CapId, path: &str, timeout: Timeout) -> Mapped<'_, ()> {
        self.mapped(Syscall::ConnectPath {
            cap,
            path: path.into(),
            timeout,
        })
    }

    /// Writes all of `data` to a connected stream or a pipe's write end
    /// (waits while the peer has no room).
    pub fn write(&self, cap: CapId, data: Data, timeout: Timeout) -> Mapped<'_, ()> {
        self.mapped(Syscall::Write { cap, data, timeout })
    }

    /// Reads at most `max` bytes from a connected stream or a pipe's read end
    /// (waits while none have arrived; `""` at the end of the stream).
    pub fn read(&self, cap: CapId, max: u64, timeout: Timeout) -> Mapped<'_, Data> {
        self.mapped(Syscall::Read { cap, max, timeout })
    }

    /// No more writes from this end: the peer reads the end of the stream
    /// once every byte written before has arrived.
    pub fn shutdown(&self, cap: CapId) -> Mapped<'_, ()> {
        self.mapped(Syscall::Shutdown { cap })
    }

    /// Sends a datagram to `host`:`port` (never waits; it may be lost).
    pub fn sendto(&self, cap: CapId, host: HostId, port: u16, data: Data) -> Mapped<'_, ()> {
        self.mapped(Syscall::SendTo {
            cap,
            host,
            port: i64::from(port),
            data,
        })
    }

    /// Sends a datagram to the unix datagram socket bound at `path`.
    pub fn sendto_path(&self, cap: CapId, path: &str, data: Data) -> Mapped<'_, ()> {
        self.mapped(Syscall::SendToPath {
            cap,
            path: path.into(),
            data,
        })
    }

    /// Receives a datagram (waits for one).
    pub fn recvfrom(&self, cap: CapId, timeout: Timeout) -> Mapped<'_, Datagram> {
        self.mapped(Syscall::RecvFrom { cap, timeout })
    }

    /// Removes a unix socket's file.
    pub fn unlink(&self, path: &str) -> Mapped<'_, ()> {
        self.mapped(Syscall::Unlink { path: path.into() })
    }

    /// Drops a capability (the last one to a socket end closes it).
    pub fn close(&self, cap: CapId) -> Mapped<'_, ()> {
        self.mapped(Syscall::Close { cap })
    }
}
