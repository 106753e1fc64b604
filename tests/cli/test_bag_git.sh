#!/usr/bin/env bash
# Git provenance: pack records HEAD, branch, remotes (credentials stripped),
# dirty state and each file's blob id, compared with what git itself says;
# uncommitted files need --allow-dirty; --rev packs from the object
# database of a bare repository; verify --repo confirms commit and blobs.
. "$(dirname "$0")/lib.sh"

if ! command -v git >/dev/null 2>&1; then
  skip "git provenance" "git missing"; done_testing
fi
export GIT_CONFIG_NOSYSTEM=1 HOME="$T" GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org \
  GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
mkdir "$T/w" && cd "$T/w"
git init -q -b main repo
cd repo
mkdir -p results configs
printf 'loss 0.5\n' > results/run1.log
printf 'lr: 3e-6\n' > configs/train.yaml
git add . && git commit -q -m one
printf 'loss 0.4\n' > results/run1.log
git commit -q -am two
git remote add origin 'https://alice:ghp_SECRETTOKEN@github.com/example/paper.git?x=1'
git remote add mirror 'git@example.org:paper.git'
HEAD=$(git rev-parse HEAD)

jq_py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$1"; }

expect_exit "pack from a clean work tree" 0 "$REFEREE" pack -q ../clean results configs
P=../clean/referee/provenance.json
if jq_py $P "
assert d['source']=='worktree', d
g=d['git']; assert g['commit']=='$HEAD' and g['branch']=='main' and g['dirty'] is False, g
f={x['path']:x for x in d['files']}
assert f['data/results/run1.log']['repo_path']=='results/run1.log'
assert f['data/results/run1.log']['blob']=='$(git rev-parse HEAD:results/run1.log)'
assert f['data/configs/train.yaml']['blob']=='$(git hash-object configs/train.yaml)'
assert all(x['matches_head'] for x in d['files'])
"; then ok "provenance agrees with git (commit, branch, blob ids)"; else not_ok "provenance agrees with git (commit, branch, blob ids)" "$(cat $P)"; fi
if grep -q SECRETTOKEN $P || grep -q alice $P || grep -q 'x=1' $P; then not_ok "remote credentials are stripped" "$(grep url $P)"
else ok "remote credentials are stripped"; fi
expect_true "the remote URL is kept without them" grep -q '"url": "https://github.com/example/paper.git"' $P
expect_true "an scp-style remote keeps its user" grep -q '"url": "git@example.org:paper.git"' $P
expect_exit "verify shows the commit" 0 "$REFEREE" verify ../clean
expect_out_match "...to the reviewer" "commit $HEAD \(branch main\)"
expect_out_match "...and the clean tree" "work tree:  clean; 0 of 2 files differ"
expect_exit "verify --repo on the source repository" 0 "$REFEREE" verify --repo . ../clean
expect_out_match "...confirms commit and blobs" "commit present, every payload file equals its blob"

# Uncommitted changes.
printf 'loss 0.1 (better!)\n' > results/run1.log
expect_exit "a modified file is refused" 1 "$REFEREE" pack ../dirty results
expect_err_match "...naming it" "'results/run1.log' has uncommitted changes"
expect_err_match "...with the way out" "--allow-dirty"
expect_true "...and nothing is left at OUT" test ! -e ../dirty
expect_exit "--allow-dirty packs it" 0 "$REFEREE" pack -q --allow-dirty ../dirty results
if jq_py ../dirty/referee/provenance.json "
g=d['git']; assert g['dirty'] is True, g
f=d['files'][0]; assert f['matches_head'] is False and f['blob']=='$(git hash-object results/run1.log)', f
"; then ok "a dirty pack records dirty and matches_head false"; else not_ok "a dirty pack records dirty and matches_head false" "$(cat ../dirty/referee/provenance.json)"; fi
expect_exit "verify --repo fails on a file that differs from its blob" 1 "$REFEREE" verify --repo . ../dirty
expect_err_match "...naming it" "'data/results/run1.log' differs from 'results/run1.log'"
git checkout -q results/run1.log
printf 'new\n' > results/untracked.log
expect_exit "an untracked file is refused" 1 "$REFEREE" pack ../untracked results
expect_err_match "...as not committed" "'results/untracked.log' is not committed"
rm results/untracked.log
# A modified file that is NOT packed does not block the pack, but the
# tree is recorded as dirty.
printf 'changed\n' > configs/train.yaml
expect_exit "other changes in the tree do not block packing clean files" 0 "$REFEREE" pack -q ../other results
expect_true "...but the tree is recorded dirty" grep -q '"dirty": true' ../other/referee/provenance.json
git checkout -q configs/train.yaml

