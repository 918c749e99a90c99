"""Restored images measured: pix2pix beside the classical answer and beside the same U-Net
trained on L1 alone (Isola et al.'s ablation), on the same corrupted test images.

For each: the PSNR of the restored images' mean squared error against the clean ones
(pixel fidelity, which the L1-only network is trained for), the accuracy of the MNIST judge
(`zoo.generative.sample_quality`) on them (is the digit still the digit it was), and the
classifier-feature FID between restored and clean images (do they look like real digits, or
like blurred averages of them). The classical answers: bicubic upsampling for
super-resolution, and the hole filled with the background's black for inpainting.

`benchmarks/image_to_image.py` records the rows in `zoo/results/image_to_image.json`.
"""

from __future__ import annotations

import tempfile
import time

import numpy as np

from zoo.benchmark import provenance


def classical_restoration(corrupt: str, corrupted):
    """The answer without learning: bicubic upsampling by 2 ("downsample"), or the grey
    hole set to 0, MNIST's background ("mask")."""
    import tensorflow as tf

    from zoo.data.corrupt import MASK_FILL

    corrupted = np.asarray(corrupted, "float32")
    if corrupt == "downsample":
        size = (corrupted.shape[1] * 2, corrupted.shape[2] * 2)
        return np.clip(tf.image.resize(corrupted, size, method="bicubic").numpy(), 0.0, 1.0)
    return np.where(corrupted == MASK_FILL, 0.0, corrupted).astype("float32")


def psnr_of_mean_error(clean, restored, peak: float = 1.0) -> float:
    """The PSNR, in dB, of the mean squared error over all images: unlike the mean of
    per-image PSNRs it stays finite when some images are restored exactly (a hole that fell
    on the black background and was filled with black)."""
    error = np.mean((np.asarray(restored, "float64") - clean) ** 2)
    return float(10.0 * np.log10(peak ** 2 / error))


def restoration_figures(restored, clean, labels, judge) -> dict:
    from zoo.generative.sample_quality import frechet_distance

    return {"psnr_db": psnr_of_mean_error(clean, restored),
            "judge_accuracy": float(np.mean(judge.predict(restored) == labels)),
            "classifier_fid": frechet_distance(judge.embed(clean), judge.embed(restored))}


def measure_image_to_image(name: str, *, epochs: int | None = None, seed: int = 0,
                           runs_root=None, judge_cache=None, command: str | None = None) -> dict:
    """Train the image-to-image model `name` by its recipe, and the same U-Net on L1 alone
    (`adversarial_weight=0`), and return the row of the first's test PSNR with every figure
    of the three restorations (pix2pix, L1 only, classical) beside the clean images'."""
    import zoo
    from zoo.generative.sample_quality import trained_judge

    card = zoo.model_card(name)
    if card.task != "image-to-image":
        raise ValueError(f"{name} is not an image-to-image model (its task is "
                         f"{card.task!r}).")
    corrupt = card.recipe.dataset_options["corrupt"]
    judge, about = trained_judge(card.dataset, seed=seed, cache_dir=judge_cache)
    pairs = list(zoo.data.load(card.dataset, "test", batch_size=1000, corrupt=corrupt))
    corrupted = np.concatenate([x.numpy() for x, _ in pairs])
    clean = np.concatenate([y.numpy() for _, y in pairs])
    labels = np.concatenate([y.numpy() for _, y in zoo.data.load(card.dataset, "test",
                                                                  batch_size=1000)])
    figures, walls = {}, {}
    for variant, options in (("pix2pix", {}), ("l1_only", {"adversarial_weight": 0.0})):
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as scratch:
            result = zoo.train(name, epochs=epochs, seed=seed, runs_root=runs_root or scratch,
                               model_options=options, verbose=0, tensorboard=False)
        walls[variant] = (round(time.perf_counter() - started, 1), len(result.history["loss"]))
        restored = result.model.predict(corrupted, batch_size=500, verbose=0)
        figures[variant] = restoration_figures(restored, clean, labels, judge)
    figures["classical"] = restoration_figures(classical_restoration(corrupt, corrupted),
                                               clean, labels, judge)
    return {
        "model": name, "dataset": card.dataset, "split": "test", "metric": "psnr_db",
        "value": round(figures["pix2pix"]["psnr_db"], 3), "corrupt": corrupt,
        **{f"{variant}_{key}": round(value, 4)
           for variant, values in figures.items() for key, value in values.items()},
        "clean_judge_accuracy": about["test_accuracy"],
        "judge": f"{about['model']} trained {about['epochs']} epochs on {card.dataset}",
        "seed": seed, "epochs_run": walls["pix2pix"][1], "l1_only_epochs_run": walls["l1_only"][1],
        "epochs_max": epochs or card.recipe.epochs,
        "train_examples": len(zoo.data.raw_arrays(card.dataset, "train", seed=seed)[0]),
        "test_examples": len(clean), "wall_seconds": walls["pix2pix"][0],
        "l1_only_wall_seconds": walls["l1_only"][0], **provenance(command),
    }


SILHOUETTE_THRESHOLD = 0.1  # a pixel brighter than this belongs to the garment


