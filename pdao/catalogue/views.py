import contextlib
import io
import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from pdao.accounts.models import Organisation
from pdao.audit.export import safe_cell
from pdao.catalogue import demands, excel, forms, ingest, joins, quality, registration, services
from pdao.catalogue.choices import Domain, Grade, GradingStatus, Opening, UpdateMode
from pdao.catalogue.filtersets import DEMAND_COLUMNS, DemandFilter
from pdao.catalogue.models import (
    DeclaredJoin,
    Demand,
    Field,
    IngestJob,
    Objection,
    Registration,
    Resource,
    SchedulingTask,
    Version,
)
from pdao.core import submissions
from pdao.core.access import public, rate_limited, requires
from pdao.core.confirm import unconfirmed
from pdao.core.downloads import attach
from pdao.core.filters import whole_number
from pdao.core.htmx import is_htmx
from pdao.core.lists import listing
from pdao.core.permissions import Perm
from pdao.core.posts import perform
from pdao.core.rules import RuleViolation

GET_POST = ("GET", "HEAD", "POST")


def search(resources, q: str):
    """Chinese-aware search: a term matches names, summaries, codes, tags, and the names and
    labels of fields (searching 企业 finds 企业登记信息 and resources with a 企业名称 field)."""
    for term in q.split():
        resources = resources.filter(
            Q(name__icontains=term)
            | Q(description__icontains=term)
            | Q(code__icontains=term)
            | Q(theme__icontains=term)
            | Q(fields__label__icontains=term)
            | Q(fields__name__icontains=term)
        )
    return resources.distinct()


def _facets(resources, field: str, choices) -> list[tuple[str, str, int]]:
    counts = dict(resources.values_list(field).annotate(n=Count("id", distinct=True)).order_by())
    return [(value, label, counts[value]) for value, label in choices if counts.get(value)]


@requires(Perm.CATALOGUE_VIEW)
def resource_list(request):
    form = forms.SearchForm(request.GET or None)
    resources = Resource.objects.visible_to(request.user).select_related("provider")
    facets_base = resources
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            resources = search(resources, data["q"])
            facets_base = resources
        for name in ("domain", "grade", "sharing"):
            if data[name]:
                resources = resources.filter(**{name: data[name]})
        if data["grading"] == "pending":
            resources = resources.filter(grading_status=GradingStatus.PENDING)
        elif data["grading"] == "due":
            resources = resources.filter(
                grading_status=GradingStatus.APPROVED, grading_review_due__lte=timezone.localdate()
            )
    page = Paginator(resources.order_by("code"), 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "facets": {
            "domain": _facets(facets_base, "domain", Domain.choices),
            "grade": _facets(facets_base, "grade", Grade.choices),
        },
        "can_supply": request.user.has_perm(Perm.CATALOGUE_SUPPLY),
    }
    template = (
        "catalogue/_resource_rows.html" if is_htmx(request) else "catalogue/resource_list.html"
    )
    return render(request, template, context)


@requires(Perm.CATALOGUE_VIEW)
def resource_detail(request, pk: int):
    resource = get_object_or_404(
        Resource.objects.visible_to(request.user)
        .select_related("provider")
        .prefetch_related(Prefetch("versions", queryset=Version.objects.order_by("-number"))),
        pk=pk,
    )
    is_supplier = Resource.objects.supplied_by(request.user).filter(pk=pk).exists()
    versions = list(resource.versions.all())
    untagged = {
        v.pk: services.untagged_personal_information(v) for v in versions if v.status == "ready"
    }
    active = next((v for v in versions if v.status == "active"), None)
    on_time, days = quality.timeliness(
        resource.frequency, active.created_at if active else None, timezone.now()
    )
    return render(
        request,
        "catalogue/resource_detail.html",
        {
            "resource": resource,
            "fields": resource.fields.order_by("position"),
            "versions": versions,
            "untagged": untagged,
            "is_supplier": is_supplier,
            "tag_form": forms.TagForm(),
            "rules": resource.quality_rules.all(),
            "grading_form": forms.GradingForm(
                initial={
                    "grade": resource.grade,
                    "harm_objects": resource.harm_objects,
                    "non_personal": resource.non_personal,
                }
            ),
            "timeliness": {"on_time": on_time, "days": days},
            "registrations": resource.registrations.all(),
            "registration_kinds": Registration.Kind.choices,
        },
    )


