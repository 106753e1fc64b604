#!/usr/bin/env bash
# referee in a research repository's CI, step 1: the Debian packages referee
# builds against (only those missing; sudo when not root).  Used by the
# GitHub Action (action.yml) and the GitLab template (.ci/action/referee.gitlab-ci.yml).
set -euo pipefail
pkgs="build-essential pkg-config libgit2-dev libssl-dev libyaml-dev libjansson-dev
zlib1g-dev libzstd-dev libunistring-dev libcurl4-openssl-dev git"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
  echo "referee: build dependencies present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "referee: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends $missing
