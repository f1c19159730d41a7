/*
 * dirtier - keep a guest's memory dirty so that live migration has work to do.
 *
 * Started by the guest's /init when the kernel command line carries
 * ferry.dirty=MiB (> 0). It allocates that many MiB and, pass after pass,
 * writes the pass number into the first word of every 4 KiB page, so every
 * page is dirtied once per pass. With a rate (MiB/s, > 0) it sleeps to keep
 * to that pace; with rate 0 it runs flat out.
 *
 * Before each write it checks that the page still holds the previous pass's
 * value and prints one CORRUPT line per pass if not. This is informational
 * only: QEMU 7.2 TCG pre-copy is known to lose guest writes (see
 * /work/shared/lab/NOTES.md 4c), so tests must not assert on it.
 *
 * Output is deliberately tiny (a start line, CORRUPT lines) so the serial
 * log stays small. Built static: the initramfs has no libc.
 *
 * usage: dirtier MIB [RATE_MIB_PER_S]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define MIB (1024UL * 1024UL)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_for(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	unsigned long mib, rate, pages, i;
	uint64_t pass, bad;
	unsigned char *mem;
	double start;

	if (argc < 2) {
		fprintf(stderr, "usage: dirtier MIB [RATE_MIB_PER_S]\n");
		return 2;
	}
	mib = strtoul(argv[1], NULL, 10);
	rate = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
	if (mib == 0)
		return 0;

	pages = mib * MIB / PAGE;
	/* MAP_POPULATE: fault everything in now, so the pages are real from pass 1. */
	mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED) {
		printf("DIRTIER-FAIL mmap %lu MiB\n", mib);
		return 1;
	}
	printf("DIRTIER %lu MiB rate %lu MiB/s\n", mib, rate);
	fflush(stdout);

	for (pass = 1;; pass++) {
		start = now();
		bad = 0;
		for (i = 0; i < pages; i++) {
			volatile uint64_t *w = (volatile uint64_t *)(mem + i * PAGE);

			/* Tag each page with its index too, so a page that moved is seen. */
			if (pass > 1 && *w != ((pass - 1) << 24 | (i & 0xffffff)))
				bad++;
			*w = pass << 24 | (i & 0xffffff);
			/* Pace per MiB so the rate is smooth, not one burst per pass. */
			if (rate && (i + 1) % (MIB / PAGE) == 0) {
				double due = (double)((i + 1) * PAGE) / (double)(rate * MIB);

				sleep_for(due - (now() - start));
			}
		}
		if (bad) {
			printf("CORRUPT pass=%llu bad=%llu\n", (unsigned long long)pass,
			       (unsigned long long)bad);
			fflush(stdout);
		}
	}
}
