//! A small driver for kernel tests: boot objects and processes, then issue
//! system calls as whichever process the kernel says is running.

#![allow(dead_code)]

use ipcsim_kernel::*;

pub struct Sim {
    pub k: Kernel,
}

impl Default for Sim {
    fn default() -> Self {
        Self::new()
    }
}

impl Sim {
    pub fn new() -> Self {
        Sim {
            k: Kernel::new(KernelConfig::default()),
        }
    }
    pub fn with(cfg: KernelConfig) -> Self {
        Sim { k: Kernel::new(cfg) }
    }
    pub fn obj(&mut self, kind: ObjectKind, label: &str) -> ObjId {
        self.k
            .create_object(kind, label, &ObjectOptions::default())
            .expect("object")
    }
    pub fn obj_opts(&mut self, kind: ObjectKind, label: &str, o: ObjectOptions) -> ObjId {
        self.k.create_object(kind, label, &o).expect("object")
    }
    pub fn proc(&mut self, name: &str) -> Pid {
        self.k.create_process(&ProcessSpec::new(name), None).expect("process")
    }
    pub fn proc_prio(&mut self, name: &str, priority: i64) -> Pid {
        self.k
            .create_process(
                &ProcessSpec {
                    priority,
                    ..ProcessSpec::new(name)
                },
                None,
            )
            .expect("process")
    }
    pub fn cap(&mut self, pid: Pid, obj: ObjId, rights: Rights) -> CapId {
        self.k.grant(pid, obj, rights, 0).expect("grant")
    }
    /// Schedules until `pid` runs; panics if the kernel picks another or finishes.
    pub fn run(&mut self, pid: Pid) {
        if self.k.current() == Some(pid) {
            return;
        }
        match self.k.schedule() {
            Next::Run(p) if p == pid => {}
            other => panic!("expected {pid:?} to run, kernel said {other:?}"),
        }
    }
    /// Issues a call as `pid` (which must be next to run).
    pub fn sys(&mut self, pid: Pid, call: Syscall) -> Outcome {
        self.run(pid);
        let out = self.k.syscall(pid, call);
        self.k.check_invariants().expect("invariants");
        out
    }
    /// Issues a call that must complete at once; returns its result.
    pub fn done(&mut self, pid: Pid, call: Syscall) -> SysResult {
        match self.sys(pid, call) {
            Outcome::Done(r) => r,
            Outcome::Switched => panic!("expected the call to complete at once"),
        }
    }
    /// Issues a call that must block (switch the caller out).
    pub fn blocks(&mut self, pid: Pid, call: Syscall) {
        assert_eq!(self.sys(pid, call), Outcome::Switched, "expected the call to block");
    }
    /// Runs `pid` again and takes the result of its blocked call.
    pub fn result(&mut self, pid: Pid) -> SysResult {
        self.run(pid);
        self.k.take_result(pid).expect("a stored result")
    }
    pub fn send(cap: CapId, v: i64, timeout: Timeout) -> Syscall {
        Syscall::Send {
            cap,
            msg: Message::new(Data::Int(v)),
            timeout,
        }
    }
    pub fn call(cap: CapId, v: i64, timeout: Timeout) -> Syscall {
        Syscall::Call {
            cap,
            msg: Message::new(Data::Int(v)),
            timeout,
        }
    }
    pub fn recv(cap: CapId, timeout: Timeout) -> Syscall {
        Syscall::Recv { cap, timeout }
    }
    pub fn reply(v: i64) -> Syscall {
        Syscall::Reply {
            msg: Message::new(Data::Int(v)),
        }
    }
}

pub fn msg_int(r: SysResult) -> i64 {
    match r {
        Ok(Ret::Msg(Message { data: Data::Int(i), .. })) => i,
        other => panic!("expected an integer message, got {other:?}"),
    }
}

/// Issues `call` for `pid`: through the kernel's typed entry for it when
/// `typed` and there is one (`Kernel::call`, `reply_recv`, `sem_wait`,
/// `sem_post`), else through `Kernel::syscall` (which routes those four to
/// the same entries). The model tests issue calls both ways, so the public
/// doors stay one path.
pub fn enter(k: &mut Kernel, pid: Pid, call: Syscall, typed: bool) -> Outcome {
    match call {
        Syscall::Call { cap, msg, timeout } if typed => k.call(pid, cap, msg, timeout),
        Syscall::ReplyRecv { cap, msg, timeout } if typed => k.reply_recv(pid, cap, msg, timeout),
        Syscall::SemWait { cap, timeout } if typed => k.sem_wait(pid, cap, timeout),
        Syscall::SemPost { cap } if typed => k.sem_post(pid, cap),
        other => k.syscall(pid, other),
    }
}
