import json
import math

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from pdao.accounts import credit_code
from pdao.authorization.choices import AuthorizationStatus
from pdao.authorization.models import Authorization
from pdao.products import params
from pdao.products.choices import Charging, ParamType, ProductKind
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


class NumberField(forms.CharField):
    """A number read as JSON reads it: `5` stays an int, `0.5` becomes a float; blank is None."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            number = int(value)
        except ValueError:
            try:
                number = float(value)
            except ValueError:
                raise forms.ValidationError(_("请填写数字。")) from None
        if not math.isfinite(number):
            raise forms.ValidationError(_("请填写有限的数字。"))
        return number


class LinesField(forms.CharField):
    """A list of strings typed one a line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value):
        value = super().to_python(value) or ""
        return [line.strip() for line in value.splitlines() if line.strip()]

    def has_changed(self, initial, data):
        return self.to_python(self.prepare_value(initial)) != self.to_python(data)


def _for_types(*types: str) -> dict:
    """Widget attributes naming the parameter types a field applies to (the page's script hides
    the field for other types; without the script every field shows, its label says when)."""
    return {"data-for-types": " ".join(types)}


class ParameterForm(forms.Form):
    """One row of 参数声明; `declaration()` is the dict params.parse_specs reads."""

    name = forms.CharField(
        label=_("参数名"),
        max_length=40,
        error_messages={"required": _("请填写参数名。")},
        validators=[
            RegexValidator(
                params.NAME, _("只能用英文字母、数字和下划线，且不以数字开头（最多 40 个字符）。")
            )
        ],
    )
    label = forms.CharField(
        label=_("中文名称"), max_length=50, error_messages={"required": _("请填写中文名称。")}
    )
    type = forms.ChoiceField(
        label=_("类型"),
        choices=[("", _("请选择")), *ParamType.choices],
        error_messages={"required": _("请选择类型。")},
    )
    required = forms.BooleanField(label=_("必填"), required=False, initial=True)
    choices = LinesField(
        label=_("可选值（枚举，每行一个）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, **_for_types(ParamType.CHOICE)}),
    )
    minimum = NumberField(
        label=_("最小值（整数或数值）"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", **_for_types("integer", "number")}),
    )
    maximum = NumberField(
        label=_("最大值（整数或数值）"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", **_for_types("integer", "number")}),
    )
    max_length = forms.IntegerField(
        label=_("最大长度（文本）"),
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs=_for_types(ParamType.STRING)),
    )
    default = forms.CharField(label=_("默认值（选填参数未传时使用）"), required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @staticmethod
    def initial_from(declaration: dict) -> dict:
        """The row showing one stored declaration."""
        return {**declaration, "required": declaration.get("required", True) is not False}

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("type")
        if kind == ParamType.CHOICE and "choices" in cleaned and not cleaned["choices"]:
            self.add_error("choices", _("枚举参数须填写可选值，每行一个。"))
        low, high = cleaned.get("minimum"), cleaned.get("maximum")
        if kind in (ParamType.INTEGER, ParamType.NUMBER) and None not in (low, high) and low > high:
            self.add_error("maximum", _("最大值不能小于最小值。"))
        if cleaned.get("default") and kind in (ParamType.INTEGER, ParamType.NUMBER):
            try:
                cleaned["default"] = NumberField().clean(cleaned["default"])
            except forms.ValidationError:
                self.add_error("default", _("默认值应为数字。"))
        if not self.errors:
            try:  # the library's own reading: what it refuses, the service would refuse
                params.parse_specs([self.declaration()])
            except params.SpecError as error:
                self.add_error("default" if "default" in self.declaration() else None, str(error))
        return cleaned

    def declaration(self) -> dict:
        data = self.cleaned_data
        kind = data["type"]
        out = {"name": data["name"], "type": kind, "label": data["label"]}
        if not data["required"]:
            out["required"] = False
        if kind in (ParamType.INTEGER, ParamType.NUMBER):
            out |= {k: data[k] for k in ("minimum", "maximum") if data[k] is not None}
        if data["default"] not in (None, ""):
            out["default"] = data["default"]
        if kind == ParamType.CHOICE:
            out["choices"] = data["choices"]
        if kind == ParamType.STRING and data["max_length"] is not None:
            out["max_length"] = data["max_length"]
        return out


class ColumnForm(forms.Form):
    """One row of 输出字段; `declaration()` is the dict the gateway and watermark read."""

    name = forms.CharField(
        label=_("列名（与查询输出的列名一致）"),
        max_length=64,
        error_messages={"required": _("请填写列名。")},
    )
    label = forms.CharField(label=_("中文名称"), max_length=50, required=False)
    tolerance = NumberField(
        label=_("水印允许的最大变动（数值列，可不填）"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @staticmethod
    def initial_from(declaration: dict) -> dict:
        return dict(declaration)

    def clean_tolerance(self):
        tolerance = self.cleaned_data["tolerance"]
        if tolerance is not None and tolerance <= 0:
            raise forms.ValidationError(_("应大于 0。"))
        return tolerance

    def declaration(self) -> dict:
        data = self.cleaned_data
        out = {"name": data["name"]}
        if data["label"]:
            out["label"] = data["label"]
        if data["tolerance"] is not None:
            out["tolerance"] = data["tolerance"]
        return out


class DeclarationRows(forms.BaseFormSet):
    """Rows of declarations: blank extra rows and rows marked for deletion are left out, and a
    name given twice is shown on its second row."""

    duplicate = _("与第 %(row)s 行重名。")

    def rows(self):
        """The filled rows that are kept, in their order on the page."""
        return [
            form
            for form in self.forms
            if form.cleaned_data and not (self.can_delete and self._should_delete_form(form))
        ]

    def clean(self):
        seen = {}
        kept = self.rows()
        for number, form in enumerate(self.forms, 1):
            name = form.cleaned_data.get("name") if form in kept else None
            if name is None:
                continue
            if name in seen:
                form.add_error("name", self.duplicate % {"row": seen[name]})
            seen.setdefault(name, number)

    def declarations(self) -> list[dict]:
        return [form.declaration() for form in self.rows()]


ParameterRows = forms.formset_factory(
    ParameterForm, formset=DeclarationRows, extra=3, can_delete=True
)
ColumnRows = forms.formset_factory(ColumnForm, formset=DeclarationRows, extra=2, can_delete=True)


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
        help_text=_("用 :名称 引用参数，例如 WHERE 险种 = :kind"),
    )
    key_column = forms.CharField(label=_("记录标识列"), max_length=64, required=False)
    epsilon_per_call = forms.FloatField(
        label=_("每个参数组合消耗 ε"), initial=0.5, min_value=0.01, max_value=5
    )

    def __init__(self, *args, **kwargs):
        """`initial` may hold `parameters` and `output_columns` as the service stores them (the
        edit page): they become the rows. `cleaned_data` gets both back as those same lists."""
        super().__init__(*args, **kwargs)
        data = self.data if self.is_bound else None
        self.parameter_rows = ParameterRows(
            data,
            prefix="parameters",
            initial=[ParameterForm.initial_from(d) for d in self.initial.get("parameters") or []],
        )
        self.column_rows = ColumnRows(
            data,
            prefix="columns",
            initial=[ColumnForm.initial_from(d) for d in self.initial.get("output_columns") or []],
        )

    def clean(self):
        cleaned = super().clean()
        if self.parameter_rows.is_valid():
            cleaned["parameters"] = self.parameter_rows.declarations()
            self._check_placeholders(cleaned.get("sql"))
        if not self.parameter_rows.is_valid():
            self.add_error(None, _("参数声明有误，请按各行标出的提示修改。"))
        if self.column_rows.is_valid():
            cleaned["output_columns"] = self.column_rows.declarations()
        else:
            self.add_error(None, _("输出字段有误，请按各行标出的提示修改。"))
        return cleaned

    def _check_placeholders(self, sql: str | None) -> None:
        """The template's `:name`s against the declared rows, each mismatch shown where it is
        (the service checks the same and would answer with one line for the whole form)."""
        if not sql:
            return
        try:
            used = params.placeholders(sql)
        except params.SpecError as error:
            self.add_error("sql", str(error))
            return
        if "" in used or any(name.isdigit() for name in used):
            self.add_error("sql", _("参数须以 :名称 的形式出现在模板中，例如 :kind。"))
            return
        rows = self.parameter_rows.rows()
        undeclared = sorted(used - {row.cleaned_data["name"] for row in rows})
        if undeclared:
            self.add_error(
                "sql",
                _("模板中的参数 %(names)s 尚未声明，请在下方“参数声明”中添加。")
                % {"names": "、".join(f":{name}" for name in undeclared)},
            )
        for row in rows:
            if row.cleaned_data["name"] not in used:
                row.add_error("name", _("查询模板中没有用到 :%(name)s。") % row.cleaned_data)


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
            '每节一个对象：[{"title": "各区县参保人次", "sql": "SELECT …", "form": "aggregate", '
            '"chart": "bar", "note": "说明"}]；form 为 aggregate 或 dp，chart 为 bar、line 或 none'
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
        return credit_code.normalise(self.cleaned_data["credit_code"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") != cleaned.get("password_again"):
            self.add_error("password_again", _("两次输入的密码不一致。"))
        return cleaned
