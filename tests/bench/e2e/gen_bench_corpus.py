#!/usr/bin/python3
"""Generates the end-to-end benchmark corpus from the invented fixtures.

    /usr/bin/python3 tests/bench/e2e/gen_bench_corpus.py --count 100000 --seed 11 \\
        --out corpus.jsonl [--keyed keyed.tsv] [--kind stories|templates] [--per-day N] \\
        [--start YYYY-MM-DD] [--prefix P]

Writes exactly COUNT lines, ~3 KB each, deterministic per seed, and a summary on stderr.

--kind stories (the default) is a news stream: events of tests/fixtures/stories/gen_stories.py
(two people, a place, numbers and a date; invented; with 3,000 surnames, 1,000 towns and 200
rivers of their own instead of the fixture's few), each told in 3 to 5 of en fr de es ru ar
(one of them Cyrillic or Arabic) by invented outlets, about half of them rewritten by a second
outlet. An article is the event's lead and sentences followed by background paragraphs of its
language's everyday words (no names, no numbers) up to ~3 KB, with site junk sprinkled in.
PER_DAY articles per day of published_at (default 1,000: a 72 h window holds ~6,000 articles
either side); the stream arrives in published_at order except 3% of articles that arrive up to
two days late. About 5% exact copies (another outlet, the same text) and 5% near copies (a
byline added or the last sentence cut), 1% broken records of every reject kind
(gen_corpus.bad_record).

--kind templates is the corpus of sessions 1-3, kept as a worst case: every article mixes
paragraphs of the same 24 templates about two events (a flood and a strike), with random
published_at over a year, so that every article shares its names with most others and stories
grow with the corpus.

--keyed also writes `key<TAB>value` lines for `kcat -K '\\t'` (key = the article id, `line-N`
when a record has none).
"""
import argparse
import datetime
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "fixtures"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "fixtures", "stories"))
from gen_corpus import TEMPLATES, bad_record, vary  # noqa: E402
from stories import JUNK, OUTLETS  # noqa: E402
import gen_stories as gs  # noqa: E402

TARGET_BYTES = 2600
BY_LANG = {}
for _lang, _title, _body in TEMPLATES:
    BY_LANG.setdefault(_lang, []).append((_title, _body))


def template_article(rng, i, prefix):
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


def vocabulary():
    """Per language: the lower-case words of the story templates (no slot, no digit)."""
    words = {}
    for kinds in gs.T.values():
        for lang, t in kinds.items():
            texts = [t["title"]] + list(t["lead"]) + list(t["pool"])
            for text in texts:
                text = re.sub(r"\{[a-z0-9]+\}", " ", text)
                for w in re.findall(r"[^\W\d_]+", text):
                    if w == w.lower() and len(w) > 1:
                        words.setdefault(lang, set()).add(w)
    return {lang: sorted(ws) for lang, ws in words.items()}


VOCAB = vocabulary()


def background(rng, lang, size):
    """Paragraphs of the language's words in random order, ~size bytes: text with no name and
    no number, unlike any other article's."""
    paras, total = [], 0
    while total < size:
        sentences = []
        for _ in range(rng.randint(2, 4)):
            sentences.append(" ".join(rng.choice(VOCAB[lang])
                                      for _ in range(rng.randint(8, 16))) + ".")
        para = " ".join(sentences)
        paras.append(para)
        total += len(para.encode()) + 1
    return paras


def invented_names(rng, count, endings, syllables=(2, 3)):
    """`count` distinct capitalised names, in the letters gen_stories.spell can write in Cyrillic
    and Arabic script, with distinct consonant skeletons (the entity stage keys a name by its
    consonants: with two syllables of 13 consonants, hundreds of surnames would share a key)."""
    onsets, vowels = "bdfgklmnrstvz", "aeiou"
    names, skeletons = set(), set()
    while len(names) < count:
        word = "".join(rng.choice(onsets) + rng.choice(vowels)
                       for _ in range(rng.randint(*syllables))) + rng.choice(endings)
        skeleton = "".join(c for c in word if c not in vowels)
        if skeleton in skeletons:
            continue
        skeletons.add(skeleton)
        names.add(word.capitalize())
    return sorted(names)


def stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def story_stream(rng, count, per_day, start, prefix, bad_ratio, exact_ratio, near_ratio):
    """Yields (arrival position, raw bytes, key, kind) for `count` lines."""
    # a name space of a news stream rather than of the 60-event fixture: 3,000 surnames, 1,000
    # towns and 200 rivers (with the fixture's 40, 28 and 8, unrelated events share three names
    # and a date by chance once there are thousands of them in a window, and one river is in an
    # eighth of all the floods)
    gs.LAST = invented_names(rng, 3000, ["", "n", "r", "v", "k", "l"], (3, 3))
    gs.PLACES = invented_names(rng, 1000, ["", "l", "d", "k", "m"])
    gs.RIVERS = invented_names(rng, 200, ["a", "na", "va"])
    used = set()
    span_s = max(1, int(count / per_day * 86400))
    n_valid = count - round(count * bad_ratio)
    # each version brings an exact copy with probability p_exact and a near copy with p_near:
    # copies / all = p / (1 + p_exact + p_near) = the ratio asked for
    rest = 1 - exact_ratio - near_ratio
    p_exact, p_near = exact_ratio / rest, near_ratio / rest
    ev_idx = 0
    docs = []
    while len(docs) < n_valid:
        ev = gs.Event(ev_idx, rng, used)
        ev.date = start + datetime.timedelta(seconds=rng.randrange(span_s))
        for li, lang in enumerate(ev.langs):
            outlets = list(gs.OUTLETS[lang])
            rng.shuffle(outlets)
            t0 = ev.date + datetime.timedelta(minutes=li * 40 + rng.randrange(0, 240))
            variants = [(0, t0, outlets[0])]
            if rng.random() < 0.5:
                variants.append((1, t0 + datetime.timedelta(minutes=rng.randrange(30, 1200)),
                                 outlets[1 % len(outlets)]))
            for variant, t, outlet in variants:
                title, body = gs.render(ev, lang, variant, rng)
                lines = body.split("\n")
                size = len(title.encode()) + len(body.encode())
                lines += background(rng, lang, TARGET_BYTES - size)
                if rng.random() < 0.4:
                    for _ in range(rng.randint(1, 3)):
                        lines.insert(rng.randint(1, len(lines)), rng.choice(JUNK[lang]))
                aid = "%s-%07d-%s%d" % (prefix, ev_idx, lang, variant)
                doc = {"id": aid, "source": outlet, "url": "https://news.example/%s/%s" % (lang, aid),
                       "title": title, "body": "\n".join(lines), "published_at": stamp(t)}
                docs.append((t, doc, "valid"))
                if rng.random() < p_exact:
                    copy = dict(doc, id=aid + "-x", source=rng.choice(outlets))
                    tc = t + datetime.timedelta(minutes=rng.randrange(5, 600))
                    copy["published_at"] = stamp(tc)
                    docs.append((tc, copy, "exact"))
                if rng.random() < p_near:
                    edited = list(lines)
                    if rng.random() < 0.5:
                        edited = edited[:-1]
                    else:
                        edited.append(gs.BYLINES[lang].format(
                            a=gs.spell(gs.person(rng, set()), lang),
                            b=gs.spell(gs.person(rng, set()), lang)))
                    near = dict(doc, id=aid + "-l", source="Wire Digest", body="\n".join(edited))
                    tn = t + datetime.timedelta(minutes=rng.randrange(5, 900))
                    near["published_at"] = stamp(tn)
                    docs.append((tn, near, "near"))
        ev_idx += 1
    docs = docs[:n_valid]
    # arrival: published_at order, 3% up to two days late
    order = []
    for t, doc, kind in docs:
        arrive = t
        if rng.random() < 0.03:
            arrive = t + datetime.timedelta(seconds=rng.randrange(3600, 2 * 86400))
        order.append((arrive, doc["id"], doc, kind))
    order.sort(key=lambda o: (o[0], o[1]))
    lines = [(json.dumps(doc, ensure_ascii=False).encode(), doc["id"], kind)
             for _, _, doc, kind in order]
    n_bad = count - n_valid
    for b in range(n_bad):
        raw, rid, _ = bad_record(rng, b + 1, prefix)
        pos = rng.randrange(len(lines) + 1)
        lines.insert(pos, (raw, rid or None, "bad"))
    for i, (raw, key, kind) in enumerate(lines):
        yield raw, key or "line-%d" % (i + 1), kind


