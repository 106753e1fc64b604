/* The GRPO objective on log-probabilities: group-normalised advantages,
 * clipped ratio surrogate, k3 KL to the reference, the loss and its exact
 * gradient per token.  Everything in double, summed in index order. */
#include <math.h>

#include "referee/error.h"
#include "replay/grpo.h"

void rf_grpo_group_advantages(const double *r, size_t n, double eps,
			      int sample_std, double *adv, double *mean,
			      double *std)
{
	double m = 0, v = 0, s;
	size_t same = 1;
	for (size_t i = 0; i < n; i++) {
		m += r[i];
		same += i > 0 && r[i] == r[0];
	}
	/* equal rewards: the mean is exactly r[0] (a rounded sum / n need
	 * not be), so the advantages are exactly 0 */
	m = n == 0 ? 0 : same == n ? r[0] : m / (double)n;
	for (size_t i = 0; i < n; i++)
		v += (r[i] - m) * (r[i] - m);
	if (sample_std)
		v = n > 1 ? v / (double)(n - 1) : 0;
	else
		v = n ? v / (double)n : 0;
	s = sqrt(v);
	/* r == mean gives 0 even when std + eps is 0 */
	for (size_t i = 0; i < n; i++)
		adv[i] = r[i] == m ? 0.0 : (r[i] - m) / (s + eps);
	if (mean)
		*mean = m;
	if (std)
		*std = s;
}

int rf_grpo_loss(const rf_grpo_params *p, size_t nseq, const size_t *start,
		 const int *len, const double *adv, const float *logp,
		 const float *old, const float *ref, rf_grpo_stats *stats,
		 float *dlogp)
{
	double lo = 1.0 - p->clip_eps, hi = 1.0 + p->clip_eps;
	double loss = 0, kl = 0, clip = 0, ratio = 0;
	double rmin = INFINITY, rmax = -INFINITY;
	size_t tokens = 0, counted = 0;

	if (p->norm != RF_GRPO_NORM_SEQUENCE && p->norm != RF_GRPO_NORM_TOKEN)
		return rf_error_set(RF_EINVAL, "unknown GRPO loss normalisation");
	for (size_t i = 0; i < nseq; i++) {
		if (len[i] < 0)
			return rf_error_set(RF_EINVAL, "negative sequence length");
		tokens += (size_t)len[i];
		counted += len[i] > 0;
	}
	for (size_t i = 0; i < nseq; i++) {
		double sl = 0, sk = 0, sc = 0, sr = 0, w;
		double a = adv[i];
		if (len[i] == 0)
			continue;
		/* weight of one token of sequence i in the total */
		if (p->norm == RF_GRPO_NORM_SEQUENCE)
			w = 1.0 / ((double)len[i] * (double)counted);
		else
			w = 1.0 / (double)tokens;
		for (int t = 0; t < len[i]; t++) {
			size_t k = start[i] + (size_t)t;
			double lp = logp[k];
			double lo_p = old ? (double)old[k] : lp;
			double r = exp(lp - lo_p);
			double rc = r < lo ? lo : (r > hi ? hi : r);
			double s1 = r * a, s2 = rc * a;
			/* the clipped term is the smaller one only past the
			 * clip boundary on the side the advantage pushes to */
			int clipped = (a > 0 && r > hi) || (a < 0 && r < lo);
			double surr = s1 < s2 ? s1 : s2;
			double g = clipped ? 0.0 : r * a; /* d surr / d logp */
			double tl = -surr, k3 = 0;
			if (ref) {
				double d = (double)ref[k] - lp;
				k3 = exp(d) - d - 1.0;
				tl += p->beta * k3;
				/* d k3 / d logp = 1 - exp(ref - logp) */
				g -= p->beta * (1.0 - exp(d));
			}
			if (dlogp)
				dlogp[k] = (float)(-g * w);
			sl += tl;
			sk += k3;
			sc += clipped;
			sr += r;
			if (r < rmin)
				rmin = r;
			if (r > rmax)
				rmax = r;
		}
		if (p->norm == RF_GRPO_NORM_SEQUENCE) {
			double n = (double)len[i];
			loss += sl / n;
			kl += sk / n;
			clip += sc / n;
			ratio += sr / n;
		} else {
			loss += sl;
			kl += sk;
			clip += sc;
			ratio += sr;
		}
	}
	if (stats) {
		double d = p->norm == RF_GRPO_NORM_SEQUENCE ? (double)counted
							    : (double)tokens;
		if (d == 0)
			d = 1;
		stats->loss = loss / d;
		stats->kl = ref ? kl / d : NAN;
		stats->clip_frac = clip / d;
		stats->ratio_mean = ratio / d;
		stats->ratio_min = tokens ? rmin : NAN;
		stats->ratio_max = tokens ? rmax : NAN;
		stats->tokens = tokens;
	}
	return 0;
}
