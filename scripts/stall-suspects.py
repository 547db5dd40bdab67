#!/usr/bin/env python3
"""Store-forwarding suspects in hot code: instruction counts cannot show them.

A load that reads bytes a recent store wrote, but not all from that one
store (a 16-byte read of a value just written field by field, or one that
straddles two stores), waits for the stores to reach the cache: a stall of
a dozen cycles that callgrind does not see. This finds such pairs in the
functions of BINARY that a callgrind profile says ran: a store to OFF(%R)
and a later load from OFF'(%R) (R not written in between, in the listing's
straight-line order, at most 150 instructions apart) that overlap without
the store covering the load, both executed at least MIN times.

    valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file=cg.out \
        target/release/ipcsim explore tests/benches/lock_order_4x40.ipc --runs 300 --jobs 1
    scripts/stall-suspects.py cg.out target/release/ipcsim 3000

With --indexed it also pairs stores and loads that address an element of
an array of structs (base + index * scale + offset) by their offset alone,
whatever registers hold the base and index and in whichever order the
listing has them (the stall in the kernel-API bench's driver was of that
kind: a result written by the kernel in words, copied out in 16-byte loads
by a caller, the two in different blocks). More candidates, more false ones.

Heuristic: it follows no jumps and knows nothing of calls' memory, so it
finds candidates to read, not proof; time a change (hot_loop or
scripts/explore-ab.sh) before keeping it. It found the stalls fixed by
Data's word-sized tag, the log's slots and Sys::enter.
"""
import sys, re, subprocess, collections
args = [a for a in sys.argv[1:] if a != '--indexed']
INDEXED = len(args) != len(sys.argv) - 1
prof, binary = args[0], args[1]
MIN = int(args[2]) if len(args) > 2 else 1000
WINDOW = 150
counts = collections.Counter(); last = 0; skip = False
for line in open(prof):
    if line.startswith('calls='):
        skip = True; continue
    m = re.match(r'^(0x[0-9a-f]+|\+\d+|-\d+|\*)\s+\S+\s+(\d+)', line)
    if not m: continue
    t, c = m.group(1), int(m.group(2))
    if t.startswith('0x'): last = int(t, 16)
    elif t.startswith('+'): last += int(t[1:])
    elif t.startswith('-'): last -= int(t[1:])
    if skip: skip = False; continue
    counts[last] += c
W = {'b': 1, 'w': 2, 'l': 4, 'q': 8}
def width(op, args):
    if op.startswith(('movzb', 'movsb')): return 1
    if op.startswith(('movzw', 'movsw')): return 2
    if 'xmm' in args: return 8 if op in ('movq', 'movsd', 'movlps', 'movhps') else 16
    regs = [r for r in re.findall(r'%(\w+)', args.split('(')[0] + (args.split(')')[-1] if ')' in args else ''))]
    if regs:
        r = regs[0]
        if re.fullmatch(r'r(ax|bx|cx|dx|si|di|bp|sp|8|9|1[0-5])', r): return 8
        if re.fullmatch(r'e\w\w|r\d+d', r): return 4
        if re.fullmatch(r'(ax|bx|cx|dx|si|di|bp)|r\d+w', r): return 2
        return 1
    return W.get(op[-1], 8)
def canon(r):
    m = {'eax':'rax','ebx':'rbx','ecx':'rcx','edx':'rdx','esi':'rsi','edi':'rdi','ebp':'rbp','esp':'rsp'}
    if r in m: return m[r]
    mm = re.fullmatch(r'(r\d+)[dwb]?', r)
    return mm.group(1) if mm else r
out = subprocess.run(['objdump', '-d', '--no-show-raw-insn', '-C', binary], capture_output=True, text=True).stdout
res = []
def analyze(func, lines):
    stores = []  # (i, base, off, w, addr, gen)
    gen = collections.Counter()
    for i, (addr, op, args) in enumerate(lines):
        hot = counts.get(addr, 0) >= MIN
        mem = re.search(r'(-?0x[0-9a-f]+|)\(%(\w+)\)', args)
        if hot and mem and op.startswith('mov') and ',' not in mem.group(0):
            off = int(mem.group(1), 16) if mem.group(1) else 0
            base = mem.group(2)
            w = width(op, args)
            if mem.end() >= len(args.rstrip()) - 0 and args.rstrip().endswith(')'):
                stores.append((i, base, off, w, addr, gen[base]))
            else:
                rec = [s for s in stores if s[1] == base and s[5] == gen[base] and i - s[0] <= WINDOW and s[2] < off + w and off < s[2] + s[3]]
                if rec:
                    l = rec[-1]
                    if not (l[2] <= off and off + w <= l[2] + l[3]):
                        res.append((counts[addr], func, hex(addr), op, args, [(hex(s[4]), hex(s[2]), s[3]) for s in rec[-3:]]))
        # destination register written?
        parts = args.split(',')
        dst = parts[-1].strip() if parts else ''
        if dst.startswith('%'):
            gen[canon(dst[1:])] += 1
        if op.startswith('call'):
            for r in ('rax','rcx','rdx','rsi','rdi','r8','r9','r10','r11'): gen[r] += 1

def analyze_indexed(func, lines):
    """Stores and loads through base+index addressing (an element of an array
    of structs, as the kernel's tables are): matched by displacement and scale
    whatever registers name the element, in any order within the function (the
    store and the load are often in different blocks, reached by jumps)."""
    stores, loads = [], []
    for addr, op, args in lines:
        if counts.get(addr, 0) < MIN or not op.startswith('mov'):
            continue
        mem = re.search(r'(-?0x[0-9a-f]+|)\(%\w+,%\w+,(\d)\)', args)
        if not mem:
            continue
        off = int(mem.group(1), 16) if mem.group(1) else 0
        w = width(op, args)
        entry = (addr, off, w, mem.group(2), op, args)
        (stores if args.rstrip().endswith(')') else loads).append(entry)
    for la, off, w, sc, op, args in loads:
        over = [s for s in stores if s[3] == sc and s[1] < off + w and off < s[1] + s[2]]
        if over and not any(s[1] <= off and off + w <= s[1] + s[2] for s in over):
            res.append((counts[la], func, hex(la), op, args, [(hex(s[0]), hex(s[1]), s[2]) for s in over[:3]]))

def functions():
    """The listing's functions: (name, [(address, mnemonic, operands)])."""
    func = None; lines = []
    for l in out.splitlines():
        m = re.match(r'^[0-9a-f]+ <(.*)>:$', l)
        if m:
            if func: yield func, lines
            func, lines = m.group(1), []
            continue
        m = re.match(r'\s*([0-9a-f]+):\s+(\S+)\s+(.*)', l)
        if m and func: lines.append((int(m.group(1), 16), m.group(2), m.group(3)))
    if func: yield func, lines

for func, lines in functions():
    analyze(func, lines)
    if INDEXED:
        analyze_indexed(func, lines)
for r in sorted(res, reverse=True)[:40]:
    print(r[0], r[1][:80], r[2], r[3], r[4], r[5])
