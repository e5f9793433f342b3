"""Working lists: filters from the query string (django-filter), every active filter shown as a
removable chip (including those a chart's drill-down link set), pagination that keeps them, and
the same filtered rows as an Excel download, recorded in the audit log.

A list view declares a FilterSet and its columns and returns `listing(...)`:

    return listing(
        request, rows, DeliveryFilter, "products/deliveries.html",
        columns=DELIVERY_COLUMNS, title=_("交付记录"),
    )

The template includes "includes/list_tools.html" (filters, chips, export button) and
"includes/pagination.html"; the page's rows are `page`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from openpyxl import Workbook

from pdao.accounts.models import Organisation
from pdao.audit import actions
from pdao.audit.export import safe_cell
from pdao.audit.services import record
from pdao.core.downloads import attach
from pdao.core.filters import day_span, month_bounds, plausible

PER_PAGE = 50
MAX_EXPORT_ROWS = 100_000
EXPORT = actions.define("list.export", gettext_lazy("导出列表"))
_CONTROL = ("page", "export")


@dataclass(frozen=True)
class Column:
    """One column of an export: its heading and how to read it from a row. Numbers stay
    numbers (full precision); text is made safe to open in a spreadsheet."""

    label: Any
    value: Callable[[Any], Any]


@dataclass(frozen=True)
class Chip:
    label: str
    value: str
    remove: str  # the query string without this filter


class DateRange(django_filters.DateFromToRangeFilter):
    """起止日期 on a date or datetime field, with the browser's date pickers; the end day is
    included whole. A date outside core.filters' EARLIEST–LATEST finds nothing."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", django_filters.widgets.DateRangeWidget(attrs={"type": "date"}))
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        ends = [d for d in (value.start, value.stop) if d is not None] if value else []
        if not all(plausible(d) for d in ends):
            return qs.none()
        return super().filter(qs, value)