# --rev from a bare clone: no work tree at all.
cd ..
git clone -q --bare repo bare.git
expect_exit "--rev HEAD~1 packs from the object database" 0 "$REFEREE" pack -q --repo bare.git --rev HEAD~1 old results
expect_true "...with the old content" grep -qx 'loss 0.5' old/data/results/run1.log
if jq_py old/referee/provenance.json "
g=d['git']; assert g['commit']=='$(git -C repo rev-parse HEAD~1)' and g['rev']=='HEAD~1', g
assert d['source']=='revision'
f=d['files'][0]; assert f['blob']=='$(git -C repo rev-parse HEAD~1:results/run1.log)' and f['matches_commit'] is True, f
"; then ok "--rev provenance names the commit and blob"; else not_ok "--rev provenance names the commit and blob" "$(cat old/referee/provenance.json)"; fi
expect_exit "--rev bag verifies" 0 "$REFEREE" verify old
expect_exit "--rev bag verifies against the bare repository" 0 "$REFEREE" verify --repo bare.git old
expect_exit "--rev main packs the whole tree with '.'" 0 "$REFEREE" pack -q --repo bare.git --rev main whole .
expect_true "...every file" test -f whole/data/configs/train.yaml -a -f whole/data/results/run1.log
expect_true "...and records the branch" grep -q '"branch": "main"' whole/referee/provenance.json
expect_exit "--rev with an unknown revision" 2 "$REFEREE" pack --repo bare.git --rev nope x results
expect_err_match "...names it" "revision 'nope' not found"
expect_exit "--rev with a path not in the commit" 2 "$REFEREE" pack --repo bare.git --rev HEAD x nothere
expect_exit "--rev refuses a path climbing out with .." 2 "$REFEREE" pack --repo bare.git --rev HEAD x results/../..
expect_err_match "...saying why" "must be a path inside the repository"
expect_exit "--rev takes a path with a trailing slash" 0 "$REFEREE" pack -q --repo bare.git --rev HEAD slash results/
expect_true "...under its name" test -f slash/data/results/run1.log
expect_exit "--repo without --rev is a usage error" 2 "$REFEREE" pack --repo bare.git x results

# verify --repo against a repository that lacks the commit.
git init -q -b main stranger && (cd stranger && echo s > s && git add s && git commit -q -m s)
expect_exit "verify --repo: a repository without the commit" 1 "$REFEREE" verify --repo stranger clean
expect_err_match "...says so" "commit $HEAD is not in 'stranger'"
expect_exit "verify --repo: not a repository" 2 "$REFEREE" verify --repo "$T/w/old" clean
# A bag packed outside any repository has no git provenance.
mkdir -p "$T/plain" && echo p > "$T/plain/p.txt"
(cd "$T" && "$REFEREE" pack -q nogit plain)
expect_true "outside a repository, provenance says so" grep -q '"git": null' "$T/nogit/referee/provenance.json"
expect_exit "...pack still works and verifies" 0 "$REFEREE" verify "$T/nogit"
expect_exit "verify --repo on a bag without git provenance fails" 1 "$REFEREE" verify --repo repo "$T/nogit"

# Tampering with the payload AND the manifest AND the tag manifest is
# caught by the provenance record; rewriting that too is caught by --repo:
# the blob in git is the independent witness.
rm -rf forged && cp -r clean forged
old=$(sha256sum forged/data/results/run1.log | cut -c1-64)
printf 'loss 0.01\n' > forged/data/results/run1.log
new=$(sha256sum forged/data/results/run1.log | cut -c1-64)
sed -i "s|^[0-9a-f]*  data/results/run1.log|$new  data/results/run1.log|" forged/manifest-sha256.txt
sed -i "s/^Payload-Oxum: .*/Payload-Oxum: $(cat forged/data/*/* | wc -c).2/" forged/bag-info.txt
retag() { (cd forged && sed -i "/  \(manifest-sha256\|bag-info\).txt$/d; /  referee\/provenance.json$/d" tagmanifest-sha256.txt \
  && sha256sum manifest-sha256.txt bag-info.txt referee/provenance.json >> tagmanifest-sha256.txt); }
