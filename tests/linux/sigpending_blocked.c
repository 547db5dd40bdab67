/* sigpending and sigismember: a blocked signal sent twice is pending (once);
 * unblocking delivers it once and it is pending no more.
 * Scenario: sigpending_blocked.ipc */
#include "common.h"
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t handled;
static void on_usr1(int s) { (void)s; handled++; }

static int pending(int sig) {
    sigset_t set;
    sigpending(&set);
    return sigismember(&set, sig);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigprocmask(SIG_BLOCK, &m, NULL);
    CHECK(!pending(SIGUSR1), "nothing pending before");
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1);
    CHECK(pending(SIGUSR1), "a blocked SIGUSR1 sent twice is pending");
    CHECK(!pending(SIGUSR2), "SIGUSR2 is not");
    sigprocmask(SIG_UNBLOCK, &m, NULL);
    CHECK(handled == 1, "unblocking delivers it once");
    CHECK(!pending(SIGUSR1), "and it is pending no more");
    return done();
}
