from decimal import Decimal

from django.utils import translation

from pdao.core.templatetags.figures import figure, form_labels


def test_figures_read_as_figures():
    assert figure(497184) == "497,184"
    assert figure(16509.6443) == "16,509.64"
    assert figure(12.0) == "12"
    assert figure(Decimal("4690.50")) == "4,690.5"
    assert figure(True) is True and figure("柳南区") == "柳南区" and figure(None) is None


def test_output_forms_read_by_their_names():
    with translation.override("zh-hans"):
        assert form_labels(["aggregate", "dp"]) == "聚合统计、差分隐私"
    with translation.override("en"):
        assert form_labels(["aggregate"]) == "Aggregate"
