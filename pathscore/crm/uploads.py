"""Checking uploaded files by their content, not their name.

Accepted: PDF, Word, Excel and PowerPoint (both the legacy OLE2 and the Office Open XML
formats) and common images. An Office Open XML file is a ZIP: its entries are inspected
so a renamed archive is refused, and its uncompressed size is bounded so a ZIP bomb is
refused before anything is stored.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_MAGIC = b"PK\x03\x04"
#: An OOXML document may unpack to at most this much, and at most this ratio.
MAX_UNPACKED_BYTES = 300 * 1024 * 1024
MAX_UNPACK_RATIO = 100

OOXML_TYPES = {
    "word/": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xl/": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "ppt/": ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
}


@dataclass(frozen=True)
class CheckedFile:
    extension: str
    content_type: str
    size: int
    sha256: str
    original_name: str


def clean_filename(name: str) -> str:
    """The last path component, with control characters removed, for display only."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C"
    )
    name = name.strip().lstrip(".") or "file"
    return name[:200]


def _accepted() -> dict:
    return {"accepted": _("Only PDF, Word, Excel, PowerPoint and image files are accepted.")}


def _sniff(head: bytes) -> tuple[str, str] | None:
    if head.startswith(b"%PDF-"):
        return "pdf", "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png", "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg", "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif", "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp", "image/webp"
    if head.startswith(OLE2_MAGIC):
        return "ole", "application/x-ole-storage"
    if head.startswith(ZIP_MAGIC):
        return "zip", "application/zip"
    return None


def _ole_type(name: str) -> tuple[str, str]:
    # Legacy Office files share one container; the extension only chooses the label.
    ext = os.path.splitext(name)[1].lower()
    return {
        ".xls": ("xls", "application/vnd.ms-excel"),
        ".ppt": ("ppt", "application/vnd.ms-powerpoint"),
    }.get(ext, ("doc", "application/msword"))


def _ooxml_type(upload) -> tuple[str, str]:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            unpacked = sum(info.file_size for info in infos)
            packed = sum(info.compress_size for info in infos) or 1
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ValidationError(_("The file is damaged and cannot be opened.")) from None
    if unpacked > MAX_UNPACKED_BYTES or unpacked / packed > MAX_UNPACK_RATIO:
        raise ValidationError(_("The file unpacks to an implausible size and was refused."))
    if "[Content_Types].xml" in names:
        for prefix, kind in OOXML_TYPES.items():
            if any(name.startswith(prefix) for name in names):
                return kind
    raise ValidationError(_("%(accepted)s This file is another kind of archive.") % _accepted())


def check_upload(upload) -> CheckedFile:
    """Validate an uploaded file by content and size; raises a ValidationError saying why."""
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    if upload.size == 0:
        raise ValidationError(_("The file is empty."))
    upload.seek(0)
    head = upload.read(16)
    sniffed = _sniff(head)
    if sniffed is None:
        raise ValidationError(_("%(accepted)s This file is none of them.") % _accepted())
    extension, content_type = sniffed
    name = clean_filename(upload.name or "file")
    if extension == "ole":
        extension, content_type = _ole_type(name)
    elif extension == "zip":
        extension, content_type = _ooxml_type(upload)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    stem = os.path.splitext(name)[0] or "file"
    return CheckedFile(
        extension=extension,
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        original_name=f"{stem}.{extension}",
    )
