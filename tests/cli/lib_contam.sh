# Shared by the contamination tests: source after lib.sh.  Builds the
# planted corpus (tests/py/contam_plant.py) in $C, cds there, and sets $D
# (test data) and $EV (the four benchmarks' --eval options).
D=$TESTS_DIR/data
EV="--eval $D/aime24.jsonl --eval $D/amc23.jsonl --eval $D/minerva_math.jsonl --eval $D/math_cot_80.jsonl"
C=$T/corpus
python3 "$TESTS_DIR/py/contam_plant.py" "$C" "$D/aime24.jsonl" "$D/amc23.jsonl" \
  "$D/minerva_math.jsonl" "$D/math_cot_80.jsonl" || { not_ok "build the planted corpus"; done_testing; }
cd "$C" || exit 1
