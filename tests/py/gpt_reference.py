#!/usr/bin/python3
"""PyTorch reference of referee's replay policy model (lib/replay/gpt.h).

The same GPT-2-style pre-norm transformer, written with torch ops, reading
weights from referee's safetensors checkpoints (parsed here with struct/json,
since Debian's torch 1.13 has no `safetensors` package).

  gpt_reference.py check DIR   compare referee's outputs in DIR with PyTorch
      DIR/weights.safetensors   the model (config in __metadata__)
      DIR/batch.safetensors     tokens [B,T], targets [B,T] (-1: unscored),
                                dlogp [B,T] (as F32)
      DIR/out.safetensors       referee's logits [B,T,V], logp [B,T] and
                                grad.<name> for every parameter
    Recomputes all of it in float64 from the same fp32 weights and prints one
    line per tensor with the relative error max|a-b| / max(max|b|, 1e-12);
    exits 1 if any exceeds the bound (default 1e-4), 0 otherwise.
"""
import json
import math
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F


def read_safetensors(path):
    """-> (dict name -> float32 numpy array, metadata dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise ValueError("%s: header length past the end" % path)
    hdr = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = hdr.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, e in hdr.items():
        if e["dtype"] != "F32":
            raise ValueError("%s: %s: dtype %s" % (path, name, e["dtype"]))
        b, end = e["data_offsets"]
        arr = np.frombuffer(raw[base + b:base + end], dtype="<f4")
        out[name] = arr.reshape(e["shape"]).astype(np.float32)
    return out, meta


def config_of(meta):
    keys = ("vocab", "max_seq", "d_model", "n_layer", "n_head", "d_ff", "tied")
    return {k: int(meta[k]) for k in keys}


def param_names(cfg):
    names = ["wte", "wpe"]
    for l in range(cfg["n_layer"]):
        for s in ("ln1.w", "ln1.b", "attn.qkv.w", "attn.qkv.b",
                  "attn.proj.w", "attn.proj.b", "ln2.w", "ln2.b",
                  "mlp.fc.w", "mlp.fc.b", "mlp.proj.w", "mlp.proj.b"):
            names.append("h.%d.%s" % (l, s))
    names += ["lnf.w", "lnf.b"]
    if not cfg["tied"]:
        names.append("lm_head")
    return names


def make_params(cfg, weights, dtype, requires_grad=True):
    p = {}
    for name in param_names(cfg):
        t = torch.tensor(weights[name], dtype=dtype)
        p[name] = t.requires_grad_(requires_grad)
    return p


def init_params(cfg, seed, dtype=torch.float32):
    """Random weights of the same shapes (for the benchmark)."""
    g = torch.Generator().manual_seed(seed)
    C, F_, V, P, L = (cfg["d_model"], cfg["d_ff"], cfg["vocab"],
                      cfg["max_seq"], cfg["n_layer"])
    shapes = {"wte": (V, C), "wpe": (P, C), "lnf.w": (C,), "lnf.b": (C,),
              "lm_head": (V, C)}
    for l in range(L):
        h = "h.%d." % l
        shapes.update({h + "ln1.w": (C,), h + "ln1.b": (C,),
                       h + "attn.qkv.w": (3 * C, C), h + "attn.qkv.b": (3 * C,),
                       h + "attn.proj.w": (C, C), h + "attn.proj.b": (C,),
                       h + "ln2.w": (C,), h + "ln2.b": (C,),
                       h + "mlp.fc.w": (F_, C), h + "mlp.fc.b": (F_,),
                       h + "mlp.proj.w": (C, F_), h + "mlp.proj.b": (C,)})
    p = {}
    for name in param_names(cfg):
        shp = shapes[name]
        if len(shp) == 2:
            t = torch.randn(shp, generator=g, dtype=dtype) * 0.02
        elif name.endswith(".w"):
            t = torch.ones(shp, dtype=dtype)
        else:
            t = torch.zeros(shp, dtype=dtype)
        p[name] = t.requires_grad_(True)
    return p


def forward(cfg, p, tokens):
    """tokens [B,T] long -> logits [B,T,V]."""
    B, T = tokens.shape
    C, NH = cfg["d_model"], cfg["n_head"]
    hd = C // NH
    x = p["wte"][tokens] + p["wpe"][:T]
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    for l in range(cfg["n_layer"]):
        h = "h.%d." % l
        a = F.layer_norm(x, (C,), p[h + "ln1.w"], p[h + "ln1.b"], 1e-5)
        qkv = F.linear(a, p[h + "attn.qkv.w"], p[h + "attn.qkv.b"])
        q, k, v = qkv.split(C, dim=-1)
        q = q.view(B, T, NH, hd).transpose(1, 2)
        k = k.view(B, T, NH, hd).transpose(1, 2)
        v = v.view(B, T, NH, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + F.linear(y, p[h + "attn.proj.w"], p[h + "attn.proj.b"])
        a = F.layer_norm(x, (C,), p[h + "ln2.w"], p[h + "ln2.b"], 1e-5)
        a = F.gelu(F.linear(a, p[h + "mlp.fc.w"], p[h + "mlp.fc.b"]),
                   approximate="tanh")
        x = x + F.linear(a, p[h + "mlp.proj.w"], p[h + "mlp.proj.b"])
    x = F.layer_norm(x, (C,), p["lnf.w"], p["lnf.b"], 1e-5)
    return F.linear(x, p["wte"] if cfg["tied"] else p["lm_head"])


def token_logprobs(logits, targets):
    """log softmax(logits)[target], 0 where target < 0."""
    lp = logits.log_softmax(dim=-1)
    got = lp.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return got * (targets >= 0).to(lp.dtype)


def rel_err(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b))) / max(float(np.max(np.abs(b))), 1e-12)


def check(d, bound=1e-4):
    weights, meta = read_safetensors(d + "/weights.safetensors")
    cfg = config_of(meta)
    batch, _ = read_safetensors(d + "/batch.safetensors")
    out, _ = read_safetensors(d + "/out.safetensors")
    tokens = torch.tensor(batch["tokens"].astype(np.int64))
    targets = torch.tensor(batch["targets"].astype(np.int64))
    dlogp = torch.tensor(batch["dlogp"], dtype=torch.float64)
    p = make_params(cfg, weights, torch.float64)
    logits = forward(cfg, p, tokens)
    logp = token_logprobs(logits, targets)
    loss = (dlogp * logp).sum()
    loss.backward()
    rows = [("logits", out["logits"], logits.detach().numpy()),
            ("logp", out["logp"], logp.detach().numpy()),
            ("loss", [float((out["logp"].astype(np.float64) *
                             batch["dlogp"].astype(np.float64)).sum())],
             [loss.item()])]
    for name in param_names(cfg):
        rows.append(("grad." + name, out["grad." + name], p[name].grad.numpy()))
    worst = 0.0
    for name, a, b in rows:
        e = rel_err(a, b)
        worst = max(worst, e)
        print("# %-24s rel err %.3e%s" % (name, e, "" if e <= bound else "  FAIL"))
    print("# max rel err %.3e (bound %.0e), %d tensors" % (worst, bound, len(rows)))
    return 0 if worst <= bound else 1


def main(argv):
    if len(argv) >= 3 and argv[1] == "check":
        return check(argv[2], float(argv[3]) if len(argv) > 3 else 1e-4)
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
