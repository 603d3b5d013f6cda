"""draw-v1: the deterministic, integer-only random draw (see ``docs/draw-spec.md``).

Byte stream: block ``i`` (i = 0, 1, ...) is ``SHA-256(seed || u64be(i))``; the stream is the
concatenation of blocks, read front to back, never reused.

``uniform(n)`` (an integer in ``[0, n)``): let ``b = bit_length(n - 1)`` and
``L = ceil(b / 8)``. One attempt reads the next ``L`` bytes as a big-endian integer and keeps
its low ``b`` bits; the attempt is accepted if the value is ``< n``, otherwise it is rejected
and another attempt is made. ``n == 1`` reads nothing and returns 0. Each attempt succeeds
with probability above 1/2, and there is no modulo bias.

Every call is logged (purpose, bound, accepted value, rejected values) so the record lists
every random number consumed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

ALGORITHM = "draw-v1"


class DrawStream:
    """A draw-v1 stream over a 32-byte seed that logs every number it produces."""

    def __init__(self, seed: bytes) -> None:
        """Start the stream at block 0; ``seed`` must be exactly 32 bytes."""
        if len(seed) != 32:
            raise ValueError("draw-v1 seeds are 32 bytes")
        self._seed = seed
        self._block = 0
        self._buffer = b""
        self._pos = 0
        self.log: list[dict[str, Any]] = []

    def _refill(self, count: int) -> None:
        while len(self._buffer) - self._pos < count:
            block = hashlib.sha256(self._seed + self._block.to_bytes(8, "big")).digest()
            self._buffer = self._buffer[self._pos :] + block
            self._pos = 0
            self._block += 1

    def _take(self, count: int) -> bytes:
        if len(self._buffer) - self._pos < count:
            self._refill(count)
        out = self._buffer[self._pos : self._pos + count]
        self._pos += count
        return out

    def uniform(self, bound: int, purpose: str) -> int:
        """Return an unbiased integer in ``[0, bound)`` and log it under ``purpose``."""
        if bound < 1:
            raise ValueError("bound must be at least 1")
        bits = (bound - 1).bit_length()
        width = (bits + 7) // 8
        mask = (1 << bits) - 1
        rejected: list[int] = []
        while True:
            # inlined _take: tie-breaking in a 10,000-firm ranking makes ~10^4 calls
            pos = self._pos
            if len(self._buffer) - pos < width:
                self._refill(width)
                pos = 0
            self._pos = pos + width
            value = int.from_bytes(self._buffer[pos : pos + width], "big") & mask
            if value < bound:
                break
            rejected.append(value)
        self.log.append({"purpose": purpose, "bound": bound, "value": value, "rejected": rejected})
        return value

    def sample(self, population: int, count: int, purposes: Sequence[str]) -> list[int]:
        """Pick ``count`` distinct indices of ``range(population)`` in draw order.

        Partial Fisher–Yates: for ``i`` in ``0..count-1``, ``j = i + uniform(population - i)``,
        swap positions ``i`` and ``j``, emit position ``i``. Positions never touched hold
        their own index, so only swapped positions are stored.
        """
        if count > population:
            raise ValueError("count exceeds population")
        moved: dict[int, int] = {}
        picked: list[int] = []
        for i in range(count):
            j = i + self.uniform(population - i, purposes[i])
            at_i = moved.get(i, i)
            at_j = moved.get(j, j)
            moved[j] = at_i
            moved[i] = at_j
            picked.append(at_j)
        return picked

    def weighted_sample(self, weights: Sequence[int], count: int, purposes: Sequence[str]) -> list[int]:
        """Pick ``count`` distinct indices with probability proportional to integer weights.

        Each pick draws ``r = uniform(total)`` and takes the first index whose running sum
        of weights exceeds ``r``; the picked index then leaves the population (its weight
        becomes 0) before the next pick. Zero-weight indices are never picked.
        """
        remaining = list(weights)
        picked: list[int] = []
        for n in range(count):
            total = sum(remaining)
            r = self.uniform(total, purposes[n])
            running = 0
            for index, weight in enumerate(remaining):
                running += weight
                if running > r:
                    picked.append(index)
                    remaining[index] = 0
                    break
        return picked

    def order_tie(self, size: int, purpose: str) -> list[int]:
        """Return a uniformly random order of ``range(size)`` using ``size - 1`` draws.

        Fisher–Yates over the whole group: for ``i`` in ``0..size-2``,
        ``j = i + uniform(size - i)``, swap positions ``i`` and ``j``; the result is the
        whole shuffled list (its last element needs no draw).
        """
        order = list(range(size))
        for i in range(size - 1):
            j = i + self.uniform(size - i, purpose)
            order[i], order[j] = order[j], order[i]
        return order
