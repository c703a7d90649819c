"""Independent random streams per generation stage, all derived from the one seed.

A stage draws from its own stream so that changing how one stage draws does not shift
the numbers of every stage after it.
"""

import zlib

import numpy as np


def stream(seed: int, stage: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(stage.encode())]))
