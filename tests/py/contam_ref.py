#!/usr/bin/env python3
"""A straightforward Python implementation of referee's contamination check,
the same method as lib/contam/: the baseline of tests/bench/bench_contam.sh
and an independent cross-check in tests/cli/test_contamination.sh.

  contam_ref.py [-n N] [--field KEY]... [--words] --eval FILE[:FIELD]... CORPUS...

Prints one line per benchmark item:
  bench <TAB> id <TAB> found <TAB> ngrams <TAB> longest <TAB> file <TAB> line
(--words: bench <TAB> id <TAB> normalised words).
"""
import argparse, gzip, io, json, os, re, sys, unicodedata

SPACING = re.compile(
    r'\\(?:[,:;!> \t\n]'
    r'|hspace\*?[ \t]*\{[^}\n]{0,62}\}'
    r'|(?:quad|qquad|enspace|enskip|thinspace|medspace|thickspace|negthinspace'
    r'|negmedspace|negthickspace|space|hfill|hspace)(?![A-Za-z]))')
RUN = re.compile(r'[A-Za-z0-9\u0080-\U0010FFFF]+')


def split_unicode(s):
    out, cur = [], []
    for c in s:
        if unicodedata.category(c)[0] in 'LMN':
            cur.append(c)
        elif cur:
            out.append(''.join(cur)); cur = []
    if cur:
        out.append(''.join(cur))
    return out


def words(s):
    out = []
    for run in RUN.findall(SPACING.sub(' ', s)):
        if run.isascii():
            out.append(run.lower())
        else:
            # libunistring's u8_casefold(UNINORM_NFKC): NFKC(casefold(NFD(s)))
            f = unicodedata.normalize('NFKC', unicodedata.normalize('NFD', run).casefold())
            out.extend(split_unicode(f))
    return out


def open_text(path):
    with open(path, 'rb') as f:
        magic = f.read(4)
    if magic[:2] == b'\x1f\x8b':
        raw = gzip.open(path, 'rb')
    elif magic == b'\x28\xb5\x2f\xfd':
        import subprocess
        raw = subprocess.Popen(['zstd', '-dc', path], stdout=subprocess.PIPE).stdout
    else:
        raw = open(path, 'rb')
    return io.TextIOWrapper(raw, encoding='utf-8', errors='replace', newline='\n')


def strings(v, fields, top=True):
    if isinstance(v, str):
        if fields is None:
            yield v
    elif isinstance(v, list):
        for x in v:
            yield from strings(x, fields, False)
    elif isinstance(v, dict):
        for k, x in v.items():
            if top and fields is not None:
                if k in fields:
                    yield from strings(x, None, False)
            else:
                yield from strings(x, fields, False)


def load_items(spec):
    """FILE[:FIELD] -> [(bench, id, text)], as referee reads a benchmark."""
    path, field = spec, None
    if ':' in spec and not os.path.exists(spec):
        path, field = spec.rsplit(':', 1)
    bench = os.path.basename(path).split('.')[0]
    out = []
    for lineno, line in enumerate(open(path, encoding='utf-8'), 1):
        if not line.strip():
            continue
        o = json.loads(line)
        t = o[field] if field else next(o[k] for k in ('problem', 'question', 'prompt') if k in o)
        iid = next((o[k] for k in ('id', 'idx', 'unique_id') if k in o), 'line %d' % lineno)
        out.append((bench, str(iid), t))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('-n', type=int, default=13)
    ap.add_argument('--eval', action='append', required=True)
    ap.add_argument('--field', action='append')
    ap.add_argument('--words', action='store_true')
    ap.add_argument('corpus', nargs='*')
    a = ap.parse_args()
    n = a.n
    items = []  # (bench, id, words)
    for e in a.eval:
        items += [(b, i, words(t)) for b, i, t in load_items(e)]
    if a.words:
        for b, i, w in items:
            print('%s\t%s\t%s' % (b, i, ' '.join(w)))
        return
    grams = {}
    for k, (_, _, w) in enumerate(items):
        for p in range(len(w) - n + 1):
            grams.setdefault(tuple(w[p:p + n]), []).append((k, p))
    found = [set() for _ in items]
    best = [None] * len(items)  # (-words, file, line, pos)

    def offer(k, ch, fi):
        cand = (-(ch[2] + n - 1), fi, ch[1], ch[0])
        if best[k] is None or cand < best[k]:
            best[k] = cand

    for fi, path in enumerate(a.corpus):
        fmt = 'jsonl' if re.search(r'\.(jsonl|ndjson|json)(\.gz|\.zst|\.zstd)?$', path) else 'text'
        prev, cur, qcur = {}, {}, None

        def hit(k, p, q, line):
            nonlocal prev, cur, qcur
            found[k].add(p)
            if q != qcur:
                if qcur is not None and q == qcur + 1:
                    for key, ch in prev.items():
                        offer(key[0], ch, fi)
                    prev, cur = cur, {}
                else:
                    for d in (prev, cur):
                        for key, ch in d.items():
                            offer(key[0], ch, fi)
                    prev, cur = {}, {}
                qcur = q
            ch = prev.pop((k, p - 1), None)
            cur[(k, p)] = (ch[0], ch[1], ch[2] + 1) if ch else (p, line, 1)

        def segment(ws, lines, q0):
            for s in range(len(ws) - n + 1):
                for k, p in grams.get(tuple(ws[s:s + n]), ()):
                    hit(k, p, q0 + s, lines[s])

        q = 0
        f = open_text(path)
        if fmt == 'text':
            win, wl = [], []
            for lineno, line in enumerate(f, 1):
                for w in words(line):
                    win.append(w); wl.append(lineno)
                    if len(win) > n:
                        win.pop(0); wl.pop(0)
                    if len(win) == n:
                        for k, p in grams.get(tuple(win), ()):
                            hit(k, p, q, wl[0])
                        q += 1
        else:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                for s in strings(json.loads(line), set(a.field) if a.field else None):
                    ws = words(s)
                    segment(ws, [lineno] * len(ws), q)
                    q += len(ws)
        for d in (prev, cur):
            for key, ch in d.items():
                offer(key[0], ch, fi)
    for k, (b, i, w) in enumerate(items):
        ng = max(0, len(w) - n + 1)
        if best[k]:
            print('%s\t%s\t%d\t%d\t%d\t%s\t%d' % (b, i, len(found[k]), ng, -best[k][0],
                                                  a.corpus[best[k][1]], best[k][2]))
        else:
            print('%s\t%s\t%d\t%d\t0\t-\t0' % (b, i, len(found[k]), ng))


if __name__ == '__main__':
    main()
