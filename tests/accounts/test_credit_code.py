import pytest
from django.core.exceptions import ValidationError

from pdao.accounts import credit_code
from pdao.accounts.models.organisation import validate_credit_code

# Published codes of well-known companies (from their business licences), which exercise both
# the GB 32100 check character and the GB 11714 organisation-code check inside it.
PUBLISHED = [
    "91330100799655058B",  # 阿里巴巴(中国)有限公司
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "91110000802100433B",  # 北京百度网讯科技有限公司
    "91440300708461136T",  # 华为技术有限公司
]


@pytest.mark.parametrize("code", PUBLISHED)
def test_check_accepts_published_codes(code):
    assert credit_code.check(code) is None


def test_make_produces_codes_that_check():
    for body in ("00000001", "12345678", "MA5N0001", "99999999"):
        code = credit_code.make("91", "450200", body)
        assert credit_code.check(code) is None, code


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91330100799655058", "长度应为18位"),
        ("91330100799655058BB", "长度应为18位"),
        ("", "长度应为18位"),
        ("91330100799655058I", "含有不允许的字符：I"),  # I, O, S, V, Z are never used
        ("9133010079965505OB", "含有不允许的字符：O"),
        ("91330100799655058b", "含有不允许的字符：b"),  # lower case is normalised first
        ("B1330100799655058B", "登记管理部门代码无效"),
        ("95330100799655058B", "机构类别代码与登记管理部门不匹配"),
        ("91990100799655058B", "行政区划码无效"),
        ("91330100799655068B", "组织机构代码校验位错误"),
        ("91330100799655058C", "校验码错误"),
    ],
)
def test_check_names_what_is_wrong(code, reason):
    assert credit_code.check(code) == reason


def test_every_single_character_change_is_caught():
    valid = PUBLISHED[0]
    for position in range(18):
        for replacement in credit_code.ALPHABET:
            if replacement == valid[position]:
                continue
            changed = valid[:position] + replacement + valid[position + 1 :]
            assert credit_code.check(changed) is not None, changed


def test_adjacent_transpositions_are_caught():
    valid = PUBLISHED[1]
    for i in range(17):
        if valid[i] == valid[i + 1]:
            continue
        swapped = valid[:i] + valid[i + 1] + valid[i] + valid[i + 2 :]
        assert credit_code.check(swapped) is not None, swapped


def test_normalise_strips_spaces_and_upper_cases():
    assert credit_code.normalise(" 9144 0300 7152 6726 xg ") == "9144030071526726XG"


def test_model_validator_raises_with_reason_in_chinese():
    with pytest.raises(ValidationError) as raised:
        validate_credit_code("91330100799655058C")
    assert "校验码错误" in raised.value.messages[0]
