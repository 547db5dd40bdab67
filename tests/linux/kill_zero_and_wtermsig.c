/* kill(pid, 0) sends no signal: it checks existence and permission (EPERM
 * for another uid, ESRCH once reaped); WTERMSIG names the signal that
 * killed a child. Scenario: kill_zero_and_wtermsig.ipc. Run as root it
 * drops to uid 2000 for the prober and 1000 for the stranger; as another
 * user, the stranger is init (pid 1), which no unprivileged process may
 * signal. */
#include "common.h"
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

int main(void) {
    pid_t stranger = 1;
    if (getuid() == 0) {
        stranger = fork();
        if (stranger == 0) {
            if (setuid(1000) != 0) _exit(2);
            sleep(10);
            _exit(0);
        }
        if (setuid(2000) != 0) return 2;
    }
    pid_t s = fork();
    if (s == 0) {
        sleep(10);
        _exit(0);
    }
    CHECK(kill(s, 0) == 0, "kill(pid, 0) on a live child of the same uid succeeds");
    CHECK(kill(stranger, 0) == -1 && errno == EPERM, "another uid's process: EPERM");
    kill(s, SIGTERM);
    int st;
    waitpid(s, &st, 0);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "WTERMSIG is SIGTERM");
    CHECK(kill(s, 0) == -1 && errno == ESRCH, "a reaped child: ESRCH");
    pid_t q = fork();
    if (q == 0) _exit(0);
    waitpid(q, &st, 0);
    CHECK(WIFEXITED(st) && !WIFSIGNALED(st), "a child that exited was not signalled");
    return done();
}
