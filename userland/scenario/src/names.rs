//! The naming service: a user-space server (the daemon `names`) that hands out
//! rights by IPC, and the client side of `register` and `lookup`.
//!
//! Distributing rights is itself IPC: a registration is a `call` to the
//! service carrying the capability (`with`), a lookup is a `call` whose reply
//! carries a copy of it (a descendant of the registered one, so revoking the
//! original reaches every copy handed out). The service tells callers apart
//! only by the badge of the capability they call through, which the boot
//! loader mints per process.

use std::collections::BTreeMap;
use std::rc::Rc;

use ipcsim_kernel::{CapId, Data, Error, Message, Pid, Syscall, Timeout};
use ipcsim_runtime::{ProcResult, Sys};

/// A request to the service.
#[derive(Clone, Debug)]
pub enum Request {
    /// Publish a capability under a name, for the processes in `allow` (None: everyone).
    Register {
        /// Name.
        name: String,
        /// Capability.
        cap: CapId,
        /// Processes or programs allowed to look it up.
        allow: Option<Vec<String>>,
    },
    /// Look a name up; with a timeout, wait up to that long for it to appear.
    Lookup {
        /// Name.
        name: String,
        /// How long to wait for the name.
        timeout: Timeout,
    },
}

/// The badge that identifies `pid` to the service.
pub fn badge_of(pid: Pid) -> u64 {
    u64::from(pid.0) + 1
}

/// Sends a request; returns the capability a lookup got.
pub async fn request(sys: &Sys, names: CapId, req: Request) -> Result<Option<CapId>, Error> {
    match req {
        Request::Register { name, cap, allow } => {
            let allow = allow.map_or_else(|| "*".to_string(), |v| v.join(","));
            let msg = Message {
                data: Data::str(&format!("register\n{name}\n{allow}")),
                cap: Some(cap),
                ..Default::default()
            };
            let r = call(sys, names, msg).await?;
            answer(&r).map(|()| None)
        }
        Request::Lookup { name, timeout } => {
            let deadline = match timeout {
                Timeout::Ticks(t) if t > 0 => Some(sys.now() + t),
                _ => None,
            };
            loop {
                let msg = Message::new(Data::str(&format!("lookup\n{name}")));
                let r = call(sys, names, msg).await?;
                match answer(&r) {
                    Ok(()) => return Ok(r.cap),
                    Err(Error::NotFound) => match deadline {
                        // Poll once a tick until the name appears or the time is up.
                        Some(d) if sys.now() < d => sys.sleep(1).await?,
                        Some(_) => return Err(Error::TimedOut),
                        None => return Err(Error::NotFound),
                    },
                    Err(e) => return Err(e),
                }
            }
        }
    }
}

async fn call(sys: &Sys, names: CapId, msg: Message) -> Result<Message, Error> {
    match sys
        .syscall(Syscall::Call {
            cap: names,
            msg,
            timeout: Timeout::Never,
        })
        .await?
    {
        ipcsim_kernel::Ret::Msg(m) => Ok(m),
        _ => Err(Error::InvalidArgument),
    }
}

fn answer(m: &Message) -> Result<(), Error> {
    match &m.data {
        Data::Str(s) if &**s == "ok" => Ok(()),
        Data::Str(s) => Err(Error::from_name(s).unwrap_or(Error::InvalidArgument)),
        _ => Err(Error::InvalidArgument),
    }
}

struct Entry {
    cap: CapId,
    allow: Option<Vec<String>>,
    /// Who registered it: a name whose registrant has ended may be registered again
    /// (a restarted server takes its name back).
    owner: Pid,
}

/// The server's body. `ep` is its receive capability; `identify` names a
/// caller (its own name and its program's) from its pid.
pub async fn serve(sys: Sys, ep: CapId, identify: Rc<dyn Fn(Pid) -> Vec<String>>) -> ProcResult {
    let mut table: BTreeMap<String, Entry> = BTreeMap::new();
    let mut m = sys.recv(ep, Timeout::Never).await?;
    loop {
        let text = match &m.data {
            Data::Str(s) => s.to_string(),
            _ => String::new(),
        };
        let mut parts = text.split('\n');
        let caller = Pid((m.badge.max(1) - 1) as u32);
        let mut reply = Message::new(Data::str("InvalidArgument"));
        match (parts.next(), parts.next(), parts.next()) {
            (Some("register"), Some(name), Some(allow)) => {
                let stale = table
                    .get(name)
                    .map(|e| sys.with_kernel(|k| k.ending(e.owner).is_some()));
                reply.data = match (m.cap, stale) {
                    (None, _) => Data::str("InvalidArgument"),
                    (Some(_), Some(false)) => Data::str("Exists"),
                    (Some(cap), _) => {
                        if let Some(old) = table.remove(name) {
                            sys.syscall(Syscall::Delete { cap: old.cap }).await.ok();
                        }
                        let allow = (allow != "*").then(|| allow.split(',').map(str::to_string).collect());
                        table.insert(
                            name.to_string(),
                            Entry {
                                cap,
                                allow,
                                owner: caller,
                            },
                        );
                        Data::str("ok")
                    }
                };
            }
            (Some("lookup"), Some(name), None) => {
                reply.data = match table.get(name) {
                    None => Data::str("NotFound"),
                    Some(e) => {
                        let mut who = identify(caller);
                        who.push(sys.with_kernel(|k| k.process_name(caller).to_string()));
                        let allowed = e.allow.as_ref().is_none_or(|l| l.iter().any(|a| who.contains(a)));
                        if allowed {
                            reply.cap = Some(e.cap);
                            Data::str("ok")
                        } else {
                            Data::str("PermissionDenied")
                        }
                    }
                };
            }
            _ => {}
        }
        m = match sys
            .syscall(Syscall::ReplyRecv {
                cap: ep,
                msg: reply,
                timeout: Timeout::Never,
            })
            .await?
        {
            ipcsim_kernel::Ret::Msg(m) => m,
            _ => return Err(Error::InvalidArgument),
        };
    }
}