def silhouette_iou(first, second, threshold: float = SILHOUETTE_THRESHOLD) -> float:
    """The mean, over pairs of images, of the intersection over union of their silhouettes
    (the pixels brighter than `threshold`): how much of one's outline the other keeps."""
    first = np.asarray(first)[..., 0] > threshold
    second = np.asarray(second)[..., 0] > threshold
    union = np.logical_or(first, second).sum(axis=(1, 2))
    overlap = np.logical_and(first, second).sum(axis=(1, 2))
    return float(np.mean(overlap / np.maximum(union, 1)))


def measure_cyclegan(name: str, *, epochs: int | None = None, seed: int = 0, runs_root=None,
                     judge_cache=None, command: str | None = None) -> dict:
    """Train the unpaired translator `name` by its recipe and measure its translations of
    the test images of both domains (A, B: its recipe's `domains`), each beside the images
    it started from:

    - what they become: the share the judge (`zoo.generative.sample_quality`) classifies
      as the target class, and their classifier-feature FID to the target's real images;
    - what they keep: the silhouette IoU of each image with its translation, beside the IoU
      with a real target image drawn at random (the overlap two unrelated items have
      anyway), and the PSNR of the round trip A to B to A (and B to A to B).

    The row's value is the mean share judged as the target over both directions."""
    import zoo
    from zoo.generative.sample_quality import frechet_distance, trained_judge

    card = zoo.model_card(name)
    if card.task != "unpaired-translation":
        raise ValueError(f"{name} is not an unpaired translator (its task is "
                         f"{card.task!r}).")
    domains = tuple(card.recipe.dataset_options["domains"])
    judge, about = trained_judge(card.dataset, seed=seed, cache_dir=judge_cache)
    pairs = list(zoo.data.load(card.dataset, "test", batch_size=1000, domains=domains))
    real = {"a": np.concatenate([a.numpy() for a, _ in pairs]),
            "b": np.concatenate([b.numpy() for _, b in pairs])}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        result = zoo.train(name, epochs=epochs, seed=seed, runs_root=runs_root or scratch,
                           verbose=0, tensorboard=False)
    wall = round(time.perf_counter() - started, 1)
    model, rng = result.model, np.random.default_rng(seed)

    def translated(images, direction):
        return np.concatenate([model.translate(images[start:start + 500], direction).numpy()
                               for start in range(0, len(images), 500)])

    figures = {}
    for source, target, direction, back in (("a", "b", "a_to_b", "b_to_a"),
                                            ("b", "a", "b_to_a", "a_to_b")):
        target_label = domains["ab".index(target)]
        moved = translated(real[source], direction)
        others = real[target][rng.permutation(len(real[target]))][:len(moved)]
        features = judge.embed(real[target])
        figures.update({
            f"{direction}_judged_as_target": float(np.mean(judge.predict(moved)
                                                           == target_label)),
            f"{source}_untranslated_judged_as_target": float(np.mean(
                judge.predict(real[source]) == target_label)),
            f"{direction}_classifier_fid": frechet_distance(features, judge.embed(moved)),
            f"{source}_untranslated_classifier_fid": frechet_distance(
                features, judge.embed(real[source])),
            f"{direction}_silhouette_iou": silhouette_iou(real[source], moved),
            f"{source}_random_{target}_silhouette_iou": silhouette_iou(real[source][:len(others)],
                                                                        others),
            f"{source}_round_trip_psnr_db": psnr_of_mean_error(
                real[source], translated(moved, back)),
        })
    names = dict(zip("ab", (zoo.data.dataset_info(card.dataset).class_names[d]
                            for d in domains), strict=True))
    value = np.mean([figures["a_to_b_judged_as_target"], figures["b_to_a_judged_as_target"]])
    return {
        "model": name, "dataset": card.dataset, "split": "test", "metric": "judged_as_target",
        "value": round(float(value), 4), "domain_a": names["a"], "domain_b": names["b"],
        **{key: round(v, 4) for key, v in figures.items()},
        "silhouette_threshold": SILHOUETTE_THRESHOLD,
        "judge": f"{about['model']} trained {about['epochs']} epochs on {card.dataset} (test "
                 f"accuracy {about['test_accuracy']})",
        "final_d_accuracy": round(result.history["d_accuracy"][-1], 4),
        "seed": seed, "epochs_run": len(result.history["loss"]),
        "epochs_max": epochs or card.recipe.epochs,
        "train_examples": _domain_counts(card.dataset, "train", domains, seed, names),
        "test_examples": {names["a"]: len(real["a"]), names["b"]: len(real["b"])},
        "wall_seconds": wall, **provenance(command),
    }


def _domain_counts(dataset: str, split: str, domains, seed: int, names) -> dict:
    """`{class name: examples}` of each domain in `split` (the training split after the
    validation share is carved away with `seed`, as `zoo.train` fits on it)."""
    import zoo

    _, labels = zoo.data.raw_arrays(dataset, split, seed=seed, classes=domains)
    counts = np.bincount(labels, minlength=2)
    return {names["a"]: int(counts[0]), names["b"]: int(counts[1])}
