"""MinHash band keys for dedupe's near-duplicate lookup: stable across runs and releases.

The keys are stored, so the hash functions (blake2b per token, then fixed (a, b) coefficients
mod a Mersenne prime) must never change; tests/test_dedupe_fast_paths.py pins them.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass

MINHASH_BANDS, MINHASH_ROWS = 2, 2
_PRIME = (1 << 61) - 1
_COEFFICIENTS = tuple(  # (a, b) per hash function; fixed, because the keys are stored
    (int.from_bytes(hashlib.blake2b(b"minhash%d" % i).digest()[:8], "big") | 1, i + 1)
    for i in range(MINHASH_BANDS * MINHASH_ROWS)
)
_BLAKE2B_8 = hashlib.blake2b(digest_size=8)  # copied per use: faster than passing digest_size


def bands(tokens: frozenset[str]) -> tuple[str, ...]:
    """MinHash in bands of rows: sets of Jaccard similarity s share a band with 1-(1-s^r)^b.

    One blake2b per token, then (a*h + b) mod a Mersenne prime for each hash function; fixed
    coefficients keep the keys stable across runs and releases (they are stored).
    """
    if not tokens:
        return ()
    signature = _signature(_blake8(tokens))
    rows = MINHASH_ROWS
    return tuple(digest(repr(signature[i * rows : (i + 1) * rows])) for i in range(MINHASH_BANDS))


def _signature(hashes: list[bytes]) -> list[int]:
    """For each (a, b): the least (a*h + b) mod the prime over the 8-byte hashes h."""
    packing = _packing(len(hashes))
    packed = int.from_bytes(_PAD.join([b"", *hashes]), "big")  # h in every slot
    signature = []
    for a, b_slots in zip(_REDUCED_A, packing.b_slots, strict=True):
        folded = _mod_prime(a * packed + b_slots, packing)
        values = packing.unpack(folded.to_bytes(packing.size, "big"))
        if (folded + packing.ones) & packing.bit61:  # rarely (2**-54 a token) a value >= prime
            signature.append(min(v % _PRIME for v in values))
        else:
            signature.append(min(values))
    return signature


# The token hashes h are packed into one integer, _SLOT bytes apart, so that a*h + b mod the
# prime is computed for all tokens by a few big-integer operations instead of a Python loop.
# With a reduced mod the prime, a*h + b < 2**125 fits a slot; 2**61 = 1 mod the prime, so adding
# the bits above 61 to the 61 below keeps the value mod the prime; shifted right by 61, a slot's
# neighbour lands 67 bits up, clear of a 64-bit mask. Two such folds leave each slot below
# 2**61 + 9, in its last 8 bytes.
_SLOT = 16
_PAD = bytes(_SLOT - 8)
_REDUCED_A = tuple(a % _PRIME for a, _ in _COEFFICIENTS)


@dataclass(frozen=True)
class _Packing:
    size: int  # bytes
    ones: int  # 1 in every slot
    b_slots: tuple[int, ...]  # each coefficient's b in every slot
    low61: int  # 2**61 - 1 in every slot
    low64: int
    bit61: int
    unpack: Callable[[bytes], tuple[int, ...]]  # the last 8 bytes of every slot


@functools.lru_cache(maxsize=512)
def _packing(count: int) -> _Packing:
    ones = int.from_bytes((bytes(_SLOT - 1) + b"\1") * count, "big")
    return _Packing(
        size=_SLOT * count,
        ones=ones,
        b_slots=tuple(b * ones for _, b in _COEFFICIENTS),
        low61=ones * _PRIME,
        low64=ones * ((1 << 64) - 1),
        bit61=ones << 61,
        unpack=struct.Struct(">" + f"{_SLOT - 8}xQ" * count).unpack,
    )


def _mod_prime(packed: int, packing: _Packing) -> int:
    folded = (packed & packing.low61) + ((packed >> 61) & packing.low64)
    return (folded & packing.low61) + ((folded >> 61) & packing.low61)


def _blake8(tokens: Iterable[str]) -> list[bytes]:
    digests = []
    for token in tokens:
        hasher = _BLAKE2B_8.copy()
        hasher.update(token.encode())
        digests.append(hasher.digest())
    return digests


def digest(text: str) -> str:
    hasher = _BLAKE2B_8.copy()
    hasher.update(text.encode())
    return hasher.hexdigest()