def template_stream(rng, count, prefix, bad_ratio, exact_ratio, near_ratio):
    recent = []  # a window of earlier valid documents to copy from
    for i in range(1, count + 1):
        r = rng.random()
        if r < bad_ratio:
            raw, rid, _ = bad_record(rng, i, prefix)
            yield raw, rid or "line-%d" % i, "bad"
            continue
        kind = "valid"
        if r < bad_ratio + exact_ratio and recent:
            doc = dict(rng.choice(recent))
            doc["id"] = "%s-%07d" % (prefix, i)
            doc["source"] = rng.choice(OUTLETS)
            kind = "exact"
        elif r < bad_ratio + exact_ratio + near_ratio and recent:
            doc = dict(rng.choice(recent))
            doc["id"] = "%s-%07d" % (prefix, i)
            lines = doc["body"].split("\n")
            k = rng.randrange(len(lines))
            lines[k] = lines[k] + " (%d)" % rng.randint(1, 999)
            doc["body"] = "\n".join(lines)
            kind = "near"
        else:
            doc = template_article(rng, i, prefix)
            recent.append(doc)
            if len(recent) > 2000:
                recent.pop(rng.randrange(len(recent)))
        yield json.dumps(doc, ensure_ascii=False).encode(), doc["id"], kind


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--prefix", default="b")
    ap.add_argument("--kind", choices=["stories", "templates"], default="stories")
    ap.add_argument("--per-day", type=int, default=1000)
    ap.add_argument("--start", default="2026-03-02",
                    help="stories: the first day of published_at (YYYY-MM-DD)")
    ap.add_argument("--bad-ratio", type=float, default=0.01)
    ap.add_argument("--exact-ratio", type=float, default=0.05)
    ap.add_argument("--near-ratio", type=float, default=0.05)
    ap.add_argument("--out", required=True)
    ap.add_argument("--keyed")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    if args.kind == "stories":
        start = datetime.datetime.strptime(args.start, "%Y-%m-%d").replace(
            tzinfo=datetime.timezone.utc)
        stream = story_stream(rng, args.count, args.per_day, start, args.prefix, args.bad_ratio,
                              args.exact_ratio, args.near_ratio)
    else:
        stream = template_stream(rng, args.count, args.prefix, args.bad_ratio, args.exact_ratio,
                                 args.near_ratio)
    counts = {"valid": 0, "exact": 0, "near": 0, "bad": 0}
    total_bytes = 0
    keyed = open(args.keyed, "wb") if args.keyed else None
    with open(args.out, "wb") as out:
        for raw, key, kind in stream:
            assert b"\n" not in raw and b"\t" not in raw
            counts[kind] += 1
            out.write(raw + b"\n")
            total_bytes += len(raw) + 1
            if keyed:
                keyed.write(key.encode() + b"\t" + raw + b"\n")
    if keyed:
        keyed.close()
    valid = counts["valid"] + counts["exact"] + counts["near"]
    print("gen_bench_corpus: %d lines, %.1f MB (%.0f bytes/line), valid %d (exact copies %d, "
          "near copies %d), bad %d, kind %s" % (
              args.count, total_bytes / 1e6, total_bytes / args.count, valid, counts["exact"],
              counts["near"], counts["bad"], args.kind), file=sys.stderr)


if __name__ == "__main__":
    main()
