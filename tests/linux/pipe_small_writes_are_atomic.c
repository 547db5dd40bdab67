/* A write of at most PIPE_BUF bytes that does not fit waits and writes
 * nothing: a reader sees none of it until all of it fits.
 * Scenario: pipe_small_writes_are_atomic.ipc */
#include "common.h"
#include <fcntl.h>
#include <sys/wait.h>

int main(void) {
    int fd[2];
    pipe(fd);
    CHECK(fcntl(fd[1], F_SETPIPE_SZ, 4096) == 4096, "the pipe holds 4096 bytes");
    char a[3000], b[2000], got[8192];
    memset(a, 'a', sizeof a);
    memset(b, 'b', sizeof b);
    CHECK(write(fd[1], a, sizeof a) == 3000, "3000 bytes go in");
    pid_t w = fork();
    if (w == 0) {
        write(fd[1], b, sizeof b); /* 2000 <= PIPE_BUF: waits whole */
        _exit(0);
    }
    usleep(200 * 1000);
    ssize_t n = read(fd[0], got, sizeof got);
    CHECK(n == 3000, "the reader gets the 3000 bytes only: none of the waiting write");
    waitpid(w, NULL, 0);
    n = read(fd[0], got, sizeof got);
    CHECK(n == 2000 && got[0] == 'b', "then the 2000 bytes, whole");
    return done();
}
