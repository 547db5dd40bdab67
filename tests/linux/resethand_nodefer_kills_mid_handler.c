/* SA_RESETHAND puts the default action back as the handler starts. With
 * SA_NODEFER too (System V signal()'s flags) a second signal during the
 * handler kills at once, before the handler ends; with SA_RESETHAND alone
 * it waits, blocked, and kills when the handler returns.
 * Scenario: resethand_nodefer_kills_mid_handler.ipc (and signals_reliable.ipc) */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>

static int out_fd;
static void slow_handler(int s) {
    (void)s;
    usleep(300 * 1000);
    write(out_fd, "h", 1); /* the handler finished */
}

/* The child's handler output and how it ended, for the given flags. */
static void run(int flags, char *finished, int *sig) {
    int pfd[2], ready[2];
    pipe(pfd);
    pipe(ready);
    pid_t c = fork();
    if (c == 0) {
        out_fd = pfd[1];
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = slow_handler;
        sa.sa_flags = flags;
        sigaction(SIGUSR2, &sa, NULL);
        write(ready[1], "r", 1);
        for (;;) pause();
    }
    close(pfd[1]);
    char r;
    read(ready[0], &r, 1);
    kill(c, SIGUSR2);
    usleep(100 * 1000); /* the handler is running */
    kill(c, SIGUSR2);
    int st = 0;
    waitpid(c, &st, 0);
    *sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    *finished = 0;
    read(pfd[0], finished, 1);
    close(pfd[0]);
}

int main(void) {
    char fin;
    int sig;
    run(SA_RESETHAND | SA_NODEFER, &fin, &sig);
    CHECK(sig == SIGUSR2 && fin == 0, "SA_RESETHAND|SA_NODEFER: the second SIGUSR2 kills mid-handler");
    run(SA_RESETHAND, &fin, &sig);
    CHECK(sig == SIGUSR2 && fin == 'h', "SA_RESETHAND alone: the handler finishes, then the second SIGUSR2 kills");
    return done();
}
