#!/usr/bin/python3
"""PyTorch reference for referee's GRPO (lib/replay/grpo.c) and its benchmark
baseline (tests/bench/bench_grpo.sh).  Runs under Debian's python3-torch.

  grpo_torch.py make-batch SEED          a random GRPO batch (no stats) on stdout
  grpo_torch.py annotate BATCH.jsonl     the batch with advantages and stats
                                         recomputed by PyTorch
  grpo_torch.py annotate IN OUT [IN OUT ...]   the same, into files
  grpo_torch.py bench --threads N ...    GRPO steps/s with the same model

The objective (as in DeepSeekMath / R1):
  A_i   = (r_i - mean_g r) / (std_g r + eps)      std with divisor n
  ratio = exp(logp - old_logp)
  L_tok = -min(ratio A, clip(ratio, 1-e, 1+e) A) + beta (exp(ref-logp) - (ref-logp) - 1)
  loss  = mean over sequences of (mean over the sequence's tokens of L_tok)
          ("sequence"), or sum over tokens / tokens ("token")
"""
import json
import math
import random
import sys


def make_batch(seed):
    rnd = random.Random(seed)
    out = [json.dumps({"grpo_batch": 1, "clip_eps": 0.2, "beta": 0.04,
                       "adv_eps": 1e-4, "adv_std": "population",
                       "loss_norm": "sequence"})]
    for g in range(3):
        rewards = [rnd.choice([0.0, 0.1, 1.1]) for _ in range(4)]
        for r in rewards:
            n = rnd.randint(1, 7)
            lp = [-rnd.uniform(0.01, 3.0) for _ in range(n)]
            old = [x - math.log(rnd.uniform(0.6, 1.5)) for x in lp]
            ref = [x + rnd.uniform(-0.4, 0.4) for x in lp]
            f = lambda v: [float("%.9g" % x) for x in v]
            out.append(json.dumps({"group": g, "reward": r, "logp": f(lp),
                                   "old_logp": f(old), "ref_logp": f(ref)}))
    return "\n".join(out) + "\n"


def read_batch(path):
    head, samples = None, []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            o = json.loads(line)
            if "grpo_batch" in o:
                head = o
            elif "stats" in o:
                continue
            else:
                samples.append(o)
    return head, samples


def stats(path):
    import torch
    torch.set_default_dtype(torch.float64)
    head, samples = read_batch(path)
    eps_c = head.get("clip_eps", 0.2)
    beta = head.get("beta", 0.0)
    adv_eps = head.get("adv_eps", 1e-4)
    unbiased = head.get("adv_std", "population") == "sample"
    norm = head.get("loss_norm", "sequence")
    groups = {}
    for i, s in enumerate(samples):
        groups.setdefault(json.dumps(s["group"]), []).append(i)
    adv = [0.0] * len(samples)
    for idx in groups.values():
        r = torch.tensor([samples[i]["reward"] for i in idx])
        m = r.mean()
        sd = r.std(unbiased=unbiased) if len(idx) > 1 or not unbiased else torch.tensor(0.0)
        a = (r - m) / (sd + adv_eps)
        for k, i in enumerate(idx):
            # r == mean gives exactly 0, as in lib/replay/grpo.c
            adv[i] = 0.0 if samples[i]["reward"] == m.item() else a[k].item()
    seq_losses, seq_kls, seq_clips, seq_ratios, lens = [], [], [], [], []
    tok_l, tok_k, tok_c, tok_r = [], [], [], []
    for i, s in enumerate(samples):
        # log-probs are fp32 in the batch; the arithmetic is in double
        lp = torch.tensor(s["logp"], dtype=torch.float32).double().requires_grad_()
        old = torch.tensor(s.get("old_logp", s["logp"]), dtype=torch.float32).double()
        A = adv[i]
        ratio = torch.exp(lp - old)
        surr = torch.min(ratio * A, torch.clamp(ratio, 1 - eps_c, 1 + eps_c) * A)
        tl = -surr
        k3 = torch.zeros_like(lp)
        if "ref_logp" in s:
            ref = torch.tensor(s["ref_logp"], dtype=torch.float32).double()
            k3 = torch.exp(ref - lp) - (ref - lp) - 1
            tl = tl + beta * k3
        clipped = ((ratio > 1 + eps_c) & (A > 0)) | ((ratio < 1 - eps_c) & (A < 0))
        n = len(s["logp"])
        lens.append(n)
        if norm == "sequence":
            seq_losses.append(tl.sum() / n)
            seq_kls.append(k3.sum().item() / n)
            seq_clips.append(clipped.double().sum().item() / n)
            seq_ratios.append(ratio.sum().item() / n)
        else:
            tok_l.append(tl.sum())
            tok_k.append(k3.sum().item())
            tok_c.append(clipped.double().sum().item())
            tok_r.append(ratio.sum().item())
    if norm == "sequence":
        d = len(samples)
        loss = torch.stack(seq_losses).sum() / d
        kl, clip, rm = sum(seq_kls) / d, sum(seq_clips) / d, sum(seq_ratios) / d
    else:
        d = sum(lens)
        loss = torch.stack(tok_l).sum() / d
        kl, clip, rm = sum(tok_k) / d, sum(tok_c) / d, sum(tok_r) / d
    rewards = torch.tensor([s["reward"] for s in samples])
    st = {"loss": loss.item(), "clip_frac": clip, "ratio_mean": rm,
          "reward_mean": rewards.mean().item(),
          "reward_std": rewards.std(unbiased=False).item(), "tokens": sum(lens)}
    if all("ref_logp" in s for s in samples):
        st["kl"] = kl
    lines = [json.dumps(head)]
    for i, s in enumerate(samples):
        s = dict(s)
        s["advantage"] = adv[i]
        lines.append(json.dumps(s))
    lines.append(json.dumps({"stats": st}))
    return "\n".join(lines)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "make-batch":
        sys.stdout.write(make_batch(int(sys.argv[2])))
    elif len(sys.argv) == 3 and sys.argv[1] == "annotate":
        print(stats(sys.argv[2]))
    elif len(sys.argv) >= 4 and sys.argv[1] == "annotate" and len(sys.argv) % 2 == 0:
        # pairs IN OUT: one interpreter start (importing torch is slow)
        for i in range(2, len(sys.argv), 2):
            with open(sys.argv[i + 1], "w") as f:
                f.write(stats(sys.argv[i]) + "\n")
    elif len(sys.argv) >= 2 and sys.argv[1] == "bench":
        import grpo_torch_bench
        grpo_torch_bench.main(sys.argv[2:])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
