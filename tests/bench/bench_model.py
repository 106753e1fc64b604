#!/usr/bin/python3
"""PyTorch baseline for tests/bench/bench_model.sh: the same model as
referee's replay policy (tests/py/gpt_reference.py), the same training step
(forward, log-probs, backward of sum(dlogp * logp), grad-norm clip, AdamW)
and the same KV-cache sampling, timed the same way (best of several runs).

  bench_model.py THREADS [B T C L NH V]    prints one JSON line
"""
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "py"))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import gpt_reference as ref  # noqa: E402


def decode_step(cfg, p, cache, tok, pos):
    """One token per sequence at position pos; cache: per layer [k, v] of
    [B, NH, P, hd].  Returns logits [B, V]."""
    C, NH = cfg["d_model"], cfg["n_head"]
    hd = C // NH
    B = tok.shape[0]
    x = p["wte"][tok] + p["wpe"][pos]
    for l in range(cfg["n_layer"]):
        h = "h.%d." % l
        a = F.layer_norm(x, (C,), p[h + "ln1.w"], p[h + "ln1.b"], 1e-5)
        qkv = F.linear(a, p[h + "attn.qkv.w"], p[h + "attn.qkv.b"])
        q, k, v = qkv.split(C, dim=-1)
        cache[l][0][:, :, pos] = k.view(B, NH, hd)
        cache[l][1][:, :, pos] = v.view(B, NH, hd)
        K = cache[l][0][:, :, :pos + 1]
        Vv = cache[l][1][:, :, :pos + 1]
        att = (K @ q.view(B, NH, hd, 1)).squeeze(-1) * (1.0 / math.sqrt(hd))
        att = att.softmax(dim=-1)
        y = (att.unsqueeze(-2) @ Vv).reshape(B, C)
        x = x + F.linear(y, p[h + "attn.proj.w"], p[h + "attn.proj.b"])
        a = F.layer_norm(x, (C,), p[h + "ln2.w"], p[h + "ln2.b"], 1e-5)
        a = F.gelu(F.linear(a, p[h + "mlp.fc.w"], p[h + "mlp.fc.b"]), approximate="tanh")
        x = x + F.linear(a, p[h + "mlp.proj.w"], p[h + "mlp.proj.b"])
    x = F.layer_norm(x, (C,), p["lnf.w"], p["lnf.b"], 1e-5)
    return F.linear(x, p["wte"] if cfg["tied"] else p["lm_head"])


def main(argv):
    threads = int(argv[1]) if len(argv) > 1 else 1
    B, T, C, L, NH, V = [int(x) for x in argv[2:8]] if len(argv) >= 8 else [64, 64, 128, 4, 4, 32]
    torch.set_num_threads(threads)
    cfg = {"vocab": V, "max_seq": T, "d_model": C, "n_layer": L, "n_head": NH,
           "d_ff": 4 * C, "tied": 0}
    p = ref.init_params(cfg, 1)
    params = [p[n] for n in ref.param_names(cfg)]
    opt = torch.optim.AdamW(params, lr=1e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    N = B * T
    idx = torch.arange(N)
    tokens = (idx * 7 % V).view(B, T)
    targets = ((idx * 7 + 3) % V).view(B, T)
    dlogp = torch.full((B, T), 1.0 / N)
    best_train = best_train_cpu = 1e30
    for it in range(6):
        t0, c0 = time.perf_counter(), time.process_time()
        logits = ref.forward(cfg, p, tokens)
        logp = ref.token_logprobs(logits, targets)
        opt.zero_grad(set_to_none=False)
        (dlogp * logp).sum().backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        if it > 0:
            best_train = min(best_train, dt)
            best_train_cpu = min(best_train_cpu, dc)
    hd = C // NH
    best_dec = best_dec_cpu = 1e30
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for it in range(4):
            t0, c0 = time.perf_counter(), time.process_time()
            cache = [[torch.zeros(B, NH, T, hd), torch.zeros(B, NH, T, hd)] for _ in range(L)]
            tok = torch.ones(B, dtype=torch.long)
            for pos in range(T):
                lg = decode_step(cfg, p, cache, tok, pos)
                tok = torch.multinomial(lg.softmax(-1), 1, generator=gen).squeeze(-1)
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
            if it > 0:
                best_dec = min(best_dec, dt)
                best_dec_cpu = min(best_dec_cpu, dc)
    Fd = 4.0 * C
    mat = 2.0 * (L * (3.0 * C * C + C * C + 2.0 * C * Fd) + V * C)
    attn = 2.0 * 2.0 * B * C * (T * (T + 1) / 2.0) * L
    train_flops = 3.0 * (mat * N + attn)
    dec_flops = mat * N + attn
    print(json.dumps({"impl": "pytorch-%s" % torch.__version__, "threads": threads,
                      "B": B, "T": T, "C": C, "L": L, "NH": NH, "V": V,
                      "train_step_s": round(best_train, 6),
                      "train_tok_s": round(N / best_train, 1),
                      "train_gflops": round(train_flops / best_train * 1e-9, 2),
                      "train_cpu_s": round(best_train_cpu, 6),
                      "sample_s": round(best_dec, 6),
                      "sample_tok_s": round(N / best_dec, 1),
                      "sample_gflops": round(dec_flops / best_dec * 1e-9, 2),
                      "sample_cpu_s": round(best_dec_cpu, 6)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
