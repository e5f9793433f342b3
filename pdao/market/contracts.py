"""数据产品交易合同 as a document, from the order's canonical terms (what both parties signed),
with the signatures verified at the moment it is printed."""

from __future__ import annotations

from django.utils import timezone

from pdao.core import papers
from pdao.market import orders


def paper(order) -> papers.Paper:
    t = order.terms
    product, plan, use = t["product"], t["plan"], t["conditions"]
    ok, checks = orders.verify(order)
    venue = t["venue"] + (
        f"（{t['exchange']}，挂牌编号 {t['exchange_listing_no']}，订单号 {t['exchange_order_no']}）"
        if t["exchange"]
        else ""
    )
    return papers.Paper(
        title=t["title"],
        facts=[
            ("合同编号", t["contract_no"]),
            ("卖方", f"{t['seller']['name']}（统一社会信用代码 {t['seller']['credit_code']}）"),
            ("买方", f"{t['buyer']['name']}（统一社会信用代码 {t['buyer']['credit_code']}）"),
            ("交易方式", venue),
            ("合同文本 SHA-256", order.sha256),
        ],
        sections=[
            papers.Section(
                "一、交易标的",
                [
                    f"数据产品：{product['name']}（{product['code']}），"
                    f"备案编号 {product['filing_no']}，"
                    f"登记确认单编号 {product['registration_code']}（有效期至 "
                    f"{product['registration_valid_until']}）。",
                    f"数据来源：公共数据授权运营，授权编号 {product['authorization_code']}，"
                    f"授权期限至 {product['authorization_ends_on']}。",
                    f"交付方式：{t['delivery']}。",
                ],
            ),
            papers.Section(
                "二、价格与金额",
                [
                    f"价格方案：{plan['name']}，{plan['price']}"
                    + (f"（上限收费标准 {t['price_cap']} 元/次）" if t["price_cap"] else "")
                    + "。",
                    f"服务期限：{t['months']} 个月，自交付之日起算，不超过授权期限；"
                    + (f"购买数量：{t['quantity']:,}；" if t["quantity"] else "")
                    + (
                        f"每月调用上限 {plan['calls_per_month']:,} 次"
                        if plan["calls_per_month"]
                        else "每月调用次数不限"
                    )
                    + f"，每分钟至多 {plan['rate_per_minute']:,} 次。",
                    f"合同金额：人民币 {t['amount']} 元。",
                    t["payment"],
                ],
            ),
            papers.Section(
                "三、使用条件",
                [
                    f"使用目的：{use['use_purpose']}",
                    f"使用期限：{use['use_term']}",
                    f"允许的使用者：{use['allowed_users']}",
                    "禁止行为：" + "；".join(use["prohibited"]) + "。",
                ],
            ),
            papers.Section("四、验收与争议", [t["acceptance"]]),
            papers.Section(
                "五、签署",
                [] if checks else ["尚未签署。"],
                header=("签署方", "签署人", "签署时间", "验签") if checks else (),
                rows=[
                    (
                        c.organisation,
                        str(c.signer),
                        timezone.localtime(c.signed_at).strftime("%Y-%m-%d %H:%M"),
                        "有效" if c.valid else "无效",
                    )
                    for c in checks
                ],
                sheet="签署",
            ),
        ],
        footer=("合同文本与签名验证一致。" if ok else "合同尚未由双方签署完毕或验签未通过。")
        + f" 下单日期 {t['placed_on']}。",
    )
