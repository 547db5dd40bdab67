/* A standard signal sent twice while blocked is delivered once (one pending
 * bit); a real-time one queues. Scenario: standard_signals_merge.ipc */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>

static volatile int usr1, rt;
static void on_usr1(int s) { (void)s; usr1++; }
static void on_rt(int s) { (void)s; rt++; }

int main(void) {
    signal(SIGUSR1, on_usr1);
    signal(SIGRTMIN + 1, on_rt);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &set, &old);
    raise(SIGUSR1);
    raise(SIGUSR1);
    raise(SIGRTMIN + 1);
    raise(SIGRTMIN + 1);
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK(usr1 == 1, "SIGUSR1 sent twice while blocked: handled once");
    CHECK(rt == 2, "SIGRTMIN+1 sent twice while blocked: handled twice");
    /* The same before the target runs at all: a stopped child. */
    int pfd[2], ready[2];
    pipe(pfd);
    pipe(ready);
    usr1 = rt = 0;
    pid_t c = fork();
    if (c == 0) {
        write(ready[1], "r", 1);
        for (int i = 0; i < 50 && usr1 + rt < 3; i++) usleep(10 * 1000);
        char out[2] = {(char)('0' + usr1), (char)('0' + rt)};
        write(pfd[1], out, 2);
        _exit(0);
    }
    char r;
    read(ready[0], &r, 1); /* the child runs its loop now */
    kill(c, SIGSTOP);
    waitpid(c, NULL, WUNTRACED);
    kill(c, SIGUSR1);
    kill(c, SIGUSR1);
    kill(c, SIGRTMIN + 1);
    kill(c, SIGRTMIN + 1);
    kill(c, SIGCONT);
    char got[2] = {0};
    read(pfd[0], got, 2);
    waitpid(c, NULL, 0);
    CHECK(got[0] == '1' && got[1] == '2', "sent twice to a stopped process: SIGUSR1 handled once, SIGRTMIN+1 twice");
    return done();
}
