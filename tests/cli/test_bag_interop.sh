#!/usr/bin/env bash
# Interoperability the other way round: bags written by the Python bagit
# package (sha256 + sha512 manifests and tag manifests, no referee/ folder)
# verify with referee, and tampering with them is caught.
. "$(dirname "$0")/lib.sh"

if ! python3 -c 'import bagit' 2>/dev/null; then
  skip "bags made by Python bagit" "python3 bagit missing"; done_testing
fi
mkdir "$T/w" && cd "$T/w"
mkdir -p pybag/sub && printf 'one\n' > pybag/one.txt && printf 'two\n' > pybag/sub/two.txt
expect_true "Python bagit makes a bag" python3 -c '
import bagit, sys
bagit.make_bag(sys.argv[1], {"Source-Organization": "py"}, checksums=["sha256", "sha512"])' pybag
expect_true "...with a sha512 manifest" test -f pybag/manifest-sha512.txt
expect_exit "referee verifies it" 0 "$REFEREE" verify pybag
expect_out_match "...checking every file" "2 files checked"
expect_exit "...and in JSON" 0 "$REFEREE" verify --json pybag
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["valid"] and d["provenance"] is None and d["bag_info"]["Source-Organization"]=="py", d' "$T/out"; then
  ok "...which reports no provenance"; else not_ok "...which reports no provenance" "$(cat "$T/out")"; fi

cp -r pybag b1 && printf 'ONE\n' > b1/data/one.txt
expect_exit "a changed file in a bagit-made bag" 1 "$REFEREE" verify b1
expect_err_match "...fails both manifests" "manifest-sha512.txt"
expect_err_match "...naming the file" "'data/one.txt' does not match manifest-sha256.txt"

# Only the sha512 manifest was edited: referee checks every manifest.
cp -r pybag b2
python3 - b2 <<'PY'
import sys, hashlib, os
b = sys.argv[1]
p = os.path.join(b, "manifest-sha512.txt")
lines = open(p).read().splitlines()
lines = [("0" * 128 + l[128:]) if l.endswith("data/one.txt") else l for l in lines]
open(p, "w").write("\n".join(lines) + "\n")
PY
expect_exit "an edited sha512 manifest line" 1 "$REFEREE" verify b2
expect_err_match "...is caught" "data/one.txt"

cp -r pybag b3 && rm b3/manifest-sha256.txt b3/manifest-sha512.txt b3/tagmanifest-*.txt
expect_exit "a bag without any manifest is malformed" 2 "$REFEREE" verify b3
expect_err_match "...and says so" "no sha256 or sha512 payload manifest"

# referee's own bag: Python bagit's view and referee's agree on a tamper.
mkdir ev && printf 'x\n' > ev/x.txt && "$REFEREE" pack -q rb ev
cp -r rb rb2 && printf 'y' >> rb2/data/ev/x.txt
run python3 -c 'import bagit, sys; bagit.Bag(sys.argv[1]).validate()' rb2
py=$rc
run "$REFEREE" verify rb2
if [ "$py" -ne 0 ] && [ "$rc" -eq 1 ]; then ok "both validators reject the same tampered referee bag"
else not_ok "both validators reject the same tampered referee bag" "python $py, referee $rc"; fi

done_testing
