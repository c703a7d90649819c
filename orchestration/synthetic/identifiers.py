"""Site ids, pseudonymous patient keys and per-site record ids, all embedding the seed.

Keys of one seed never meet keys of another: every key carries `{seed}x`, and the `x`
ends the seed, so seed 1 (`...1x...`) and seed 12 (`...12x...`) cannot share a prefix.
"""

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Patient keys alternate letters and digits, so no run of digits can look like a phone
# number or an SSN to the registry's PHI gate. Letters that read like digits are left out.
_LETTERS = np.frombuffer(b"abcdefghjkmnpqrstuvwxyz", dtype=np.uint8)
_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)
_KEY_RADICES = (_LETTERS, _DIGITS) * 5
_KEY_SPACE = math.prod(len(r) for r in _KEY_RADICES)

RECORD_KINDS = {"sessions": "S", "assessments": "Q", "adverse_events": "E"}


def site_names(n_sites: int) -> tuple[str, ...]:
    return tuple(f"KC-{i + 1:02d}" for i in range(n_sites))


def patient_keys(n: int, seed: int, rng: np.random.Generator) -> pa.StringArray:
    """`p{seed}x` + 10 characters, distinct within the seed."""
    values = _distinct_integers(n, _KEY_SPACE, rng)
    chars = np.empty((n, len(_KEY_RADICES)), dtype=np.uint8)
    for position in range(len(_KEY_RADICES) - 1, -1, -1):
        radix = _KEY_RADICES[position]
        values, digit = np.divmod(values, len(radix))
        chars[:, position] = radix[digit]
    suffixes = pa.array(chars.view(f"S{len(_KEY_RADICES)}").ravel()).cast(pa.string())
    return pc.binary_join_element_wise(f"p{seed}x", suffixes, "")


def _distinct_integers(n: int, high: int, rng: np.random.Generator) -> np.ndarray:
    # Collisions are rare in a space this large; redrawing them is far faster than
    # sampling without replacement.
    values = rng.integers(0, high, size=n, dtype=np.int64)
    while True:
        _, first = np.unique(values, return_index=True)
        repeated = np.ones(n, dtype=bool)
        repeated[first] = False
        if not repeated.any():
            return values
        values[repeated] = rng.integers(0, high, size=int(repeated.sum()), dtype=np.int64)


def sequence_within_site(site: np.ndarray, *order_keys: np.ndarray) -> np.ndarray:
    """1-based number of each row within its site, in the order of `order_keys` (major first)."""
    order = np.lexsort((*reversed(order_keys), site))
    seq = np.empty(len(site), dtype=np.int64)
    site_sorted = site[order]
    first_of_site = np.searchsorted(site_sorted, site_sorted, side="left")
    seq[order] = np.arange(len(site)) - first_of_site + 1
    return seq


def record_ids(entity: str, seed: int, sites: tuple[str, ...], site: np.ndarray,
               seq: np.ndarray) -> pa.StringArray:
    """`{SITE}-{kind}{seed}x{seq:06d}`, e.g. `KC-01-S0x000123` for a session."""
    prefixes = pa.array([f"{name}-{RECORD_KINDS[entity]}{seed}x" for name in sites])
    numbers = pc.utf8_lpad(pa.array(seq).cast(pa.string()), width=6, padding="0")
    return pc.binary_join_element_wise(prefixes.take(pa.array(site)), numbers, "")
