"""Measured autoencoders: what their codes and reconstructions are worth, each beside the
classical answer to the same question on the same images.

- `measure_pca_subspace`: a linear autoencoder trained on squared error should span the
  leading principal subspace (Baldi and Hornik, 1989). The largest principal angle between
  its decoder's columns and scikit-learn's PCA components, and its test reconstruction error
  over PCA's with as many components.
- `measure_code_separation`: how well test codes separate the classes that the autoencoder
  never saw, as the accuracy of a k-nearest-neighbour classifier fitted on training codes;
  beside PCA's components of the same size (Hinton and Salakhutdinov, 2006, Fig. 3).
- `measure_denoising`: the mean PSNR of test images with Gaussian noise added, and of the
  denoising autoencoder's output from them, against the clean images.
- `measure_anomaly`: novelty detection by reconstruction error. One class is held out of
  training; on the whole test split, the ROC AUC of the per-image squared error as a score
  for "this is the held-out class". Repeated with each class held out in turn.
- `measure_dbn`: a deep belief network's test accuracy after greedy RBM pretraining and
  fine-tuning, beside the same network trained from random initialisation
  (`benchmarks/dbn.py`, rows in `zoo/results/dbn.json`).
- `measure_vae`: a VAE's test negative ELBO and importance-sampled negative log-likelihood
  bound, in nats, on the test digits binarised once with a fixed seed (`benchmarks/vae.py`,
  rows in `zoo/results/vae.json`).

`benchmarks/autoencoders.py` records the others into `zoo/results/autoencoders.json`. The
images are the pipeline's (`zoo.data.load`, scaled to [0, 1]): the training split is the
one `zoo.train` fits on (the validation share carved away with the same seed).
"""

from __future__ import annotations

import tempfile
import time

import numpy as np

from zoo.benchmark import provenance

NEIGHBOURS = 5


def images_and_labels(dataset: str, split: str, *, seed: int = 0, classes=None):
    """A split's images as the models see them (float32 in [0, 1]) and their labels; with
    `classes`, only those (labels not renumbered)."""
    import zoo

    batches = list(zoo.data.load(dataset, split, batch_size=4096, shuffle=False, seed=seed))
    images = np.concatenate([x.numpy() for x, _ in batches])
    labels = np.concatenate([y.numpy() for _, y in batches])
    if classes is not None:
        keep = np.isin(labels, list(classes))
        images, labels = images[keep], labels[keep]
    return images, labels


def max_principal_angle(basis_a, basis_b) -> float:
    """The largest principal angle, in degrees, between the column spaces of two matrices
    with as many rows (0 when one space contains the other)."""
    from scipy.linalg import subspace_angles

    return float(np.degrees(subspace_angles(np.asarray(basis_a, "float64"),
                                            np.asarray(basis_b, "float64")).max()))


def psnr(reference, images, peak: float = 1.0) -> np.ndarray:
    """Peak signal-to-noise ratio of each image against its reference, in dB."""
    axes = tuple(range(1, np.ndim(reference)))
    error = np.mean((np.asarray(images, "float64") - reference) ** 2, axis=axes)
    return 10.0 * np.log10(peak ** 2 / error)


def reconstruction_errors(model, images, batch_size: int = 1024) -> np.ndarray:
    """Each image's mean squared reconstruction error."""
    outputs = model.predict(images, batch_size=batch_size, verbose=0)
    return np.mean((outputs - images) ** 2, axis=tuple(range(1, images.ndim)))


def measure_pca_subspace(name: str = "linear_autoencoder", *, epochs: int | None = None,
                         seed: int = 0, runs_root=None, command: str | None = None) -> dict:
    """Train the linear autoencoder `name` by its recipe and compare it with PCA fitted on
    the same training images: the largest principal angle between the subspaces, and the
    test mean squared errors of both."""
    from sklearn.decomposition import PCA

    from zoo.models.generative import autoencoders

    card, result, wall = _train(name, epochs=epochs, seed=seed, runs_root=runs_root)
    model = result.model
    code_size = autoencoders.code_size(model)
    train, _ = images_and_labels(card.dataset, "train", seed=seed)
    test, _ = images_and_labels(card.dataset, "test")
    pca = PCA(code_size).fit(_flat(train))
    pca_test = pca.inverse_transform(pca.transform(_flat(test)))
    pca_mse = float(np.mean((pca_test - _flat(test)) ** 2))
    mse = float(reconstruction_errors(model, test).mean())
    # The decoder's kernel maps the code to pixels: its rows span the reconstructions.
    decoder_kernel = model.get_layer("decoder_output").kernel.numpy()
    angle = max_principal_angle(decoder_kernel.T, pca.components_.T)
    return {**_row(name, card, "pca_max_angle_degrees", round(angle, 3), result, wall, seed,
                   len(train), len(test), epochs, command),
            "code_size": code_size, "mse": round(mse, 6), "pca_mse": round(pca_mse, 6),
            "mse_ratio_to_pca": round(mse / pca_mse, 5),
            "pca": f"sklearn.decomposition.PCA({code_size}) on the same training images"}