class Day(django_filters.DateFilter):
    """One local day of a datetime field (the drill-down from a chart's day): kept in the
    form as a hidden field, shown as a chip."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        span = day_span(value)
        if span is None:
            return qs.none()
        return qs.filter(**{f"{self.field_name}__gte": span[0], f"{self.field_name}__lt": span[1]})


class Month(django_filters.CharFilter):
    """One local month `YYYY-MM` of a datetime field (a chart's drill-down), hidden in the
    form and shown as a chip; malformed is ignored."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 7)
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        bounds = month_bounds(value)
        if bounds is None:
            return qs
        return qs.filter(
            **{f"{self.field_name}__gte": bounds[0], f"{self.field_name}__lt": bounds[1]}
        )


class FilterSet(django_filters.FilterSet):
    """A list's filters; the form never adds a colon to labels (Chinese labels carry none).
    `defaults` apply when the query string does not name the filter (an alert list opens on
    the open alerts); a filter at its default is not shown as a chip."""

    defaults: dict[str, str] = {}

    def __init__(self, data=None, *args, **kwargs):
        if self.defaults:
            data = data.copy() if data is not None else QueryDict(mutable=True)
            for name, value in self.defaults.items():
                data.setdefault(name, value)
        super().__init__(data, *args, **kwargs)
        self.form.label_suffix = ""
        for field in self.form.fields.values():
            field.required = False
            if getattr(field, "empty_label", None) == "---------":
                field.empty_label = _("全部")

    def offer(self, name: str, queryset) -> None:
        """Offer `queryset` as the choices of model filter `name` (the things of the rows the
        user may see); with fewer than two there is nothing to choose, and the filter goes."""
        if queryset.count() < 2 and not (self.is_bound and self.data.get(name)):
            del self.filters[name]
            del self.form.fields[name]
            return
        self.filters[name].queryset = queryset
        self.form.fields[name].queryset = queryset


class ByOperator(FilterSet):
    """A list of things an operator owns (applications, authorizations, products): filtered by
    运营单位, offering the operators of the rows the user may see (small tables: a scan of
    them is cheap), so an operator, who sees its own alone, is offered nothing."""

    operator = django_filters.ModelChoiceFilter(
        label=gettext_lazy("运营单位"),
        queryset=Organisation.objects.none(),
        empty_label=gettext_lazy("全部单位"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        seen = self.queryset.order_by().values("operator_id")
        self.offer("operator", Organisation.objects.filter(pk__in=seen).order_by("name"))


def _display(value) -> str:
    if isinstance(value, slice):
        start, stop = value.start, value.stop
        return _("%(start)s 至 %(stop)s") % {
            "start": _day(start) if start else "…",
            "stop": _day(stop) if stop else "…",
        }
    if isinstance(value, datetime | date):
        return _day(value)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list | tuple):
        return "、".join(_display(v) for v in value)
    return str(value)


def _day(value) -> str:
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    return date_format(value, "Y-m-d")


def _params(filterset, name: str) -> list[str]:
    """The query-string names one filter reads (a range reads two)."""
    widget = filterset.form.fields[name].widget
    suffixes = getattr(widget, "suffixes", None)
    if suffixes:
        return [f"{name}_{s}" if s else name for s in suffixes]
    return [name]


def chips(request, filterset, *, with_defaults: bool = False) -> list[Chip]:
    """The filters in force, each with a link that removes it (and keeps the others); a
    filter at its default is left out unless `with_defaults` (the audit of an export)."""
    if not filterset.is_bound:
        return []
    filterset.form.is_valid()  # cleaned_data holds the valid filters; the others show errors
    found = []
    for name, value in filterset.form.cleaned_data.items():
        if value in (None, "", [], ()) or (
            isinstance(value, slice) and value.start is None and value.stop is None
        ):
            continue
        at_default = name in filterset.defaults and str(value) == filterset.defaults[name]
        if at_default and not with_defaults:
            continue
        field = filterset.form.fields[name]
        if isinstance(value, models.Model):
            found.append(_chip(request, filterset, name, field.label_from_instance(value)))
            continue
        choices = dict(getattr(field, "choices", ()) or ())
        if isinstance(value, list | tuple) and choices:
            shown = "、".join(str(choices.get(v, v)) for v in value)
        elif choices and value in choices:
            shown = str(choices[value])
        else:
            shown = _display(value)
        found.append(_chip(request, filterset, name, shown))
    return found


def _chip(request, filterset, name: str, shown) -> Chip:
    query = request.GET.copy()
    for param in [*_params(filterset, name), *_CONTROL]:
        query.pop(param, None)
    return Chip(str(filterset.form.fields[name].label), str(shown), query.urlencode())


def _cell(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return value
    return safe_cell(value)


def workbook(title: str, columns: Iterable[Column], rows: Iterable) -> bytes:
    """An .xlsx of `rows` under the columns' headings, one sheet named `title`."""
    columns = list(columns)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append([str(c.label) for c in columns])
    for row in rows:
        sheet.append([_cell(c.value(row)) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export(request, rows, filterset, *, columns, title: str) -> HttpResponse:
    """The filtered rows as Excel (at most MAX_EXPORT_ROWS), recorded as an audit event with
    the filters it used — those at their default too — and how many rows it held. With a
    filter the form cannot read, nothing is exported: the download would not be the list the
    user asked for."""
    if filterset.is_bound and filterset.form.errors:
        separator = "; " if (get_language() or "").startswith("en") else "；"
        problems = separator.join(
            _("%(name)s：%(value)s") % {"name": filterset.form.fields[name].label, "value": message}
            for name, messages in filterset.form.errors.items()
            if name in filterset.form.fields
            for message in messages
        )
        return HttpResponse(
            _("筛选条件无效，未导出：") + problems,
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    used = {c.label: c.value for c in chips(request, filterset, with_defaults=True)}
    total = rows.count()
    record(
        EXPORT,
        by=request.user,
        target_ref=(rows.model._meta.label_lower, ""),
        changes={
            "list": str(title),
            "filters": used,
            "rows": min(total, MAX_EXPORT_ROWS),
            "truncated": total > MAX_EXPORT_ROWS,
        },
        summary=_("导出%(title)s（Excel）") % {"title": title},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    content = workbook(str(title), columns, rows[:MAX_EXPORT_ROWS].iterator(chunk_size=2000))
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    return attach(
        response,
        f"{title}-{stamp}.xlsx",
        fallback=f"{rows.model._meta.model_name}-{stamp}.xlsx",
    )


def listing(
    request,
    rows,
    filters: type[FilterSet],
    template: str,
    *,
    columns: Iterable[Column],
    title,
    context: dict | None = None,
    per_page: int = PER_PAGE,
    filter_kwargs: dict | None = None,
    exportable: bool = True,
) -> HttpResponse:
    """Render `template` with the filtered, paginated rows — or, with ?export=xlsx, download
    them. A malformed filter value is shown as the field's error and otherwise ignored.
    `exportable` False (a public list) offers no download and ignores ?export."""
    filterset = filters(
        request.GET or None, queryset=rows, request=request, **(filter_kwargs or {})
    )
    filtered = filterset.qs
    if exportable and request.GET.get("export") == "xlsx":
        return export(request, filtered, filterset, columns=columns, title=str(title))
    query = request.GET.copy()
    for param in _CONTROL:
        query.pop(param, None)
    export_query = query.copy()
    export_query["export"] = "xlsx"
    page = Paginator(filtered, per_page).get_page(request.GET.get("page"))
    return render(
        request,
        template,
        {
            "filter": filterset,
            "page": page,
            "chips": chips(request, filterset),
            "query": query.urlencode(),
            "export_query": export_query.urlencode() if exportable else "",
            **(context or {}),
        },
    )
