"""Argument checks shared by every factory: each raises ValueError naming the argument,
the value it got and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def choice(arg: str, value, allowed: Iterable):
    allowed = list(allowed)
    if value not in allowed:
        raise ValueError(f"{arg}={value!r} is not allowed; choose one of {allowed}.")
    return value


def boolean(arg: str, value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{arg}={value!r} must be True or False.")
    return value


def positive_int(arg: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{arg}={value!r} must be a positive integer.")
    return value


def non_negative_int(arg: str, value, *, zero_means: str | None = None) -> int:
    """`value` as an integer >= 0; `zero_means` says in the error what 0 would do."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        meaning = f" (0: {zero_means})" if zero_means else ""
        raise ValueError(f"{arg}={value!r} must be a non-negative integer{meaning}.")
    return value


def fraction(arg: str, value, *, inclusive_zero: bool = True) -> float:
    ok_low = value >= 0 if inclusive_zero else value > 0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not ok_low or value >= 1:
        low = "[0" if inclusive_zero else "(0"
        raise ValueError(f"{arg}={value!r} must be a number in {low}, 1).")
    return float(value)


def probability(arg: str, value) -> float:
    """A number in [0, 1], both ends included (an exploration rate, a discount factor)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{arg}={value!r} must be a probability in [0, 1].")
    return float(value)


def non_negative(arg: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{arg}={value!r} must be a non-negative number.")
    return float(value)


def positive(arg: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{arg}={value!r} must be a positive number.")
    return float(value)


def positive_numbers(arg: str, value) -> tuple[float, ...]:
    """A non-empty sequence of positive numbers, as a tuple of floats (anchor sizes, scales,
    aspect ratios)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) == 0:
        raise ValueError(f"{arg}={value!r} must be a non-empty sequence of positive numbers.")
    return tuple(positive(f"{arg} entry", v) for v in value)


def widths(arg: str, value) -> tuple[int, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        raise ValueError(f"{arg}={value!r} must be a non-empty sequence of positive integers.")
    for width in value:
        positive_int(f"{arg} entry", width)
    return tuple(value)


def shape(arg: str, value, *, rank: int | None = None, min_size: Sequence[int] | None = None,
          unknown_axes: Sequence[int] = ()):
    """A per-example input shape: a tuple of positive ints, optionally of a fixed rank and no
    smaller than `min_size` along each axis. Axes in `unknown_axes` may be None (any size, as
    an image's height and width for a fully convolutional model)."""
    allowed = " (or None for an image's height and width)" if unknown_axes else ""
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ValueError(f"{arg}={value!r} must be a tuple of positive integers{allowed}.")
    value = tuple(value)
    if any(not (d is None and axis in unknown_axes)
           and (isinstance(d, bool) or not isinstance(d, int) or d < 1)
           for axis, d in enumerate(value)):
        raise ValueError(f"{arg}={value!r} must be a tuple of positive integers{allowed}.")
    if rank is not None and len(value) != rank:
        raise ValueError(f"{arg}={value!r} must have {rank} dimensions, got {len(value)}.")
    if min_size is not None and any(d is not None and d < m
                                    for d, m in zip(value, min_size, strict=False)):
        raise ValueError(f"{arg}={value!r} is smaller than the minimum {tuple(min_size)}.")
    return value


def image_batch(images, shape, *, what: str = "images", model: str = "model") -> None:
    """Refuse a batch whose examples are not of `shape`, naming both: "images of shape
    (2, 14, 14, 1) do not fit this GAN: it takes (batch, 28, 28, 1)"."""
    if tuple(images.shape[1:]) != tuple(shape):
        raise ValueError(f"{what} of shape {tuple(images.shape)} do not fit this {model}: it "
                         f"takes (batch, {', '.join(map(str, shape))}).")