def measure_code_separation(name: str = "deep_autoencoder", *, neighbours: int = NEIGHBOURS,
                            epochs: int | None = None, seed: int = 0, runs_root=None,
                            command: str | None = None) -> dict:
    """Train `name` by its recipe (labels unseen) and classify test codes by their
    `neighbours` nearest training codes; the same for PCA with as many components."""
    from sklearn.decomposition import PCA
    from sklearn.neighbors import KNeighborsClassifier

    from zoo.models.generative.autoencoders import encoder

    card, result, wall = _train(name, epochs=epochs, seed=seed, runs_root=runs_root)
    train, train_labels = images_and_labels(card.dataset, "train", seed=seed)
    test, test_labels = images_and_labels(card.dataset, "test")
    half = encoder(result.model)
    codes = [half.predict(x, batch_size=1024, verbose=0) for x in (train, test)]
    code_size = codes[0].shape[-1]
    pca = PCA(code_size).fit(_flat(train))
    components = [pca.transform(_flat(x)) for x in (train, test)]

    def knn_accuracy(train_features, test_features):
        knn = KNeighborsClassifier(neighbours).fit(train_features, train_labels)
        return float(knn.score(test_features, test_labels))

    accuracy, pca_accuracy = knn_accuracy(*codes), knn_accuracy(*components)
    return {**_row(name, card, "code_knn_accuracy", round(accuracy, 4), result, wall, seed,
                   len(train), len(test), epochs, command),
            "code_size": int(code_size), "neighbours": neighbours,
            "pca_knn_accuracy": round(pca_accuracy, 4),
            "classifier": f"sklearn KNeighborsClassifier({neighbours}) fitted on the "
                          "training codes and their labels"}


def measure_denoising(name: str = "denoising_autoencoder", *, noise_stddev: float | None = None,
                      epochs: int | None = None, seed: int = 0, runs_root=None,
                      command: str | None = None) -> dict:
    """Train the denoising autoencoder `name` by its recipe, add Gaussian noise of
    `noise_stddev` (default: the model's training noise) to the test images with `seed`, and
    compare the mean PSNR of the noisy images and of the model's output from them."""
    card, result, wall = _train(name, epochs=epochs, seed=seed, runs_root=runs_root)
    if noise_stddev is None:
        noise_stddev = float(result.model.get_layer("noise").stddev)
    test, _ = images_and_labels(card.dataset, "test")
    # Unclipped, like the noise the model learned to remove (keras.layers.GaussianNoise).
    noisy = test + np.random.default_rng(seed).normal(0.0, noise_stddev, test.shape)
    noisy = noisy.astype("float32")
    denoised = result.model.predict(noisy, batch_size=1024, verbose=0)
    noisy_db, denoised_db = float(psnr(test, noisy).mean()), float(psnr(test, denoised).mean())
    return {**_row(name, card, "psnr_gain_db", round(denoised_db - noisy_db, 3), result, wall,
                   seed, _train_count(card.dataset, seed), len(test), epochs, command),
            "noise_stddev": noise_stddev, "noisy_psnr_db": round(noisy_db, 3),
            "denoised_psnr_db": round(denoised_db, 3), "peak": 1.0}


