/* digest_io FILE [REPS]: SHA-256 (OpenSSL EVP, as lib/digest does) of FILE
 * read with pread in blocks of 64 KiB to 4 MiB, and through mmap; the best
 * of REPS runs of each, with its CPU and system time.  The measurement
 * behind RF_DIGEST_READ_SIZE (tests/bench/bench_digest_io.sh). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}
static double cpu(void)
{
	struct rusage r;
	getrusage(RUSAGE_SELF, &r);
	return r.ru_utime.tv_sec + r.ru_utime.tv_usec * 1e-6 +
	       r.ru_stime.tv_sec + r.ru_stime.tv_usec * 1e-6;
}
static double sys_(void)
{
	struct rusage r;
	getrusage(RUSAGE_SELF, &r);
	return r.ru_stime.tv_sec + r.ru_stime.tv_usec * 1e-6;
}
int main(int argc, char **argv)
{
	const char *f = argv[1];
	int reps = argc > 2 ? atoi(argv[2]) : 3;
	size_t sizes[] = {64 << 10,  128 << 10, 256 << 10,
			  512 << 10, 1 << 20,	4 << 20};
	struct stat st;
	int fd = open(f, O_RDONLY);
	fstat(fd, &st);
	double mib = st.st_size / 1048576.0;
	unsigned char md[32];
	unsigned int l;
	for (int k = 0; k < 7; k++) {
		double best = 1e9, bc = 0, bs = 0;
		for (int r = 0; r < reps; r++) {
			EVP_MD_CTX *c = EVP_MD_CTX_new();
			EVP_DigestInit_ex(c, EVP_sha256(), NULL);
			double t0 = now(), c0 = cpu(), s0 = sys_();
			if (k < 6) {
				size_t bsz = sizes[k];
				unsigned char *b = malloc(bsz);
				off_t o = 0;
				ssize_t n;
				posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
				while ((n = pread(fd, b, bsz, o)) > 0) {
					EVP_DigestUpdate(c, b, n);
					o += n;
				}
				free(b);
			} else {
				unsigned char *p =
				    mmap(NULL, st.st_size, PROT_READ,
					 MAP_PRIVATE | MAP_POPULATE, fd, 0);
				madvise(p, st.st_size, MADV_SEQUENTIAL);
				for (off_t o = 0; o < st.st_size;
				     o += 1 << 20) {
					size_t n = st.st_size - o > (1 << 20)
						       ? (1 << 20)
						       : st.st_size - o;
					EVP_DigestUpdate(c, p + o, n);
				}
				munmap(p, st.st_size);
			}
			EVP_DigestFinal_ex(c, md, &l);
			EVP_MD_CTX_free(c);
			double t = now() - t0;
			if (t < best) {
				best = t;
				bc = cpu() - c0;
				bs = sys_() - s0;
			}
		}
		if (k < 6)
			printf("pread %5zu KiB: %6.0f MiB/s  wall %.3fs cpu "
			       "%.3fs sys %.3fs\n",
			       sizes[k] >> 10, mib / best, best, bc, bs);
		else
			printf("mmap          : %6.0f MiB/s  wall %.3fs cpu "
			       "%.3fs sys %.3fs\n",
			       mib / best, best, bc, bs);
	}
	return 0;
}
