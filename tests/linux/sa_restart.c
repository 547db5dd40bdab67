/* SA_RESTART: a pipe read interrupted by a signal whose handler has it
 * resumes and gets its bytes; without it the read fails EINTR; System V
 * msgrcv fails EINTR even with SA_RESTART (signal(7)).
 * Scenario: sa_restart.ipc */
#include "common.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>

static void on_signal(int s) { (void)s; }

static void catch_with(int sig, int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

int main(void) {
    int p[2], q[2];
    if (pipe(p) || pipe(q)) return 2;
    int mq = msgget(IPC_PRIVATE, 0600);
    catch_with(SIGUSR1, SA_RESTART);
    catch_with(SIGUSR2, 0);
    pid_t reader = getpid();
    pid_t w = fork();
    if (w == 0) {
        usleep(100 * 1000);
        kill(reader, SIGUSR1);
        usleep(100 * 1000);
        if (write(p[1], "hello", 5) != 5) _exit(1);
        usleep(200 * 1000);
        kill(reader, SIGUSR2);
        usleep(200 * 1000);
        kill(reader, SIGUSR1);
        _exit(0);
    }
    char buf[8];
    CHECK(read(p[0], buf, 5) == 5 && memcmp(buf, "hello", 5) == 0, "SA_RESTART: the read resumes and gets its bytes");
    CHECK(read(q[0], buf, 5) == -1 && errno == EINTR, "no SA_RESTART: EINTR");
    struct { long type; char text[8]; } m;
    CHECK(msgrcv(mq, &m, sizeof m.text, 0, 0) == -1 && errno == EINTR, "msgrcv: EINTR even with SA_RESTART");
    waitpid(w, NULL, 0);
    msgctl(mq, IPC_RMID, NULL);
    return done();
}
