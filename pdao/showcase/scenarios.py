"""应用场景登记: every authorization's scenario as a record, the operator's case write-up with
images, and the use the delivery records measure — calls answered, distinct consumers and
months in production, never typed in.

Images are decoded in a limited child process (pdao.core.sandbox) and re-encoded as PNG, so
what is kept and served is an image Pillow wrote, without the uploader's metadata (EXIF
positions, camera serials)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from pdao.audit.services import record
from pdao.authorization.models import Authorization
from pdao.core import sandbox, stored
from pdao.core.codes import next_code
from pdao.core.permissions import Perm
from pdao.core.rules import CONTROL, RuleViolation, require
from pdao.products.models import Delivery, Product
from pdao.showcase import actions
from pdao.showcase.models import Scenario, ScenarioImage

AREA = "showcase"
CASE_FIELDS = ("users", "background", "approach", "outcomes")
CASE_LIMITS = {"users": 300, "background": 4000, "approach": 4000, "outcomes": 4000}
IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGE_MAX_PIXELS = 25_000_000  # a 5000 × 5000 photo; a larger one is a decompression bomb
IMAGE_MAX_SIDE = 8000  # px: a photo or a screenshot, never a strip
IMAGE_MAX_RATIO = 6  # the longer side at most six times the shorter: it must print on a page
IMAGES_PER_SCENARIO = 12
IMAGE_TYPES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


def scenario_for(authorization: Authorization) -> Scenario:
    """The authorization's scenario record, made when first asked for."""
    found = Scenario.objects.filter(authorization=authorization).first()
    if found is not None:
        return found
    with transaction.atomic():
        Authorization.objects.select_for_update().filter(pk=authorization.pk).first()
        scenario, _created = Scenario.objects.get_or_create(
            authorization=authorization,
            defaults={"code": next_code("LZ-CJ", Scenario)},
        )
    return scenario


