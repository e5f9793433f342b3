"""Suggest catalogue resources for a data demand (供需对接). Pure, no Django.

Chinese has no spaces, so texts are compared as sets of character bigrams (and whole ASCII
words), weighted by inverse document frequency over the catalogue: a bigram every resource
shares (数据, 信息) counts for little, a rare one (公积, 刷卡) for much. The score of a resource
is the weighted share of the demand's bigrams it contains, in names, summaries and field labels.

>>> docs = {"a": "企业登记信息 统一社会信用代码 企业名称", "b": "气象观测 气温 降水量"}
>>> [key for key, _ in suggest("需要企业名称和信用代码", docs)]
['a']
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping

_WORD = re.compile(r"[A-Za-z0-9]+")
_HAN = re.compile(r"[\u4e00-\u9fff]+")


def grams(text: str) -> set[str]:
    found: set[str] = set()
    for run in _HAN.findall(text):
        found |= {run[i : i + 2] for i in range(len(run) - 1)} if len(run) > 1 else {run}
    found |= {w.lower() for w in _WORD.findall(text)}
    return found


def suggest(
    demand: str, documents: Mapping[str, str], *, limit: int = 5, minimum: float = 0.15
) -> list[tuple[str, float]]:
    """The keys of the best-matching documents with their scores (0–1), best first."""
    wanted = grams(demand)
    if not wanted or not documents:
        return []
    doc_grams = {key: grams(text) for key, text in documents.items()}
    frequency = Counter(g for gs in doc_grams.values() for g in gs)
    n = len(documents)
    weight = {g: math.log(1 + n / (1 + frequency[g])) for g in wanted}
    total = sum(weight.values())
    scores = [
        (key, round(sum(weight[g] for g in wanted & gs) / total, 4))
        for key, gs in doc_grams.items()
    ]
    ranked = sorted((s for s in scores if s[1] >= minimum), key=lambda s: (-s[1], s[0]))
    return ranked[:limit]
