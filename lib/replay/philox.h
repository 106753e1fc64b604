/* referee replay — Philox4x32-10, the counter-based random number generator
 * of Salmon et al. (SC'11, "Parallel random numbers: as easy as 1, 2, 3").
 * Internal to lib/.  Every draw is a pure function of (counter, key), so a
 * number never depends on which thread asks for it or in which order; the
 * CUDA backend computes the same integers bit for bit (only integer ops). */
#ifndef REFEREE_LIB_REPLAY_PHILOX_H
#define REFEREE_LIB_REPLAY_PHILOX_H

#include <stdint.h>

/** out[0..3] = Philox4x32-10(ctr, key): ten rounds of the Philox bijection
 *  with the Random123 constants.  `out` may alias `ctr`. */
void rf_philox4x32(const uint32_t ctr[4], const uint32_t key[2],
		   uint32_t out[4]);

/** A uniform float in [0, 1) from 32 random bits: the top 24 bits times
 *  2^-24 (exact in fp32, so identical on every platform). */
float rf_philox_uniform(uint32_t bits);

/** Two independent N(0,1) draws from 64 random bits by Box-Muller
 *  (u1 in (0,1] so the log is finite).  Computed in double with libm's
 *  log/sqrt/cos/sin, then rounded: used for the weight init on the CPU; a
 *  GPU backend should take the initial weights from the CPU, not redraw
 *  them, because libm and CUDA's transcendental functions may differ in the
 *  last bit. */
void rf_philox_normal2(uint32_t bits0, uint32_t bits1, float *z0, float *z1);

#endif
