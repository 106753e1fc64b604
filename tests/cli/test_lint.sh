#!/usr/bin/env bash
# referee lint: valid manifests pass; each malformed one fails with
# file:line:column and the field; exit 0/1/2.
. "$(dirname "$0")/lib.sh"
D="$TESTS_DIR/data/manifests"

expect_exit "valid manifest passes" 0 "$REFEREE" lint "$D/digest-a.yaml"
expect_out_match "reports the kind" "^ok .*digest-a.yaml \(training-config\)$"

# exit 1: well-formed YAML whose content fails its kind's validation
lint_fails() { # name file-content expected-regex
  printf '%s' "$2" >"$T/m.yaml"
  expect_exit "$1: exit 1" 1 "$REFEREE" lint "$T/m.yaml"
  expect_err_match "$1: message" "$3"
}
# exit 2: input that is not a YAML document referee will read at all
# (syntax errors, duplicate keys, over a limit) -- as for digest and check
lint_bad_input() { # name file-content expected-regex
  printf '%s' "$2" >"$T/m.yaml"
  expect_exit "$1: exit 2" 2 "$REFEREE" lint "$T/m.yaml"
  expect_err_match "$1: message" "$3"
  expect_exit "$1: digest exits 2 too" 2 "$REFEREE" digest "$T/m.yaml"
  expect_exit "$1: check exits 2 too" 2 "$REFEREE" check "$T"
}
L='kind: cost-ledger
schema: 1
currency: USD
rates:
  H800: $2/GPU-hour
stages:
'
lint_fails "gpus not an integer" "${L}  - id: a
    accelerator: H800
    gpus: 512x
" "^referee lint: .*m.yaml:9:11: stages\[0\]\.gpus: expected a positive integer, got \"512x\"$"
lint_fails "unknown key (typo)" "${L}  - id: a
    acelerator: H800
" "m.yaml:8:5: stages\[0\]\.acelerator: unknown key"
lint_fails "figure without a known unit" "${L}  - id: a
    accelerator: H800
    gpus: 8
    hours: 3 fortnights
" "m.yaml:10:12: stages\[0\]\.hours: .*unknown unit"
lint_bad_input "duplicate key" "${L}  - id: a
    accelerator: H800
    id: b
" "m.yaml:9:5: duplicate key 'id'"
lint_bad_input "YAML syntax error" "kind: claims
schema: 1
claims: [
" "m.yaml:4:1: "
lint_fails "unknown kind" "kind: costledger
schema: 1
" "m.yaml:1:7: kind: unknown kind"
lint_bad_input "YAML bomb" "a: &a [x,x,x,x,x,x,x,x,x,x]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
" "m.yaml:3:[0-9]+: aliases expand to more than 1000 nodes"

deep=$(python3 -c 'print("a: " + "[" * 70 + "]" * 70)')
lint_bad_input "nesting deeper than the limit" "$deep
" "m.yaml:1:[0-9]+: nesting deeper than 64"
head -c 4194305 /dev/zero | tr '\0' '#' >"$T/big.yaml"
expect_exit "a file over 4 MiB: exit 2" 2 "$REFEREE" lint "$T/big.yaml"
expect_err_match "a file over 4 MiB: message" "big.yaml.* larger than"
expect_exit "a file over 4 MiB: digest exits 2 too" 2 "$REFEREE" digest "$T/big.yaml"
rm -f "$T/big.yaml"
expect_exit "over 4 MiB on standard input: exit 2" 2 sh -c "head -c 4194305 /dev/zero | tr '\\0' '#' | '$REFEREE' lint -"
expect_exit "--help states the exit rule" 0 "$REFEREE" lint --help
expect_out_match "--help: 1 is a failed validation" "^ *1 +.*valid YAML.*fails"
expect_out_match "--help: 2 is malformed or over-limit input" "^ *2 +.*malformed.*limit"

lint_fails "a typo in a built-in source's parameters" "kind: claims
schema: 1
claims:
  - id: a
    claimed: 101K GPU-hours
    from: {source: ledger, stage: r1, quantitiy: gpu-hours}
" "m.yaml:6:39: claims\[0\]\.from\.quantitiy: unknown key"
lint_fails "a precision that means nothing" "kind: claims
schema: 1
claims:
  - id: a
    claimed: 101K GPU-hours
    precision: roughly
    from: {source: claim, claim: a}
" "m.yaml:6:16: claims\[0\]\.precision: precision 'roughly'"
expect_exit "the worked examples lint" 0 "$REFEREE" lint "$REPO_DIR/manifests/deepseek-r1" "$REPO_DIR/manifests/deepseek-v3"

mkdir -p "$T/dir"
cp "$D/digest-a.yaml" "$T/dir/a.yaml"
expect_exit "a directory of valid manifests passes" 0 "$REFEREE" lint "$T/dir"
printf 'kind: claims\nschema: 1\n' >"$T/dir/b.yml"
expect_exit "one invalid manifest in a directory fails it" 1 "$REFEREE" lint "$T/dir"
expect_err_match "names the invalid one" "b.yml:1:1: claims: required but missing"
expect_exit "stdin is read with -" 0 sh -c "'$REFEREE' lint - <'$D/digest-a.yaml'"
expect_exit "unreadable path is exit 2" 2 "$REFEREE" lint "$T/nope.yaml"
expect_exit "--kinds lists the registry" 0 "$REFEREE" lint --kinds
for k in training-config hardware-manifest cost-ledger claims; do
  expect_out_match "--kinds: $k" "^kind: $k \(schema 1\)"
done
expect_out_match "--kinds: fields with units" "^  stages\[\]\.gpu-hours +figure \[GPU-h\]"
expect_exit "no argument is a usage error" 2 "$REFEREE" lint
done_testing
