"""Near-duplicates: edited copies found, unrelated not, scopes isolated, band lookup == scan."""

from __future__ import annotations

import hashlib
import json
import random
import unicodedata
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from kefu.analysis import dedup
from kefu.analysis.dedup import (
    _WORD,
    BANDS,
    WORD_RANGES,
    DuplicateIndex,
    band_keys,
    clear_bigram_cache,
    fingerprint,
    fingerprint_reference,
    hamming,
    is_near_duplicate,
    probe_keys,
    to_signed,
    to_unsigned,
)

BASE = [
    "快递三天了还没发货，客服也不回复，太差了，我要求退款",
    "收到的杯子有裂缝，倒水就漏，申请换货商家一直不处理",
    "发票抬头开错了，公司报销用不了，麻烦重新开一张增值税专用发票",
    "耳机左边没有声音，才用了两天，质量太差，要求退货退款",
    "衣服颜色和图片差别很大，实物偏灰，和描述不符，很失望",
]
EDITED = [
    "快递三天了还没有发货，客服也不回复，太差了，我要求退款！",
    "收到的杯子有裂缝，倒水就漏，申请换货商家一直都不处理",
    "发票抬头开错了，公司报销用不了，麻烦重新开一张增值税专票",
    "耳机左边没有声音，才用了三天，质量太差，要求退货退款",
    "衣服颜色和图片差别很大，实物偏灰，跟描述不符，很失望。",
]


def test_fingerprint_fits_bigint_and_is_stable() -> None:
    for text in BASE:
        fp = fingerprint(text)
        assert -(2**63) <= fp < 2**63
        assert fp == fingerprint(text)
        assert to_signed(to_unsigned(fp)) == fp
    assert fingerprint("退款，退款！") == fingerprint("退款 退款")  # punctuation/space folded


@pytest.mark.parametrize(("a", "b"), list(zip(BASE, EDITED, strict=True)))
def test_edited_copies_are_near(a: str, b: str) -> None:
    assert is_near_duplicate(fingerprint(a), fingerprint(b))
    index = DuplicateIndex()
    index.add("case-1", ("buyer", "order", "cat"), a)
    assert [i for i, _ in index.candidates(("buyer", "order", "cat"), b)] == ["case-1"]


def test_unrelated_texts_are_far() -> None:
    fps = [fingerprint(t) for t in BASE]
    for i in range(len(fps)):
        for j in range(i + 1, len(fps)):
            assert hamming(fps[i], fps[j]) > 16


def test_scopes_are_isolated() -> None:
    index = DuplicateIndex()
    index.add(1, ("buyer-a", "order-1"), BASE[0])
    index.add(2, ("buyer-b", "order-2"), BASE[0])
    assert index.candidates(("buyer-a", "order-1"), EDITED[0]) == [
        (1, hamming(fingerprint(BASE[0]), fingerprint(EDITED[0])))
    ]
    assert index.candidates(("buyer-c", "order-3"), BASE[0]) == []
    assert {i for i, _ in index.scan(fingerprint(BASE[0]))} == {1, 2}


def test_band_keys_shape() -> None:
    keys = band_keys(fingerprint(BASE[0]))
    assert len(keys) == BANDS
    assert [k >> 16 for k in keys] == list(range(BANDS))
    assert len(probe_keys(0, 3)) == 4
    assert len(probe_keys(0, 7)) == 4 * 17
    assert len(probe_keys(0, 11)) == 4 * (1 + 16 + 120)
    with pytest.raises(ValueError, match="max_distance"):
        probe_keys(0, 12)


def _flip(fp: int, n_bits: int, rng: random.Random) -> int:
    u = to_unsigned(fp)
    for bit in rng.sample(range(64), n_bits):
        u ^= 1 << bit
    return to_signed(u)


@pytest.mark.parametrize("max_distance", [3, 7, 11])
def test_band_lookup_equals_scan_on_random_sample(max_distance: int) -> None:
    rng = random.Random(max_distance)
    index = DuplicateIndex(max_distance=max_distance)
    centres = [rng.getrandbits(64) for _ in range(40)]
    row = 0
    for c in centres:  # clusters of fingerprints at every distance 0…14 around a centre
        for _ in range(25):
            index.add_fingerprint(row, "s", _flip(to_signed(c), rng.randrange(15), rng))
            row += 1
    for _ in range(200):
        query = _flip(to_signed(rng.choice(centres)), rng.randrange(15), rng)
        got = index.candidates_for("s", query, method="bands")
        assert sorted(got) == sorted(index.scan(query))
        assert sorted(index.candidates_for("s", query, method="scan")) == sorted(got)


