#!/usr/bin/python3
"""Generates the end-to-end benchmark corpus from the invented stories of tests/fixtures.

    /usr/bin/python3 tests/bench/e2e/gen_bench_corpus.py --count 100000 --seed 11 \\
        --out corpus.jsonl --keyed keyed.tsv

Writes exactly COUNT lines: ~3 KB articles in the 8 languages of the fixtures (a story's
paragraphs plus other same-language items, numbers and bylines varied per article, site junk
sprinkled in), 5% exact copies of an earlier article (new id and outlet), 5% near copies (an
earlier article with one sentence changed), 1% broken records of every reject kind
(gen_corpus.bad_record). --keyed also writes `key<TAB>value` lines for `kcat -K '\\t'` (key = the
article id, `line-N` when a record has none). Deterministic per seed. Prints a summary on stderr.
"""
import argparse
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "fixtures"))
from gen_corpus import TEMPLATES, bad_record, vary  # noqa: E402
from stories import OUTLETS  # noqa: E402

TARGET_BYTES = 2600
BY_LANG = {}
for _lang, _title, _body in TEMPLATES:
    BY_LANG.setdefault(_lang, []).append((_title, _body))


def article(rng, i, prefix):
    lang = rng.choice(sorted(BY_LANG))
    title, body = vary(rng, lang, *rng.choice(BY_LANG[lang]))
    parts = [body]
    size = len(title.encode()) + len(body.encode())
    while size < TARGET_BYTES:
        _, more = vary(rng, lang, *rng.choice(BY_LANG[lang]))
        parts.append(more)
        size += len(more.encode()) + 1
    doc = {"id": "%s-%07d" % (prefix, i), "source": rng.choice(OUTLETS),
           "url": "https://news.example/%s/%d" % (lang, i), "title": title,
           "body": "\n".join(parts),
           "published_at": "2026-%02d-%02dT%02d:%02d:00Z" % (
               rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59))}
    return doc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--prefix", default="b")
    ap.add_argument("--bad-ratio", type=float, default=0.01)
    ap.add_argument("--exact-ratio", type=float, default=0.05)
    ap.add_argument("--near-ratio", type=float, default=0.05)
    ap.add_argument("--out", required=True)
    ap.add_argument("--keyed")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    recent = []  # a window of earlier valid documents to copy from
    counts = {"valid": 0, "exact": 0, "near": 0, "bad": 0}
    total_bytes = 0
    keyed = open(args.keyed, "wb") if args.keyed else None
    with open(args.out, "wb") as out:
        for i in range(1, args.count + 1):
            r = rng.random()
            key = None
            if r < args.bad_ratio:
                raw, rid, _ = bad_record(rng, i, args.prefix)
                key = rid or "line-%d" % i
                counts["bad"] += 1
            else:
                if r < args.bad_ratio + args.exact_ratio and recent:
                    doc = dict(rng.choice(recent))
                    doc["id"] = "%s-%07d" % (args.prefix, i)
                    doc["source"] = rng.choice(OUTLETS)
                    counts["exact"] += 1
                elif r < args.bad_ratio + args.exact_ratio + args.near_ratio and recent:
                    doc = dict(rng.choice(recent))
                    doc["id"] = "%s-%07d" % (args.prefix, i)
                    lines = doc["body"].split("\n")
                    k = rng.randrange(len(lines))
                    lines[k] = lines[k] + " (%d)" % rng.randint(1, 999)
                    doc["body"] = "\n".join(lines)
                    counts["near"] += 1
                else:
                    doc = article(rng, i, args.prefix)
                    recent.append(doc)
                    if len(recent) > 2000:
                        recent.pop(rng.randrange(len(recent)))
                counts["valid"] += 1
                raw = json.dumps(doc, ensure_ascii=False).encode()
                key = doc["id"]
            assert b"\n" not in raw and b"\t" not in raw
            out.write(raw + b"\n")
            total_bytes += len(raw) + 1
            if keyed:
                keyed.write(key.encode() + b"\t" + raw + b"\n")
    if keyed:
        keyed.close()
    print("gen_bench_corpus: %d lines, %.1f MB (%.0f bytes/line), valid %d (exact copies %d, "
          "near copies %d), bad %d" % (args.count, total_bytes / 1e6, total_bytes / args.count,
                                       counts["valid"], counts["exact"], counts["near"],
                                       counts["bad"]), file=sys.stderr)


if __name__ == "__main__":
    main()
