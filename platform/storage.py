"""Uploaded images (a lab's logo, photos of shared assets) behind one small interface.

Only images of the kinds a phone makes (PNG, JPEG, WebP), recognised by their content, not
by what the browser says, and never SVG (it can carry script). Each is decoded (Pillow)
and encoded again: what is stored is pixels only, without the metadata a phone adds (the
GPS position of someone's home), and no larger than needed. A file is stored under a name
made from its content (the same image twice is one file) and served read-only with its
type fixed and nosniff. `LocalStorage` keeps them on disk (WIJKNET_UPLOAD_DIR); an object
store would implement the same methods."""

from __future__ import annotations

import hashlib
import io
import os
import re

from flask import Blueprint, abort, current_app, send_file
from PIL import Image, ImageOps

from wijknet.platform.lazy_text import lazy_gettext as _l

from .refusals import DomainError

IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
_KEY = re.compile(r"^[0-9a-f]{64}\.(png|jpg|webp)$")


class UploadError(DomainError):
    code = "upload"


def image_kind(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if len(data) > 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def check_image(data: bytes, *, max_bytes: int, field: str = "file") -> str:
    """The image's kind, or an UploadError for the form field."""
    if not data:
        raise UploadError.on_field(field, _l("Choose an image file."), code="upload.empty")
    if len(data) > max_bytes:
        raise UploadError.on_field(
            field, _l("The image is too large: at most %(kb)d kB.", kb=max_bytes // 1024), code="upload.too_large", status=413
        )
    kind = image_kind(data)
    if kind is None:
        raise UploadError.on_field(field, _l("Only PNG, JPEG or WebP images."), code="upload.not_an_image", status=415)
    return kind


MAX_PIXELS = 40_000_000  # a 40-megapixel photo; beyond it, a "decompression bomb"


def clean_image(data: bytes, *, max_bytes: int, max_side: int, field: str = "file") -> tuple[bytes, str]:
    """The image decoded and encoded again: (bytes, kind), metadata gone, at most `max_side`
    pixels wide and high, turned as the phone meant it. An UploadError when it is not a
    whole image of an accepted kind."""
    kind = check_image(data, max_bytes=max_bytes, field=field)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise UploadError.on_field(field, _l("The image has too many pixels."), code="upload.too_many_pixels", status=413)
            probe.verify()  # a truncated or damaged file fails here
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail((max_side, max_side))
            out = io.BytesIO()
            if kind == "jpg":
                image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
            elif kind == "png":
                image.save(out, "PNG", optimize=True)
            else:
                image.save(out, "WEBP", quality=85)
    except UploadError:
        raise
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise UploadError.on_field(field, _l("This image is damaged or incomplete."), code="upload.damaged", status=415) from None
    return out.getvalue(), kind


class LocalStorage:
    def __init__(self, root: str):
        self.root = root

    def save(self, data: bytes, kind: str) -> str:
        key = f"{hashlib.sha256(data).hexdigest()}.{kind}"
        os.makedirs(self.root, exist_ok=True)
        path = os.path.join(self.root, key)
        if not os.path.exists(path):
            temporary = f"{path}.{os.getpid()}.part"
            with open(temporary, "wb") as fh:
                fh.write(data)
            os.replace(temporary, path)
        return key

    def path(self, key: str) -> str | None:
        if not _KEY.match(key or ""):
            return None
        path = os.path.join(self.root, key)
        return path if os.path.exists(path) else None


def storage() -> LocalStorage:
    return LocalStorage(current_app.extensions["wijknet"].settings.upload_dir)


bp = Blueprint("media", __name__)


@bp.get("/media/<key>")
def media(key: str):
    path = storage().path(key)
    if path is None:
        abort(404)
    response = send_file(path, mimetype=IMAGE_TYPES[key.rsplit(".", 1)[1]], max_age=365 * 24 * 3600, conditional=True)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