def measure_anomaly(name: str = "conv_autoencoder", held_out=None, *,
                    epochs: int | None = None, seed: int = 0, runs_root=None,
                    command: str | None = None) -> dict:
    """For each class in `held_out` (default: every class of the card's dataset), train
    `name` by its recipe on the other classes and score every test image: an autoencoder by
    its reconstruction error, an anomaly detector (f-AnoGAN) by its own score. The ROC AUC
    of that score for the held-out class; the row's value is the mean AUC over the classes
    held out, `per_class` has each."""
    from sklearn.metrics import roc_auc_score

    import zoo

    card = _card_of_task(name, ("reconstruction", "anomaly-detection"))
    info = zoo.data.dataset_info(card.dataset)
    names = list(info.class_names)
    held_out = list(range(len(names))) if held_out is None else list(held_out)
    for label in held_out:
        if label not in range(len(names)):
            raise ValueError(f"held_out class {label!r} is not one of {card.dataset}'s "
                             f"0..{len(names) - 1}.")
    test, test_labels = images_and_labels(card.dataset, "test")
    per_class, epochs_run, train_examples, started = {}, {}, {}, time.perf_counter()
    for label in held_out:
        normal = tuple(c for c in range(len(names)) if c != label)
        _, result, _ = _train(name, epochs=epochs, seed=seed, runs_root=runs_root,
                              dataset_options={"classes": normal}, task=card.task)
        score = anomaly_scores(result.model, card.task, test)
        per_class[names[label]] = round(float(roc_auc_score(test_labels == label, score)), 4)
        epochs_run[names[label]] = len(result.history["loss"])
        train_examples[names[label]] = _train_count(card.dataset, seed, normal)
    wall = round(time.perf_counter() - started, 1)
    mean = round(float(np.mean(list(per_class.values()))), 4)
    return {"model": name, "dataset": card.dataset, "split": "test", "metric": "anomaly_auc",
            "value": mean, "per_class": per_class, "score": SCORES[card.task],
            "trained_on": "the training split without the held-out class", "seed": seed,
            "epochs_run": epochs_run,
            "epochs_max": epochs or card.recipe.epochs, "train_examples": train_examples,
            "test_examples": len(test), "wall_seconds": wall, **provenance(command)}


def combine_held_out(recorded: dict, row: dict) -> dict:
    """One `measure_anomaly` row from a recorded one and a new one for other (or the same)
    held-out classes, when both come from the same recipe and seed: the per-class figures
    together (the new one wins a class measured twice) and their mean. Otherwise the new row
    alone, as a changed recipe makes the old figures stale."""
    same = ("model", "dataset", "metric", "seed", "epochs_max", "score")
    if any(recorded.get(key) != row.get(key) for key in same) or "per_class" not in recorded:
        return row
    per_class = {**recorded["per_class"], **row["per_class"]}
    combined = {**row, "per_class": per_class,
                "value": round(float(np.mean(list(per_class.values()))), 4),
                "wall_seconds": round(recorded["wall_seconds"] + row["wall_seconds"], 1)}
    for key in ("epochs_run", "train_examples"):
        combined[key] = {**recorded[key], **row[key]}
    commands = recorded.get("commands", [recorded["command"]])
    combined["commands"] = [*dict.fromkeys([*commands, row["command"]])]
    return combined


SCORES = {"reconstruction": "per-image mean squared reconstruction error",
          "anomaly-detection": "the model's anomaly score (f-AnoGAN: residual plus "
                               "discriminator-feature residual of x and G(E(x)))"}


def anomaly_scores(model, task: str, images, batch_size: int = 1024) -> np.ndarray:
    """Each image's anomaly score: an autoencoder's reconstruction error, or what an
    anomaly-detection model returns."""
    if task == "reconstruction":
        return reconstruction_errors(model, images, batch_size)
    return np.asarray(model.predict(images, batch_size=batch_size, verbose=0)).reshape(-1)


def binarized(images, seed: int = 0):
    """Each pixel 1 with probability its grey level, drawn once with `seed`: a fixed binary
    test set (as `augment="binarize"` draws the training images anew each epoch)."""
    return (np.random.default_rng(seed).random(images.shape) < images).astype("float32")


def measure_vae(name: str = "vae", *, samples: int = 5000, epochs: int | None = None,
                seed: int = 0, runs_root=None, judge_cache=None,
                command: str | None = None) -> dict:
    """Train the VAE `name` by its recipe and return its results row: the test split's mean
    negative log-likelihood bound from `samples` importance samples per image (the value),
    and its negative ELBO from one sample per image, both in nats per image; of each image
    given its label, for a conditional VAE. Its samples are also judged
    (`zoo.generative.sample_quality`), as every generator's: their classifier-feature FID to
    the test digits and class coverage, and for a conditional VAE the class consistency of
    the digits drawn for each label."""
    card, result, wall = _train(name, epochs=epochs, seed=seed, runs_root=runs_root,
                                task="density-estimation")
    started = time.perf_counter()
    model = result.model
    test, test_labels = images_and_labels(card.dataset, "test")
    binary = binarized(test, seed)
    negative_elbo, log_likelihood = [], []
    for start in range(0, len(binary), 250):
        batch = binary[start:start + 250]
        labels = test_labels[start:start + 250] if model.conditional else None
        negative_elbo.append(sum(t.numpy() for t in model.elbo_terms(batch, labels)))
        log_likelihood.append(model.log_likelihood(batch, labels, samples=samples,
                                                   seed=seed).numpy())
    nll = -float(np.mean(np.concatenate(log_likelihood)))
    row = {**_row(name, card, "nll", round(nll, 2), result, wall, seed,
                  _train_count(card.dataset, seed), len(binary), epochs, command),
           "negative_elbo": round(float(np.mean(np.concatenate(negative_elbo))), 2),
           "importance_samples": samples, "unit": "nats per image",
           "likelihood": "log p(x | label)" if model.conditional else "log p(x)",
           "binarization": "training images drawn anew each epoch (augment='binarize'); "
                           f"test images drawn once with numpy seed {seed}"}
    from zoo.generative.sample_quality import judged_samples

    row.update(judged_samples(model, card.dataset, test, seed=seed, judge_cache=judge_cache))
    return {**row, "evaluation_seconds": round(time.perf_counter() - started, 1)}


