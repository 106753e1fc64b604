#!/usr/bin/env python3
"""Forge a bag the way an attacker who can edit files would (test helper).

forge.py BAG edit FILE OLD NEW   replace OLD by NEW in BAG/FILE (a payload file)
forge.py BAG unsign              remove the attestation files
forge.py BAG keyid TEXT          set the first signature's keyid hint (unsigned field)
Either way every digest a forger can recompute is recomputed:
manifest-sha256.txt, Payload-Oxum, referee/provenance.json's record of the
file, and tagmanifest-sha256.txt -- so only the signed statement (or a
trusted signature) can notice.
"""
import hashlib, json, os, sys

def sha(p):
    return hashlib.sha256(open(p, 'rb').read()).hexdigest()

def rehash(bag):
    lines = []
    for root, _, files in os.walk(os.path.join(bag, 'data')):
        for f in files:
            full = os.path.join(root, f)
            lines.append((os.path.relpath(full, bag), sha(full), os.path.getsize(full)))
    lines.sort()
    with open(os.path.join(bag, 'manifest-sha256.txt'), 'w') as m:
        for p, h, _ in lines:
            m.write(f'{h}  {p}\n')
    info = open(os.path.join(bag, 'bag-info.txt')).read().splitlines()
    oxum = f'Payload-Oxum: {sum(s for _, _, s in lines)}.{len(lines)}'
    info = [oxum if l.startswith('Payload-Oxum:') else l for l in info]
    open(os.path.join(bag, 'bag-info.txt'), 'w').write('\n'.join(info) + '\n')
    pp = os.path.join(bag, 'referee', 'provenance.json')
    if os.path.exists(pp):
        prov = json.load(open(pp))
        byp = {p: (h, s) for p, h, s in lines}
        for rec in prov.get('files', []):
            if rec['path'] in byp:
                rec['sha256'], rec['size'] = byp.pop(rec['path'])
        for p, (h, s) in sorted(byp.items()):  # files the forger added
            prov['files'].append({'path': p, 'sha256': h, 'size': s,
                                  'repo_path': None, 'blob': None})
        open(pp, 'w').write(json.dumps(prov, indent=2) + '\n')
    tags = ['bagit.txt', 'bag-info.txt', 'manifest-sha256.txt']
    for root, _, files in os.walk(os.path.join(bag, 'referee')):
        tags += [os.path.relpath(os.path.join(root, f), bag) for f in files]
    with open(os.path.join(bag, 'tagmanifest-sha256.txt'), 'w') as t:
        for p in sorted(tags):
            t.write(f'{sha(os.path.join(bag, p))}  {p}\n')

bag, mode = sys.argv[1], sys.argv[2]
if mode == 'edit':
    path = os.path.join(bag, sys.argv[3])
    text = open(path).read()
    if sys.argv[4] not in text:
        sys.exit(f'forge.py: {sys.argv[4]!r} not in {path}')
    open(path, 'w').write(text.replace(sys.argv[4], sys.argv[5]))
elif mode == 'unsign':
    for f in ('attestation.dsse.json', 'attestation.sigstore.json'):
        os.remove(os.path.join(bag, 'referee', f))
elif mode == 'keyid':
    dp = os.path.join(bag, 'referee', 'attestation.dsse.json')
    sp = os.path.join(bag, 'referee', 'attestation.sigstore.json')
    env = json.load(open(dp))
    env['signatures'][0]['keyid'] = sys.argv[3]
    open(dp, 'w').write(json.dumps(env, separators=(',', ':')) + '\n')
    sb = json.load(open(sp))
    sb['dsseEnvelope'] = env
    sb['verificationMaterial']['publicKey']['hint'] = sys.argv[3]
    open(sp, 'w').write(json.dumps(sb) + '\n')
else:
    sys.exit('usage: forge.py BAG edit FILE OLD NEW | unsign | keyid TEXT')
rehash(bag)
