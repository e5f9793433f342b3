from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from pdao.authorization.choices import DocumentKind, OutputForm
from pdao.authorization.models import Application, Qualification


class _Form(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ApplicationForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = [
            "scenario",
            "domain",
            "purpose",
            "description",
            "beneficiaries",
            "outcomes",
            "security_plan",
            "term_months",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "outcomes": forms.Textarea(attrs={"rows": 2}),
            "security_plan": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_term_months(self):
        months = self.cleaned_data["term_months"]
        if not 1 <= months <= 36:
            raise forms.ValidationError(_("授权期限为 1–36 个月。"))
        return months


class QualificationForm(forms.ModelForm):
    class Meta:
        model = Qualification
        fields = [
            "dengbao_level",
            "dengbao_expires",
            "dcmm_level",
            "dsmm_level",
            "iso27001",
            "iso27001_expires",
            "no_dishonesty",
        ]
        widgets = {
            "dengbao_level": forms.Select(choices=[(i, str(i) if i else "—") for i in range(5)]),
            "dcmm_level": forms.Select(choices=[(i, str(i) if i else "—") for i in range(6)]),
            "dsmm_level": forms.Select(choices=[(i, str(i) if i else "—") for i in range(6)]),
            "dengbao_expires": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "iso27001_expires": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }


class DocumentForm(_Form):
    kind = forms.ChoiceField(label=_("材料类型"), choices=DocumentKind.choices)
    file = forms.FileField(label=_("文件（PDF、PNG 或 JPEG，不超过 10 MiB）"))


class ItemForm(_Form):
    output_forms = forms.MultipleChoiceField(
        label=_("输出形式"), choices=OutputForm.choices, widget=forms.CheckboxSelectMultiple
    )
    volume = forms.IntegerField(label=_("预计月处理量（行）"), min_value=0, initial=100_000)
    frequency = forms.CharField(label=_("使用频率"), max_length=100, initial=_("每日"))


class DecisionForm(_Form):
    approve = forms.TypedChoiceField(
        label=_("决定"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("批准授权")), ("no", _("不予授权"))],
    )
    reason = forms.CharField(label=_("决定理由"), widget=forms.Textarea(attrs={"rows": 2}))
    passed_over_reason = forms.CharField(
        label=_("越过更高得分申请的理由（如适用）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    epsilon_total = forms.DecimalField(
        label=_("隐私预算 ε 总量"), min_value=0, max_value=100, decimal_places=2, initial="3.0"
    )
    epsilon_query_min = forms.DecimalField(
        label=_("单次查询 ε 下限"),
        min_value=Decimal("0.001"),
        max_value=10,
        decimal_places=3,
        initial="0.01",
    )
    epsilon_query_max = forms.DecimalField(
        label=_("单次查询 ε 上限"),
        min_value=Decimal("0.001"),
        max_value=10,
        decimal_places=3,
        initial="1.0",
    )
    daily_queries = forms.IntegerField(label=_("每日查询上限"), min_value=1, initial=500)
    monthly_calls = forms.IntegerField(label=_("每月调用配额"), min_value=0, initial=100_000)
    fee_cap_yuan = forms.DecimalField(
        label=_("收费上限（元/次，仅产业类）"), min_value=0, decimal_places=2, initial="0"
    )
    revenue_share_percent = forms.DecimalField(
        label=_("收益上缴比例（%，仅产业类）"),
        min_value=0,
        max_value=100,
        decimal_places=1,
        initial="10",
    )

    def clean(self):
        data = super().clean()
        low, high = data.get("epsilon_query_min"), data.get("epsilon_query_max")
        if low is not None and high is not None and low > high:
            self.add_error("epsilon_query_max", _("单次查询 ε 上限不能低于下限。"))
        return data


class ReasonForm(_Form):
    reason = forms.CharField(label=_("理由"), max_length=2000)


class ObjectionForm(_Form):
    name = forms.CharField(label=_("异议人（单位或个人）"), max_length=100)
    contact = forms.CharField(label=_("联系方式"), max_length=100)
    text = forms.CharField(
        label=_("异议内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
