//! `Sys` methods for sockets, streams and hosts: every socket call of the
//! kernel (`spec/sockets.md`), typed, so Rust protocols can use sockets
//! across simulated hosts as scenarios do.

use ipcsim_kernel::{CapId, Data, Error, HostId, Ret, SysResult};

use crate::blocking::BlockingSys;
use crate::sys::{FromRet, Sys};

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
}

impl BlockingSys {
    /// The host this process runs on.
    pub fn host(&self) -> HostId {
        self.with_kernel(|k| k.host_of(self.pid()))
    }

    /// The host named `name`, if there is one (`local` is host 0).
    pub fn host_named(&self, name: &str) -> Option<HostId> {
        self.with_kernel(|k| k.host_named(name))
    }
}
