/* Philox4x32-10 (Random123's constants and round function) and the two
 * conversions the replay needs: uniform floats for sampling, normal floats
 * for the weight init. */
#include <math.h>

#include "replay/philox.h"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u /* golden ratio */
#define PHILOX_W1 0xBB67AE85u /* sqrt(3) - 1 */

void rf_philox4x32(const uint32_t ctr[4], const uint32_t key[2],
		   uint32_t out[4])
{
	uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
	uint32_t k0 = key[0], k1 = key[1];
	for (int round = 0; round < 10; round++) {
		uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
		uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
		uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
		uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
		c0 = hi1 ^ c1 ^ k0;
		c1 = lo1;
		c2 = hi0 ^ c3 ^ k1;
		c3 = lo0;
		k0 += PHILOX_W0;
		k1 += PHILOX_W1;
	}
	out[0] = c0;
	out[1] = c1;
	out[2] = c2;
	out[3] = c3;
}

float rf_philox_uniform(uint32_t bits)
{
	return (float)(bits >> 8) * (1.0f / 16777216.0f);
}

void rf_philox_normal2(uint32_t bits0, uint32_t bits1, float *z0, float *z1)
{
	const double two_pi = 6.283185307179586476925286766559;
	double u1 = ((double)(bits0 >> 8) + 1.0) * (1.0 / 16777216.0); /* (0,1] */
	double u2 = (double)(bits1 >> 8) * (1.0 / 16777216.0);         /* [0,1) */
	double r = sqrt(-2.0 * log(u1));
	*z0 = (float)(r * cos(two_pi * u2));
	*z1 = (float)(r * sin(two_pi * u2));
}
