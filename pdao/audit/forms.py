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
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("全部")), *actions.choices()]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("起始日期不能晚于截止日期。"))
        return cleaned

    def filter(self, events):
        """Narrow `events` to the valid filters; an invalid form filters nothing further."""
        if not self.is_valid():
            return events
        data = self.cleaned_data
        if data["q"]:
            events = events.filter(summary__icontains=data["q"])
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["actor"]:
            events = events.filter(actor_username__icontains=data["actor"])
        if data["organisation"]:
            events = events.filter(organisation_name__icontains=data["organisation"])
        if data["object_type"]:
            events = events.filter(object_type=data["object_type"])
        if data["object_id"]:
            events = events.filter(object_id=data["object_id"])
        if data["ip"]:
            events = events.filter(ip=data["ip"])
        tz = timezone.get_current_timezone()
        if data["date_from"]:
            events = events.filter(
                occurred_at__gte=datetime.combine(data["date_from"], time.min, tz)
            )
        if data["date_to"]:
            events = events.filter(occurred_at__lte=datetime.combine(data["date_to"], time.max, tz))
        return events

    def active_filters(self) -> dict:
        return {
            k: v
            for k, v in (self.cleaned_data if self.is_bound and self.is_valid() else {}).items()
            if v
        }
