//! Model-based property test of shared memory: a System V segment and a file
//! mapped shared and private, from three processes, against a reference of
//! plain byte arrays (one for the segment, one for the file, one per private
//! mapping) and a list of each process's mappings.
//!
//! Every operation's result is compared with what the model predicts, the
//! error included: attach/detach/remove (the memory outlives `remove` until
//! the last detach, as in Linux), store/load by offset, poke/peek by address,
//! mmap shared or private, msync, munmap. `check_invariants()` after every step.

use ipcsim_kernel::*;
use proptest::prelude::*;
// Explicit, so it wins over the kernel's own `Strategy` enum from the glob above.
use proptest::strategy::Strategy;

const SEG: usize = 32;
const PAGE: usize = 4096;

#[derive(Clone, Debug)]
enum Op {
    Attach { ro: bool },
    Detach,
    Remove,
    Store { off: u16, len: u8, byte: u8 },
    Load { off: u16, len: u8 },
    Poke { which: u8, off: u16, len: u8, byte: u8 },
    Peek { which: u8, off: u16, len: u8 },
    Mmap { shared: bool },
    MapStore { which: u8, off: u16, len: u8, byte: u8 },
    MapLoad { which: u8, off: u16, len: u8 },
    Msync { which: u8 },
    Munmap { which: u8 },
    Yield,
}

fn op() -> impl Strategy<Value = Op> {
    let off = prop_oneof![4 => 0u16..40, 1 => 4080u16..4100];
    prop_oneof![
        3 => any::<bool>().prop_map(|ro| Op::Attach { ro }),
        2 => Just(Op::Detach),
        1 => Just(Op::Remove),
        4 => (0u16..40, 0u8..6, 0u8..26).prop_map(|(off, len, byte)| Op::Store { off, len, byte }),
        4 => (0u16..40, 0u8..6).prop_map(|(off, len)| Op::Load { off, len }),
        2 => (any::<u8>(), 0u16..40, 1u8..6, 0u8..26).prop_map(|(which, off, len, byte)| Op::Poke { which, off, len, byte }),
        2 => (any::<u8>(), 0u16..40, 0u8..6).prop_map(|(which, off, len)| Op::Peek { which, off, len }),
        2 => any::<bool>().prop_map(|shared| Op::Mmap { shared }),
        3 => (any::<u8>(), off.clone(), 0u8..6, 0u8..26).prop_map(|(which, off, len, byte)| Op::MapStore { which, off, len, byte }),
        3 => (any::<u8>(), off, 0u8..6).prop_map(|(which, off, len)| Op::MapLoad { which, off, len }),
        1 => any::<u8>().prop_map(|which| Op::Msync { which }),
        1 => any::<u8>().prop_map(|which| Op::Munmap { which }),
        2 => Just(Op::Yield),
    ]
}

/// One mapping a process holds, in the order it made them.
#[derive(Clone, Debug)]
enum Map {
    Seg { ro: bool, base: i64 },
    File { cap: CapId, private: Option<Vec<u8>> },
}

struct Model {
    /// The segment's bytes; None once destroyed (removed and detached by all).
    seg: Option<Vec<u8>>,
    removed: bool,
    attached: usize,
    file: Vec<u8>,
    maps: Vec<Vec<Map>>,
}

fn bytes_ret(b: &[u8]) -> SysResult {
    Ok(Ret::Bytes(Data::str(&String::from_utf8_lossy(b))))
}

fn fill(len: u8, byte: u8) -> Vec<u8> {
    vec![b'a' + byte; len as usize]
}

