"""Every page of every role's menu at phone width (390 px): nothing scrolls the page sideways,
and headings keep their order (h1 larger than h2, h2 larger than h3).

One browser, one signed-in context per role, one seeded world (two products with real gateway
traffic, so the deliveries, the dashboard's charts and the zone's result chart have content).
"""

import re

import pytest

from pdao.core import navigation
from pdao.core.permissions import Perm, Role
from pdao.zone import services as zone
from tests.browser.conftest import screenshot
from tests.browser.test_shell import sign_in
from tests.factories import user_with_role
from tests.products.conftest import _data_dir, city, market  # noqa: F401 (fixtures)
from tests.supervision.conftest import traffic  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# Pages also drawn at 1366 px for a look (test-artifacts/screenshots/layout-*.png).
SHOTS = {
    (Role.SUPERVISOR, "supervision:dashboard"): "dashboard",
    (Role.OPERATOR, "zone:workspace"): "zone-result",
    (Role.CONSUMER, "products:deliveries"): "deliveries",
    (Role.BUREAU_ADMIN, "authorization:qualification_list"): "qualifications",
    (Role.BUREAU_ADMIN, "core:workbench"): "workbench",
}


# Sums in the millions: the chart's axis must read 3,000,000, not 3e+6 or an offset.
ZONE_SQL = (
    "SELECT 区县, SUM(缴费金额) AS 缴费总额, COUNT(*) AS 人次 FROM 社保缴纳记录 "
    "GROUP BY 区县 ORDER BY 区县"
)

# What sticks out of the viewport outside any scroll container: the outermost such elements
# (whose parent fits), each named by tag, id, classes and test id.
MEASURE = """() => {
    const limit = window.innerWidth;
    const scrolls = (el) => {
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
            const x = getComputedStyle(a).overflowX;
            if (x === "auto" || x === "scroll" || x === "hidden" || x === "clip") return true;
        }
        return false;
    };
    const wide = (el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && (r.right > limit + 0.5 || r.left < -0.5);
    };
    const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + [...el.classList].map((c) => "." + c).join("")
        + (el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : "");
    const culprits = [];
    for (const el of document.body.querySelectorAll("*")) {
        if (!wide(el) || scrolls(el) || (el.parentElement && wide(el.parentElement))) continue;
        const r = el.getBoundingClientRect();
        culprits.push(`${name(el)} ${Math.round(r.width)}px`);
    }
    const size = (sel) => [...document.querySelectorAll(sel)]
        .filter((h) => h.getClientRects().length)
        .map((h) => parseFloat(getComputedStyle(h).fontSize));
    return {
        overflow: document.documentElement.scrollWidth - limit,
        culprits: culprits.slice(0, 4),
        h1: size("main h1"), h2: size("main h2"), h3: size("main h3"),
    };
}"""


# Each ECharts chart on the page: its box and canvas widths, and its value axes' extent and
# tick labels as drawn.
CHARTS = """() => [...document.querySelectorAll("[data-figure], #zone-chart")].map((box) => {
    const chart = window.echarts && echarts.getInstanceByDom(box);
    if (!chart) return {box: box.id, drawn: false};
    const canvas = box.querySelector("canvas").getBoundingClientRect().width;
    const axes = [];
    for (const kind of ["xAxis", "yAxis"]) {
        chart.getModel().eachComponent(kind, (component) => {
            const axis = component.axis;
            if (axis.type !== "value" || axis.scale.isBlank()) return;
            axes.push({extent: axis.scale.getExtent(),
                       labels: axis.getViewLabels().map((l) => l.formattedLabel)});
        });
    }
    return {box: box.id, drawn: true, width: box.getBoundingClientRect().width, canvas, axes};
})"""
CHART_PAGES = {"supervision:dashboard", "zone:workspace", "zone:query_detail"}
PLAIN_NUMBER = re.compile(r"^-?\d{1,3}(,\d{3})*(\.\d+)?$")


def _chart_problems(where: str, charts: list[dict]) -> list[str]:
    problems = [] if charts else [f"{where}: no chart"]
    for c in charts:
        if not c["drawn"]:
            problems.append(f"{where} #{c['box']}: not drawn")
            continue
        if c["canvas"] > c["width"] + 0.5:
            problems.append(f"{where} #{c['box']}: canvas {c['canvas']}px in a {c['width']}px box")
        for axis in c["axes"]:
            if axis["extent"][0] > 0:
                problems.append(f"{where} #{c['box']}: value axis starts at {axis['extent'][0]}")
            odd = [label for label in axis["labels"] if not PLAIN_NUMBER.match(label)]
            if odd:
                problems.append(f"{where} #{c['box']}: tick labels not plain numbers: {odd}")
    return problems


