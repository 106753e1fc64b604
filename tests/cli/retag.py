#!/usr/bin/env python3
"""retag.py BAG [TAGFILE...]: rewrite BAG/tagmanifest-sha256.txt with the
current SHA-256 of every file it lists, adding each TAGFILE given.  What a
forger does after editing a tag file or manifest; the tests use it to show
that the signature, not the tag manifest, catches such edits."""
import hashlib
import os
import sys

bag, extra = sys.argv[1], sys.argv[2:]
path = os.path.join(bag, "tagmanifest-sha256.txt")
names = [line.rstrip("\n").split("  ", 1)[1] for line in open(path)]
names += [n for n in extra if n not in names]
with open(path, "w") as out:
    for n in names:
        if os.path.exists(os.path.join(bag, n)):
            digest = hashlib.sha256(open(os.path.join(bag, n), "rb").read()).hexdigest()
            out.write(f"{digest}  {n}\n")