fn in_range(off: usize, len: usize, size: usize) -> bool {
    off + len <= size
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn segments_and_mappings_follow_their_model(ops in proptest::collection::vec(op(), 1..120)) {
        let mut k = Kernel::new(KernelConfig::default());
        let seg = k.create_object(ObjectKind::Shm, "seg", &ObjectOptions { size: Some(SEG as u64), ..Default::default() }).unwrap();
        let file = k.create_object(ObjectKind::File, "f", &ObjectOptions {
            contents: b"hello".to_vec(), path: Some("f".into()), ..Default::default()
        }).unwrap();
        let _ = file;
        let mut procs = Vec::new();
        let mut seg_caps = Vec::new();
        for i in 0..3 {
            let p = k.create_process(&ProcessSpec::new(format!("p{i}")), None).unwrap();
            // p2 may only read the segment.
            let rights = if i == 2 { Rights::READ } else { Rights::READ | Rights::WRITE };
            seg_caps.push(k.grant(p, seg, rights, 0).unwrap());
            procs.push(p);
        }
        let mut m = Model { seg: Some(vec![0; SEG]), removed: false, attached: 0, file: b"hello".to_vec(), maps: vec![Vec::new(); 3] };
        let mut ops = ops.into_iter();
        for _ in 0..400 {
            let p = match k.schedule() { Next::Run(p) => p, Next::Finished(_) => break };
            // A yield's result waits for the process's next turn.
            let _ = k.take_result(p);
            let Some(op) = ops.next() else { k.exit(p, Ending::Exited); continue; };
            let i = p.index();
            let cap = seg_caps[i];
            let writer = i != 2;
            let file_maps: Vec<usize> = m.maps[i].iter().enumerate().filter(|(_, x)| matches!(x, Map::File { .. })).map(|(j, _)| j).collect();
            let seg_maps: Vec<usize> = m.maps[i].iter().enumerate().filter(|(_, x)| matches!(x, Map::Seg { .. })).map(|(j, _)| j).collect();
            let first_seg = seg_maps.first().copied();
            let (call, expect): (Syscall, Option<SysResult>) = match op {
                Op::Attach { ro } => {
                    let e = if m.seg.is_none() { Some(Err(Error::InvalidCap)) }
                        else if !ro && !writer { Some(Err(Error::PermissionDenied)) }
                        else { None };
                    (Syscall::Attach { cap, readonly: ro }, e)
                }
                Op::Detach => {
                    let e = if m.seg.is_none() { Err(Error::InvalidCap) }
                        else if first_seg.is_none() { Err(Error::InvalidArgument) }
                        else { Ok(Ret::Unit) };
                    (Syscall::Detach { cap }, Some(e))
                }
                Op::Remove => {
                    // Removal is decided by ownership, not by a right: every
                    // process here runs as the segment's owner (uid 1000).
                    let e = if m.seg.is_none() { Err(Error::InvalidCap) } else { Ok(Ret::Unit) };
                    (Syscall::Remove { cap }, Some(e))
                }
                Op::Store { off, len, byte } => {
                    let data = fill(len, byte);
                    let e = if m.seg.is_none() { Err(Error::InvalidCap) }
                        else if !writer { Err(Error::PermissionDenied) }
                        else {
                            match first_seg.map(|j| &m.maps[i][j]) {
                                None | Some(Map::Seg { ro: true, .. }) => Err(Error::SegFault),
                                _ if !in_range(off as usize, data.len(), SEG) => Err(Error::SegFault),
                                _ => Ok(Ret::Unit),
                            }
                        };
                    (Syscall::Store { cap, offset: i64::from(off), data: Data::str(&String::from_utf8_lossy(&data)) }, Some(e))
                }
                Op::Load { off, len } => {
                    let (o, l) = (off as usize, len as usize);
                    let e = match &m.seg {
                        None => Err(Error::InvalidCap),
                        Some(_) if first_seg.is_none() || !in_range(o, l, SEG) => Err(Error::SegFault),
                        Some(b) => bytes_ret(&b[o..o + l]),
                    };
                    (Syscall::Load { cap, offset: i64::from(off), len: i64::from(len) }, Some(e))
                }
                Op::Poke { which, off, len, .. } | Op::Peek { which, off, len } if !seg_maps.is_empty() => {
                    let j = seg_maps[which as usize % seg_maps.len()];
                    let Map::Seg { ro, base } = m.maps[i][j] else { unreachable!() };
                    let (o, l) = (off as usize, len as usize);
                    let addr = base + i64::from(off);
                    if let Op::Poke { byte, .. } = op {
                        let data = fill(len, byte);
                        let e = if !in_range(o, l, SEG) || ro { Err(Error::SegFault) } else { Ok(Ret::Unit) };
                        (Syscall::Poke { addr, data: Data::str(&String::from_utf8_lossy(&data)) }, Some(e))
                    } else {
                        let e = match &m.seg {
                            Some(b) if in_range(o, l, SEG) => bytes_ret(&b[o..o + l]),
                            _ => Err(Error::SegFault),
                        };
                        (Syscall::Peek { addr, len: i64::from(len) }, Some(e))
                    }
                }
                Op::Poke { .. } | Op::Peek { .. } => (Syscall::Peek { addr: 4096, len: 1 }, Some(Err(Error::SegFault))),
                Op::Mmap { shared } => (Syscall::Mmap { path: Some("f".into()), cap: None, shared }, None),
                Op::MapStore { which, off, len, byte } if !file_maps.is_empty() => {
                    let j = file_maps[which as usize % file_maps.len()];
                    let Map::File { cap: c, .. } = &m.maps[i][j] else { unreachable!() };
                    let data = fill(len, byte);
                    let e = if in_range(off as usize, data.len(), PAGE) { Ok(Ret::Unit) } else { Err(Error::SegFault) };
                    (Syscall::Store { cap: *c, offset: i64::from(off), data: Data::str(&String::from_utf8_lossy(&data)) }, Some(e))
                }
                Op::MapLoad { which, off, len } if !file_maps.is_empty() => {
                    let j = file_maps[which as usize % file_maps.len()];
                    let Map::File { cap: c, private } = &m.maps[i][j] else { unreachable!() };
                    let (o, l) = (off as usize, len as usize);
                    let e = if !in_range(o, l, PAGE) { Err(Error::SegFault) } else {
                        let src: Vec<u8> = match private {
                            Some(copy) => copy[o..o + l].to_vec(),
                            None => (o..o + l).map(|x| m.file.get(x).copied().unwrap_or(0)).collect(),
                        };
                        bytes_ret(&src)
                    };
                    (Syscall::Load { cap: *c, offset: i64::from(off), len: i64::from(len) }, Some(e))
                }
                Op::Msync { which } if !file_maps.is_empty() => {
                    let Map::File { cap: c, .. } = &m.maps[i][file_maps[which as usize % file_maps.len()]] else { unreachable!() };
                    (Syscall::Msync { cap: *c }, Some(Ok(Ret::Unit)))
                }
                Op::Munmap { which } if !file_maps.is_empty() => {
                    let Map::File { cap: c, .. } = &m.maps[i][file_maps[which as usize % file_maps.len()]] else { unreachable!() };
                    (Syscall::Detach { cap: *c }, Some(Ok(Ret::Unit)))
                }
                _ => (Syscall::Yield, None),
            };
            let out = k.syscall(p, call.clone());
            k.check_invariants().map_err(TestCaseError::fail)?;
            let r = match out {
                Outcome::Done(r) => r,
                // Only a yield gives up the CPU here; its result is taken on its next turn.
                Outcome::Switched => { prop_assert!(matches!(call, Syscall::Yield), "{call:?} switched"); continue; }
            };
            if let Some(e) = &expect {
                prop_assert_eq!(&r, e, "{:?} by p{}", call, i);
            }
            // Apply the effect to the model.
            match (&call, &r) {
                (Syscall::Attach { readonly, .. }, Ok(Ret::Int(base))) => {
                    prop_assert!(expect.is_none());
                    m.maps[i].push(Map::Seg { ro: *readonly, base: *base });
                    m.attached += 1;
                }
                (Syscall::Attach { .. }, Err(_)) => prop_assert!(expect.is_some(), "attach refused: {r:?}"),
                (Syscall::Detach { cap: c }, Ok(_)) if *c == cap => {
                    m.maps[i].remove(first_seg.unwrap());
                    m.attached -= 1;
                    if m.removed && m.attached == 0 { m.seg = None; }
                }
                (Syscall::Detach { cap: c }, Ok(_)) => {
                    let j = m.maps[i].iter().position(|x| matches!(x, Map::File { cap, .. } if cap == c)).unwrap();
                    m.maps[i].remove(j);
                }
                (Syscall::Remove { .. }, Ok(_)) => {
                    m.removed = true;
                    if m.attached == 0 { m.seg = None; }
                }
                (Syscall::Store { cap: c, offset, data }, Ok(_)) => {
                    let b = data.to_stream_bytes();
                    let o = *offset as usize;
                    if *c == cap {
                        m.seg.as_mut().unwrap()[o..o + b.len()].copy_from_slice(&b);
                    } else {
                        let j = m.maps[i].iter().position(|x| matches!(x, Map::File { cap, .. } if cap == c)).unwrap();
                        match &mut m.maps[i][j] {
                            Map::File { private: Some(copy), .. } => copy[o..o + b.len()].copy_from_slice(&b),
                            _ => {
                                if m.file.len() < o + b.len() { m.file.resize(o + b.len(), 0); }
                                m.file[o..o + b.len()].copy_from_slice(&b);
                            }
                        }
                    }
                }
                (Syscall::Poke { addr, data }, Ok(_)) => {
                    let b = data.to_stream_bytes();
                    let base = m.maps[i].iter().find_map(|x| match x { Map::Seg { base, .. } if *addr >= *base && *addr < *base + SEG as i64 => Some(*base), _ => None }).unwrap();
                    let o = (*addr - base) as usize;
                    m.seg.as_mut().unwrap()[o..o + b.len()].copy_from_slice(&b);
                }
                (Syscall::Mmap { shared, .. }, Ok(Ret::Cap(c))) => {
                    let private = (!shared).then(|| { let mut v = m.file.clone(); v.resize(PAGE, 0); v });
                    m.maps[i].push(Map::File { cap: *c, private });
                }
                (Syscall::Mmap { .. }, Err(e)) => prop_assert!(false, "mmap refused: {e:?}"),
                _ => {}
            }
        }
        // The file holds exactly the shared writes.
        prop_assert_eq!(k.file_contents("f").map(<[u8]>::to_vec), Some(m.file.clone()));
    }
}
