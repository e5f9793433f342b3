from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from pdao.catalogue.choices import (
    Domain,
    FieldType,
    Grade,
    HarmObject,
    PIKind,
    Sensitivity,
    Sharing,
    UpdateMode,
)
from pdao.catalogue.models import Resource
from pdao.core import files


class SearchForm(forms.Form):
    q = forms.CharField(label=_("关键词"), required=False, max_length=100)
    domain = forms.ChoiceField(
        label=_("领域"), required=False, choices=[("", _("全部")), *Domain.choices]
    )
    grade = forms.ChoiceField(
        label=_("分级"), required=False, choices=[("", _("全部")), *Grade.choices]
    )
    sharing = forms.ChoiceField(
        label=_("共享属性"), required=False, choices=[("", _("全部")), *Sharing.choices]
    )
    grading = forms.ChoiceField(
        label=_("分级审定"),
        required=False,
        choices=[("", _("全部")), ("pending", _("待审定")), ("due", _("复审到期"))],
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ResourceForm(forms.ModelForm):
    class Meta:
        model = Resource
        fields = [
            "name", "description", "responsible_unit", "responsible_person", "domain", "theme",
            "sharing", "opening", "frequency", "grade",
        ]  # fmt: skip


class FieldForm(forms.Form):
    name = forms.CharField(label=_("字段名"), max_length=64)
    label = forms.CharField(label=_("中文名称"), max_length=100, required=False)
    type = forms.ChoiceField(label=_("类型"), choices=FieldType.choices)
    required = forms.BooleanField(label=_("必填"), required=False)
    pi_kind = forms.ChoiceField(
        label=_("个人信息类型"), required=False, choices=[("", _("未标注")), *PIKind.choices]
    )
    is_privacy_unit = forms.BooleanField(label=_("隐私主体键"), required=False)


FieldFormSet = formset_factory(FieldForm, extra=4, min_num=1, validate_min=True)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("数据文件（CSV、Excel .xlsx 或 Parquet）"))
    mode = forms.ChoiceField(label=_("更新方式"), choices=UpdateMode.choices)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if suffix not in ("csv", "xlsx", "parquet"):
            raise forms.ValidationError(_("只接受 .csv、.xlsx 或 .parquet 文件。"))
        limit = files.limits("version").bytes
        if upload.size > limit:
            raise forms.ValidationError(
                _("文件为 %(size)s，超过文件大小上限 %(limit)s")
                % {"size": files.size(upload.size), "limit": files.size(limit)}
            )
        upload.declared_format = suffix
        return upload


class TagForm(forms.Form):
    pi_kind = forms.ChoiceField(label=_("个人信息类型"), choices=PIKind.choices)
    sensitivity = forms.ChoiceField(label=_("敏感级别"), choices=Sensitivity.choices)


class GradingForm(forms.Form):
    grade = forms.ChoiceField(label=_("分级"), choices=Grade.choices)
    harm_objects = forms.MultipleChoiceField(
        label=_("影响对象"), choices=HarmObject.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    approve = forms.TypedChoiceField(
        label=_("审定结论"), coerce=lambda v: v == "yes",
        choices=[("yes", _("审定通过")), ("no", _("退回修改"))],
    )  # fmt: skip
    note = forms.CharField(label=_("审定意见"), max_length=500, required=False)
    non_personal = forms.BooleanField(
        label=_("非个人数据（不涉及任何个人或单位，专区给出精确结果）"), required=False
    )


class ObjectionForm(forms.Form):
    name = forms.CharField(label=_("异议人（单位或个人）"), max_length=100)
    contact = forms.CharField(label=_("联系方式"), max_length=100)
    text = forms.CharField(
        label=_("异议内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DemandForm(forms.Form):
    title = forms.CharField(label=_("需求名称"), max_length=200)
    description = forms.CharField(
        label=_("需求说明（所需数据项、用途、频率）"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    domain = forms.ChoiceField(
        label=_("领域"), required=False, choices=[("", _("不限")), *Domain.choices]
    )
    name = forms.CharField(label=_("提出人（单位或个人）"), max_length=100, required=False)
    contact = forms.CharField(label=_("联系方式（不公开）"), max_length=100)


class ScheduleForm(forms.Form):
    provider = forms.ModelChoiceField(
        label=_("提供单位"),
        queryset=__import__(
            "pdao.accounts.models", fromlist=["Organisation"]
        ).Organisation.objects.filter(type__in=["provider", "industry"]),
    )
    deadline = forms.DateField(
        label=_("完成时限"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    instructions = forms.CharField(label=_("调度要求"), max_length=2000)
