/* msgctl IPC_SET: the owner or a privileged process may change msg_qbytes
 * and the mode (EPERM for anyone else); above msgmnb (16384 by default)
 * needs CAP_SYS_RESOURCE; a sender waiting for room goes in when the limit
 * grows. Scenario: msgctl_set_qbytes.ipc. Run as root: seteuid gives the
 * other users (IPC permission and capabilities follow the effective uid). */
#include "common.h"
#include <errno.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>

struct m { long type; char text[64]; };

/* Whether this process has CAP_SYS_RESOURCE (bit 24 of CapEff): a container
 * may run root without it. */
static int has_sys_resource(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long eff = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "CapEff: %llx", &eff) == 1) break;
    if (f) fclose(f);
    return (eff >> 24) & 1;
}

static int set_qbytes(int q, unsigned long n) {
    struct msqid_ds ds;
    if (msgctl(q, IPC_STAT, &ds) != 0) return -1;
    ds.msg_qbytes = n;
    return msgctl(q, IPC_SET, &ds);
}

int main(void) {
    if (geteuid() != 0) {
        printf("skipped: needs root (seteuid to other users)\n");
        return 0;
    }
    if (seteuid(1000) != 0) return 2;
    int q = msgget(IPC_PRIVATE, 0666);
    CHECK(q >= 0 && set_qbytes(q, 100) == 0, "the owner sets msg_qbytes to 100");
    struct m a = {1, {0}};
    msgsnd(q, &a, 60, 0);
    CHECK(set_qbytes(q, 20000) == -1 && errno == EPERM, "above msgmnb without CAP_SYS_RESOURCE: EPERM");
    if (seteuid(0) != 0 || seteuid(2000) != 0) return 2;
    CHECK(set_qbytes(q, 50) == -1 && errno == EPERM, "not the owner: EPERM");
    if (seteuid(0) != 0) return 2;
    pid_t s = fork();
    if (s == 0) {
        struct m b = {2, {0}};
        _exit(msgsnd(q, &b, 60, 0) == 0 ? 0 : 1); /* waits: 120 > 100 */
    }
    usleep(200 * 1000);
    if (seteuid(1000) != 0) return 2;
    CHECK(set_qbytes(q, 200) == 0, "the owner raises it to 200");
    if (seteuid(0) != 0) return 2;
    int st;
    waitpid(s, &st, 0);
    struct msqid_ds ds;
    msgctl(q, IPC_STAT, &ds);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0 && ds.msg_qnum == 2, "the waiting sender went in");
    if (has_sys_resource())
        CHECK(set_qbytes(q, 20000) == 0, "uid 0 (CAP_SYS_RESOURCE) may go above msgmnb");
    else
        printf("skipped: uid 0 above msgmnb (this root lacks CAP_SYS_RESOURCE)\n");
    msgctl(q, IPC_RMID, NULL);
    return done();
}
