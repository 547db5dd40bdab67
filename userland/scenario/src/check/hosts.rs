//! The checks of the sockets extension: host names, links and partitions,
//! and that objects and capabilities never cross hosts (a process may hold
//! capabilities only to objects of its own host; a program is spawned on its
//! spawner's host; `kill` and `mmap` stay on the caller's host).

use std::collections::BTreeMap;

use super::walk;
use crate::ast::*;
use crate::diag::{Diagnostic, Span};

/// Every host error of the scenario.
pub(super) fn check_hosts(sc: &Scenario, errs: &mut Vec<Diagnostic>) {
    let mut err = |span: Span, msg: String| errs.push(Diagnostic::new(span, msg));
    let known = |h: &Ident| sc.host_index(&h.name).is_some();
    for l in &sc.links {
        for h in [&l.a, &l.b] {
            if !known(h) {
                err(
                    h.span,
                    format!("unknown host `{}` (declare it with `host {} {{ }}`)", h.name, h.name),
                );
            }
        }
        if l.a.name == l.b.name {
            err(
                l.b.span,
                format!(
                    "`link {} {}`: a host reaches itself by loopback, with no link",
                    l.a.name, l.b.name
                ),
            );
        }
    }
    for p in &sc.partitions {
        for h in [&p.a, &p.b] {
            if !known(h) {
                err(h.span, format!("unknown host `{}`", h.name));
            }
        }
        let linked = sc
            .links
            .iter()
            .any(|l| (l.a.name == p.a.name && l.b.name == p.b.name) || (l.a.name == p.b.name && l.b.name == p.a.name));
        if known(&p.a) && known(&p.b) && !linked {
            err(
                p.a.span,
                format!("no link between `{}` and `{}` to partition", p.a.name, p.b.name),
            );
        }
    }
    let object_host: BTreeMap<&str, usize> = sc.objects.iter().map(|o| (o.name.name.as_str(), o.host)).collect();
    let proc_host: BTreeMap<&str, usize> = sc.procs.iter().map(|p| (p.name.name.as_str(), p.host)).collect();
    for p in &sc.procs {
        let mine = sc.host_name(p.host);
        for c in &p.caps {
            if let Some(&h) = object_host.get(c.object.name.as_str()) {
                if h != p.host {
                    err(
                        c.object.span,
                        format!(
                            "`{}` belongs to host {}, and {} runs on host {mine}: capabilities never cross hosts",
                            c.object.name,
                            sc.host_name(h),
                            p.name.name
                        ),
                    );
                }
            }
        }
        walk(&p.body, false, &mut |s, _| {
            let StmtKind::Op(op) = &s.kind else { return };
            let other = |name: &str, table: &BTreeMap<&str, usize>| table.get(name).copied().filter(|h| *h != p.host);
            match &op.kind {
                OpKind::Spawn { program, .. } => {
                    if let Some(h) = other(&program.name, &proc_host) {
                        err(
                            program.span,
                            format!(
                                "`{}` is declared on host {}: a program is spawned on its spawner's host ({mine})",
                                program.name,
                                sc.host_name(h)
                            ),
                        );
                    }
                }
                OpKind::Kill {
                    target: Target::Name(v),
                    ..
                }
                | OpKind::Watch {
                    target: Target::Name(v),
                    ..
                } => {
                    if let Some(h) = other(&v.name, &proc_host) {
                        err(
                            v.span,
                            format!(
                                "`{}` runs on host {}: a process signals only its own host's ({mine})",
                                v.name,
                                sc.host_name(h)
                            ),
                        );
                    }
                }
                OpKind::Mmap { file: Expr::Var(v), .. } => {
                    if let Some(h) = other(&v.name, &object_host) {
                        err(
                            v.span,
                            format!(
                                "`{}` is a file of host {}: each host has its own file system",
                                v.name,
                                sc.host_name(h)
                            ),
                        );
                    }
                }
                OpKind::Net(n) => {
                    for h in n.host_names() {
                        if !known(h) {
                            err(
                                h.span,
                                format!("unknown host `{}` (a host name, or a string in parentheses)", h.name),
                            );
                        }
                    }
                }
                _ => {}
            }
        });
    }
}