retag
expect_exit "a forged payload, manifest and tag manifest fail plain verify" 1 "$REFEREE" verify forged
expect_err_match "...through the provenance record" "'data/results/run1.log' does not match its record in referee/provenance.json"
sed -i "s/$old/$new/" forged/referee/provenance.json
retag
expect_exit "forging the provenance record too passes plain verify" 0 "$REFEREE" verify forged
expect_exit "...but not verify --repo" 1 "$REFEREE" verify --repo repo forged
expect_err_match "...which names the file" "'data/results/run1.log' differs"

# Git LFS (simulated: git-lfs itself is not needed): the commit holds a
# pointer, the work tree the real bytes.  The packed file matches its
# commit through the pointer's SHA-256 and size.
cd "$T/w"
git init -q -b main lfs && cd lfs
mkdir model && yes "weights 0.125" | head -c 100000 > ../weights.bin   # no X in it
printf '*.safetensors filter=lfs diff=lfs merge=lfs -text\n' > .gitattributes
printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %s\n' \
  "$(sha256sum ../weights.bin | cut -c1-64)" "$(stat -c %s ../weights.bin)" > model/w.safetensors
git add . && git commit -q -m weights
cp ../weights.bin model/w.safetensors        # what "git lfs pull" leaves
expect_exit "an LFS file checked out packs without --allow-dirty" 0 "$REFEREE" pack -q ../lfsbag model
if jq_py ../lfsbag/referee/provenance.json "
f=d['files'][0]; assert f['lfs'] is True and f['matches_head'] is True, f
assert f['blob']=='$(git rev-parse HEAD:model/w.safetensors)', f
assert d['git']['dirty'] is False, d['git']
"; then ok "...recorded as lfs, matching HEAD through its pointer, tree clean"
else not_ok "...recorded as lfs, matching HEAD through its pointer, tree clean" "$(cat ../lfsbag/referee/provenance.json)"; fi
expect_true "...and the bag holds the real bytes" cmp ../weights.bin ../lfsbag/data/model/w.safetensors
expect_exit "verify --repo accepts it through the pointer" 0 "$REFEREE" verify --repo . ../lfsbag
printf 'X' | dd of=model/w.safetensors bs=1 seek=5000 conv=notrunc 2>/dev/null
expect_exit "a changed LFS file (same size) is refused" 1 "$REFEREE" pack ../lfsbag2 model
expect_err_match "...as uncommitted" "'model/w.safetensors' has uncommitted changes"
cp -r ../lfsbag ../lfsforged && cp model/w.safetensors ../lfsforged/data/model/w.safetensors
(cd ../lfsforged && new=$(sha256sum data/model/w.safetensors | cut -c1-64) \
  && sed -i "s/^[0-9a-f]*  data/$new  data/" manifest-sha256.txt)
expect_exit "verify --repo refuses an LFS file that differs from its pointer" 1 "$REFEREE" verify --repo . ../lfsforged
expect_err_match "...naming it" "'data/model/w.safetensors' differs"

# --rev with LFS: the object from the local LFS store replaces the pointer.
oid=$(sha256sum ../weights.bin | cut -c1-64)
expect_exit "--rev without the LFS object packs the pointer" 0 "$REFEREE" pack -q --repo . --rev HEAD ../lfsptr model
expect_true "...as committed" grep -q "^oid sha256:$oid" ../lfsptr/data/model/w.safetensors
mkdir -p ".git/lfs/objects/${oid:0:2}/${oid:2:2}" && cp ../weights.bin ".git/lfs/objects/${oid:0:2}/${oid:2:2}/$oid"
expect_exit "--rev with the LFS object packs the object" 0 "$REFEREE" pack -q --repo . --rev HEAD ../lfsrev model
expect_true "...whose bytes are the weights" cmp ../weights.bin ../lfsrev/data/model/w.safetensors
expect_true "...recorded as lfs" grep -q '"lfs": true' ../lfsrev/referee/provenance.json
expect_exit "...and it verifies against the repository" 0 "$REFEREE" verify --repo . ../lfsrev
printf 'corrupt' > ".git/lfs/objects/${oid:0:2}/${oid:2:2}/$oid"
expect_exit "a corrupt LFS object is refused" 1 "$REFEREE" pack --repo . --rev HEAD ../lfsbad model
expect_err_match "...saying so" "the LFS object of 'model/w.safetensors' does not match its pointer"
expect_true "...and nothing is left" test ! -e ../lfsbad

done_testing
