"""统一社会信用代码 (Unified Social Credit Code), GB 32100-2015.

Eighteen characters from a 31-character alphabet (digits and capitals without I, O, S, V, Z):

    position  1     registration authority (登记管理部门代码)
              2     organisation category within that authority (机构类别代码)
              3–8   administrative division (登记管理机关行政区划码, GB/T 2260)
              9–17  organisation code (主体标识码, GB 11714, its own check character last)
              18    check character (校验码) over positions 1–17

`check(code)` returns the reason a code is wrong, or None; `make(prefix17)` completes a code.

>>> check("91330100799655058B") is None
True
>>> check("91330100799655058C")
'校验码错误'
"""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714 weights for the 8 body characters of the organisation code.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Registration authority → the category codes GB 32100-2015 (with its 2017 amendment) assigns.
CATEGORIES: dict[str, str] = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 中央编办直接管理机构编制的群众团体, 其他
    "2": "19",  # 外交
    "3": "123459",  # 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会
    "4": "19",  # 文化
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会
    "6": "129",  # 旅游
    "7": "129",  # 宗教
    "8": "19",  # 工会
    "9": "123",  # 市场监管(工商): 企业, 个体工商户, 农民专业合作社
    "A": "19",  # 中央军委改革和编制办公室
    "N": "1239",  # 农业: 组级, 村级, 乡镇级集体经济组织
    "Y": "1",  # 其他
}
# First two digits of GB/T 2260 division codes (provinces, autonomous regions, municipalities).
PROVINCES = frozenset(
    {
        *("11", "12", "13", "14", "15"),  # 华北
        *("21", "22", "23"),  # 东北
        *("31", "32", "33", "34", "35", "36", "37"),  # 华东
        *("41", "42", "43", "44", "45", "46"),  # 中南 (45 广西)
        *("50", "51", "52", "53", "54"),  # 西南
        *("61", "62", "63", "64", "65"),  # 西北
        *("71", "81", "82"),  # 台湾, 香港, 澳门
    }
)


def check_character(prefix17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    total = sum(_VALUE[c] * w for c, w in zip(prefix17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def org_code_check_character(body8: str) -> str:
    """The GB 11714 check character for the 8-character body of an organisation code."""
    total = sum(_org_value(c) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    digit = 11 - total % 11
    return {10: "X", 11: "0"}.get(digit, str(digit))


def _org_value(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def check(code: str) -> str | None:
    """Why `code` is not a valid credit code (Chinese, for the user), or None if it is."""
    if len(code) != 18:
        return "长度应为18位"
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        return "含有不允许的字符：" + "".join(bad)
    authority, category = code[0], code[1]
    if authority not in CATEGORIES:
        return "登记管理部门代码无效"
    if category not in CATEGORIES[authority]:
        return "机构类别代码与登记管理部门不匹配"
    division = code[2:8]
    if not division.isdigit() or division[:2] not in PROVINCES:
        return "行政区划码无效"
    org_code = code[8:17]
    if org_code_check_character(org_code[:8]) != org_code[8]:
        return "组织机构代码校验位错误"
    if check_character(code[:17]) != code[17]:
        return "校验码错误"
    return None


def normalise(code: str) -> str:
    """Strip spaces and upper-case, as users type codes from paper licences."""
    return "".join(code.split()).upper()


def make(authority_category: str, division: str, org_body8: str) -> str:
    """A valid code from its parts, for demo data: ('91', '450200', 'MA5N0001')."""
    org_code = org_body8 + org_code_check_character(org_body8)
    prefix = authority_category + division + org_code
    return prefix + check_character(prefix)
