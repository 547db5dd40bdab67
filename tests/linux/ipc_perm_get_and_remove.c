/* msgget asking no bits succeeds with no permission, and the first operation
 * is EACCES; asking bits is EACCES at the get; IPC_STAT needs read; IPC_RMID
 * needs ownership, whatever the mode; semop needs alter permission.
 * Runs as root (to take other uids). Scenario: ipc_perm_get_and_remove.ipc */
#include "common.h"
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/wait.h>

int main(void) {
    if (getuid() != 0) {
        printf("skipped: needs root to act as other uids\n");
        return 0;
    }
    key_t key = 0x1d5e, open_key = 0x1d5f, semkey = 0x1d60, wo_key = 0x1d61;
    int q = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
    int open_q = msgget(open_key, IPC_CREAT | IPC_EXCL | 0666);
    int sem = semget(semkey, 1, IPC_CREAT | IPC_EXCL | 0644);
    pid_t child = fork();
    if (child == 0) {
        setuid(3000);
        /* root passes every check (CAP_IPC_OWNER): the owner here is uid 3000 */
        int wo = msgget(wo_key, IPC_CREAT | IPC_EXCL | 0200);
        struct msqid_ds ds;
        errno = 0;
        CHECK(msgctl(wo, IPC_STAT, &ds) == -1 && errno == EACCES, "IPC_STAT needs read permission, even the owner's");
        CHECK(msgctl(wo, IPC_RMID, NULL) == 0, "the owner removes it whatever its mode");
        int got = msgget(key, 0);
        CHECK(got == q, "msgget(key, 0) by another uid succeeds with mode 0600");
        struct { long t; char c[8]; } m;
        errno = 0;
        CHECK(msgrcv(got, &m, 8, 0, IPC_NOWAIT) == -1 && errno == EACCES, "... and msgrcv is EACCES");
        errno = 0;
        CHECK(msgget(key, 0400) == -1 && errno == EACCES, "msgget(key, 0400) is EACCES at the get");
        errno = 0;
        CHECK(msgctl(open_q, IPC_RMID, NULL) == -1 && errno == EPERM, "IPC_RMID by a non-owner is EPERM even at mode 0666");
        struct sembuf p = {0, 1, IPC_NOWAIT};
        errno = 0;
        CHECK(semop(sem, &p, 1) == -1 && errno == EACCES, "semop with read permission only is EACCES");
        fflush(stdout);
        _exit(done());
    }
    int status;
    waitpid(child, &status, 0);
    failures += WEXITSTATUS(status);
    CHECK(msgctl(open_q, IPC_RMID, NULL) == 0, "the owner removes it");
    msgctl(q, IPC_RMID, NULL);
    semctl(sem, 0, IPC_RMID);
    return done();
}
