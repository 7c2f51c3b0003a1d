"""Times in the user's time zone; transparent images drawn on white; page images larger."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from PIL import Image

from tests.builders import make_pdf
from web.i18n import Formats
from web.render_thumbnail import render


def test_times_are_shown_in_the_users_time_zone_and_name_it():
    noon_utc = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)

    assert Formats("de", "Europe/Berlin").moment(noon_utc) == "15.01.2026 13:00 CET"
    assert Formats("en", "America/New_York").moment(noon_utc).endswith("7:00\u202fAM EST")
    assert Formats("fr", "Not/AZone").moment(noon_utc) == "15 janv. 2026 12:00 UTC"


def test_a_transparent_png_thumbnail_is_white_not_black():
    clear = Image.new("RGBA", (60, 80), (0, 0, 0, 0))
    clear.paste((200, 0, 0, 255), (20, 20, 40, 60))
    source = io.BytesIO()
    clear.save(source, format="PNG")

    thumbnail = Image.open(io.BytesIO(render("image", source.getvalue())))

    assert thumbnail.getpixel((0, 0)) == (255, 255, 255)
    assert thumbnail.getpixel((thumbnail.width // 2, thumbnail.height // 2))[0] > 150


def test_a_page_image_is_rendered_at_the_asked_width():
    pdf = make_pdf(["Page one", "Invoice 1"])

    page = Image.open(io.BytesIO(render("pdf", pdf, 0, 900)))

    assert page.width == 900 and page.height > page.width
