/* Semaphore sets: several operations apply together or not at all; a waiter
 * counts (GETNCNT) on the semaphore that holds it up; a smaller request is
 * not held up behind a larger one; wait-for-zero (GETZCNT); SEM_UNDO gives
 * back at exit what a process took; EFBIG, ERANGE, EAGAIN.
 * Scenario: semop_sets.ipc */
#include "common.h"
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };

static int op(int s, unsigned short num, short v, short flg) {
    struct sembuf b = {num, v, flg};
    return semop(s, &b, 1);
}

int main(void) {
    int s = semget(IPC_PRIVATE, 3, 0600);
    union semun u;
    for (int i = 0; i < 3; i++) { u.val = 1; semctl(s, i, SETVAL, u); }
    struct sembuf take01[2] = {{0, -1, 0}, {1, -1, 0}};
    CHECK(semop(s, take01, 2) == 0, "a takes semaphores 0 and 1 in one semop");
    pid_t b = fork();
    if (b == 0) {
        struct sembuf take12[2] = {{1, -1, 0}, {2, -1, 0}};
        _exit(semop(s, take12, 2) == 0 ? 0 : 1); /* waits: 1 is taken */
    }
    usleep(200 * 1000);
    CHECK(semctl(s, 2, GETVAL) == 1, "b, waiting for 1 and 2, has taken neither (2 is still 1)");
    CHECK(semctl(s, 1, GETNCNT) == 1, "b counts as waiting on semaphore 1 (GETNCNT)");
    CHECK(semctl(s, 2, GETNCNT) == 0, "and not on semaphore 2");
    CHECK(op(s, 1, 1, 0) == 0, "a gives 1 back");
    int st;
    waitpid(b, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "b's semop then completes");
    CHECK(semctl(s, 1, GETVAL) == 0 && semctl(s, 2, GETVAL) == 0, "having taken both");

    /* A larger request waits; a smaller one behind it goes first. */
    u.val = 0; semctl(s, 0, SETVAL, u);
    pid_t big = fork();
    if (big == 0) { _exit(op(s, 0, -2, 0) == 0 ? 0 : 1); }
    usleep(100 * 1000);
    pid_t small = fork();
    if (small == 0) { _exit(op(s, 0, -1, 0) == 0 ? 0 : 1); }
    usleep(100 * 1000);
    op(s, 0, 1, 0);
    waitpid(small, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the request for 1 unit goes past the waiting request for 2");
    CHECK(semctl(s, 0, GETNCNT) == 1, "the request for 2 still waits");
    kill(big, SIGKILL);
    waitpid(big, NULL, 0);

    /* Wait for zero. */
    u.val = 1; semctl(s, 2, SETVAL, u);
    pid_t z = fork();
    if (z == 0) { _exit(op(s, 2, 0, 0) == 0 ? 0 : 1); }
    usleep(100 * 1000);
    CHECK(semctl(s, 2, GETZCNT) == 1, "a wait for zero counts in GETZCNT");
    op(s, 2, -1, 0);
    waitpid(z, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "and completes when the value reaches 0");

    /* SEM_UNDO: a process that dies holding a unit gives it back. */
    u.val = 1; semctl(s, 0, SETVAL, u);
    pid_t d = fork();
    if (d == 0) { op(s, 0, -1, SEM_UNDO); _exit(3); }
    waitpid(d, NULL, 0);
    CHECK(semctl(s, 0, GETVAL) == 1, "SEM_UNDO: the unit a dead process took is back");
    pid_t d2 = fork();
    if (d2 == 0) { op(s, 0, -1, 0); _exit(3); }
    waitpid(d2, NULL, 0);
    CHECK(semctl(s, 0, GETVAL) == 0, "without SEM_UNDO it is gone");

    errno = 0;
    CHECK(op(s, 3, -1, 0) == -1 && errno == EFBIG, "a semaphore the set does not have: EFBIG");
    u.val = 32767; semctl(s, 1, SETVAL, u);
    errno = 0;
    CHECK(op(s, 1, 1, 0) == -1 && errno == ERANGE, "past SEMVMX (32767): ERANGE");
    errno = 0;
    CHECK(op(s, 0, -1, IPC_NOWAIT) == -1 && errno == EAGAIN, "IPC_NOWAIT when it would wait: EAGAIN");
    semctl(s, 0, IPC_RMID);
    return done();
}
