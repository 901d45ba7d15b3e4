"""The report's PNG charts: every bar labelled with its n, Chinese text in a CJK font."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers
import matplotlib.pyplot as plt
from matplotlib import font_manager

# Fonts that carry Chinese, in order of preference (Debian: fonts-wqy-microhei, fonts-noto-cjk).
CJK_FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
             "Microsoft YaHei", "PingFang SC", "SimHei"]
_FONT_DIRS = ["/usr/share/fonts/truetype/wqy", "/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto"]
COLOURS = {"main": "#2f6fb0", "good": "#3a9b5c", "warn": "#e08a2c", "grey": "#8a8f98"}


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """A font family with Chinese glyphs, registering installed files matplotlib's cache missed."""
    for directory in _FONT_DIRS:
        for path in sorted(Path(directory).glob("*.tt[fc]")) + sorted(Path(directory).glob("*.otf")):
            try:
                font_manager.fontManager.addfont(str(path))
            except (OSError, RuntimeError):
                continue
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in names), None)


def chart(path: Path, draw: Callable, chinese: bool, width: float = 7.0, height: float = 3.6) -> Path:
    family = cjk_font() if chinese else None
    with plt.rc_context({"font.sans-serif": [family, "DejaVu Sans"] if family else ["DejaVu Sans"],
                         "font.family": "sans-serif", "axes.unicode_minus": False,
                         "axes.spines.top": False, "axes.spines.right": False}):
        fig, ax = plt.subplots(figsize=(width, height), dpi=110)
        draw(ax)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)
    return path


def bars_with_n(ax, labels: list[str], values: list[float], ns: list[int], colour: str, fmt: str = "{:.0f}",
                yerr=None) -> None:
    """Bars labelled 'value' on top and 'n=…' under each label: a rate on n = 1 looks like one."""
    xs = range(len(labels))
    ax.bar(xs, values, color=colour, yerr=yerr, capsize=3 if yerr is not None else 0)
    ax.set_xticks(list(xs), [f"{label}\nn={n}" for label, n in zip(labels, ns)])
    top = max([v for v in values] + [1.0])
    for x, v in zip(xs, values):
        ax.text(x, v + top * 0.02, fmt.format(v), ha="center", va="bottom", fontsize=8)
    ax.set_ylim(0, top * 1.18)


def interval_errors(rates: list[float], lows: list[float], highs: list[float],
                    scale: float = 100.0) -> list[list[float]]:
    """matplotlib's ``yerr`` (below, above) for rates with intervals; never negative, even when a
    bound and its rate differ only by float rounding."""
    return [[max(0.0, (r - lo) * scale) for r, lo in zip(rates, lows)],
            [max(0.0, (hi - r) * scale) for r, hi in zip(rates, highs)]]


def variant_bars(ax, labels: list[str], rates: list[float], lows: list[float], highs: list[float],
                 trials: list[int], title: str, ylabel: str) -> None:
    """The script A/B chart: success rate per variant in %, its Wilson interval, and n under each bar."""
    bars_with_n(ax, labels, [r * 100 for r in rates], trials, COLOURS["warn"], "{:.0f}%",
                yerr=interval_errors(rates, lows, highs) if labels else None)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", labelrotation=60, labelsize=7)
