"""The demo's screenshot and attached form, drawn and written here (no binary files in git):
a CRM wrap-up screen for CC-CH-001's last step, and its list of disposition codes as a CSV."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont

DISPOSITIONS = [
    ("RES", "Resolved on the call"),
    ("CBK", "Callback promised"),
    ("ESC", "Escalated to a team leader"),
    ("TRF", "Transferred to another queue"),
    ("INF", "Information only"),
]


def crm_screenshot() -> SimpleUploadedFile:
    """A mock-up of the CRM's wrap-up screen with the disposition list open."""
    width, height = 880, 420
    picture = Image.new("RGB", (width, height), "#f3f5f8")
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=18)
    small = ImageFont.load_default(size=15)
    draw.rectangle([0, 0, width, 44], fill="#0b3f7a")
    draw.text((16, 12), "Northwind CRM · Call wrap-up", fill="white", font=font)
    draw.text((24, 70), "Customer: 0042-7781  ·  Call 00:05:41", fill="#1c2430", font=font)
    draw.text((24, 120), "Disposition code", fill="#1c2430", font=font)
    draw.rectangle([220, 112, 640, 146], outline="#0b5cad", width=2, fill="white")
    draw.text((232, 120), "Choose a code …", fill="#4f5b6b", font=small)
    for i, (code, label) in enumerate(DISPOSITIONS):
        top = 150 + i * 36
        fill = "#dce9f9" if code == "RES" else "white"
        draw.rectangle([220, top, 640, top + 34], outline="#cfd6df", fill=fill)
        draw.text((232, top + 8), f"{code}  {label}", fill="#1c2430", font=small)
    draw.rectangle([680, 360, 850, 400], fill="#1b6b3a")
    draw.text((712, 370), "Save & close", fill="white", font=font)
    out = io.BytesIO()
    picture.save(out, "PNG")
    return SimpleUploadedFile("crm-wrap-up.png", out.getvalue(), content_type="image/png")


def disposition_csv() -> SimpleUploadedFile:
    rows = ["code,meaning"] + [f"{code},{label}" for code, label in DISPOSITIONS]
    data = ("\n".join(rows) + "\n").encode()
    return SimpleUploadedFile("disposition-codes.csv", data, content_type="text/csv")
