"""Measured sequence-to-sequence models: trained by their recipe, judged on held-out pairs by
what their decoded outputs are, greedy and with beam search side by side.

- Grapheme to phoneme (CMU Pronouncing Dictionary, held-out words): the phoneme error rate
  (edit distance over reference phonemes, summed over the test words; `token_error_rate`)
  and the word error rate (share of words with any phoneme wrong). For scale, Yao and Zweig
  (2015) report 5.5% PER and 23.6% WER for a 3-layer bidirectional LSTM and Sequitur's joint
  n-grams 5.9% / 24.5% on their CMUdict split, with stress kept; zoo drops stress (39
  phonemes) and trains small models for minutes on a CPU.
- Translation (King James to Louis Segond, held-out verses): BLEU and chrF from sacrebleu
  (Post 2018) on lower-cased text with punctuation split off, the model's own tokenisation
  of its outputs and of the references (`tokenize="none"`); words the target vocabulary
  lacks stay in the references, so '[UNK]' outputs count as wrong.

`benchmarks/seq2seq.py` records these rows into `zoo/results/seq2seq.json`; the cards read
the greedy `token_error_rate` of the G2P rows.
"""

from __future__ import annotations

import tempfile
import time

from zoo.benchmark import provenance

TRANSLATION_FEATURES = ("en", "fr")
BEAMS = 5


def g2p_figures(hypotheses, references) -> dict[str, float]:
    """Phoneme error rate and word error rate of decoded phoneme strings."""
    from zoo.text.seq2seq_decoding import token_error_rate

    wrong = sum(h.split() != r.split() for h, r in zip(hypotheses, references, strict=True))
    return {"token_error_rate": token_error_rate(hypotheses, references),
            "word_error_rate": wrong / len(references)}


def translation_figures(hypotheses, references) -> dict[str, float]:
    """BLEU and chrF of tokenised outputs against references tokenised alike."""
    import sacrebleu

    return {"bleu": sacrebleu.corpus_bleu(hypotheses, [references], tokenize="none").score,
            "chrf": sacrebleu.corpus_chrf(hypotheses, [references]).score}


def measure_seq2seq(name: str, dataset: str = "cmudict", *, epochs: int | None = None,
                    seed: int = 0, num_beams: int = BEAMS, limit: int | None = None,
                    runs_root=None, command: str | None = None) -> dict:
    """Train `name` on `dataset` ("cmudict" for G2P with its recipe, "bible_kjv_lsg" for
    translation with `TRANSLATION_OPTIONS` and `TRANSLATION_TRAINING`) and return its
    results row: the greedy figure (`token_error_rate` for G2P, `bleu` for translation) as
    the value, beside the same figures with `num_beams` beams. `limit` decodes only the
    first test pairs (for quick checks; a recorded row decodes them all)."""
    import zoo
    from zoo.data import raw_arrays
    from zoo.models.text.seq2seq import (
        G2P_FEATURES,
        TRANSLATION_OPTIONS,
        TRANSLATION_TRAINING,
    )
    from zoo.text.seq2seq_decoding import translate

    card = zoo.model_card(name)
    if card.task != "sequence-to-sequence":
        raise ValueError(f"{name} is a {card.task} model; measure_seq2seq takes "
                         "sequence-to-sequence models.")
    translation = dataset == "bible_kjv_lsg"
    if not translation and dataset != "cmudict":
        raise ValueError(f"dataset={dataset!r}: measured are 'cmudict' (grapheme to phoneme) "
                         "and 'bible_kjv_lsg' (English to French).")
    features = TRANSLATION_FEATURES if translation else G2P_FEATURES
    training = dict(TRANSLATION_TRAINING) if translation else {}
    training["epochs"] = epochs or training.get("epochs")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        result = zoo.train(name, dataset, **training, seed=seed,
                           model_options=TRANSLATION_OPTIONS if translation else None,
                           dataset_options={"feature": features},
                           runs_root=runs_root or scratch, verbose=0, tensorboard=False)
    wall = round(time.perf_counter() - started, 1)
    model = result.model
    (sources, targets), _ = raw_arrays(dataset, "test", feature=features)
    sources, targets = list(sources[:limit]), list(targets[:limit])
    references = model.standardize_target(targets)
    figures = translation_figures if translation else g2p_figures
    decoded, beam_decoded, decode_seconds, greedy = {}, {}, {}, []
    for beams, outputs in ((1, decoded), (num_beams, beam_decoded)):
        decode_started = time.perf_counter()
        hypotheses = translate(model, sources, num_beams=beams)
        decode_seconds[beams] = round(time.perf_counter() - decode_started, 1)
        outputs.update(figures(hypotheses, references))
        greedy = greedy or hypotheses
    metric = "bleu" if translation else "token_error_rate"
    examples = [{"source": s, "reference": r, "greedy": h}
                for s, r, h in zip(sources[:3], references[:3], greedy[:3], strict=True)]
    train_sources = raw_arrays(dataset, "train", seed=seed, feature=features)[0][0]
    return {
        "model": name, "dataset": dataset, "split": "test", "metric": metric,
        "value": round(decoded[metric], 4),
        **{f"greedy_{k}": round(v, 4) for k, v in decoded.items()},
        **{f"beam_{k}": round(v, 4) for k, v in beam_decoded.items()},
        "num_beams": num_beams, "decode_seconds": decode_seconds[1],
        "beam_decode_seconds": decode_seconds[num_beams], "examples": examples,
        "parameters": model.count_params(), "seed": seed,
        "epochs_run": len(result.history["loss"]),
        "epochs_max": training["epochs"] or card.recipe.epochs,
        "batch_size": training.get("batch_size", card.recipe.batch_size),
        "train_examples": len(train_sources), "test_examples": len(sources),
        "wall_seconds": wall, **provenance(command),
    }
