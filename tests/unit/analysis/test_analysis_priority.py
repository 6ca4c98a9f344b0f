"""Priority hints: urgent safety/fraud/minor/amount/repeat, then high, normal, low."""

from __future__ import annotations

import pytest

from kefu.analysis.priority import priority_hints
from kefu.domain.types import Priority


@pytest.mark.parametrize(
    ("text", "amount_fen", "repeat", "priority", "code"),
    [
        ("充电宝充电的时候起火了，差点烧到床", None, 0, Priority.URGENT, "safety"),
        ("吃了这个零食全家食物中毒，送医院了", None, 0, Priority.URGENT, "safety"),
        ("用了面霜脸上严重过敏", None, 0, Priority.URGENT, "safety"),
        ("插上电源就触电了", None, 0, Priority.URGENT, "safety"),
        ("有人冒充客服让我转账，被骗了三千", None, 0, Priority.URGENT, "fraud"),
        ("儿子偷偷用我的手机充值了两千块游戏币", None, 0, Priority.URGENT, "minor"),
        ("小孩误食了玩具上的小零件", None, 0, Priority.URGENT, "minor"),
        ("未成年人打赏了主播，要求退回", None, 0, Priority.URGENT, "minor"),
        ("快递有点慢", 500_000, 0, Priority.URGENT, "large_amount"),
        ("快递有点慢", None, 3, Priority.URGENT, "repeat_contacts"),
        ("再不处理我就去12315投诉", None, 0, Priority.HIGH, "regulator"),
        ("收到的明显是假货", None, 0, Priority.HIGH, "counterfeit"),
        # The compliance queue's words raise priority too, not only 假货/假冒.
        ("这双鞋是冒牌的", None, 0, Priority.HIGH, "counterfeit"),
        ("光盘是盗版的", None, 0, Priority.HIGH, "counterfeit"),
        ("怀疑这批奶粉是走私进来的水货", None, 0, Priority.HIGH, "counterfeit"),
        ("卖的是翻新机", None, 0, Priority.HIGH, "counterfeit"),
        ("儿童餐椅发货太慢了", None, 0, Priority.HIGH, "child_product"),
        ("快递有点慢", 150_000, 0, Priority.HIGH, "high_amount"),
        ("快递有点慢", None, 2, Priority.HIGH, "second_contact"),
        ("建议增加夜间模式", None, 0, Priority.LOW, "suggestion"),
    ],
)
def test_priority_table(
    text: str, amount_fen: int | None, repeat: int, priority: Priority, code: str
) -> None:
    hint = priority_hints(text, amount_fen=amount_fen, repeat_contacts=repeat)
    assert hint.priority is priority
    assert code in [r.code for r in hint.reasons]
    assert all(r.zh and r.en for r in hint.reasons)


@pytest.mark.parametrize(
    "text", ["快递有点慢，希望快点送到", "衣服尺码偏小", "没有受伤，但是包装破了"]
)
def test_plain_complaints_are_normal(text: str) -> None:
    hint = priority_hints(text, amount_fen=9_900, repeat_contacts=0)
    assert hint.priority in (Priority.NORMAL, Priority.LOW)
    assert "safety" not in [r.code for r in hint.reasons]


def test_amount_threshold_is_configurable_and_inclusive() -> None:
    below = priority_hints("x", amount_fen=499_999, repeat_contacts=0)
    at = priority_hints("x", amount_fen=500_000, repeat_contacts=0)
    custom = priority_hints("x", amount_fen=20_000, repeat_contacts=0, large_amount_fen=20_000)
    assert below.priority is Priority.HIGH
    assert at.priority is Priority.URGENT
    assert custom.priority is Priority.URGENT


def test_urgent_beats_low_and_reasons_ordered() -> None:
    hint = priority_hints("建议改进包装，这次玻璃炸裂划伤了手", amount_fen=None, repeat_contacts=0)
    assert hint.priority is Priority.URGENT
    assert hint.reasons[0].code == "safety"
    assert hint.reasons[-1].code == "suggestion"