def _heading_problems(where: str, m: dict) -> list[str]:
    problems = []
    if m["h1"] and m["h2"] and not min(m["h1"]) > max(m["h2"]):
        problems.append(f"{where}: h1 {m['h1']}px not larger than h2 {m['h2']}px")
    if m["h2"] and m["h3"] and not min(m["h2"]) > max(m["h3"]):
        problems.append(f"{where}: h2 {m['h2']}px not larger than h3 {m['h3']}px")
    return problems


def _watch(page, who: str, problems: list) -> None:
    """Script errors and anything the Content-Security-Policy blocks become problems."""
    page.on("pageerror", lambda error: problems.append(f"{who} {page.url}: {error}"))

    def console(message):
        if "Content Security Policy" in message.text:
            problems.append(f"{who} {page.url}: {message.text}")

    page.on("console", console)


def _users(traffic):  # noqa: F811
    shop, *_ = traffic
    town = shop.city
    known = {
        Role.BUREAU_ADMIN: town.bureau,
        Role.SUPERVISOR: shop.supervisor,
        Role.PROVIDER: town.provider,
        Role.OPERATOR: town.operator,
        Role.CONSUMER: shop.consumer,
        Role.REVIEWER: town.reviewers[0],
    }
    return {role: known.get(role) or user_with_role(role) for role in Role}


def _pages(user, extras) -> list[tuple[str, str]]:
    """(url name, url) of the workbench, every menu entry, and the extra pages for `user`."""
    pages = [("core:workbench", "/workbench/")]
    for group in navigation.menu_for(user):
        pages += [(e["url_name"], e["url"]) for e in group["entries"]]
    return pages + [(name, url) for name, url, may in extras if may(user)]


def test_every_menu_page_fits_a_phone_and_keeps_its_heading_scale(
    traffic,  # noqa: F811
    browser,
    live_server,
):
    shop, *_ = traffic
    query = zone.run_query(shop.authorization, by=shop.operator, sql=ZONE_SQL, form="aggregate")
    assert query.decision == "released", query.message
    code = shop.authorization.code
    # Pages outside the menu that hold a chart: a zone result, in the workspace and on record.
    extras = [
        ("zone:workspace", f"/zone/{code}/?query={query.pk}", lambda u: u == shop.operator),
        (
            "zone:query_detail",
            f"/zone/queries/{query.pk}/",
            lambda u: u.has_perm(Perm.AUTHZ_VIEW_ALL),
        ),
    ]

    measured, misfits, problems = {}, {}, []  # misfits: overflow by page
    anonymous = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE)
    sessions = [(None, anonymous, [("core:home", "/"), ("accounts:login", "/accounts/login/")])]
    for role, user in _users(traffic).items():
        context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE)
        sessions.append((role, context, _pages(user, extras)))
        sign_in(context.new_page(), user.username)
    try:
        for role, context, pages in sessions:
            who = role.value if role else "anonymous"
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(15_000)
            _watch(page, who, problems)
            for name, url in pages:
                response = page.goto(url)
                assert response.ok, f"{who} {url}: {response.status}"
                where = f"{who} {url}"
                m = page.evaluate(MEASURE)
                measured[where] = m["overflow"]
                if m["overflow"] > 0 or m["culprits"]:
                    misfits.setdefault(name, []).append(
                        f"{where}: {m['overflow']}px too wide; {', '.join(m['culprits'])}"
                    )
                problems += _heading_problems(where, m)
                if name in CHART_PAGES:
                    problems += _chart_problems(where, page.evaluate(CHARTS))
                if (role, name) in SHOTS:
                    screenshot(page, f"layout-{SHOTS[role, name]}-390")
                    page.set_viewport_size({"width": 1366, "height": 900})
                    if name in CHART_PAGES:
                        charts = page.evaluate(CHARTS)
                        problems += _chart_problems(f"{where} at 1366px", charts)
                    screenshot(page, f"layout-{SHOTS[role, name]}-1366")
                    page.set_viewport_size(PHONE)
    finally:
        for _, context, _ in sessions:
            context.close()

    print("\nwidest pages at 390px:", sorted(measured.items(), key=lambda kv: -kv[1])[:12])
    problems += [line for lines in misfits.values() for line in lines]
    assert problems == [], "\n".join(problems)