@requires(Perm.CATALOGUE_SUPPLY, methods=GET_POST)
def resource_create(request):
    form = forms.ResourceForm(request.POST or None)
    fieldset = forms.FieldFormSet(request.POST or None, prefix="fields")
    if request.method == "POST" and form.is_valid() and fieldset.is_valid():
        specs = [f for f in fieldset.cleaned_data if f and f.get("name")]
        try:
            resource = services.register_resource(
                by=request.user,
                provider=request.user.organisation,
                fields=specs,
                **form.cleaned_data,
            )
        except (RuleViolation, ValidationError) as error:
            messages.error(request, "；".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, _("已登记数据资源 %(code)s。") % {"code": resource.code})
            return redirect("catalogue:resource_detail", pk=resource.pk)
    return render(request, "catalogue/resource_form.html", {"form": form, "fieldset": fieldset})


@requires(Perm.CATALOGUE_SUPPLY, methods=GET_POST)
def version_upload(request, pk: int):
    """The file is received here and handed to the task worker; the job page follows it."""
    resource = get_object_or_404(Resource.objects.supplied_by(request.user), pk=pk)
    form = forms.UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.queue_ingest(
                resource,
                upload,
                by=request.user,
                mode=form.cleaned_data["mode"],
                declared_format=upload.declared_format,
            )
        except RuleViolation as error:
            messages.error(request, str(error))
        else:
            return redirect("catalogue:ingest_job", pk=job.pk)
    jobs = resource.ingest_jobs.all()[:10]
    return render(
        request,
        "catalogue/version_upload.html",
        {"resource": resource, "form": form, "jobs": jobs},
    )


@requires(Perm.CATALOGUE_SUPPLY)
def ingest_job(request, pk: int):
    """归集任务: progress while the worker runs (the fragment polls itself), then the outcome."""
    job = get_object_or_404(
        IngestJob.objects.select_related("resource", "version").filter(
            resource__in=Resource.objects.supplied_by(request.user)
        ),
        pk=pk,
    )
    context = {
        "job": job,
        "resource": job.resource,
        "stage_label": services.INGEST_STAGE_LABELS.get(job.stage, ""),
        "problems": [ingest.Problem(**p) for p in job.problems],
    }
    if is_htmx(request):
        return render(request, "catalogue/_ingest_progress.html", context)
    return render(request, "catalogue/ingest_job.html", context)


@requires(Perm.CATALOGUE_SUPPLY, methods=("POST",))
def ingest_retry(request, pk: int):
    """重试: a new job for the file an interrupted or internally failed job kept."""
    job = get_object_or_404(
        IngestJob.objects.filter(resource__in=Resource.objects.supplied_by(request.user)), pk=pk
    )
    try:
        again = services.retry_ingest(job, by=request.user)
    except RuleViolation as error:
        messages.error(request, str(error))
        return redirect("catalogue:ingest_job", pk=job.pk)
    return redirect("catalogue:ingest_job", pk=again.pk)


@contextlib.contextmanager
def _on_disk(upload):
    """The uploaded file as a path. Large uploads are already on disk (Django deletes them after
    the request); a small one is written into the zone's data directory and deleted here, so no
    copy of raw data is left behind anywhere."""
    if hasattr(upload, "temporary_file_path"):
        yield Path(upload.temporary_file_path())
        return
    staging = services.incoming_dir()
    staging.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=staging, suffix="." + upload.declared_format) as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        yield Path(handle.name)


