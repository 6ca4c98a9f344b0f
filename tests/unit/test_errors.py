"""Domain errors: a not-found message names the thing in the message's own language."""

from __future__ import annotations

import pytest

from kefu.domain.errors import NotFound, split_label


@pytest.mark.parametrize(
    ("label", "zh", "en"),
    [
        ("案件 case", "案件", "case"),
        ("会话 chat session", "会话", "chat session"),
        ("SLA 策略版本 SLA policy version", "SLA 策略版本", "SLA policy version"),
        ("日历例外 calendar override", "日历例外", "calendar override"),
        ("case", "case", "case"),
        ("案件", "案件", "案件"),
    ],
)
def test_a_bilingual_label_splits_into_its_chinese_and_english_names(
    label: str, zh: str, en: str
) -> None:
    assert split_label(label) == (zh, en)


def test_not_found_keeps_chinese_out_of_the_english_message() -> None:
    err = NotFound("案件 case", "KF20261122000008")
    assert err.zh == "未找到案件：KF20261122000008"
    assert err.en == "case not found: KF20261122000008"
    assert err.status == 404
    assert err.extra == {"what": "案件 case", "key": "KF20261122000008"}
