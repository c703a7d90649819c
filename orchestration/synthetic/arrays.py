"""Helpers for the frozen dataclasses of equal-length numpy arrays the stages pass on."""

import dataclasses

import numpy as np


def take(frame, index: np.ndarray):
    """The rows `index` (or a boolean mask) of every array field."""
    return dataclasses.replace(
        frame, **{f.name: getattr(frame, f.name)[index] for f in dataclasses.fields(frame)}
    )


def concat(first, second, **offsets: int):
    """Rows of `first` then `second`; `offsets` are added to index fields of `second`."""
    return dataclasses.replace(
        first,
        **{
            f.name: np.concatenate(
                [getattr(first, f.name), _shifted(getattr(second, f.name), offsets.get(f.name))]
            )
            for f in dataclasses.fields(first)
        },
    )


def _shifted(values: np.ndarray, offset: int | None) -> np.ndarray:
    return values if offset is None else values + offset


def group_starts(group: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """For rows sorted by `group`: each group's first row and its row count."""
    counts = np.bincount(group, minlength=n_groups)
    return np.cumsum(counts) - counts, counts
