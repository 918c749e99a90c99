"""The checks `zoo.data.load` and `zoo.data.arrays` make of their options before any data is
read: each names the option, the dataset, and what the dataset takes instead."""

from __future__ import annotations


def check_not_generated(info):
    if info.source == "algorithmic":
        raise ValueError(f"{info.name} is generated batch by batch, each batch of its own "
                         "sequence length, so it has no arrays; use zoo.data.load.")


def check_window_options(info, input_length, horizon):
    if info.source != "series" and (input_length, horizon) != (None, None):
        raise ValueError(f"input_length and horizon cut a time series into windows; {info.name}"
                         f" is a {info.task} dataset.")


SERIES_OPTIONS = "input_length, horizon, batch_size, shuffle, seed and validation_fraction"


def check_no_selection(info, kind="time series", takes=SERIES_OPTIONS, **options):
    """The options of stored datasets that do not apply to a dataset cut or generated in its
    own way (a time series' windows, an algorithmic task's batches) raise, naming themselves
    and what the dataset takes."""
    given = sorted(k for k, v in options.items() if v is not None)
    if given:
        raise ValueError(f"{', '.join(given)}: not options of the {kind} {info.name}, "
                         f"which takes {takes}.")


def check_no_feature(info, feature):
    if feature is not None:
        raise ValueError(f"feature= chooses the text of a corpus; {info.name} is a {info.task} "
                         "dataset of (input, label) pairs.")


def check_classes(classes, info) -> tuple[int, ...]:
    """`classes` as a tuple of at least two distinct labels of `info`'s dataset."""
    classes = tuple(classes)
    if len(classes) < 2 or len(set(classes)) != len(classes):
        raise ValueError(f"classes={classes!r} must name at least two distinct labels.")
    unknown = [c for c in classes if not 0 <= c < (info.num_classes or 0)]
    if unknown:
        raise ValueError(
            f"classes={classes!r}: {unknown} are not labels of {info.name} "
            f"(0..{(info.num_classes or 1) - 1})."
        )
    return classes
