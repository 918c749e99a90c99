"""What `zoo datasets` lists: every dataset zoo can load, with its sizes and its source,
read from the catalog and the TFDS data directory without building or downloading anything."""

from __future__ import annotations


def dataset_rows() -> list[tuple[str, str, str, str, str]]:
    """(name, task, train size, test size, where from) for every dataset zoo can load: the
    catalog's, then other prepared TFDS datasets in the data directory. Sizes come from the
    in-memory readers or TFDS's metadata; a corpus not built yet, or a missing source, says
    so instead of building or failing."""
    from zoo.data import DatasetNotFoundError, tfds_store
    from zoo.data.catalog import DATASETS, dataset_info
    from zoo.data.pipeline import _read

    rows = []
    for name, info in sorted(DATASETS.items()):
        if info.source == "memory":
            try:
                (x_train, _), (x_test, _) = _read(name)
                sizes = (f"{len(x_train):,}", f"{len(x_test):,}")
            except DatasetNotFoundError:
                sizes = ("missing", "")
            where = f"memory: {info.origin}"
        elif info.source == "series":  # sizes in steps: train (with validation) and test
            from zoo.data import series

            try:
                length = len(series.load_series(name))
                _, validation_end = series.split_bounds(length)
                sizes = (f"{validation_end:,}", f"{length - validation_end:,}")
            except DatasetNotFoundError:
                sizes = ("missing", "")
            where = f"series (steps): {info.origin}"
        elif info.source == "algorithmic":
            sizes = ("generated", "")
            where = info.origin
        elif tfds_store.is_built(name):
            import tensorflow_datasets as tfds

            split = tfds_store.split_sizes(tfds.builder_from_directory(
                str(tfds_store.dataset_dir(name))))
            sizes = (f"{split.get('train', 0):,}", f"{split.get('test', 0):,}")
            where = f"tfds, built from {info.origin}"
        else:
            sizes = ("not built", "")
            where = f"tfds, builds from {info.origin}"
        rows.append((name, info.task, *sizes, where))
    for name in tfds_store.present_datasets():
        if name.split("/")[0] in DATASETS:
            continue
        try:
            info = dataset_info(name)
        except ValueError as error:  # present, but not (input, label) pairs zoo can load
            rows.append((name, "-", "", "", f"tfds: {error}"))
            continue
        split = tfds_store.split_sizes(tfds_store.find_builder(name))
        rows.append((name, info.task, f"{split.get('train', 0):,}", f"{split.get('test', 0):,}",
                     f"tfds: {info.origin}"))
    return rows
