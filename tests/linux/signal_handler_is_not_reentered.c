/* A caught signal is blocked while its own handler runs: one that arrives
 * meanwhile is handled after, not inside (POSIX sigaction); with SA_NODEFER
 * it nests. Scenario: signal_handler_is_not_reentered.ipc */
#include "common.h"
#include <signal.h>

static volatile int depth, deepest, runs;

static void handler(int s) {
    (void)s;
    depth++;
    runs++;
    if (depth > deepest) deepest = depth;
    if (runs == 1) raise(SIGUSR1); /* arrives during the handler */
    depth--;
}

static void run(int flags, int want_depth) {
    struct sigaction sa = {0};
    sa.sa_handler = handler;
    sa.sa_flags = flags;
    sigaction(SIGUSR1, &sa, NULL);
    depth = deepest = runs = 0;
    raise(SIGUSR1);
    char what[100];
    snprintf(what, sizeof what, "%s: handled twice, nested %d deep", flags ? "SA_NODEFER" : "default", want_depth);
    CHECK(runs == 2 && deepest == want_depth, what);
}

int main(void) {
    run(0, 1);
    run(SA_NODEFER, 2);
    return done();
}
