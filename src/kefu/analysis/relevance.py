"""Is a piece of feedback about this platform at all? Platform vocabulary, matched in one pass."""

from __future__ import annotations

import threading
from importlib import resources
from pathlib import Path

import ahocorasick

from kefu.domain.types import Category

from .classify import Classification
from .tokenize import normalize

# Words any shopping-platform matter uses, beside the category rules and the e-commerce user
# dictionary (both loaded below): a text with none of them and no category is off-topic.
_PLATFORM_WORDS = [
    "订单",
    "商品",
    "商家",
    "卖家",
    "店铺",
    "店家",
    "客服",
    "平台",
    "快递",
    "物流",
    "发货",
    "收货",
    "退款",
    "退货",
    "换货",
    "购买",
    "下单",
    "买的",
    "付款",
    "支付",
    "价格",
    "优惠",
    "优惠券",
    "红包",
    "积分",
    "会员",
    "账号",
    "账户",
    "app",
    "网站",
    "页面",
    "小程序",
    "直播",
    "评价",
    "差评",
    "售后",
    "保修",
    "发票",
    "包裹",
    "配送",
    "签收",
    "运费",
    "质量",
    "尺码",
    "颜色",
    "型号",
    "描述",
    "宣传",
    "广告",
    "投诉",
    "举报",
    "建议",
    "功能",
]

_lock = threading.Lock()
_automaton: ahocorasick.Automaton | None = None


def _data_dir() -> Path:
    return Path(str(resources.files("kefu.analysis") / "data"))


def _vocabulary() -> set[str]:
    words = {normalize(w) for w in _PLATFORM_WORDS}
    data = _data_dir()
    for line in (data / "ecommerce_userdict.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            words.add(normalize(line.split()[0]))
    for line in (data / "category_rules.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            words.add(normalize(line.split("\t")[0]))
    return {w for w in words if w}


def _get_automaton() -> ahocorasick.Automaton:
    global _automaton
    if _automaton is None:
        with _lock:
            if _automaton is None:
                auto = ahocorasick.Automaton()
                for word in _vocabulary():
                    auto.add_word(word, word)
                auto.make_automaton()
                _automaton = auto
    return _automaton


def is_relevant(text: str, classification: Classification) -> bool:
    """True when the classifier found a category or the text uses platform vocabulary."""
    if classification.category is not Category.OTHER:
        return True
    norm = normalize(text)
    return any(True for _ in _get_automaton().iter(norm))
