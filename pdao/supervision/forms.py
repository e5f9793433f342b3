from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pdao.products.models import Product
from pdao.supervision.spotchecks import MAX_SIZE


class SpotCheckForm(forms.Form):
    title = forms.CharField(label=_("抽查名称"), max_length=200)
    date_from = forms.DateField(
        label=_("期间起"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("期间止"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    size = forms.IntegerField(label=_("样本量"), min_value=1, max_value=MAX_SIZE, initial=30)
    product = forms.ModelChoiceField(
        label=_("产品"),
        queryset=Product.objects.exclude(filing_no="").order_by("code"),
        required=False,
        empty_label=_("全部产品"),
        to_field_name="code",
    )
    answered_only = forms.BooleanField(label=_("仅抽查成功交付"), required=False, initial=True)
    seed = forms.CharField(
        label=_("随机种子"),
        max_length=64,
        required=False,
        help_text=_("留空则随机生成；填写此前的种子可复验抽样。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["date_from"].initial = today.replace(day=1)
        self.fields["date_to"].initial = today
        self.fields["title"].initial = _("%(y)s年%(m)s月交付抽查") % {
            "y": today.year,
            "m": today.month,
        }
        self.fields["product"].label_from_instance = lambda p: f"{p.code} {p.name}"
