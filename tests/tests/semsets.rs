//! System V semaphore sets in the language (ipcsim extension, as Linux's
//! `semget` nsems, `semop`, `semctl`): each form, each error path with its
//! Linux errno beside it, and the parse errors with their positions.

use ipcsim_tests::{load_errors as errors, run_passing as passes, run_traced as run};

#[test]
fn several_operations_apply_together_or_not_at_all() {
    // b asks for semaphores 1 and 2 together; 1 is taken, so b takes neither
    // (c can still take 2 meanwhile), and gets both when a gives 1 back.
    passes(
        "semaphore s value 1 count 3
process a caps(s: all) {
    semop s 0:-1 1:-1
    sleep 5
    semop s 0:1 1:1
}
process b caps(s: all) {
    sleep 1
    semop s 1:-1 2:-1
    expect now == 5
}
process c caps(s: all) {
    sleep 2
    semctl s getval 2 -> v
    expect v == 1
    semctl s getncnt 1 -> n
    expect n == 1
    semctl s getncnt 2 -> n2
    expect n2 == 0
    semop s 2:-1 nowait
    semop s 2:1
}
expect a exited
expect b exited
expect c exited
",
    );
}

#[test]
fn a_smaller_request_is_not_held_up_behind_a_larger_one() {
    // Linux's update_queue: the waiter for 2 units stays; the one for 1 goes.
    passes(
        "semaphore s value 0
process big caps(s: all) {
    try semop s 0:-2 timeout 10 -> r
    expect r is TimedOut
}
process small caps(s: all) {
    sleep 1
    semop s 0:-1
    expect now == 2
}
process giver caps(s: all) {
    sleep 2
    sem_post s
}
expect big exited
expect small exited
",
    );
}

#[test]
fn wait_for_zero_is_a_barrier() {
    let out = passes(
        "semaphore gate value 2
process w1 caps(gate: all) {
    semop gate 0:0
    expect now == 6
}
process w2 caps(gate: read) {
    semop gate 0:0
    expect now == 6
}
process counter caps(gate: all) {
    sleep 1
    semctl gate getzcnt -> z
    expect z == 2
    sleep 2
    sem_wait gate
    sleep 3
    sem_wait gate
}
expect w1 exited
expect w2 exited
",
    );
    assert!(out.contains("w2           blocks: waits for zero on gate\n"), "{out}");
    assert!(out.contains("w1           semop gate 0:0\n"), "{out}");
}

#[test]
fn undo_gives_back_what_a_dead_process_took() {
    passes(
        "semaphore m value 1
process crasher caps(m: all) {
    semop m 0:-1 undo
    sleep 3
    let x = 1 / 0
}
process plain caps(m: all) {
    sleep 1
    semop m 0:-1 -> r
    expect now == 3
}
expect crasher failed InvalidArgument
expect plain exited
",
    );
    // Without undo the unit dies with its holder.
    passes(
        "semaphore m value 1
process crasher caps(m: all) {
    semop m 0:-1
    let x = 1 / 0
}
process plain caps(m: all) {
    sleep 1
    try semop m 0:-1 timeout 5 -> r
    expect r is TimedOut
}
expect crasher failed InvalidArgument
expect plain exited
",
    );
}

#[test]
fn undo_at_exit_is_clamped_and_setval_clears_it() {
    // The adjustment (+1) would take the value to 1, but setval cleared it: 0 stays.
    passes(
        "semaphore m value 1
process p caps(m: all) {
    semop m 0:-1 undo
    semctl m setval 0
}
process q caps(m: all) {
    sleep 1
    semctl m getval -> v
    expect v == 0
}
expect p exited
expect q exited
",
    );
    // A V with undo (adjustment -1) on a value a P has taken down to 0 meanwhile:
    // at exit the value cannot go below 0 (Linux's exit_sem clamps).
    passes(
        "semaphore m value 0
process p caps(m: all) {
    semop m 0:1 undo
    sleep 2
}
process q caps(m: all) {
    sleep 1
    sem_wait m
    sleep 2
    semctl m getval -> v
    expect v == 0
}
expect p exited
expect q exited
",
    );
}

#[test]
fn semop_errors_are_linux_s() {
    passes(
        "semaphore s value 1 count 2
semaphore big value 32767
process p caps(s: all, big: all) {
    try semop s 2:-1 -> efbig
    expect efbig is InvalidArgument
    try semop big 0:1 -> erange
    expect erange is LimitReached
    try semop s 0:-2 nowait -> again
    expect again is WouldBlock
    try semctl s getval 5 -> nosuch
    expect nosuch is InvalidArgument
    try semctl s setval 0 40000 -> toobig
    expect toobig is LimitReached
    semctl s getval 0 -> v
    expect v == 1
}
expect p exited
",
    );
}

