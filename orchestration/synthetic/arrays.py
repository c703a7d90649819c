"""Helpers for the frozen dataclasses of equal-length numpy arrays the stages pass on."""

import dataclasses

import numpy as np


def take(frame, index: np.ndarray):
    """The rows `index` (or a boolean mask) of every array field."""
    return dataclasses.replace(
        frame, **{f.name: getattr(frame, f.name)[index] for f in dataclasses.fields(frame)}
    )


def stack(frames: list):
    """The rows of each frame in turn."""
    return dataclasses.replace(
        frames[0],
        **{
            f.name: np.concatenate([getattr(frame, f.name) for frame in frames])
            for f in dataclasses.fields(frames[0])
        },
    )


def group_starts(group: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """For rows sorted by `group`: each group's first row and its row count."""
    counts = np.bincount(group, minlength=n_groups)
    return np.cumsum(counts) - counts, counts
