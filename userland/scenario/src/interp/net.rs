//! The interpreter's part for the sockets extension: the system calls the
//! socket statements make, and the hosts their HOST operands name.

use ipcsim_kernel::{Error, HostId, Syscall, Timeout};

use super::{Built, Interp};
use crate::ast::{Dest, HostRef, NetOp};
use crate::value::Value;

/// What a HOST operand that names no host gives the kernel: it fails the
/// call `HostUnreachable`.
const NO_HOST: HostId = HostId(u16::MAX);

impl Interp<'_> {
    /// The host a HOST operand names (`NO_HOST` for a string that names none).
    fn host(&self, h: &HostRef) -> Result<HostId, Error> {
        let name = match h {
            HostRef::Name(n) => n.name.clone(),
            HostRef::Expr(e) => match self.eval(e)?.scalar() {
                Value::Str(s) => s.to_string(),
                v => return Err(self.bad(e.span(), format!("a host is a host name (a string), not {}", v.kind()))),
            },
        };
        Ok(self.w.sc.host_index(&name).map_or(NO_HOST, |i| HostId(i as u16)))
    }

    /// A string operand's value: a path or a service name (a string, or an error at its position).
    pub(super) fn text(&self, e: &crate::ast::Expr) -> Result<String, Error> {
        match self.eval(e)?.scalar() {
            Value::Str(s) => Ok(s.to_string()),
            v => Err(self.bad(e.span(), format!("a path or name is a string, not {}", v.kind()))),
        }
    }

    fn dest_call(&self, cap: ipcsim_kernel::CapId, dest: &Dest, to: Timeout) -> Result<Syscall, Error> {
        Ok(match dest {
            Dest::Path(p) => Syscall::ConnectPath {
                cap,
                path: self.text(p)?,
                timeout: to,
            },
            Dest::Inet(h, port) => Syscall::Connect {
                cap,
                host: self.host(h)?,
                port: self.int(port)?,
                timeout: to,
            },
        })
    }

    fn sendto_call(&self, cap: ipcsim_kernel::CapId, dest: &Dest, value: &crate::ast::Expr) -> Result<Syscall, Error> {
        Ok(match dest {
            Dest::Path(p) => Syscall::SendToPath {
                cap,
                path: self.text(p)?,
                data: self.data(value)?,
            },
            Dest::Inet(h, port) => Syscall::SendTo {
                cap,
                host: self.host(h)?,
                port: self.int(port)?,
                data: self.data(value)?,
            },
        })
    }

    /// The system call a socket statement makes.
    pub(super) fn build_net(&mut self, n: &NetOp, to: Timeout) -> Result<Built, Error> {
        Ok(Built::Call(match n {
            NetOp::Socket { stream, unix } => Syscall::Socket {
                stream: *stream,
                unix: *unix,
            },
            NetOp::SocketPair { .. } => Syscall::SocketPair,
            NetOp::Bind { cap, addr, mode } => {
                let cap = self.cap(cap)?;
                match self.eval(addr)?.scalar() {
                    Value::Str(path) => Syscall::BindPath {
                        cap,
                        path: path.to_string(),
                        mode: self.mode(mode, 0o755)?,
                    },
                    Value::Int(port) => Syscall::Bind { cap, port },
                    v => return Err(self.bad(addr.span(), format!("bind takes a port or a path, not {}", v.kind()))),
                }
            }
            NetOp::Listen { cap, backlog } => Syscall::Listen {
                cap: self.cap(cap)?,
                backlog: backlog.as_ref().map(|b| self.uint(b)).transpose()?,
            },
            NetOp::Accept { cap } => Syscall::Accept {
                cap: self.cap(cap)?,
                timeout: to,
            },
            NetOp::Connect { cap, to: dest } => {
                let cap = self.cap(cap)?;
                self.dest_call(cap, dest, to)?
            }
            NetOp::Shutdown { cap } => Syscall::Shutdown { cap: self.cap(cap)? },
            NetOp::SendTo { cap, to: dest, value } => {
                let cap = self.cap(cap)?;
                self.sendto_call(cap, dest, value)?
            }
            NetOp::RecvFrom { cap } => Syscall::RecvFrom {
                cap: self.cap(cap)?,
                timeout: to,
            },
            NetOp::Unlink { path } => Syscall::Unlink { path: self.text(path)? },
        }))
    }
}
