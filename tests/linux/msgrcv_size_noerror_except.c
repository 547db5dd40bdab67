/* msgrcv with a buffer size: a longer message fails E2BIG and stays queued;
 * MSG_NOERROR takes it cut; MSG_EXCEPT takes the first message of another
 * type; a receiver waiting with too small a buffer is woken with E2BIG.
 * Scenario: msgrcv_size_noerror_except.ipc */
#include "common.h"
#include <errno.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>

struct m { long type; char text[64]; };

static int count(int q) {
    struct msqid_ds ds;
    msgctl(q, IPC_STAT, &ds);
    return (int)ds.msg_qnum;
}

int main(void) {
    int q = msgget(IPC_PRIVATE, 0600);
    struct m a = {1, "0123456789"}, r;
    msgsnd(q, &a, 10, 0);
    CHECK(msgrcv(q, &r, 4, 1, IPC_NOWAIT) == -1 && errno == E2BIG, "a longer message fails E2BIG");
    CHECK(count(q) == 1, "and stays queued");
    memset(r.text, 0, sizeof r.text);
    CHECK(msgrcv(q, &r, 4, 1, MSG_NOERROR) == 4 && memcmp(r.text, "0123", 4) == 0, "MSG_NOERROR cuts it");
    CHECK(count(q) == 0, "and takes it");
    struct m one = {1, "one"}, two = {2, "two"};
    msgsnd(q, &one, 3, 0);
    msgsnd(q, &two, 3, 0);
    CHECK(msgrcv(q, &r, sizeof r.text, 1, MSG_EXCEPT) == 3 && r.type == 2, "MSG_EXCEPT takes another type");
    CHECK(msgrcv(q, &r, 3, 1, 0) == 3, "exactly the size fits");
    pid_t w = fork();
    if (w == 0) {
        struct m s;
        int got = (int)msgrcv(q, &s, 4, 5, 0);
        _exit(got == -1 && errno == E2BIG ? 0 : 1);
    }
    usleep(200 * 1000);
    struct m longer = {5, "too long for you"};
    msgsnd(q, &longer, 16, 0);
    int st;
    waitpid(w, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a waiter with too small a buffer wakes with E2BIG");
    CHECK(count(q) == 1, "and the message stays queued");
    msgctl(q, IPC_RMID, NULL);
    return done();
}
