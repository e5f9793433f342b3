"""Chinese text uses full-width punctuation: every string the interface translates (the
catalogue's msgids are exactly those) has no half-width , : ; ! ? ( ) next to a Chinese
character — except SQL shown as SQL, a function call's parentheses, and the comma lists of
Django's `yesno` filter."""

import re
from pathlib import Path

import polib

CATALOGUE = Path(__file__).resolve().parent.parent / "pdao/locale/en/LC_MESSAGES/django.po"
HAN = "\u3400-\u9fff"
HALF_WIDTH = re.compile(rf"[{HAN}][,:;!?()]|[,:;!?()][{HAN}]")
SQL = re.compile(r"\b(SELECT|WHERE|GROUP BY|FROM)\b| :\w")
YESNO = re.compile(r"^[^,\s]{1,6},[^,\s]{1,6}(,[^,\s]{1,6})?$")


def offending(text: str) -> list[str]:
    if SQL.search(text) or YESNO.match(text):
        return []
    text = re.sub(r"<code>.*?</code>", "X", text)  # syntax shown as syntax
    text = re.sub(r"%\(\w+\)[sdif]|\{[^{}]*\}", "X", text)  # placeholders
    text = re.sub(r"[A-Za-z_]\([^()]*\)", "X", text)  # function calls: FLOOR(数值 / 宽度)
    return [m.group(0) for m in HALF_WIDTH.finditer(text)]


def test_translated_strings_use_full_width_punctuation_in_chinese():
    wrong = [
        f"{entry.msgid[:60]!r}: {offending(entry.msgid)}"
        for entry in polib.pofile(str(CATALOGUE))
        if not entry.obsolete and offending(entry.msgid)
    ]
    assert wrong == [], "\n".join(wrong)


def test_the_check_sees_what_it_is_for():
    assert offending("查询(聚合统计)失败,请重试") == ["询(", "计)", "败,"]
    assert offending("查询（聚合统计）失败，请重试") == []
    assert offending("SELECT 区县, 险种 FROM 表") == []
    assert offending("有,无") == [] and offending("FLOOR(数值 / 宽度)") == []
    assert offending("专区查询(%(code)s)") == ["询("]
    assert offending("模板中用 <code>:名称</code> 引用参数") == []
