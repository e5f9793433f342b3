from datetime import datetime, time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pdao.audit import actions


class EventFilterForm(forms.Form):
    q = forms.CharField(label=_("摘要包含"), required=False, max_length=100)
    action = forms.ChoiceField(label=_("操作"), required=False)
    actor = forms.CharField(label=_("操作人"), required=False, max_length=150)
    organisation = forms.CharField(label=_("组织"), required=False, max_length=200)
    object_type = forms.CharField(label=_("对象类型"), required=False, max_length=64)
    object_id = forms.CharField(label=_("对象ID"), required=False, max_length=64)
    ip = forms.GenericIPAddressField(label=_("IP地址"), required=False)
    date_from = forms.DateField(
        label=_("起始日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("截止日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("全部")), *actions.choices()]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("起始日期不能晚于截止日期。"))
        return cleaned

    def filter(self, events):
        """Narrow `events` by every filter that is valid; invalid ones show their error."""
        if not self.is_bound:
            return events
        self.is_valid()
        data = self.cleaned_data
        exact = {"action": "action", "object_type": "object_type", "object_id": "object_id"}
        contains = {
            "q": "summary__icontains",
            "actor": "actor_username__icontains",
            "organisation": "organisation_name__icontains",
        }
        for name, lookup in (exact | contains).items():
            if data.get(name):
                events = events.filter(**{lookup: data[name]})
        if data.get("ip"):
            events = events.filter(ip=data["ip"])
        tz = timezone.get_current_timezone()
        if data.get("date_from"):
            events = events.filter(
                occurred_at__gte=datetime.combine(data["date_from"], time.min, tz)
            )
        if data.get("date_to"):
            events = events.filter(occurred_at__lte=datetime.combine(data["date_to"], time.max, tz))
        return events

    def active_filters(self) -> dict:
        return {
            k: v
            for k, v in (self.cleaned_data if self.is_bound and self.is_valid() else {}).items()
            if v
        }
