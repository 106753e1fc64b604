#!/usr/bin/env python3
"""Build the planted corpus of tests/cli/test_contamination.sh.

  contam_plant.py OUTDIR BENCH.jsonl[:FIELD]...

Real unrelated text (the licence texts in tests/data/contam/, copied from
Debian's /usr/share/common-licenses) with benchmark items planted in it:
verbatim, re-spaced and wrapped over lines, upper-cased, with LaTeX spacing
changed, in full-width characters (NFKC), inside a nested JSON field, in a
JSON field that --field can leave out, and truncated to n+1 and n-1 words.
The items planted are the first items (in file order) with at least 24
words none of whose 13-grams occurs in any other item, so that planting one
item can reveal no other.  Writes OUTDIR/{web.txt, books.txt.zst, sft.jsonl,
chat.jsonl.gz} and OUTDIR/expected.tsv:
  bench <TAB> id <TAB> file <TAB> line <TAB> longest-words <TAB> how
(how "field" marks the plant only found when its JSON field is read;
longest 0 marks a plant that must not be found).
"""
import gzip, json, os, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from contam_ref import load_items, words  # the same method, written independently

N = 13
HERE = os.path.dirname(os.path.abspath(__file__))
TEXTS = os.path.join(HERE, '..', 'data', 'contam')


def paragraphs(name):
    text = open(os.path.join(TEXTS, name), encoding='utf-8').read()
    return [p.strip('\n') for p in text.split('\n\n') if p.strip()]


def main():
    out = sys.argv[1]
    items = []
    for spec in sys.argv[2:]:
        items += load_items(spec)
    owners = {}
    for k, (_, _, t) in enumerate(items):
        w = words(t)
        for p in range(len(w) - N + 1):
            owners.setdefault(tuple(w[p:p + N]), set()).add(k)
    alone = [k for k, (_, _, t) in enumerate(items)
             if len(words(t)) >= 24 and
             all(len(owners[tuple(words(t)[p:p + N])]) == 1
                 for p in range(len(words(t)) - N + 1))]
    by_bench = {}
    for k in alone:
        by_bench.setdefault(items[k][0], []).append(k)
    benches = sorted(by_bench)
    picks = []  # nine items, spread over the benchmarks
    i = 0
    while len(picks) < 9:
        b = benches[i % len(benches)]
        rest = [k for k in by_bench[b] if k not in picks]
        if rest:
            picks.append(rest[0])
        i += 1
    expected = []

    def item(k):
        return items[k]

    def respace(t):
        ws = t.split()
        return '\n'.join('  \t '.join(ws[j:j + 5]) for j in range(0, len(ws), 5))

    def latex_spacing(t):
        t2 = t.replace('\\,', ' ').replace('\\;', ' ').replace('\\!', ' ')
        parts = t2.split(' ')
        seps = ['\\;', ' \\quad ', '\\,', '~', '\\hspace{1em}', ' ']
        return ''.join(p + (seps[j % len(seps)] if j + 1 < len(parts) else '')
                       for j, p in enumerate(parts))

    def fullwidth(t):
        return ''.join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in t)

    def plant_text(lines, k, text, how, longest=None):
        b, iid, t = item(k)
        assert '\n\n' not in text
        lines.append('')
        expected.append([b, iid, None, len(lines) + 1,
                         len(words(t)) if longest is None else longest, how])
        lines.extend(text.split('\n'))
        lines.append('')
        return expected[-1]

    os.makedirs(out, exist_ok=True)
    # web.txt: verbatim, re-spaced, n+1 and n-1 words
    web = []
    paras = paragraphs('gpl-3.txt')
    plan = {5: ('verbatim', picks[0]), 40: ('respaced', picks[1]),
            80: ('truncated-over', picks[2]), 120: ('truncated-under', picks[3])}
    for j, p in enumerate(paras):
        web.extend(p.split('\n'))
        web.append('')
        if j in plan:
            how, k = plan[j]
            t = item(k)[2]
            w = words(t)
            if how == 'verbatim':
                e = plant_text(web, k, t.replace('\n\n', '\n'), how)
            elif how == 'respaced':
                assert words(respace(t)) == w
                e = plant_text(web, k, respace(t), how)
            elif how == 'truncated-over':
                e = plant_text(web, k, ' '.join(w[:N + 1]), how, N + 1)
            else:
                e = plant_text(web, k, ' '.join(w[:N - 1]), how, 0)
            e[2] = 'web.txt'
    open(os.path.join(out, 'web.txt'), 'w', encoding='utf-8').write('\n'.join(web) + '\n')
    # books.txt.zst: LaTeX spacing changed, full-width characters
    books = []
    paras = paragraphs('mpl-2.0.txt')
    for j, p in enumerate(paras):
        books.extend(p.split('\n'))
        books.append('')
        if j == 10:
            t = item(picks[4])[2]
            assert words(latex_spacing(t)) == words(t), latex_spacing(t)
            plant_text(books, picks[4], latex_spacing(t).replace('\n\n', '\n'), 'latex-spacing')[2] = 'books.txt.zst'
        if j == 30:
            t = item(picks[5])[2]
            assert words(fullwidth(t)) == words(t)
            plant_text(books, picks[5], fullwidth(t).replace('\n\n', '\n'), 'fullwidth-nfkc')[2] = 'books.txt.zst'
    raw = ('\n'.join(books) + '\n').encode()
    subprocess.run(['zstd', '-q', '-f', '-o', os.path.join(out, 'books.txt.zst')],
                   input=raw, check=True)
    # sft.jsonl: upper-cased in "text"; one item only in "meta"
    rows = [{'id': j, 'text': p, 'meta': {'source': 'apache-2.0'}}
            for j, p in enumerate(paragraphs('apache-2.0.txt'))]
    b, iid, t = item(picks[6])
    rows.insert(7, {'id': 'p6', 'text': t.upper(), 'meta': {'source': 'planted'}})
    expected.append([b, iid, 'sft.jsonl', 8, len(words(t)), 'recased'])
    b, iid, t = item(picks[7])
    rows.insert(15, {'id': 'p7', 'text': 'unrelated', 'meta': {'notes': [t]}})
    expected.append([b, iid, 'sft.jsonl', 16, len(words(t)), 'field'])
    with open(os.path.join(out, 'sft.jsonl'), 'w', encoding='utf-8') as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + '\n')
    # chat.jsonl.gz: verbatim inside a nested message
    rows = [{'messages': [{'role': 'user', 'content': p},
                          {'role': 'assistant', 'content': 'ok'}]}
            for p in paragraphs('lgpl-2.1.txt')]
    b, iid, t = item(picks[8])
    rows.insert(20, {'messages': [{'role': 'user', 'content': 'Solve: ' + t},
                                  {'role': 'assistant', 'content': 'The answer is 7.'}]})
    expected.append([b, iid, 'chat.jsonl.gz', 21, len(words(t)), 'nested-gzip'])
    with gzip.open(os.path.join(out, 'chat.jsonl.gz'), 'wt', encoding='utf-8') as f:
        for r in rows:
            f.write(json.dumps(r) + '\n')
    with open(os.path.join(out, 'expected.tsv'), 'w') as f:
        for e in expected:
            f.write('\t'.join(str(x) for x in e) + '\n')


if __name__ == '__main__':
    main()
