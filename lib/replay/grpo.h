/* referee replay — the GRPO objective as plain arithmetic on log-probabilities
 * (internal to lib/): group advantages, the clipped-ratio surrogate, the k3
 * KL penalty, the loss and its gradient with respect to each token's
 * log-probability.  Shared by the trainer and by `referee grpo audit`, and
 * mirrored by tests/py/grpo_torch.py. */
#ifndef REFEREE_LIB_REPLAY_GRPO_H
#define REFEREE_LIB_REPLAY_GRPO_H

#include <stddef.h>

/** How the per-token losses become one number. */
enum rf_grpo_norm {
	/** mean over each sequence's completion tokens, then mean over the
	 *  sequences (DeepSeekMath's 1/G sum_i 1/|o_i| sum_t) */
	RF_GRPO_NORM_SEQUENCE = 0,
	/** sum over all completion tokens / number of tokens (DAPO, TRL) */
	RF_GRPO_NORM_TOKEN = 1
};

typedef struct rf_grpo_params {
	double clip_eps;  /* ratio clipped to [1 - eps, 1 + eps] */
	double beta;      /* KL coefficient; 0: no KL term */
	int norm;         /* enum rf_grpo_norm */
} rf_grpo_params;

typedef struct rf_grpo_stats {
	double loss;
	double kl;         /* k3 estimate, normalised like the loss (NaN w/o ref) */
	double clip_frac;  /* tokens whose clipped term is the active one */
	double ratio_mean; /* pi/pi_old, normalised like the loss */
	double ratio_min, ratio_max;
	size_t tokens;
} rf_grpo_stats;

/** Advantages of one group: (r - mean) / (std + eps), std with divisor n
 *  (`sample_std` 0) or n - 1 (1; 0 when n == 1).  Writes mean and std. */
void rf_grpo_group_advantages(const double *r, size_t n, double eps,
			      int sample_std, double *adv, double *mean,
			      double *std);

/** The loss over `nseq` sequences.  Sequence i's completion tokens are
 *  logp[start[i] .. start[i] + len[i]) (same indices into old and ref);
 *  adv[i] its advantage.  `old` NULL: old = logp (one inner update);
 *  `ref` NULL: no KL term (and stats->kl NaN).  When `dlogp` is not NULL it
 *  receives dLoss/dlogp at the same indices (others untouched).  Sums run
 *  in index order in double, so the result does not depend on threads. */
int rf_grpo_loss(const rf_grpo_params *p, size_t nseq, const size_t *start,
		 const int *len, const double *adv, const float *logp,
		 const float *old, const float *ref, rf_grpo_stats *stats,
		 float *dlogp);

#endif