@requires(Perm.CATALOGUE_SUPPLY, methods=("POST",))
def version_activate(request, pk: int):
    version = get_object_or_404(
        Version.objects.filter(resource__in=Resource.objects.supplied_by(request.user)), pk=pk
    )
    current = version.resource.active_version
    if (
        current is not None
        and current.pk != version.pk
        and version.mode == UpdateMode.REPLACE
        and version.rows * 2 < current.rows
    ):
        page = unconfirmed(
            request,
            title=_("启用第 %(n)d 版：行数减少一半以上") % {"n": version.number},
            consequences=[
                _("当前第 %(a)d 版有 %(r)s 行，第 %(n)d 版只有 %(v)s 行，减少 %(p)s%%")
                % {
                    "a": current.number,
                    "r": f"{current.rows:,}",
                    "n": version.number,
                    "v": f"{version.rows:,}",
                    "p": round(100 - 100 * version.rows / current.rows),
                },
                _("全量替换，启用后专区、数据产品和报告都改用新版本"),
            ],
            back=reverse("catalogue:resource_detail", args=[version.resource_id]),
        )
        if page is not None:
            return page
    return perform(
        request,
        lambda: services.activate_version(version, by=request.user),
        _("已启用第 %(n)d 版。") % {"n": version.number},
        ("catalogue:resource_detail", version.resource_id),
    )


@requires(Perm.CATALOGUE_SUPPLY, methods=("POST",))
def field_tag(request, pk: int):
    field = get_object_or_404(
        Field.objects.filter(resource__in=Resource.objects.supplied_by(request.user)), pk=pk
    )
    form = forms.TagForm(request.POST)
    if form.is_valid():
        services.tag_field(field, by=request.user, **form.cleaned_data)
        messages.success(request, _("已标注字段「%(f)s」。") % {"f": field.name})
    else:
        messages.error(request, _("请选择个人信息类型和敏感级别。"))
    return redirect("catalogue:resource_detail", pk=field.resource_id)


@requires(Perm.CATALOGUE_GRADE, methods=("POST",))
def grading_review(request, pk: int):
    resource = get_object_or_404(Resource, pk=pk)
    form = forms.GradingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("审定信息不完整。"))
    else:
        try:
            services.review_grading(resource, by=request.user, **form.cleaned_data)
        except RuleViolation as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("分级审定已记录。"))
    return redirect("catalogue:resource_detail", pk=pk)


@public()
def open_catalogue(request):
    """The public catalogue: metadata of resources whose opening attribute allows it."""
    resources = Resource.objects.exclude(opening=Opening.NONE).select_related("provider")
    q = request.GET.get("q", "").strip()[:100]
    if q:
        resources = search(resources, q)
    page = Paginator(resources.order_by("code"), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "catalogue/open_catalogue.html",
        {"page": page, "q": q, "query": f"q={q}" if q else ""},
    )


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    attach(response, filename)
    return response


@requires(Perm.CATALOGUE_SUPPLY)
def catalogue_template(request):
    """The empty workbook departments fill in, with drop-down lists for the choice columns."""
    return _xlsx(excel.template(), "公共数据目录导入模板.xlsx")


@requires(Perm.CATALOGUE_VIEW)
def catalogue_export(request):
    resources = (
        Resource.objects.visible_to(request.user).prefetch_related("fields").order_by("code")
    )
    if request.GET.get("format") == "csv":
        response = HttpResponse(excel.export_csv(resources), content_type="text/csv; charset=utf-8")
        return attach(response, "公共数据目录.csv", fallback="pdao-catalogue.csv")
    return _xlsx(excel.export(resources), "公共数据目录.xlsx")


@requires(Perm.CATALOGUE_SUPPLY, methods=GET_POST)
def catalogue_import(request):
    problems = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        suffix = upload.name.rsplit(".", 1)[-1].lower() if upload and "." in upload.name else ""
        if suffix not in ("xlsx", "csv"):
            messages.error(request, _("请上传填好的 .xlsx 目录模板或导出格式的 .csv 文件。"))
        else:
            upload.declared_format = suffix
            try:
                with _on_disk(upload) as path:
                    created = services.import_catalogue(path, by=request.user)
            except excel.WorkbookProblems as error:
                problems = error.problems
                messages.error(request, _("导入未完成：工作簿中有问题，未登记任何资源。"))
            else:
                messages.success(request, _("已导入 %(n)d 个数据资源。") % {"n": len(created)})
                return redirect("catalogue:resource_list")
    return render(request, "catalogue/import.html", {"problems": problems})


# --- Registration (登记) -----------------------------------------------------------------------


