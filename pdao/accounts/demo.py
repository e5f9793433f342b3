"""Demo organisations and users for Liuzhou.

Names of government bodies are public; every credit code here is synthetic (derived from the
name, valid under GB 32100 so the forms accept it) and the enterprises are fictional.
"""

import hashlib

from django.conf import settings

from pdao.accounts import credit_code, services
from pdao.accounts.choices import OrganisationType as T
from pdao.accounts.models import Organisation, User
from pdao.core.permissions import Role as R

# (name, short name, type, authority+category of the credit code, verified)
ORGANISATIONS = [
    ("柳州市数据局", "市数据局", T.DATA_BUREAU, "11", True),
    ("柳州市信息中心", "市信息中心", T.INFORMATION_CENTRE, "12", True),
    ("柳州市财政局", "市财政局", T.FINANCE_BUREAU, "11", True),
    ("柳州市市场监督管理局", "市场监管局", T.PROVIDER, "11", True),
    ("柳州市人力资源和社会保障局", "人社局", T.PROVIDER, "11", True),
    ("柳州市交通运输局", "交通运输局", T.PROVIDER, "11", True),
    ("柳州市医疗保障局", "医保局", T.PROVIDER, "11", True),
    ("柳州住房公积金管理中心", "公积金中心", T.PROVIDER, "12", True),
    ("柳州市气象局", "气象局", T.PROVIDER, "12", True),
    ("柳州市自然资源和规划局", "自然资源和规划局", T.PROVIDER, "11", True),
    ("柳州市卫生健康委员会", "卫健委", T.PROVIDER, "11", True),
    ("柳州市工业和信息化局", "工信局", T.INDUSTRY, "11", True),
    ("柳州龙城数智科技有限公司", "龙城数智", T.OPERATOR, "91", True),
    ("广西桂融信用数据服务有限公司", "桂融信用", T.OPERATOR, "91", True),
    ("柳州智行交通信息技术有限公司", "智行交通", T.OPERATOR, "91", False),
    ("柳州桂中普惠融资担保有限公司", "桂中普惠", T.CONSUMER, "91", True),
    ("柳州汽车零部件产业服务有限公司", "汽配产业服务", T.CONSUMER, "91", True),
    ("柳州康宁健康管理有限公司", "康宁健康", T.CONSUMER, "91", False),
    ("广西信安数据合规评估有限公司", "信安评估", T.REVIEWER_BODY, "91", True),
]

# (username, display name, organisation short name, roles)
USERS = [
    ("bureau", "韦建国", "市数据局", [R.BUREAU_ADMIN]),
    ("taskforce", "覃晓梅", "市数据局", [R.TASKFORCE]),
    ("supervisor", "蓝海涛", "市信息中心", [R.SUPERVISOR]),
    ("finance", "莫丽华", "市财政局", [R.FINANCE]),
    ("provider", "梁志强", "市场监管局", [R.PROVIDER]),
    ("provider_hrss", "黄美玲", "人社局", [R.PROVIDER]),
    ("provider_transport", "陆振华", "交通运输局", [R.PROVIDER, R.INDUSTRY_LEAD]),
    ("provider_medicare", "廖春燕", "医保局", [R.PROVIDER]),
    ("provider_fund", "潘国栋", "公积金中心", [R.PROVIDER]),
    ("provider_weather", "谢雨晴", "气象局", [R.PROVIDER]),
    ("provider_land", "卢文博", "自然资源和规划局", [R.PROVIDER]),
    ("provider_health", "甘思远", "卫健委", [R.PROVIDER]),
    ("industry", "周铭", "工信局", [R.INDUSTRY_LEAD]),
    ("operator", "李浩然", "龙城数智", [R.OPERATOR]),
    ("operator2", "王静怡", "桂融信用", [R.OPERATOR]),
    ("operator3", "陈子豪", "智行交通", [R.OPERATOR]),
    ("consumer", "刘欣", "桂中普惠", [R.CONSUMER]),
    ("consumer2", "张伟", "汽配产业服务", [R.CONSUMER]),
    ("consumer3", "赵敏", "康宁健康", [R.CONSUMER]),
    ("reviewer", "孙立群", "信安评估", [R.REVIEWER]),
    ("reviewer2", "何嘉欣", "信安评估", [R.REVIEWER]),
]


def synthetic_credit_code(name: str, authority_category: str) -> str:
    digits = "".join(c for c in hashlib.sha256(name.encode()).hexdigest() if c.isdigit())
    return credit_code.make(authority_category, settings.CITY_DIVISION_CODE, digits[:8])


def seed(*, password: str, stdout=None) -> list[tuple[str, str, str]]:
    """Create what is missing; leave what exists. Returns (username, organisation, roles)."""
    by_short: dict[str, Organisation] = {}
    for name, short, org_type, authority_category, _verified in ORGANISATIONS:
        organisation = Organisation.objects.filter(name=name).first()
        if organisation is None:
            organisation = services.create_organisation(
                by=None,
                name=name,
                short_name=short,
                type=org_type,
                credit_code=synthetic_credit_code(name, authority_category),
                division_code=settings.CITY_DIVISION_CODE,
                contact_name="联络员",
                address="广西壮族自治区柳州市",
            )
        by_short[short] = organisation

    logins = []
    for username, display_name, short, roles in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            services.create_user(
                by=None,
                username=username,
                organisation=by_short[short],
                password=password,
                display_name=display_name,
                email=f"{username}@demo.invalid",
                roles=tuple(roles),
            )
        logins.append((username, by_short[short].name, "、".join(str(r.label) for r in roles)))

    bureau_admin = User.objects.get(username="bureau")
    for _name, short, _type, _code, verified in ORGANISATIONS:
        organisation = by_short[short]
        if verified and not organisation.is_verified:
            services.verify_organisation(organisation, by=bureau_admin)
    return logins
