//! Rust protocols over sockets across simulated hosts, property-tested with
//! `ipcsim-check`: the schedule's seed draws both the interleaving (within
//! and across hosts) and the link's losses, so `search` explores both.

use std::collections::BTreeSet;

use ipcsim_check::{run_under, search, Config};
use ipcsim_kernel::{Data, Error, ProcessSpec, Timeout};
use ipcsim_runtime::{Domain, Runtime, SockType, Sys};

fn text(d: &Data) -> String {
    String::from_utf8_lossy(&d.to_stream_bytes()).into_owned()
}

/// An echo server on `atlas`, a client on `beta` that writes three lines and
/// checks it reads back exactly their bytes, in order, then the end of the
/// stream after its half-close.
fn echo(rt: &mut Runtime, latency: u64) {
    let (atlas, beta) = {
        let mut k = rt.kernel_mut();
        let hosts = (k.add_host("atlas").expect("host"), k.add_host("beta").expect("host"));
        k.add_link(hosts.0, hosts.1, latency, 0).expect("link");
        hosts
    };
    let server = ProcessSpec {
        daemon: true,
        ..ProcessSpec::new("server")
    };
    rt.spawn_on(atlas, server, |sys: Sys| async move {
        let l = sys.socket(Domain::Inet, SockType::Stream).await?;
        sys.bind(l, 7000).await?;
        sys.listen(l, None).await?;
        let c = sys.accept(l, Timeout::Never).await?;
        loop {
            let got = sys.read(c, 5, Timeout::Never).await?;
            if text(&got).is_empty() {
                return sys.close(c).await;
            }
            sys.write(c, got, Timeout::Never).await?;
        }
    })
    .expect("server");
    rt.spawn_on(beta, ProcessSpec::new("client"), move |sys: Sys| async move {
        let s = sys.socket(Domain::Inet, SockType::Stream).await?;
        let atlas = sys.host_named("atlas").ok_or(Error::HostUnreachable)?;
        sys.connect(s, atlas, 7000, Timeout::Never).await?;
        let sent = "one\ntwo\nthree\n";
        for line in sent.split_inclusive('\n') {
            sys.write(s, Data::str(line), Timeout::Never).await?;
        }
        sys.shutdown(s).await?;
        let mut back = String::new();
        loop {
            let got = text(&sys.read(s, 100, Timeout::Never).await?);
            if got.is_empty() {
                break;
            }
            back.push_str(&got);
        }
        sys.print(back.clone());
        if back == sent {
            Ok(())
        } else {
            Err(Error::ExpectationFailed)
        }
    })
    .expect("client");
}

#[test]
fn a_stream_across_hosts_echoes_every_byte_once_in_order_under_every_schedule() {
    for latency in [1, 3, 7] {
        let config = Config {
            cases: 128,
            ..Config::default()
        };
        let result = search(
            &config,
            |rt| echo(rt, latency),
            |run| {
                run.expect_all_exited()?;
                match run.prints().as_slice() {
                    ["one\ntwo\nthree\n"] => Ok(()),
                    other => Err(format!("echoed {other:?}")),
                }
            },
        );
        assert_eq!(result, Ok(()), "latency {latency}");
    }
}

/// A bank on one host, a shop on another, over a link that loses 30% of
/// datagrams. The shop deposits 1, three times, resending a request that
/// got no answer within 10 ticks; then asks for the balance. With `numbered`
/// each deposit carries its number and the bank applies a number once.
fn bank(rt: &mut Runtime, numbered: bool) {
    let (bank, shop) = {
        let mut k = rt.kernel_mut();
        let hosts = (k.add_host("bank").expect("host"), k.add_host("shop").expect("host"));
        k.add_link(hosts.0, hosts.1, 2, 30).expect("link");
        hosts
    };
    let server = ProcessSpec {
        daemon: true,
        ..ProcessSpec::new("server")
    };
    rt.spawn_on(bank, server, move |sys: Sys| async move {
        let s = sys.socket(Domain::Inet, SockType::Dgram).await?;
        sys.bind(s, 9000).await?;
        let (mut balance, mut applied) = (0, BTreeSet::new());
        loop {
            let d = sys.recvfrom(s, Timeout::Never).await?;
            let req = text(&d.data);
            let answer = match req.strip_prefix("deposit ") {
                Some(n) => {
                    if !numbered || applied.insert(n.to_string()) {
                        balance += 1;
                    }
                    "done".to_string()
                }
                None => format!("{balance}"),
            };
            sys.sendto(s, d.host, d.port, Data::str(&answer)).await?;
        }
    })
    .expect("server");
    rt.spawn_on(shop, ProcessSpec::new("client"), |sys: Sys| async move {
        let s = sys.socket(Domain::Inet, SockType::Dgram).await?;
        let bank = sys.host_named("bank").ok_or(Error::HostUnreachable)?;
        let ask = |req: String| {
            let sys = sys.clone();
            async move {
                loop {
                    sys.sendto(s, bank, 9000, Data::str(&req)).await?;
                    match sys.recvfrom(s, Timeout::Ticks(10)).await {
                        Ok(d) => return Ok::<_, Error>(text(&d.data)),
                        Err(Error::TimedOut) => continue,
                        Err(e) => return Err(e),
                    }
                }
            }
        };
        for i in 1..=3 {
            // A late "done" of an earlier request may answer this one: fine
            // for the protocol, which only needs each deposit applied once.
            ask(format!("deposit {i}")).await?;
        }
        let mut balance = ask("balance".into()).await?;
        while balance == "done" {
            // A stale answer to a deposit: the balance's own comes next.
            balance = text(&sys.recvfrom(s, Timeout::Never).await?.data);
        }
        sys.print(format!("balance {balance}"));
        Ok(())
    })
    .expect("client");
}

fn balance_is_3(run: &ipcsim_check::Run) -> Result<(), String> {
    run.expect_all_exited()?;
    match run.prints().as_slice() {
        ["balance 3"] => Ok(()),
        other => Err(format!("printed {other:?}")),
    }
}

#[test]
fn search_finds_the_lost_answer_that_doubles_a_deposit_and_its_replay_loses_the_same_datagrams() {
    let config = Config {
        cases: 256,
        ..Config::default()
    };
    let failure = search(&config, |rt| bank(rt, false), balance_is_3).expect_err("a lost answer doubles a deposit");
    assert!(failure.message.contains("balance"), "{failure}");
    let a = run_under(&failure.schedule, |rt| bank(rt, false));
    let b = run_under(&failure.schedule, |rt| bank(rt, false));
    assert_eq!(balance_is_3(&a), Err(failure.message.clone()));
    assert_eq!(a.events, b.events, "the same schedule, the same losses");
}

#[test]
fn numbered_deposits_are_applied_once_under_every_schedule_and_loss() {
    let config = Config {
        cases: 256,
        ..Config::default()
    };
    assert_eq!(search(&config, |rt| bank(rt, true), balance_is_3), Ok(()));
}
