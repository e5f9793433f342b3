"""Charts of the showcase's documents as PNG (matplotlib, Agg), with Chinese labels in
WenQuanYi Micro Hei when it is installed: the periodic work report, the case images the demo
draws. Numbers read plainly (pdao.products.reports.format_value_axis)."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from pdao.products.reports import CJK_FONT, format_value_axis


def _pyplot():
    # matplotlib keeps a font cache; the service account may have no home directory.
    os.environ.setdefault("MPLCONFIGDIR", str(Path(tempfile.gettempdir()) / "pdao-matplotlib"))
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    font = font_manager.FontProperties(fname=str(CJK_FONT)) if CJK_FONT.exists() else None
    return plt, font


def _whole(axes, values) -> None:
    """Counts get whole-number ticks (no 1.5 calls)."""
    from matplotlib.ticker import MaxNLocator

    if all(float(v).is_integer() for v in values):
        axes.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))


def _png(figure, plt) -> bytes:
    try:
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)


def bars(labels: list[str], values: list[float], *, title: str, ylabel: str) -> bytes:
    plt, font = _pyplot()
    figure, axes = plt.subplots(figsize=(7.0, 3.0), dpi=120)
    axes.bar(labels, values, color="#1565c0")
    axes.set_title(title, fontproperties=font)
    axes.set_ylabel(ylabel, fontproperties=font)
    format_value_axis(axes, "bar", values)
    _whole(axes, values)
    for label in axes.get_xticklabels():
        if font is not None:
            label.set_fontproperties(font)
        label.set_rotation(30 if len(labels) > 6 else 0)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure, plt)


def lines(labels: list[str], series: dict[str, list[float]], *, title: str) -> bytes:
    plt, font = _pyplot()
    figure, axes = plt.subplots(figsize=(7.0, 3.0), dpi=120)
    colors = ["#1565c0", "#d9534f", "#5b8a69", "#e0a100"]
    everything = []
    for (name, values), color in zip(series.items(), colors, strict=False):
        axes.plot(labels, values, marker="o", color=color, label=name)
        everything += values
    axes.set_title(title, fontproperties=font)
    format_value_axis(axes, "line", everything or [0])
    _whole(axes, everything or [0])
    axes.legend(prop=font, frameon=False)
    for label in axes.get_xticklabels():
        label.set_rotation(30 if len(labels) > 6 else 0)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure, plt)


def progress(labels: list[str], values, targets, forecasts, *, title: str) -> bytes:
    """Each target: its value now, the target and the forecast at the deadline, side by side."""
    plt, font = _pyplot()
    figure, axes = plt.subplots(figsize=(7.0, 3.0), dpi=120)
    width = 0.27
    xs = range(len(labels))
    names = ("当前", "目标", "年底预测")
    for offset, data, color, name in zip(
        (-width, 0, width), (values, targets, forecasts), ("#1565c0", "#9e9e9e", "#e0a100"),
        names, strict=True,
    ):  # fmt: skip
        axes.bar([x + offset for x in xs], data, width=width, color=color, label=name)
    axes.set_xticks(list(xs))
    axes.set_xticklabels(labels, fontproperties=font)
    axes.set_title(title, fontproperties=font)
    format_value_axis(axes, "bar", list(values) + list(targets) + list(forecasts))
    axes.legend(prop=font, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure, plt)
