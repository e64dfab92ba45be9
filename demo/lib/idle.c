/* The demo's stand-in for a miner binary: ignores its arguments (they only have to look like a
 * miner's command line) and sleeps until it is killed. Does nothing else. */
#include <unistd.h>

int main(void)
{
    for (;;)
        pause();
}
