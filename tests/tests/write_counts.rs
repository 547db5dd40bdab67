//! `write ... -> N`: a write returns the bytes it wrote, as Linux's write(2)
//! does: all of them when it completes; what fits for a non-blocking write
//! larger than the pipe's atomic size; what went in before a signal cut it
//! short; and a write interrupted before any byte went in is restarted by a
//! `restart` handler (SA_RESTART).

use ipcsim_tests::run_passing as passes;

#[test]
fn a_write_returns_its_count() {
    passes(
        r#"pipe p capacity 4
process w caps(p: write) {
    write p "abcdef" -> n
    expect n == 6
    write p "xyz123" nowait -> m
    expect m == 4
    try write p "q" nowait -> e
    expect e is WouldBlock
}
process r caps(p: read) {
    sleep 1
    read p 10 -> a
    read p 10 -> b
    expect a + b == "abcdef"
    sleep 5
    read p 10 -> c
    expect c == "xyz1"
}
expect w exited
expect r exited
"#,
    );
}

#[test]
fn an_atomic_nonblocking_write_writes_nothing_when_it_does_not_fit() {
    passes(
        r#"pipe p capacity 8
process w caps(p: write) {
    write p "abcde"
    try write p "fghi" nowait -> e
    expect e is WouldBlock
}
process r caps(p: read) {
    sleep 1
    read p 10 -> a
    expect a == "abcde"
}
expect w exited
expect r exited
"#,
    );
}

#[test]
fn a_write_cut_short_by_a_signal_returns_what_went_in() {
    passes(
        r#"pipe p capacity 4
process w caps(p: write) {
    on SIGUSR1 { print "handled" }
    write p "abcdef" -> n
    expect n == 4
}
process k caps(p: read) {
    sleep 2
    kill w SIGUSR1
}
expect w exited
"#,
    );
}

#[test]
fn a_write_interrupted_before_any_byte_is_restarted() {
    let out = passes(
        r#"pipe p capacity 4
process w caps(p: write) {
    on SIGUSR1 restart { print "handled" }
    write p "full"
    write p "ab" -> n
    expect n == 2
    expect now == 3
}
process k caps(p: read) {
    sleep 2
    kill w SIGUSR1
    sleep 1
    read p 10 -> a
    expect a == "full"
}
expect w exited
expect k exited
"#,
    );
    assert!(out.contains("print: handled"), "{out}");
}

#[test]
fn a_write_whose_reader_leaves_returns_what_went_in() {
    passes(
        r#"pipe p capacity 4
process w caps(p: write) {
    ignore SIGPIPE
    write p "abcdef" -> n
    expect n == 4
}
process r caps(p: read) {
    sleep 2
    close p
}
expect w exited
"#,
    );
}