@requires(Perm.CATALOGUE_SUPPLY, methods=("POST",))
def registration_submit(request, pk: int):
    resource = get_object_or_404(Resource.objects.supplied_by(request.user), pk=pk)
    return perform(
        request,
        lambda: registration.submit(
            resource,
            by=request.user,
            kind=request.POST.get("kind", ""),
            commitment_signed_by=request.POST.get("commitment_signed_by", ""),
        ),
        _("登记已提交，待市数据局公示。"),
        lambda record: ("catalogue:registration_detail", record.pk),
        back=("catalogue:resource_detail", pk),
        refused=(RuleViolation, ValueError),
    )


@requires(Perm.CATALOGUE_VIEW)
def registration_detail(request, pk: int):
    record = get_object_or_404(Registration.objects.select_related("resource"), pk=pk)
    return render(
        request,
        "catalogue/registration_detail.html",
        {"record": record, "objections": record.objections.all()},
    )


@requires(Perm.REGISTRATION_DECIDE, methods=("POST",))
def registration_notice(request, pk: int):
    record = get_object_or_404(Registration, pk=pk)
    return perform(
        request,
        lambda: registration.open_notice(record, by=request.user),
        _("已开始公示。"),
        ("catalogue:registration_detail", pk),
    )


@requires(Perm.REGISTRATION_DECIDE, methods=("POST",))
def registration_decide(request, pk: int):
    record = get_object_or_404(Registration, pk=pk)
    return perform(
        request,
        lambda: registration.decide(
            record,
            by=request.user,
            confirm=request.POST.get("confirm") == "yes",
            note=request.POST.get("note", ""),
        ),
        _("登记决定已记录。"),
        ("catalogue:registration_detail", pk),
    )


@requires(Perm.REGISTRATION_DECIDE, methods=("POST",))
def objection_answer(request, pk: int):
    objection = get_object_or_404(Objection, pk=pk)
    return perform(
        request,
        lambda: registration.answer_objection(
            objection,
            by=request.user,
            response=request.POST.get("response", ""),
            upheld=request.POST.get("upheld") == "yes",
        ),
        _("异议已答复。"),
        ("catalogue:registration_detail", objection.registration_id),
    )


@public(methods=("GET", "HEAD", "POST"))
@rate_limited("10/h")
def notices(request):
    """Registrations under public notice, and the form anyone may use to object."""
    if request.method == "POST":
        form = forms.ObjectionForm(request.POST)
        record = Registration.objects.filter(pk=request.POST.get("registration")).first()
        if record is None or not form.is_valid():
            messages.error(request, _("请完整填写异议人、联系方式和异议内容。"))
        else:
            try:
                objection = registration.raise_objection(record, **form.cleaned_data)
            except RuleViolation as error:
                messages.error(request, str(error))
            else:
                submissions.say_received(
                    request, objection, _("异议已提交，市数据局将在公示结束前答复。")
                )
        return redirect("catalogue:notices")
    records = Registration.objects.filter(status=Registration.Status.NOTICE).select_related(
        "resource"
    )
    return render(
        request, "catalogue/notices.html", {"records": records, "form": forms.ObjectionForm()}
    )


@requires(Perm.CATALOGUE_VIEW)
def registrations_export(request):
    """Confirmed registrations in the national platform's fields (JSON or Excel)."""
    records = Registration.objects.filter(status=Registration.Status.CONFIRMED).order_by("code")
    rows = [registration.national_record(r) for r in records]
    if request.GET.get("format") == "json":
        return JsonResponse({"registrations": rows}, json_dumps_params={"ensure_ascii": False})
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "数据资源登记"
    headers = list(rows[0]) if rows else ["登记类型", "资源名称", "资源代码", "登记查询码"]
    sheet.append(headers)
    for row in rows:
        sheet.append([safe_cell("、".join(v) if isinstance(v, list) else v) for v in row.values()])
    out = io.BytesIO()
    workbook.save(out)
    return _xlsx(out.getvalue(), "pdao-registrations.xlsx")


# --- Demands and scheduling (供需对接, 调度) ---------------------------------------------------


