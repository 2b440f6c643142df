"""The pictures committed in docs/ stay readable where they are shown: 830 px wide."""

import pathlib
import re

import pytest

IMAGES = pathlib.Path(__file__).resolve().parents[2] / "docs" / "images"
SHOWN_WIDTH_PX = 830  # the width docs pages show a picture at
SMALLEST_PX = 9
PX_PER_PT = 4 / 3


@pytest.mark.parametrize("path", sorted(IMAGES.glob("bn-*.svg")), ids=lambda p: p.name)
def test_the_smallest_text_is_at_least_9_px_when_shown_830_px_wide(path):
    svg = path.read_text(encoding="utf-8")
    width_pt = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))
    sizes_pt = [float(size) for size in re.findall(r'font-size="([\d.]+)"', svg)]
    px_per_unit = min(SHOWN_WIDTH_PX, width_pt * PX_PER_PT) / width_pt  # shrunk to fit, never enlarged
    assert min(sizes_pt) * px_per_unit >= SMALLEST_PX, f"{path.name}: {width_pt:.0f} pt wide"


def test_the_stepper_screenshot_is_taken_at_the_width_it_is_shown():
    png = (IMAGES / "bn-stepper.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") <= SHOWN_WIDTH_PX  # shown 1:1, its text at its own CSS size