@receiver(post_save, sender=Authorization, dispatch_uid="showcase.scenario_for_authorization")
def _register(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        scenario_for(instance)


# --- Measured use -----------------------------------------------------------------------------


@dataclass
class Use:
    """What the delivery records say of a scenario: answered calls and report downloads, the
    consumers who received them and the calendar months (Asia/Shanghai) with any."""

    calls: int = 0
    consumers: int = 0
    months: int = 0
    first_month: str = ""
    last_month: str = ""
    products: list = field(default_factory=list)

    @property
    def in_production(self) -> bool:
        return self.calls > 0


def measured_use(scenarios) -> dict[int, Use]:
    """`Use` of each scenario in `scenarios`, by scenario id, in three queries."""
    scenarios = list(scenarios)
    by_authorization = {s.authorization_id: s.pk for s in scenarios}
    use = {s.pk: Use() for s in scenarios}
    for product in Product.objects.filter(authorization_id__in=by_authorization).order_by("code"):
        use[by_authorization[product.authorization_id]].products.append(product)
    answered = (
        Delivery.objects.filter(product__authorization_id__in=by_authorization, status=200)
        .order_by()  # the model's ordering would make every row distinct
        .values("product__authorization_id")
    )
    for row in answered.annotate(calls=Count("pk"), consumers=Count("consumer_id", distinct=True)):
        entry = use[by_authorization[row["product__authorization_id"]]]
        entry.calls, entry.consumers = row["calls"], row["consumers"]
    months = (
        answered.annotate(month=TruncMonth("created_at"))
        .values_list("product__authorization_id", "month")
        .distinct()
    )
    for authorization_id, month in months:
        entry = use[by_authorization[authorization_id]]
        label = f"{month:%Y-%m}"
        entry.months += 1
        entry.first_month = min(filter(None, [entry.first_month, label]))
        entry.last_month = max(entry.last_month, label)
    return use


# --- The case write-up ------------------------------------------------------------------------


def _own(scenario: Scenario, by) -> None:
    require(by, Perm.AUTHZ_APPLY)
    if scenario.authorization.operator_id != by.organisation_id:
        raise RuleViolation(_("只能编写本单位场景的案例。"))


def locked(scenario: Scenario) -> str | None:
    """Why the case cannot change now: experts score what they read, and a confirmed typical
    scenario keeps the case it was confirmed on."""
    if scenario.nominations.filter(status="nominated").exists():
        return _("场景正在评审中，案例暂不能修改；评审结束后可再修改。")
    if scenario.nominations.filter(status="confirmed").exists():
        return _("场景已认定为市级典型，案例以认定时的版本为准，不能修改。")
    return None


def _check_unlocked(scenario: Scenario) -> None:
    reason = locked(scenario)
    if reason:
        raise RuleViolation(reason)


@transaction.atomic
def save_case(scenario: Scenario, *, by, **values) -> Scenario:
    """The operator's write-up: who it serves, the background, how data is used and the
    outcomes. Locked while a nomination is being scored (experts score what they read)."""
    _own(scenario, by)
    scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
    _check_unlocked(scenario)
    changes = {}
    for name in CASE_FIELDS:
        if name not in values:
            continue
        text = str(values[name]).strip()
        if CONTROL.search(text):
            raise RuleViolation(_("案例内容含有不可见的控制字符，请删除后重试。"))
        if len(text) > CASE_LIMITS[name]:
            raise RuleViolation(
                _("%(f)s 不能超过 %(n)s 字。")
                % {"f": Scenario._meta.get_field(name).verbose_name, "n": CASE_LIMITS[name]}
            )
        if text != getattr(scenario, name):
            changes[name] = [len(getattr(scenario, name)), len(text)]
            setattr(scenario, name, text)
    if not changes:
        return scenario
    scenario.updated_by, scenario.updated_at = by, timezone.now()
    scenario.save()
    record(
        actions.CASE_SAVE,
        by=by,
        target=scenario,
        changes={"characters": changes},
        summary=_("编写场景案例：%(s)s") % {"s": scenario.name},
    )
    return scenario


def decode_image(data: bytes) -> tuple[bytes, int, int]:
    """PNG bytes of the image in `data` with its width and height; RuleViolation when it is not
    a PNG or JPEG Pillow can read within the pixel limit. Runs in the sandbox's child."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = IMAGE_MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG"):
                raise RuleViolation(_("只接受 PNG 或 JPEG 图片。"))
            if image.width * image.height > IMAGE_MAX_PIXELS:
                raise RuleViolation(_("图片像素过多（不超过 2500 万像素）。"))
            longer, shorter = max(image.size), min(image.size)
            if longer > IMAGE_MAX_SIDE or longer > IMAGE_MAX_RATIO * shorter:
                raise RuleViolation(
                    _("图片尺寸不适合排版：长边不超过 8000 像素，且不超过短边的 6 倍。")
                )
            image.load()
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert("RGBA" if "transparency" in image.info else "RGB")
            out = io.BytesIO()
            image.save(out, format="PNG", optimize=True)
            return out.getvalue(), image.width, image.height
    except RuleViolation:
        raise
    except Image.DecompressionBombError:
        raise RuleViolation(_("图片像素过多（不超过 2500 万像素）。")) from None
    except Exception:  # a damaged or hostile file: its message may quote its bytes
        raise RuleViolation(_("无法读取该图片，文件可能已损坏。")) from None


@transaction.atomic
def add_image(scenario: Scenario, *, by, data: bytes, caption: str) -> ScenarioImage:
    _own(scenario, by)
    _check_unlocked(scenario)
    caption = caption.strip()
    if not caption or len(caption) > 100:
        raise RuleViolation(_("请填写图片说明（不超过 100 字）。"))
    if CONTROL.search(caption):
        raise RuleViolation(_("图片说明含有不可见的控制字符，请删除后重试。"))
    if not data.startswith(IMAGE_TYPES):
        raise RuleViolation(_("只接受 PNG 或 JPEG 图片。"))
    if len(data) > IMAGE_MAX_BYTES:
        raise RuleViolation(_("图片不能超过 5 MB。"))
    if scenario.images.count() >= IMAGES_PER_SCENARIO:
        raise RuleViolation(_("每个场景最多 %(n)s 张图片。") % {"n": IMAGES_PER_SCENARIO})
    try:
        png, width, height = sandbox.run(
            decode_image, data, limits=sandbox.limits("image"), passes=(RuleViolation,)
        )
    except sandbox.LimitExceeded as exceeded:
        raise RuleViolation(str(exceeded)) from None
    except sandbox.Failed:
        raise RuleViolation(_("无法读取该图片，文件可能已损坏。")) from None
    digest = stored.store(AREA, png, "png")
    image = ScenarioImage.objects.create(
        scenario=scenario,
        caption=caption,
        sha256=digest,
        width=width,
        height=height,
        bytes=len(png),
        uploaded_by=by,
    )
    record(
        actions.IMAGE_ADD,
        by=by,
        target=scenario,
        changes={"image": digest, "caption": caption},
        summary=_("上传场景案例图片：%(s)s") % {"s": scenario.name},
    )
    return image


@transaction.atomic
def remove_image(image: ScenarioImage, *, by) -> None:
    _own(image.scenario, by)
    _check_unlocked(image.scenario)
    record(
        actions.IMAGE_REMOVE,
        by=by,
        target=image.scenario,
        changes={"image": image.sha256, "caption": image.caption},
        summary=_("删除场景案例图片：%(s)s") % {"s": image.scenario.name},
    )
    image.delete()


def image_bytes(image: ScenarioImage) -> bytes | None:
    return stored.read(AREA, image.sha256, "png")