@public(methods=GET_POST)
@rate_limited("10/h")
def demand_list(request):
    """Anyone may post a demand; the list shows titles and status, never contacts."""
    form = forms.DemandForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            demand = demands.post_demand(by=request.user, **form.cleaned_data)
            submissions.say_received(request, demand, _("需求已提交，市数据局将对接处理。"))
            if request.user.is_authenticated and request.user.has_perm(Perm.CATALOGUE_VIEW):
                return redirect("catalogue:demand_detail", pk=demand.pk)
            return redirect("catalogue:demands")
        messages.error(request, _("请完整填写需求。"))
    return listing(
        request,
        Demand.objects.all(),
        DemandFilter,
        "catalogue/demand_list.html",
        columns=DEMAND_COLUMNS,
        title=_("数据需求"),
        context={"form": form},
        per_page=25,
        exportable=request.user.has_perm(Perm.DEMAND_SCHEDULE),  # the bureau, who answers
    )


@requires(Perm.CATALOGUE_VIEW)
def demand_detail(request, pk: int):
    demand = get_object_or_404(Demand, pk=pk)
    can_schedule = request.user.has_perm(Perm.DEMAND_SCHEDULE)
    tasks = demand.tasks.select_related("provider", "resource")
    own_resources = Resource.objects.supplied_by(request.user)
    return render(
        request,
        "catalogue/demand_detail.html",
        {
            "demand": demand,
            "tasks": tasks,
            "suggestions": demands.suggestions(demand) if can_schedule else [],
            "can_schedule": can_schedule,
            "providers": Organisation.objects.filter(
                type__in=["provider", "industry"], is_active=True
            ),
            "own_resources": own_resources,
        },
    )


@requires(Perm.DEMAND_SCHEDULE, methods=("POST",))
def demand_schedule(request, pk: int):
    demand = get_object_or_404(Demand, pk=pk)
    form = forms.ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择提供单位、完成时限并填写调度要求。"))
    else:
        try:
            demands.schedule(demand, by=request.user, **form.cleaned_data)
        except RuleViolation as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("调度任务已下达。"))
    return redirect("catalogue:demand_detail", pk=pk)


@requires(Perm.DEMAND_SCHEDULE, methods=("POST",))
def demand_meet(request, pk: int):
    demand = get_object_or_404(Demand, pk=pk)
    resource = get_object_or_404(Resource, pk=request.POST.get("resource"))
    demands.meet_with(demand, by=request.user, resource=resource)
    messages.success(request, _("需求已由现有资源满足。"))
    return redirect("catalogue:demand_detail", pk=pk)


@requires(Perm.CATALOGUE_SUPPLY, methods=("POST",))
def task_complete(request, pk: int):
    task = get_object_or_404(
        SchedulingTask.objects.filter(provider_id=request.user.organisation_id), pk=pk
    )
    resource = (
        Resource.objects.supplied_by(request.user).filter(pk=request.POST.get("resource")).first()
    )
    if resource is None:
        messages.error(request, _("请选择本单位提供数据的资源。"))
    else:
        try:
            demands.complete_task(
                task, by=request.user, resource=resource, note=request.POST.get("note", "")
            )
        except RuleViolation as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("调度任务已完成。"))
    return redirect("catalogue:demand_detail", pk=task.demand_id)


@requires(Perm.CATALOGUE_GRADE, methods=GET_POST)
def declared_joins(request):
    """声明的关联: the joins the zone allows, declared and withdrawn by the bureau."""
    if request.method == "POST":
        try:
            if request.POST.get("withdraw"):
                join = get_object_or_404(
                    DeclaredJoin, pk=whole_number(request.POST["withdraw"]) or 0
                )
                joins.withdraw(join, by=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, _("已撤销关联：%(j)s") % {"j": str(join)})
            else:
                left = get_object_or_404(Field, pk=whole_number(request.POST.get("left")) or 0)
                right = get_object_or_404(Field, pk=whole_number(request.POST.get("right")) or 0)
                join = joins.declare(
                    by=request.user, left=left, right=right, note=request.POST.get("note", "")
                )
                messages.success(request, _("已声明关联：%(j)s") % {"j": str(join)})
        except RuleViolation as error:
            messages.error(request, str(error))
        return redirect("catalogue:joins")
    fields = (
        Field.objects.filter(resource__versions__status="active")
        .select_related("resource")
        .distinct()
        .order_by("resource__name", "position")
    )
    return render(
        request,
        "catalogue/joins.html",
        {
            "joins": DeclaredJoin.objects.select_related("left_resource", "right_resource"),
            "fields": fields,
        },
    )
