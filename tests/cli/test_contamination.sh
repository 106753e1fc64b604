#!/usr/bin/env bash
# referee contamination on real benchmarks (AIME 2024, AMC 2023, Minerva,
# MATH) against a corpus of real unrelated text (licence texts) with items
# planted verbatim, re-spaced, re-cased, with LaTeX spacing changed, in
# full-width characters, nested in JSON, gzip- and zstd-compressed, and
# truncated to n+1 and n-1 words: every plant is found where it was put,
# nothing else is; the figures equal an independent Python implementation.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_contam.sh"
FILES="web.txt books.txt.zst sft.jsonl chat.jsonl.gz"

# the report's per-item figures as TSV: bench id found ngrams longest file line
tsv() { python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for b in d["benchmarks"]:
    for r in b["results"]:
        l = r.get("longest")
        print("%s\t%s\t%d\t%d\t%d\t%s\t%d" % (b["name"], r["id"], r["found"], r["ngrams"],
              l["words"] if l else 0, l["file"] if l else "-", l["line"] if l else 0))' "$1"; }

expect_exit "planted corpus: exit 1 (items overlap)" 1 "$REFEREE" contamination $EV --json $FILES
cp "$T/out" "$T/all.json"
tsv "$T/all.json" > "$T/all.tsv"

# every plant found at its file:line with its span; the n-1 one not found
bad=""
while IFS=$'\t' read -r b id file line longest how; do
  got=$(awk -F'\t' -v b="$b" -v id="$id" '$1==b && $2==id {print $5"\t"$6"\t"$7}' "$T/all.tsv")
  if [ "$longest" = 0 ]; then want=$'0\t-\t0'; else want="$longest"$'\t'"$file"$'\t'"$line"; fi
  [ "$got" = "$want" ] || bad="$bad [$how $b/$id: got '$got' want '$want']"
done < expected.tsv
if [ -z "$bad" ]; then ok "every planted item found at its file:line with its full span (n+1: 14 words; n-1: none)"
else not_ok "planted items" "$bad"; fi

# nothing else: the overlapping items are exactly the plants found
want=$(awk -F'\t' '$5 != 0 {print $1"/"$2}' expected.tsv | sort)
got=$(awk -F'\t' '$5 != 0 {print $1"/"$2}' "$T/all.tsv" | sort)
if [ "$got" = "$want" ] && [ "$(echo "$got" | wc -l)" -eq 8 ]; then ok "nothing but the 8 plants overlaps (of 422 items)"
else not_ok "only plants overlap" "got: $got" "want: $want"; fi

# an independent implementation of the same method agrees on every item
python3 "$TESTS_DIR/py/contam_ref.py" $EV $FILES > "$T/ref.tsv"
if diff "$T/all.tsv" "$T/ref.tsv" > "$T/diff"; then ok "all 422 items' figures equal the Python implementation's"
else not_ok "equal to Python" "$(head -5 "$T/diff")"; fi
run "$REFEREE" contamination $EV --words
python3 "$TESTS_DIR/py/contam_ref.py" $EV --words > "$T/refw.txt"
if cmp -s "$T/out" "$T/refw.txt"; then ok "normalised words of every item equal Python's (NFKC, case fold, LaTeX)"
else not_ok "normalised words" "$(diff "$T/out" "$T/refw.txt" | head -4)"; fi

# same bytes whatever the threads and block size (n-grams across blocks)
same=1
for j in 1 2 3; do
  for bs in 64 997 65536; do
    "$REFEREE" contamination $EV -j $j --block-size $bs --json $FILES > "$T/o.json"
    cmp -s "$T/o.json" "$T/all.json" || { same=0; echo "# differs: -j $j --block-size $bs"; }
  done
done
[ $same = 1 ] && ok "identical report with 1-3 threads and 64 B-64 KiB blocks" || not_ok "thread/block invariance"

# the text report names the overlapping items with file:line
expect_exit "text report" 1 "$REFEREE" contamination $EV $FILES
expect_out_match "text: item, share, span and place" \
  '^  OVERLAP  3  2/33 n-grams \(6\.1%\)  longest 14 of 45 words at web\.txt:465$'
expect_out_match "text: totals" '^total: 8 of 422 items overlap$'

# --field: the plant only in "meta" is not read
run "$REFEREE" contamination $EV --field text --field messages --json $FILES
tsv "$T/out" | awk -F'\t' '$5 != 0 {print $1"/"$2}' | sort > "$T/f.txt"
fid=$(awk -F'\t' '$6 == "field" {print $1"/"$2}' expected.tsv)
if ! grep -qx "$fid" "$T/f.txt" && [ "$(wc -l < "$T/f.txt")" -eq 7 ]; then ok "--field text: the plant under meta is not read, the 7 others are found"
else not_ok "--field" "$(cat "$T/f.txt")"; fi

# -n 8: the 12-word plant now overlaps
run "$REFEREE" contamination $EV -n 8 --json $FILES
under=$(awk -F'\t' '$6 == "truncated-under" {print $1"\t"$2}' expected.tsv)
if tsv "$T/out" | grep -q "^$under"$'\t[0-9]*\t[0-9]*\t12\tweb.txt'; then ok "-n 8: the 12-word plant overlaps with a 12-word span"
else not_ok "-n 8" "$(tsv "$T/out" | grep "^$under")"; fi

# gzip of several members (as `cat a.gz b.gz` makes): the plant in the
# second member is found, on its line counted across members
gzip -c "$D/contam/gpl-3.txt" > multi.txt.gz
sed -n '30,40p' web.txt | gzip -c >> multi.txt.gz
run "$REFEREE" contamination $EV --json multi.txt.gz
want=$(awk -F'\t' '$6 == "verbatim" {print $1"\t"$2}' expected.tsv)
gl=$(wc -l < "$D/contam/gpl-3.txt")
if tsv "$T/out" | grep -q "^$want"$'\t'"[0-9]*"$'\t'"[0-9]*"$'\t'"[0-9]*"$'\t'"multi.txt.gz"$'\t'"$((gl + 1))$"; then ok "gzip with two members: the plant in the second is found at line $((gl + 1))"
else not_ok "multi-member gzip" "$(tsv "$T/out" | grep -v $'\t0\t-\t0$')"; fi

# a clean corpus: exit 0
expect_exit "licence texts alone: exit 0" 0 "$REFEREE" contamination $EV "$D/contam/gpl-3.txt" "$D/contam/apache-2.0.txt"
expect_out_match "clean: 0 of 422" '^total: 0 of 422 items overlap$'

# broken input: exit 2, naming the file (and line)
printf '{"text": "fine"}\n{"text": oops}\n' > bad.jsonl
expect_exit "malformed JSON line: exit 2" 2 "$REFEREE" contamination $EV bad.jsonl
expect_err_match "names file:line:column" "bad\.jsonl:2: column 10: "
head -c 3000 chat.jsonl.gz > cut.jsonl.gz
expect_exit "truncated gzip: exit 2" 2 "$REFEREE" contamination $EV cut.jsonl.gz
expect_err_match "names the gzip file" "cut\.jsonl\.gz.*(truncated|corrupt) gzip"
head -c 3000 books.txt.zst > cut.txt.zst
expect_exit "truncated zstd: exit 2" 2 "$REFEREE" contamination $EV cut.txt.zst
expect_err_match "names the zstd file" "cut\.txt\.zst.*(truncated|corrupt) zstd"
expect_exit "missing corpus file: exit 2" 2 "$REFEREE" contamination $EV nonexistent.txt
expect_err_match "names it" "nonexistent\.txt"
mkfifo fifo.txt
expect_exit "a FIFO is refused, not read" 2 "$REFEREE" contamination $EV fifo.txt
expect_exit "benchmark without the field: exit 2" 2 "$REFEREE" contamination --eval "$D/aime24.jsonl:nosuch" web.txt
expect_err_match "names benchmark file:line" "aime24\.jsonl:1: no string field 'nosuch'"
expect_exit "-n 3 refused" 2 "$REFEREE" contamination -n 3 $EV web.txt
expect_exit "no corpus: usage" 2 "$REFEREE" contamination $EV
done_testing
