"""Build step: curate the third-party sensitive-word lists into data/abuse_lexicon.tsv.

Run ``uv run python -m kefu.analysis.build_lexicon --source ../shared/data/sensitive_lexicon``.
The curation rules live here so the output can be reproduced and reviewed; see
docs/abuse-lexicon.md for why these rules.
"""

from __future__ import annotations

import argparse
import re
import shutil
import unicodedata
from pathlib import Path

# Only these lists hold profanity; the others are politics, ads, URLs, drugs, weapons and
# religion, which are not the abuse a customer-service agent needs shielding from.
SOURCE_FILES = (
    "网易前端过滤敏感词库.txt",
    "零时-Tencent.txt",
    "色情词库.txt",
    "色情类型.txt",
    "GFW补充词库.txt",
    "补充词库.txt",
)

# An entry is kept only if it contains one of these stems (profanity / personal insults).
PROFANITY = re.compile(r"操|草你|草泥|肏|日你|干你|妈的|妈逼|妈了个|你妈逼|尼玛|狗日|屄|屌|逼")
INSULT = re.compile(
    r"傻逼|傻b|傻x|傻叉|傻屄|煞笔|白痴|脑残|人渣|杂种|畜生|王八蛋|贱人|贱货|婊子|狗杂种"
)

# Entries naming politics, places, people, groups or sites: they are political or regional
# slurs whose abusive part is already covered by the stem on its own.
EXCLUDE = re.compile(
    r"政府|共产|中共|党|国|习|胡|江|温|毛|邓|彭|刁|席|董|李|五毛|警|社会|制度|网易|zf|总局|"
    r"北京|上海|广东|广西|安徽|河南|河北|东北|山东|新疆|西藏|浙江|杭州|南京|贵州|湖|"
    r"日本|东洋|美国|伊斯兰|真主|天朝|拼|农民|农村|外地|明星|近平|泽东|涛|滔|僵|布什|呖|花心|奥|"
    r"吸金|专车|指南|大街|卖逼无限红"
)

# Stems that are ordinary words in shop reviews (牛逼 = great, 逼真 = lifelike, 被逼/逼迫 =
# forced), sexual vocabulary that is not aimed at anyone, and bare fragments that match inside
# innocent words (他妈 in 他妈妈, 操 in 操作, 草 in 草莓).
COMMON = re.compile(
    r"牛逼|逼真|被逼|逼迫|逼你|逼死|逼格|官逼|撕逼|威逼|逼疯|逼人|逼奸|操作|操心|操场|体操|节操|"
    r"草莓|草原|日记|穴|毛|痒|水|射|插|舔|抠|肉|美|嫩|粉|肥|露|阴|乳|奶|精|妹|女|妇|自拍|自慰|"
    r"裏|里|好|特写|友|紧|交|小逼|大逼|干逼|用逼|玩逼|日逼|屌爆|本屌|屌丝|"
    # stock trading, torture, chastity, exercise and other non-abusive uses of 操/逼/干
    r"盘|纵|刑讯|贞|貞|早操|式|势力|完蛋操|操干|肏干|操入|肏入|操这|肏这|操破|肏破|操黑|"
    # kinship/sexual scenes and obfuscated political names, not insults at a person
    r"嫂|姐|妻|护士|丝袜|母|公|黑|鸠|西|瓶|7|七|78|gm|gy|xx|醯|阅|錯|溫|悦|幼|添|漏|亮|"
    r"莲花|梅花|蝴蝶|馒头|葫芦|血|扒|拔|搔|含|洗|尼古丁|分类|患儿|教育|档|高级|"
    # 妈的 alone matches inside 我妈的/给他妈的 (my mum's …), 干你/日你 inside 干你们/生日你
    r"^妈的$|^她妈的$|^它妈的$|^干你$|^日你$|^肏这$"
)

MAX_LEN = 5


def _norm(word: str) -> str:
    return unicodedata.normalize("NFKC", word).strip().lower()


def classify_entry(word: str) -> str | None:
    """Return the category a third-party entry is kept under, or None to drop it."""
    if len(word) < 2 or len(word) > MAX_LEN or " " in word or "+" in word or "*" in word:
        return None
    if not re.match(r"[\u4e00-\u9fff]", word) or EXCLUDE.search(word) or COMMON.search(word):
        return None
    if INSULT.search(word):
        return "insult"
    if PROFANITY.search(word):
        return "profanity"
    return None


def curate(source: Path) -> dict[str, tuple[str, str]]:
    """Return {word: (category, source file)} for the kept entries, first source wins."""
    kept: dict[str, tuple[str, str]] = {}
    for name in SOURCE_FILES:
        for line in (source / name).read_text(encoding="utf-8").splitlines():
            word = _norm(line)
            category = classify_entry(word)
            if category and word not in kept:
                kept[word] = (category, name)
    return kept


def main() -> None:
    """Write data/abuse_lexicon.tsv and copy the source licence beside it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=Path("../shared/data/sensitive_lexicon"))
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    args = parser.parse_args()
    kept = curate(args.source)
    lines = ["# word\tcategory\tsource (konsheng/Sensitive-lexicon, MIT; see LICENSE beside)"]
    lines += [f"{w}\t{c}\t{s}" for w, (c, s) in sorted(kept.items())]
    (args.out / "abuse_lexicon.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copy(args.source / "LICENSE", args.out / "sensitive_lexicon.LICENSE")
    print(f"kept {len(kept)} entries")


if __name__ == "__main__":
    main()
