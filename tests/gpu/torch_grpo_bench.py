#!/usr/bin/env python3
"""PyTorch eager baseline for tests/gpu/bench_gpt.c: the same policy model
(lib/replay/gpt.h: GPT-2 style, pre-norm, tied output layer, GELU tanh,
LayerNorm eps 1e-5) and the same GRPO step -- sample G completions per
prompt with a KV cache, old-policy and reference log-probs, clipped-ratio +
k3-KL loss, backward, gradient clipping, AdamW -- timed the same way.
fp32 with TF32 off, as the CUDA backend.  Prints one JSON line.

    torch_grpo_bench.py --device cuda [--d-model C ...]   (same options)
Exit 0 on success, 2 on bad usage, 77 when torch (or its CUDA) is missing.
"""
import argparse
import json
import math
import sys
import time

try:
    import torch
    import torch.nn.functional as Fn
except Exception as e:  # pragma: no cover - depends on the machine
    print("torch_grpo_bench: cannot import torch: %s" % e, file=sys.stderr)
    sys.exit(77)


class Block(torch.nn.Module):
    def __init__(self, C, NH, F):
        super().__init__()
        self.NH = NH
        self.ln1 = torch.nn.LayerNorm(C, eps=1e-5)
        self.qkv = torch.nn.Linear(C, 3 * C)
        self.proj = torch.nn.Linear(C, C)
        self.ln2 = torch.nn.LayerNorm(C, eps=1e-5)
        self.fc = torch.nn.Linear(C, F)
        self.fcp = torch.nn.Linear(F, C)

    def attn_full(self, x):
        B, T, C = x.shape
        hd = C // self.NH
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.NH, hd).transpose(1, 2)
        k = k.view(B, T, self.NH, hd).transpose(1, 2)
        v = v.view(B, T, self.NH, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        return self.proj(y)

    def forward(self, x):
        x = x + self.attn_full(self.ln1(x))
        return x + self.fcp(Fn.gelu(self.fc(self.ln2(x)), approximate="tanh"))

    def step(self, x, kc, vc, pos):
        """One decoding step: x [S,C]; kc, vc [S,NH,P,hd] written at pos."""
        S, C = x.shape
        hd = C // self.NH
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=1)
        kc[:, :, pos] = k.view(S, self.NH, hd)
        vc[:, :, pos] = v.view(S, self.NH, hd)
        q = q.view(S, self.NH, 1, hd)
        att = (q @ kc[:, :, : pos + 1].transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        y = (att.softmax(dim=-1) @ vc[:, :, : pos + 1]).reshape(S, C)
        x = x + self.proj(y)
        return x + self.fcp(Fn.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(torch.nn.Module):
    def __init__(self, V, P, C, L, NH, F):
        super().__init__()
        self.V, self.P, self.C, self.NH = V, P, C, NH
        self.wte = torch.nn.Embedding(V, C)
        self.wpe = torch.nn.Embedding(P, C)
        self.h = torch.nn.ModuleList([Block(C, NH, F) for _ in range(L)])
        self.lnf = torch.nn.LayerNorm(C, eps=1e-5)
        for n, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * L) if n.endswith("proj.weight") or n.endswith("fcp.weight") else 0.02
                torch.nn.init.normal_(p, 0.0, std)
            elif n.endswith("bias"):
                torch.nn.init.zeros_(p)

    def forward(self, idx):
        B, T = idx.shape
        pos = torch.arange(T, device=idx.device)
        x = self.wte(idx) + self.wpe(pos)[None]
        for b in self.h:
            x = b(x)
        return self.lnf(x) @ self.wte.weight.t()

    def decode(self, tok, caches, pos):
        x = self.wte(tok) + self.wpe.weight[pos]
        for b, (kc, vc) in zip(self.h, caches):
            x = b.step(x, kc, vc, pos)
        return self.lnf(x) @ self.wte.weight.t()


def token_logprobs(logits, targets):
    lp = logits.log_softmax(dim=-1)
    t = targets.clamp(min=0)
    out = lp.gather(-1, t.unsqueeze(-1)).squeeze(-1)
    return torch.where(targets >= 0, out, torch.zeros_like(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--vocab", type=int, default=64)
    ap.add_argument("--d-model", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--ff", type=int, default=1024)
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--group", type=int, default=8)
    ap.add_argument("--prompt-len", type=int, default=16)
    ap.add_argument("--gen-len", type=int, default=48)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    dev = torch.device(a.device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        print("torch_grpo_bench: torch %s has no usable CUDA device" % torch.__version__, file=sys.stderr)
        sys.exit(77)
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    # plain fp32 products, as the CUDA backend
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(a.seed)

    V, C, L, NH, F = a.vocab, a.d_model, a.layers, a.heads, a.ff
    NP, G, TP, TG = a.prompts, a.group, a.prompt_len, a.gen_len
    S, T = NP * G, TP + TG
    hd = C // NH
    pol = GPT(V, T, C, L, NH, F).to(dev)
    ref = GPT(V, T, C, L, NH, F).to(dev)
    ref.load_state_dict(pol.state_dict())
    ref.requires_grad_(False)
    decay = [p for p in pol.parameters() if p.dim() == 2]
    nodecay = [p for p in pol.parameters() if p.dim() != 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                             {"params": nodecay, "weight_decay": 0.0}],
                            lr=1e-4, betas=(0.9, 0.95), eps=1e-8)
    eps_clip, beta = 0.2, 0.04
    gen = torch.Generator(device=dev)
    gen.manual_seed(a.seed)

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    t_sample = t_train = 0.0
    loss_sum = 0.0
    for it in range(a.warmup + a.steps):
        sync()
        t0 = time.perf_counter()
        with torch.no_grad():
            prompts = torch.randint(0, V, (NP, TP), device=dev, generator=gen)
            seq = torch.zeros(S, T, dtype=torch.long, device=dev)
            seq[:, :TP] = prompts.repeat_interleave(G, dim=0)
            caches = [(torch.zeros(S, NH, T, hd, device=dev), torch.zeros(S, NH, T, hd, device=dev))
                      for _ in range(L)]
            for t in range(T - 1):
                logits = pol.decode(seq[:, t], caches, t)
                if t + 1 < TP:
                    continue
                probs = logits.softmax(dim=-1)
                seq[:, t + 1] = torch.multinomial(probs, 1, generator=gen).squeeze(1)
        sync()
        t1 = time.perf_counter()

        with torch.no_grad():
            steps = torch.arange(1, TG + 1, device=dev)
            want = (seq[:, :1] + steps[None]) % V
            rew = (seq[:, TP:] == want).float().mean(dim=1).view(NP, G)
            adv = ((rew - rew.mean(1, keepdim=True)) / (rew.std(1, keepdim=True) + 1e-4)).view(S, 1)
            tgt = torch.full((S, T), -1, dtype=torch.long, device=dev)
            tgt[:, TP - 1: T - 1] = seq[:, TP:]
            old = token_logprobs(pol(seq), tgt)
            lref = token_logprobs(ref(seq), tgt)
        lp = token_logprobs(pol(seq), tgt)
        mask = (tgt >= 0).float()
        r = torch.exp(lp - old)
        obj = torch.minimum(r * adv, r.clamp(1 - eps_clip, 1 + eps_clip) * adv)
        dr = lref - lp
        kl = torch.exp(dr) - dr - 1
        loss = ((-obj + beta * kl) * mask).sum() / (S * TG)
        opt.zero_grad(set_to_none=False)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(pol.parameters(), 1.0)
        opt.step()
        loss_sum += float(loss)
        sync()
        t2 = time.perf_counter()
        if it >= a.warmup:
            t_sample += t1 - t0
            t_train += t2 - t1

    nparams = sum(p.numel() for p in pol.parameters())
    flops_fwd = 2.0 * (L * (4.0 * C * C + 2.0 * C * F) + V * C)
    print(json.dumps({
        "impl": "torch-eager", "device": str(dev), "torch": torch.__version__,
        "threads": torch.get_num_threads(), "params": nparams, "sequences": S,
        "prompt_len": TP, "gen_len": TG, "steps": a.steps,
        "sample_s": round(t_sample, 4), "train_s": round(t_train, 4),
        "tokens_per_s": round(S * TG * a.steps / t_sample, 1),
        "steps_per_s": round(a.steps / (t_sample + t_train), 4),
        "train_gflops": round(5.0 * flops_fwd * S * T * a.steps / t_train / 1e9, 1),
        "mean_loss": loss_sum / (a.warmup + a.steps)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
