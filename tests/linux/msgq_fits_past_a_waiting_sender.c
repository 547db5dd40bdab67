/* A message that fits is queued while a bigger sender waits (msg_fits_inqueue):
 * blocked senders reserve nothing. Scenario: msgq_fits_past_a_waiting_sender.ipc */
#include "common.h"
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>

struct m { long type; char text[200]; };

int main(void) {
    int q = msgget(IPC_PRIVATE, 0600);
    struct msqid_ds ds;
    msgctl(q, IPC_STAT, &ds);
    ds.msg_qbytes = 100;
    CHECK(msgctl(q, IPC_SET, &ds) == 0, "the queue holds 100 bytes");
    struct m a = {1, {0}};
    CHECK(msgsnd(q, &a, 60, 0) == 0, "60 bytes go in");
    pid_t big = fork();
    if (big == 0) {
        struct m b = {2, {0}};
        msgsnd(q, &b, 60, 0); /* waits: 60 + 60 > 100 */
        _exit(0);
    }
    usleep(200 * 1000);
    struct m c = {3, {0}};
    CHECK(msgsnd(q, &c, 30, IPC_NOWAIT) == 0, "30 bytes go in while the 60-byte sender waits");
    struct m r;
    CHECK(msgrcv(q, &r, sizeof r.text, 1, 0) == 60, "the first message comes out");
    waitpid(big, NULL, 0);
    CHECK(msgctl(q, IPC_STAT, &ds) == 0 && ds.msg_qnum == 2, "then the waiting sender's goes in");
    msgctl(q, IPC_RMID, NULL);
    return done();
}
