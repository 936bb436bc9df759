"""Real images for upload tests, made with Pillow: a PNG, and a phone-like JPEG whose EXIF
carries a GPS position (which must never be stored)."""

from __future__ import annotations

import io

from PIL import Image

GPS_IFD = 0x8825


def png(width: int = 64, height: int = 32, colour=(11, 93, 59)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def phone_jpeg(width: int = 2400, height: int = 1600) -> bytes:
    """A large JPEG with a GPS position (Tarwewijk, Rotterdam) and a camera make in its EXIF."""
    image = Image.new("RGB", (width, height), (200, 120, 40))
    exif = image.getexif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[GPS_IFD] = {1: "N", 2: (51.0, 53.0, 40.0), 3: "E", 4: (4.0, 29.0, 10.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif().get_ifd(GPS_IFD))


def size_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size
