"""Unpaired image domains made from two classes of one image dataset: a batch of the first
class beside a batch of the second, with no correspondence between them (what an unpaired
translator such as CycleGAN trains on: sneakers and ankle boots, never a sneaker and its
boot).

`zoo.data.load(name, split, domains=(a, b))` yields `(images of class a, images of class b)`
batches, each shuffled on its own every epoch for the training split.
"""

from __future__ import annotations

import tensorflow as tf

from zoo.data.feeding import prefetched


def check_domains(domains, info) -> tuple[int, int]:
    """`domains` as two distinct labels of `info`'s dataset."""
    from zoo.data.checks import check_classes

    domains = tuple(domains)
    if len(domains) != 2:
        raise ValueError(f"domains={domains!r} must name two classes: the domain translated "
                         "from, then the one translated to.")
    return check_classes(domains, info)


def unpaired_batches(both_classes: tf.data.Dataset, batch_size: int,
                     counts: tuple[int, int]) -> tf.data.Dataset:
    """`(x, y)` batches of two classes relabelled 0 and 1 (`load(..., classes=domains)`) to
    `(batch of class 0, batch of class 1)`. The stream is read once per domain, so each
    domain keeps the pipeline's shuffle, and batch i of one has nothing to do with batch i
    of the other. The pair stops with the shorter domain; `counts`, the examples of each,
    give the number of batches (filtering hides it from tf.data, and Keras would warn at the
    end of every epoch that the data ran out)."""
    examples = both_classes.unbatch()

    def domain(label):
        return (examples.filter(lambda x, y: tf.equal(y, label))
                .map(lambda x, y: x, num_parallel_calls=tf.data.AUTOTUNE)
                .batch(batch_size))

    batches = -(-min(counts) // batch_size)
    return prefetched(tf.data.Dataset.zip(domain(0), domain(1))
                      .apply(tf.data.experimental.assert_cardinality(batches)))
