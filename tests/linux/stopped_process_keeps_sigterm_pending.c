/* A stopped process keeps a terminating signal pending and acts on it at
 * SIGCONT; SIGKILL kills at once. Scenario: stopped_process_keeps_sigterm_pending.ipc */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>

int main(void) {
    pid_t c = fork();
    if (c == 0) {
        for (;;) pause();
    }
    int st;
    kill(c, SIGSTOP);
    waitpid(c, &st, WUNTRACED);
    CHECK(WIFSTOPPED(st), "the child is stopped");
    kill(c, SIGTERM);
    usleep(200 * 1000);
    CHECK(waitpid(c, &st, WNOHANG) == 0, "SIGTERM to a stopped process leaves it alive");
    kill(c, SIGCONT);
    waitpid(c, &st, 0);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "at SIGCONT it dies of the pending SIGTERM");
    pid_t d = fork();
    if (d == 0) {
        for (;;) pause();
    }
    kill(d, SIGSTOP);
    waitpid(d, &st, WUNTRACED);
    kill(d, SIGKILL);
    waitpid(d, &st, 0);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "SIGKILL kills a stopped process at once");
    return done();
}
