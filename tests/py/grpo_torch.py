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
        r = torch.tensor([float(samples[i]["reward"]) for i in idx])
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
    rewards = torch.tensor([float(s["reward"]) for s in samples])
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


def bench(argv):
    """The same model and GRPO step as `referee replay`, in PyTorch (fp32):
    sample G completions per prompt with a KV cache (temperature 1), reward,
    group advantages, reference forward, then per inner update: forward,
    token log-probs, the GRPO loss, backward, grad-norm clipping, AdamW."""
    import argparse
    import os
    import time
    import torch
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import gpt_reference as gr
    ap = argparse.ArgumentParser(prog="grpo_torch.py bench")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--vocab", type=int, default=21)
    ap.add_argument("--d-model", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--d-ff", type=int, default=256)
    ap.add_argument("--prompt-len", type=int, default=7)
    ap.add_argument("--max-len", type=int, default=6)
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--group", type=int, default=8)
    ap.add_argument("--inner", type=int, default=1)
    ap.add_argument("--beta", type=float, default=0.04)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cfg = {"vocab": a.vocab, "max_seq": a.prompt_len + a.max_len,
           "d_model": a.d_model, "n_layer": a.layers, "n_head": a.heads,
           "d_ff": a.d_ff, "tied": 1}
    p = gr.init_params(cfg, 1)
    ref = {k: v.detach().clone() for k, v in p.items()}
    opt = torch.optim.AdamW(list(p.values()), lr=1e-4, betas=(0.9, 0.99),
                            eps=1e-8, weight_decay=0.0)
    C, NH, L = a.d_model, a.heads, a.layers
    hd = C // NH
    rows = a.prompts * a.group
    F = torch.nn.functional

    def decode(tok, pos, kc, vc):
        x = p["wte"][tok] + p["wpe"][pos]
        for l in range(L):
            h = "h.%d." % l
            y = F.layer_norm(x, (C,), p[h + "ln1.w"], p[h + "ln1.b"], 1e-5)
            q, k, v = F.linear(y, p[h + "attn.qkv.w"], p[h + "attn.qkv.b"]).split(C, -1)
            kc[l][:, pos] = k.view(rows, NH, hd)
            vc[l][:, pos] = v.view(rows, NH, hd)
            K = kc[l][:, :pos + 1].transpose(1, 2)  # [B,NH,t,hd]
            V = vc[l][:, :pos + 1].transpose(1, 2)
            att = (q.view(rows, NH, 1, hd) @ K.transpose(-2, -1)) / math.sqrt(hd)
            y = (att.softmax(-1) @ V).reshape(rows, C)
            x = x + F.linear(y, p[h + "attn.proj.w"], p[h + "attn.proj.b"])
            y = F.layer_norm(x, (C,), p[h + "ln2.w"], p[h + "ln2.b"], 1e-5)
            y = F.gelu(F.linear(y, p[h + "mlp.fc.w"], p[h + "mlp.fc.b"]), approximate="tanh")
            x = x + F.linear(y, p[h + "mlp.proj.w"], p[h + "mlp.proj.b"])
        x = F.layer_norm(x, (C,), p["lnf.w"], p["lnf.b"], 1e-5)
        return F.linear(x, p["wte"])

    sampled = 0
    t0 = time.perf_counter()
    for step in range(a.steps):
        prompts = torch.randint(2, a.vocab, (a.prompts, a.prompt_len))
        seq = prompts.repeat_interleave(a.group, 0)
        with torch.no_grad():
            kc = [torch.zeros(rows, cfg["max_seq"], NH, hd) for _ in range(L)]
            vc = [torch.zeros(rows, cfg["max_seq"], NH, hd) for _ in range(L)]
            for pos in range(a.prompt_len):
                logits = decode(seq[:, pos], pos, kc, vc)
            done = torch.zeros(rows, dtype=torch.bool)
            clen = torch.full((rows,), a.max_len)
            outs = []
            for t in range(a.max_len):
                nxt = torch.multinomial(logits.softmax(-1), 1).squeeze(1)
                nxt = torch.where(done, torch.zeros_like(nxt), nxt)
                sampled += int((~done).sum())
                newly = (nxt == 0) & ~done
                clen = torch.where(newly, torch.full_like(clen, t + 1), clen)
                done = done | newly
                outs.append(nxt)
                if bool(done.all()) or t + 1 == a.max_len:
                    break
                logits = decode(nxt, a.prompt_len + t, kc, vc)
            comp = torch.stack(outs, 1)
        full = torch.cat([seq, comp], 1)
        cmax = int(clen.max())
        T = a.prompt_len + cmax - 1
        inp = full[:, :T]
        tgt = full[:, 1:T + 1].clone()
        pos_idx = torch.arange(T).unsqueeze(0) - (a.prompt_len - 1)
        mask = (pos_idx >= 0) & (pos_idx < clen.unsqueeze(1))
        tgt[~mask] = -1
        r = (comp[:, 0] % 2).double()  # a stand-in rule reward
        rg = r.view(a.prompts, a.group)
        adv = ((rg - rg.mean(1, keepdim=True)) / (rg.std(1, unbiased=False, keepdim=True) + 1e-4)).view(-1).float()
        with torch.no_grad():
            ref_lp = gr.token_logprobs(gr.forward(cfg, ref, inp), tgt) if a.beta > 0 else None
        old = None
        for k in range(a.inner):
            lp = gr.token_logprobs(gr.forward(cfg, p, inp), tgt)
            if old is None:
                old = lp.detach()
            ratio = torch.exp(lp - old)
            surr = torch.min(ratio * adv[:, None], ratio.clamp(0.8, 1.2) * adv[:, None])
            tl = -surr
            if ref_lp is not None:
                d = ref_lp - lp
                tl = tl + a.beta * (torch.exp(d) - d - 1)
            mf = mask.float()
            loss = ((tl * mf).sum(1) / mf.sum(1)).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(list(p.values()), 1.0)
            opt.step()
    dt = time.perf_counter() - t0
    print(json.dumps({"steps": a.steps, "seconds": dt, "steps_per_s": a.steps / dt,
                      "sampled_tokens": sampled, "tokens_per_s": sampled / dt,
                      "threads": a.threads}))


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
        bench(sys.argv[2:])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