def measure_dbn(name: str = "dbn", *, epochs: int | None = None, seed: int = 0,
                runs_root=None, command: str | None = None) -> dict:
    """Train the deep belief network `name` by its recipe (greedy RBM pretraining, then
    fine-tuning) and the same network from random initialisation (`pretrain_epochs=0`), with
    the same recipe, seed and data; return the row of the first's test accuracy with the
    second's beside it (`benchmarks/dbn.py`, rows in `zoo/results/dbn.json`)."""
    import zoo

    card = zoo.model_card(name)
    if card.family != "dbn":
        raise ValueError(f"{name} is not a deep belief network (its family is "
                         f"{card.family!r}).")
    figures = {}
    for start, options in (("pretrained", {}), ("random_init", {"pretrain_epochs": 0})):
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as scratch:
            result = zoo.train(name, epochs=epochs, seed=seed, runs_root=runs_root or scratch,
                               model_options=options, verbose=0, tensorboard=False)
        figures[start] = {"accuracy": zoo.evaluate(result.model)["accuracy"],
                          "epochs_run": len(result.history["loss"]),
                          "pretrain_epochs": result.model.pretrain_epochs,
                          "wall_seconds": round(time.perf_counter() - started, 1)}
    pretrained, random_init = figures["pretrained"], figures["random_init"]
    test_count = len(images_and_labels(card.dataset, "test")[0])
    return {"model": name, "dataset": card.dataset, "split": "test", "metric": "accuracy",
            "value": round(pretrained["accuracy"], 4),
            "test_error_percent": round(100 * (1 - pretrained["accuracy"]), 2),
            "random_init_accuracy": round(random_init["accuracy"], 4),
            "random_init_error_percent": round(100 * (1 - random_init["accuracy"]), 2),
            "published_error_percent": 1.25,
            "pretrain_epochs_per_layer": pretrained["pretrain_epochs"],
            "seed": seed, "epochs_run": pretrained["epochs_run"],
            "random_init_epochs_run": random_init["epochs_run"],
            "epochs_max": epochs or card.recipe.epochs,
            "train_examples": _train_count(card.dataset, seed), "test_examples": test_count,
            "wall_seconds": pretrained["wall_seconds"],
            "random_init_wall_seconds": random_init["wall_seconds"], **provenance(command)}


KINDS = {"reconstruction": "an autoencoder", "density-estimation": "a VAE",
         "anomaly-detection": "an anomaly detector"}


def _card_of_task(name, tasks="reconstruction"):
    """`name`'s card, checked to be of `tasks` (one task, or a tuple of them)."""
    import zoo

    tasks = (tasks,) if isinstance(tasks, str) else tuple(tasks)
    card = zoo.model_card(name)
    if card.task not in tasks:
        kinds = " or ".join(KINDS[task] for task in tasks)
        raise ValueError(f"{name} is not {kinds} (its task is {card.task!r}); this "
                         f"measures {' and '.join(tasks)} models.")
    return card


def _train(name, *, epochs, seed, runs_root, dataset_options=None, task="reconstruction"):
    """(card, trained result, wall seconds) of `name` trained by its recipe."""
    import zoo

    card = _card_of_task(name, task)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        result = zoo.train(name, epochs=epochs, seed=seed, runs_root=runs_root or scratch,
                           dataset_options=dataset_options, verbose=0, tensorboard=False)
    return card, result, round(time.perf_counter() - started, 1)


def _train_count(dataset, seed, classes=None) -> int:
    from zoo.data import raw_arrays

    return len(raw_arrays(dataset, "train", seed=seed, classes=classes)[0])


def _flat(images):
    return images.reshape(len(images), -1)


def _row(name, card, metric, value, result, wall, seed, train_examples, test_examples,
         epochs, command) -> dict:
    return {"model": name, "dataset": card.dataset, "split": "test", "metric": metric,
            "value": value, "seed": seed, "epochs_run": len(result.history["loss"]),
            "epochs_max": epochs or card.recipe.epochs, "train_examples": train_examples,
            "test_examples": test_examples, "wall_seconds": wall, **provenance(command)}
