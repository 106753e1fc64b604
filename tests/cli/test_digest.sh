#!/usr/bin/env bash
# referee digest: canonical SHA-256 of manifests, stable under comments, key
# order and formatting, changed by any value; cross-checked with Python.
. "$(dirname "$0")/lib.sh"
D="$TESTS_DIR/data/manifests"

expect_exit "digest of a manifest" 0 "$REFEREE" digest "$D/digest-a.yaml"
expect_out_match "prints hex and path" "^[0-9a-f]{64}  .*digest-a.yaml$"
a=$(cut -d' ' -f1 "$T/out")
expect_exit "digest of the same document written differently" 0 "$REFEREE" digest "$D/digest-b.yaml"
b=$(cut -d' ' -f1 "$T/out")
if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "comments, key order, quoting and flow style do not change the digest"
else not_ok "comments, key order, quoting and flow style do not change the digest" "$a" "$b"; fi

sed 's/steps: 10400/steps: 10401/' "$D/digest-a.yaml" >"$T/c.yaml"
expect_exit "digest of a changed value" 0 "$REFEREE" digest "$T/c.yaml"
c=$(cut -d' ' -f1 "$T/out")
if [ -n "$c" ] && [ "$c" != "$a" ]; then ok "a changed value changes the digest"
else not_ok "a changed value changes the digest" "$a" "$c"; fi

sed 's/steps: 10400/steps: "10400"/' "$D/digest-a.yaml" >"$T/d.yaml"
run "$REFEREE" digest "$T/d.yaml"
d=$(cut -d' ' -f1 "$T/out")
if [ "$d" != "$a" ]; then ok "a number and a quoted string differ"
else not_ok "a number and a quoted string differ"; fi

expect_exit "--canonical prints RFC 8785 JSON" 0 "$REFEREE" digest --canonical "$D/digest-a.yaml"
expect_out_match "canonical JSON is sorted and compact" '^\{"algorithm":\{"group-size":16,"kl-coef":0.001,"learning-rate":0.000003,'
printf '%s' "$(cat "$T/out")" | sha256sum | cut -d' ' -f1 >"$T/canon.sha"
if [ "$(cat "$T/canon.sha")" = "$a" ]; then ok "digest is sha256sum of the canonical JSON"
else not_ok "digest is sha256sum of the canonical JSON" "$(cat "$T/canon.sha")" "$a"; fi

# Independent cross-check: PyYAML + json.dumps(sort_keys, compact) is RFC 8785
# for documents of BMP keys, integers and plain decimals.
if python3 -c 'import yaml' 2>/dev/null; then
  py=$(python3 - "$D/digest-a.yaml" <<'PY'
import hashlib, json, sys, yaml
doc = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
s = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
s = s.replace("3e-06", "0.000003")  # ECMAScript writes 3e-6 as 0.000003
print(hashlib.sha256(s.encode("utf-8")).hexdigest())
PY
)
  if [ "$py" = "$a" ]; then ok "digest agrees with PyYAML + json canonical form"
  else not_ok "digest agrees with PyYAML + json canonical form" "python: $py" "referee: $a"; fi
else
  skip "digest agrees with PyYAML + json canonical form" "PyYAML not installed"
fi

# Number formatting against an independent ECMAScript Number::toString
# written here from Python's shortest round-trip repr: 3,000 doubles of every
# magnitude, both signs, subnormals included.
if python3 - "$T" <<'PY'
import random, struct, sys
from decimal import Decimal
random.seed(8785)
xs = [0.1, 1e21, 1e-7, 123e-20, 5e-324, 1.7976931348623157e308, 2**53 + 2.0, 0.5, 100.0]
while len(xs) < 3000:
    bits = random.getrandbits(64)
    x = struct.unpack("<d", struct.pack("<Q", bits))[0]
    if x == x and abs(x) != float("inf"):
        xs.append(x)
    xs.append(random.uniform(-1e6, 1e6))
def es(x):
    if x == 0:
        return "0"
    if x < 0:
        return "-" + es(-x)
    sign, digits, exp = Decimal(repr(x)).as_tuple()
    d = "".join(map(str, digits))
    n = len(d) + exp
    d = d.rstrip("0")
    k = len(d)
    if k <= n <= 21:
        return d + "0" * (n - k)
    if 0 < n <= 21:
        return d[:n] + "." + d[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + d
    e = n - 1
    m = d[0] + ("." + d[1:] if k > 1 else "")
    return m + "e" + ("+" if e >= 0 else "-") + str(abs(e))
with open(sys.argv[1] + "/nums.yaml", "w") as f:
    f.write("[" + ", ".join(repr(x) if "e" in repr(x) or "." in repr(x) else repr(x) + ".0" for x in xs) + "]\n")
with open(sys.argv[1] + "/nums.expected", "w") as f:
    f.write("[" + ",".join(es(x) for x in xs) + "]\n")
PY
then
  "$REFEREE" digest --canonical "$T/nums.yaml" >"$T/nums.got" 2>"$T/err"
  if cmp -s "$T/nums.got" "$T/nums.expected"; then ok "3,000 doubles formatted as ECMAScript does"
  else not_ok "3,000 doubles formatted as ECMAScript does" "$(diff <(tr , '\n' <"$T/nums.got") <(tr , '\n' <"$T/nums.expected") | head -5)"; fi
else
  not_ok "3,000 doubles formatted as ECMAScript does" "python failed"
fi

expect_exit "missing file is exit 2" 2 "$REFEREE" digest "$T/nope.yaml"
expect_err_match "missing file is named" "^referee digest: cannot open '.*nope.yaml'"
printf 'a: [1,\n' >"$T/bad.yaml"
expect_exit "malformed YAML is exit 2" 2 "$REFEREE" digest "$T/bad.yaml"
expect_err_match "malformed YAML names line:column" "bad.yaml:2:1: "
expect_exit "no argument is a usage error" 2 "$REFEREE" digest
done_testing
