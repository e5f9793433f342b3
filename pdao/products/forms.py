import json

from django import forms
from django.utils.translation import gettext_lazy as _

from pdao.authorization.choices import AuthorizationStatus
from pdao.authorization.models import Authorization
from pdao.products.choices import Charging, ProductKind
from pdao.products.models import PricePlan
from pdao.zone import engine

FORMS = [
    ("aggregate", _("聚合统计")),
    ("dp", _("差分隐私")),
    ("deidentified", _("去标识化记录")),
    ("model", _("模型输出")),
]
KINDS = [(ProductKind.API, ProductKind.API.label), (ProductKind.MODEL, ProductKind.MODEL.label)]


class JSONListField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 4, "class": "mono"})

    def prepare_value(self, value):
        if isinstance(value, list | dict):
            return json.dumps(value, ensure_ascii=False, indent=1)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return []
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                _("不是有效的 JSON：第 %(line)s 行 %(msg)s"),
                params={"line": error.lineno, "msg": error.msg},
            ) from None
        if not isinstance(parsed, list):
            raise forms.ValidationError(_("应为 JSON 列表。"))
        return parsed


class _OnOwnAuthorization(forms.Form):
    """A form whose `authorization` field offers the operator's own active authorizations."""

    def __init__(self, *args, operator=None, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["authorization"].queryset = Authorization.objects.filter(
            operator=operator, status=AuthorizationStatus.ACTIVE
        ).select_related("application")
        self.fields["authorization"].label_from_instance = lambda a: (
            f"{a.code} {a.application.scenario}"
        )


class ProductForm(_OnOwnAuthorization):
    kind = forms.ChoiceField(label=_("产品类型"), choices=KINDS, initial=ProductKind.API)
    name = forms.CharField(label=_("产品名称"), max_length=100)
    summary = forms.CharField(label=_("产品说明"), widget=forms.Textarea(attrs={"rows": 3}))
    authorization = forms.ModelChoiceField(
        label=_("所依托的授权"), queryset=Authorization.objects.none()
    )
    form = forms.ChoiceField(label=_("输出形式"), choices=FORMS)
    sql = forms.CharField(
        label=_("查询模板"),
        max_length=engine.MAX_SQL_CHARS,
        widget=forms.Textarea(attrs={"rows": 6, "class": "mono"}),
        help_text=_("用 :名称 引用参数,例如 WHERE 险种 = :kind"),
    )
    parameters = JSONListField(
        label=_("参数声明"),
        required=False,
        help_text=_(
            '例如 [{"name": "kind", "type": "choice", "label": "险种", "choices": ["养老保险"]}]'
        ),
    )
    output_columns = JSONListField(
        label=_("输出字段"),
        required=False,
        help_text=_(
            '例如 [{"name": "总费用", "label": "总费用（元）", "tolerance": 0.01}];'
            "tolerance 为水印允许的最大变动"
        ),
    )
    key_column = forms.CharField(label=_("记录标识列"), max_length=64, required=False)
    epsilon_per_call = forms.FloatField(
        label=_("每个参数组合消耗 ε"), initial=0.5, min_value=0.01, max_value=5
    )


class PlanForm(forms.ModelForm):
    tiers = JSONListField(
        label=_("阶梯价"), required=False, help_text=_("[[起始次数，单价], …]，例如 [[1001, 0.8]]")
    )

    class Meta:
        model = PricePlan
        fields = [
            "name",
            "charging",
            "unit_price",
            "monthly_fee",
            "tiers",
            "calls_per_month",
            "rows_per_month",
            "rate_per_minute",
        ]

    def __init__(self, *args, free: bool = False, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if free:
            self.fields["charging"].choices = [(Charging.FREE, Charging.FREE.label)]
        else:
            self.fields["charging"].choices = [c for c in Charging.choices if c[0] != Charging.FREE]


class TraceForm(forms.Form):
    file = forms.FileField(label=_("可疑文件（CSV 或 Excel）"))
    product = forms.CharField(label=_("产品编号（可选）"), max_length=30, required=False)


class ReportForm(_OnOwnAuthorization):
    name = forms.CharField(label=_("报告名称"), max_length=100)
    summary = forms.CharField(label=_("报告说明"), widget=forms.Textarea(attrs={"rows": 3}))
    authorization = forms.ModelChoiceField(
        label=_("所依托的授权"), queryset=Authorization.objects.none()
    )
    sections = JSONListField(
        label=_("报告章节"),
        widget=forms.Textarea(attrs={"rows": 10, "class": "mono"}),
        help_text=_(
            '每节一个对象:[{"title": "各区县参保人次", "sql": "SELECT …", "form": "aggregate", '
            '"chart": "bar", "note": "说明"}];form 为 aggregate 或 dp,chart 为 bar、line 或 none'
        ),
    )


class ConsumerRegistrationForm(forms.Form):
    """数据使用方注册: the company and its first user; the bureau verifies before it subscribes."""

    name = forms.CharField(label=_("单位名称"), max_length=200)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=18)
    division_code = forms.CharField(label=_("行政区划码"), max_length=6, initial="450200")
    contact_name = forms.CharField(label=_("联系人"), max_length=50)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=30)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    username = forms.CharField(label=_("登录名"), max_length=150)
    display_name = forms.CharField(label=_("姓名"), max_length=50)
    email = forms.EmailField(label=_("电子邮箱"))
    password = forms.CharField(
        label=_("密码"), widget=forms.PasswordInput(render_value=False), strip=False
    )
    password_again = forms.CharField(
        label=_("再次输入密码"), widget=forms.PasswordInput(render_value=False), strip=False
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_credit_code(self):
        from pdao.accounts import credit_code

        return credit_code.normalise(self.cleaned_data["credit_code"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") != cleaned.get("password_again"):
            self.add_error("password_again", _("两次输入的密码不一致。"))
        return cleaned
