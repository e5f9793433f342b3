"""Every page of the permission walk, read as each role that may open it, in Chinese and in
English: a Chinese page shows no code names (snake_case, dotted codes, SQL type names,
Django's English defaults) outside <code>, <pre>, URLs and what the user typed; an English
page has no Chinese in its interface text (headings, table headers, labels, buttons, menus).
Stored codes are shown through their labels in the reader's language."""

import html
import re

import pytest
from django.urls import reverse

from tests.test_permissions import (
    ACTORS,
    EXAMPLES,
    HTML_VIEWS,
    NOT_VIEWS,
    TOKEN_VIEWS,
    _client,
    _expected,
    _world_once,  # noqa: F401 (the fixtures, shared)
    world,  # noqa: F401
)

CODE_LIKE = re.compile(
    r"(?<![\w./@:-])("
    r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+"  # snake_case
    r"|[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+(?:\s#\d+)?"  # dotted codes: zone.zonequery #48
    r"|VARCHAR|BIGINT|INTEGER|DOUBLE|BOOLEAN|TIMESTAMP|HUGEINT|DECIMAL"
    r"|Select an option|This field is required"
    r"|\d+\.\d{5,}"  # a float's artefact: 2639575.9600000004
    r")(?![\w./@-])"
)
# Chinese in the interface of an English page: where data values never stand.
CHROME = re.compile(
    r"<(h1|h2|h3|th|label|button|summary|legend|title|a)\b([^>]*)>(.*?)</\1>", re.S | re.I
)
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
FILES = re.compile(r"\.(xlsx|csv|pdf|docx|json|parquet|txt|py|png|jpe?g)$")


def _visible_text(page: str) -> str:
    """The text a reader sees: no scripts, styles, code, preformatted text, attributes."""
    page = re.sub(r"<(script|style|code|pre|textarea|kbd|samp)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    text = html.unescape(page)
    return re.sub(r"https?://\S+|/[\w/.-]+/", " ", text)  # URLs and paths


def _code_names(page: str, typed: set[str]) -> list[str]:
    found = []
    for match in CODE_LIKE.finditer(_visible_text(page)):
        token = match.group(1)
        if token in typed or FILES.search(token) or "@" in token:
            continue
        found.append(token)
    return sorted(set(found))


def _chinese_chrome(page: str, data: list[str] = ()) -> list[str]:
    """Chinese left in interface elements once the data values in them are taken out; an
    element that says which language it is in (the language switch's 中文) is its own."""
    page = re.sub(r"<(script|style|code|pre)\b.*?</\1>", " ", page, flags=re.S)
    # A document kept in the language it was signed in (an agreement's terms) says so.
    page = re.sub(r"<article\b[^>]*\blang=[^>]*>.*?</article>", " ", page, flags=re.S)
    found = []
    for _tag, attributes, inner in CHROME.findall(page):
        if re.search(r"\blang=", attributes):
            continue
        text = html.unescape(re.sub(r"<[^>]+>", " ", inner))
        for value in data:
            text = text.replace(value, " ")
        if CJK.search(text):
            found.append(" ".join(text.split())[:60])
    return sorted(set(found))


def _data_values() -> list[str]:
    """Every text the database holds (names, titles, notes, JSON strings): data, whatever the
    reader's language; longest first, so a name is taken out before a part of it."""
    from django.apps import apps
    from django.db import models

    found: set[str] = set()

    def walk(value):
        if isinstance(value, str):
            if CJK.search(value):
                found.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    for model in apps.get_models():
        if not model.__module__.startswith("pdao."):
            continue
        kinds = models.CharField | models.TextField | models.JSONField
        texts = [f.name for f in model._meta.concrete_fields if isinstance(f, kinds)]
        if texts:
            for row in model.objects.values_list(*texts):
                walk(list(row))
    return sorted(found, key=len, reverse=True)


def _typed(world) -> set[str]:  # noqa: F811
    """What users of the walk's world typed that may look like a code: usernames."""
    return {user.username for user in world.users.values()}


PAGES = sorted(n for n, _ in HTML_VIEWS if n not in NOT_VIEWS | TOKEN_VIEWS)


def _readable(name, world):  # noqa: F811
    """(actor, url) for each actor that may GET the page and sees its example."""
    pattern = dict(HTML_VIEWS)[name]
    rule = pattern.callback.access_rule
    if "GET" not in rule.methods:
        return []
    example = EXAMPLES.get(name)
    url = reverse(name, kwargs=example.kwargs(world) if example else None)
    if example is not None:
        url += example.query(world) and "?" + example.query(world)
    return [(actor, url) for actor in ACTORS if _expected(rule, actor, example, world) == "allowed"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_chinese_pages_show_labels_not_code_names(name, world):  # noqa: F811
    wrong = []
    for actor, url in _readable(name, world):
        response = _client(actor, world).get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        for token in _code_names(response.content.decode(), _typed(world)):
            wrong.append(f"{actor or 'anonymous'}: {token}")
    assert wrong == [], f"{name}: " + "; ".join(wrong)


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_english_pages_have_no_chinese_interface_text(name, world):  # noqa: F811
    wrong = []
    data = _data_values()
    for actor, url in _readable(name, world):
        client = _client(actor, world)
        client.cookies["django_language"] = "en"
        response = client.get(url)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        for text in _chinese_chrome(response.content.decode(), data):
            wrong.append(f"{actor or 'anonymous'}: {text}")
    assert wrong == [], f"{name}: " + "; ".join(wrong)


def test_the_detectors_catch_what_they_are_for():
    page = (
        "<p>类型 aggregate_form 与 zone.zonequery #48,VARCHAR,- Select an option -</p>"
        "<code>columns.unauthorized</code><a href='/a/b_c/'>链接</a><p>用户 operator_1</p>"
        "<p>合计 2639575.9600000004 元</p>"
    )
    assert _code_names(page, {"operator_1"}) == [
        "2639575.9600000004", "Select an option", "VARCHAR", "aggregate_form",
        "zone.zonequery #48",
    ]  # fmt: skip
    assert _chinese_chrome("<h1>授权</h1><td>柳州市</td><th>Name</th>") == ["授权"]
    assert (
        _chinese_chrome("<h1>Edit organisation: 柳州市</h1><a lang='zh'>中文</a>", ["柳州市"]) == []
    )