def test_every_pair_within_distance_shares_a_probe_key() -> None:
    rng = random.Random(11)
    for _ in range(300):
        a = to_signed(rng.getrandbits(64))
        b = _flip(a, rng.randrange(12), rng)
        assert set(probe_keys(b, 11)) & set(band_keys(a))


def _corpus() -> list[str]:
    repo = Path(__file__).resolve().parents[3]
    lines = (repo / "src/kefu/demo_data/complaints.txt").read_text(encoding="utf-8").splitlines()
    texts = [f"{line[:18]}\n{line}" for line in lines if line.strip()]
    training = (repo / "src/kefu/analysis/data/training.jsonl").read_text(encoding="utf-8")
    texts += [json.loads(line)["text"] for line in training.splitlines()]
    return texts + BASE + EDITED + ["", "，。！", "a", "退", "ab", "ＡＢＣ１２３", "x" * 20_000]


def test_fingerprints_equal_the_original_computation() -> None:
    # Fingerprints are stored in case_fingerprints: the fast path must not move a single bit.
    texts = _corpus()
    assert [fingerprint(t) for t in texts] == [fingerprint_reference(t) for t in texts]


def test_fingerprints_unchanged_when_the_digest_cache_is_emptied() -> None:
    texts = _corpus()[:300]
    before = [fingerprint(t) for t in texts]
    clear_bigram_cache()
    assert [fingerprint(t) for t in texts] == before


def test_word_ranges_are_the_characters_the_features_keep() -> None:
    in_ranges = {c for lo, hi in WORD_RANGES for c in range(lo, hi + 1)}
    kept = {c for c in range(0x110000) if _WORD.fullmatch(chr(c))}
    assert kept == in_ranges


def _simhash_by_hand(text: str) -> int:
    # The definition, written out: blake2b-64 of each unigram and bigram of the folded text,
    # bit k set when more than half of the features set it.
    folded = "".join(_WORD.findall(unicodedata.normalize("NFKC", text).lower()))
    feats = [*folded, *(folded[i : i + 2] for i in range(len(folded) - 1))]
    votes = [0] * 64
    for f in feats:
        h = int.from_bytes(hashlib.blake2b(f.encode(), digest_size=8).digest(), "little")
        for k in range(64):
            votes[k] += h >> k & 1
    return to_signed(sum(1 << k for k in range(64) if votes[k] * 2 > len(feats)))


def test_fingerprints_equal_a_simhash_written_by_hand() -> None:
    texts = [*BASE, *EDITED, "", "，。！", "a", "退", "ab", "ＡＢＣ１２３", "iPhone15 坏了 2-10岁"]
    texts += _corpus()[:200]
    assert [fingerprint(t) for t in texts] == [_simhash_by_hand(t) for t in texts]


@pytest.fixture
def tiny_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # 16 rows: nearly every bigram collides with another and overwrites its row.
    monkeypatch.setattr(dedup, "_ROW_BITS", 4)
    monkeypatch.setattr(dedup, "_SHIFT", np.uint64(60))
    clear_bigram_cache()
    yield
    clear_bigram_cache()


@pytest.mark.usefixtures("tiny_cache")
def test_colliding_bigrams_only_miss() -> None:
    texts = _corpus()[:300]
    assert [fingerprint(t) for t in texts] == [fingerprint_reference(t) for t in texts]
    assert dedup._rows is not None
    assert dedup._rows.shape == (16, 2)


@pytest.mark.usefixtures("tiny_cache")
def test_fingerprints_from_many_threads_over_a_colliding_cache() -> None:
    texts = _corpus()[:400]
    expected = [fingerprint_reference(t) for t in texts]

    def work(offset: int) -> list[int]:
        return [fingerprint(t) for t in texts[offset:] + texts[:offset]]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(0, 400, 50)))
    for offset, got in zip(range(0, 400, 50), results, strict=True):
        assert got == expected[offset:] + expected[:offset]


def test_bigram_cache_has_a_fixed_size() -> None:
    for t in _corpus()[:500]:
        fingerprint(t)
    assert dedup._rows is not None
    assert dedup._rows.shape == (1 << dedup._ROW_BITS, 2)
