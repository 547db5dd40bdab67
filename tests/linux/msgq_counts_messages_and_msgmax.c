/* Each message counts one byte against msg_qbytes (so zero-length ones are
 * bounded); a message over msgmax is EINVAL. Scenario: msgq_counts_messages_and_msgmax.ipc */
#include "common.h"
#include <sys/ipc.h>
#include <sys/msg.h>

struct m { long type; char text[9000]; };

int main(void) {
    int q = msgget(IPC_PRIVATE, 0600);
    struct msqid_ds ds;
    msgctl(q, IPC_STAT, &ds);
    ds.msg_qbytes = 4;
    msgctl(q, IPC_SET, &ds);
    static struct m z = {1, {0}};
    int sent = 0;
    while (sent < 10 && msgsnd(q, &z, 0, IPC_NOWAIT) == 0)
        sent++;
    CHECK(sent == 4 && errno == EAGAIN, "4 zero-length messages fill a 4-byte queue; the 5th is EAGAIN");
    int big = msgget(IPC_PRIVATE, 0600);
    errno = 0;
    CHECK(msgsnd(big, &z, 8193, IPC_NOWAIT) == -1 && errno == EINVAL, "a message over msgmax (8192) is EINVAL");
    int p1 = msgget(IPC_PRIVATE, 0600), p2 = msgget(IPC_PRIVATE, 0600);
    CHECK(p1 != p2, "IPC_PRIVATE makes a new queue each time");
    msgctl(q, IPC_RMID, NULL);
    msgctl(big, IPC_RMID, NULL);
    msgctl(p1, IPC_RMID, NULL);
    msgctl(p2, IPC_RMID, NULL);
    return done();
}