#[test]
fn permissions_follow_the_mode() {
    // Read permission: getval and wait-for-zero; alter permission: P, V, setval.
    passes(
        "semaphore s value 0 key 7 mode 0644 owner 1000 1000
process other uid 2000 gid 2000 {
    semget 7 -> s
    semctl s getval -> v
    expect v == 0
    semop s 0:0
    try semop s 0:1 -> alter
    expect alter is PermissionDenied
    try semctl s setval 3 -> set
    expect set is PermissionDenied
    try semctl s remove -> rm
    expect rm is PermissionDenied
}
process owner {
    sleep 1
    semget 7 -> s
    semctl s setval 2
    semctl s remove
    try semget 7 -> gone
    expect gone is NotFound
}
expect other exited
expect owner exited
",
    );
}

#[test]
fn semget_makes_and_finds_sets() {
    passes(
        "process p {
    semget 9 create count 4 value 1 -> s
    semctl s getval 3 -> v
    expect v == 1
    semget 9 count 2 -> again
    try semget 9 count 5 -> more
    expect more is InvalidArgument
    semop again 3:-1
    semctl s getval 3 -> w
    expect w == 0
}
expect p exited
",
    );
}

#[test]
fn removal_wakes_every_waiter() {
    passes(
        "semaphore s value 0 count 2
process w caps(s: all) {
    try semop s 1:-1 -> r
    expect r is ObjectGone
}
process z caps(s: all) {
    semctl s setval 0 1
    try semop s 0:0 -> r
    expect r is ObjectGone
}
process rm caps(s: all) {
    sleep 1
    semctl s remove
}
expect w exited
expect z exited
",
    );
}

#[test]
fn crossed_sets_deadlock_and_one_semop_avoids_it() {
    let (exit, out) = run("semaphore l value 1 count 2
process a caps(l: all) {
    semop l 0:-1
    sleep 1
    semop l 1:-1
}
process b caps(l: all) {
    semop l 1:-1
    sleep 1
    semop l 0:-1
}
expect deadlock
");
    assert_eq!(exit, 0, "{out}");
    assert!(out.contains("deadlock at t=1: a, b"), "{out}");
    passes(
        "semaphore l value 1 count 2
process a caps(l: all) {
    semop l 0:-1 1:-1
    sleep 1
    semop l 0:1 1:1
}
process b caps(l: all) {
    semop l 1:-1 0:-1
    sleep 1
    semop l 0:1 1:1
}
expect a exited
expect b exited
expect no deadlock
",
    );
}

#[test]
fn parse_errors_say_what_a_semop_needs() {
    assert_eq!(
        errors("semaphore s value 1\nprocess p caps(s: all) {\n    semop s\n}\n"),
        vec!["3:12: `semop` needs at least one operation `NUM:OP` (`0:-1` takes a unit of semaphore 0)"]
    );
    assert_eq!(
        errors("semaphore s value 1\nprocess p caps(s: all) {\n    semop s 0 -1\n}\n"),
        vec!["3:15: expected `:`, found `-`"]
    );
    assert_eq!(
        errors("semaphore s value 1\nprocess p caps(s: all) {\n    semctl s peek\n}\n"),
        vec!["3:14: `semctl` takes `getval`, `setval`, `getncnt`, `getzcnt` or `remove`"]
    );
    assert_eq!(
        errors("semaphore s value 1\nprocess p caps(s: all) {\n    semctl s setval\n}\n"),
        vec!["3:20: `semctl setval` needs a value (`setval V`, or `setval N V` for semaphore N)"]
    );
    assert_eq!(
        errors("semaphore s value 1 count 0\n"),
        vec!["1:27: a semaphore set holds 1 to 32000 semaphores"]
    );
    assert_eq!(
        errors("mailbox m\nprocess p caps(m: all) {\n    semop m 0:-1\n}\n"),
        vec!["3:11: `semop` needs a semaphore, but `m` is a mailbox"]
    );
}

#[test]
fn a_semop_s_operand_out_of_range_fails_at_its_position() {
    let (exit, out) = run("semaphore s value 1
process p caps(s: all) {
    semop s 0:40000
}
expect p failed InvalidArgument
");
    assert_eq!(exit, 0, "{out}");
    assert!(
        out.contains("print: error at t.ipc:3:15: a semaphore operation is -32768 to 32767, not 40000"),
        "{out}"
    );
}
