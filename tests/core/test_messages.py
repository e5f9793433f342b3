"""System-written text is stored as a code with parameters and read in the reader's language:
user data goes in as it is, stored codes by their label, lists with the reader's separator."""

from django.utils import translation

from pdao.core.messages import MESSAGES, Message, choice, render, render_stored


def test_a_message_reads_in_the_active_language():
    message = Message("precheck.core", r="人口基础信息")
    with translation.override("zh-hans"):
        assert str(message) == "「人口基础信息」为核心数据，不予授权"
    with translation.override("en"):
        assert str(message) == "“人口基础信息” is core data and cannot be authorized"


def test_codes_in_parameters_are_shown_by_their_label_and_lists_joined():
    params = {
        "g": choice("grade", "important"),
        "m": [Message("qualification.need_dsmm", n=3).as_dict(),
              Message("qualification.need_iso27001").as_dict()],
    }  # fmt: skip
    with translation.override("zh-hans"):
        assert render("precheck.insufficient", params) == (
            "申请数据最高为重要数据，要求DSMM 3 级、ISO/IEC 27001 认证"
        )
    with translation.override("en"):
        text = render("precheck.insufficient", params)
    assert "DSMM level 3, ISO/IEC 27001 certified" in text and "重要" not in text


def test_a_record_without_a_code_keeps_its_text():
    assert render_stored({"message": "旧的说明"}) == "旧的说明"
    assert render_stored({"code": "no.such.code", "message": "旧的说明"}) == "旧的说明"
    assert render_stored({"code": "precheck.core", "params": {}, "message": "旧"}) == "旧"
    assert render("no.such.code") == "no.such.code"


def test_every_template_takes_its_parameters_in_both_languages():
    for code, template in MESSAGES.items():
        names = __import__("re").findall(r"%\((\w+)\)", str(template))
        for language in ("zh-hans", "en"):
            with translation.override(language):
                assert render(code, dict.fromkeys(names, 1), fallback="!") != "!", code
