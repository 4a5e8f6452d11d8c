"""Uploads are checked by their content, size-limited and stored under generated names.

The files here are real minimal files built in the test: a PDF header, a PNG, Office
Open XML archives made with ``zipfile``, an OLE2 container — and the things that must be
refused: an executable renamed .pdf, a plain ZIP renamed .docx, a ZIP bomb, an empty file,
an oversized one. Whatever is refused leaves nothing behind: no row, no file.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.urls import reverse
from django.utils import translation

from pathscore.crm import services, uploads
from pathscore.crm.choices import DocumentKind
from pathscore.crm.models import Document, DocumentVersion
from pathscore.crm.uploads import check_upload, clean_filename
from tests.crm import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Services' messages are compared in English; pages render in the user's language."""
    with translation.override("en"):
        yield


def shown_size(size: int) -> str:
    """A size as a page shows it to our personas (zh-hans)."""
    with translation.override("zh-hans"):
        return str(filesizeformat(size))


# --- Real minimal files ----------------------------------------------------------------------


def pdf_bytes(marker: str = "V1") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        + f"% {marker}\n".encode()
        + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


CONTENT_TYPES_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)


def zip_bytes(entries: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            # A fixed time: the same entries always give the same bytes.
            entry = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            archive.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": CONTENT_TYPES_XML,
            "word/document.xml": "<w:document><w:body><w:p>需求报告</w:p></w:body></w:document>",
        }
    )


def xlsx_bytes() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": CONTENT_TYPES_XML,
            "xl/workbook.xml": "<workbook><sheets><sheet name='报价'/></sheets></workbook>",
        }
    )


def ole2_bytes() -> bytes:
    return uploads.OLE2_MAGIC + b"\x00" * 504


def exe_bytes() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def zip_bomb_bytes(unpacked: int = 20 * 1024 * 1024) -> bytes:
    """A .docx-shaped archive with one entry of zeros that packs ~1000:1."""
    return zip_bytes(
        {
            "[Content_Types].xml": CONTENT_TYPES_XML,
            "word/document.xml": "<w:document/>",
            "word/media/padding.bin": b"\x00" * unpacked,
        }
    )


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- The content check ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "extension", "content_type"),
    [
        pytest.param("方案.pdf", pdf_bytes(), "pdf", "application/pdf", id="pdf"),
        pytest.param("现场照片.png", png_bytes(), "png", "image/png", id="png"),
        pytest.param(
            "需求分析报告.docx",
            docx_bytes(),
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            id="docx",
        ),
        pytest.param(
            "报价单.xlsx",
            xlsx_bytes(),
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            id="xlsx",
        ),
        pytest.param("旧版方案.doc", ole2_bytes(), "doc", "application/msword", id="ole2-doc"),
        pytest.param(
            "旧版报价.xls", ole2_bytes(), "xls", "application/vnd.ms-excel", id="ole2-xls"
        ),
    ],
)
def test_accepted_files_are_recognised_by_content(name, data, extension, content_type):
    checked = check_upload(upload(name, data))
    assert checked.extension == extension
    assert checked.content_type == content_type
    assert checked.size == len(data)
    assert len(checked.sha256) == 64


def test_the_name_does_not_decide_the_type():
    # A PDF called .docx is a PDF, and is named as one.
    checked = check_upload(upload("合同草案.docx", pdf_bytes()))
    assert checked.content_type == "application/pdf"
    assert checked.original_name == "合同草案.pdf"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        pytest.param("方案.pdf", exe_bytes(), "none of them", id="exe-renamed-pdf"),
        pytest.param(
            "方案.docx",
            zip_bytes({"readme.txt": "hello"}),
            "another kind of archive",
            id="zip-renamed-docx",
        ),
        pytest.param("方案.docx", zip_bomb_bytes(), "implausible size", id="zip-bomb"),
        pytest.param("方案.pdf", b"", "empty", id="empty"),
        pytest.param("方案.pdf", b"just some text", "none of them", id="text"),
    ],
)
def test_refused_files_say_why(name, data, reason):
    with pytest.raises(ValidationError) as caught:
        check_upload(upload(name, data))
    assert reason in " ".join(caught.value.messages)


def test_an_archive_too_big_once_unpacked_is_refused_whatever_the_ratio(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UNPACKED_BYTES", 1000)
    monkeypatch.setattr(uploads, "MAX_UNPACK_RATIO", 10**9)
    with pytest.raises(ValidationError, match="implausible size"):
        check_upload(upload("方案.docx", zip_bomb_bytes(unpacked=5000)))


def test_the_size_limit_is_a_setting(settings):
    settings.UPLOAD_MAX_BYTES = 100
    with pytest.raises(ValidationError) as caught:
        check_upload(upload("方案.pdf", pdf_bytes() + b"\x00" * 200))
    message = " ".join(caught.value.messages)
    assert "100" in message and "limit" in message


def test_the_default_limit_is_50_megabytes():
    from django.conf import settings

    assert settings.UPLOAD_MAX_BYTES == 50 * 1024 * 1024


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        pytest.param("../../etc/passwd.pdf", "passwd.pdf", id="traversal"),
        pytest.param("..\\..\\windows\\方案.pdf", "方案.pdf", id="windows-traversal"),
        pytest.param("报价\x00单\x1f.pdf", "报价单.pdf", id="control-characters"),
        pytest.param(".hidden.pdf", "hidden.pdf", id="hidden"),
        pytest.param("", "file", id="no-name"),
    ],
)
def test_file_names_are_cleaned_for_display(given, shown):
    assert clean_filename(given) == shown


# --- Nothing is stored on refusal ----------------------------------------------------------


@pytest.fixture
def project(personas):
    return factories.project(personas.sales_a, name="苏州工业园区储能项目")


REFUSED = [
    pytest.param("installer.pdf", exe_bytes(), id="exe-renamed-pdf"),
    pytest.param("renamed.docx", zip_bytes({"readme.txt": "hello"}), id="zip-renamed-docx"),
    pytest.param("bomb.docx", zip_bomb_bytes(), id="zip-bomb"),
    pytest.param("empty.pdf", b"", id="empty"),
]


@pytest.mark.parametrize(("name", "data"), REFUSED)
def test_the_service_stores_nothing_for_a_refused_file(personas, project, settings, name, data):
    with pytest.raises(ValidationError) as caught:
        services.document_create(
            actor=personas.sales_a,
            project=project,
            kind=DocumentKind.PROPOSAL,
            title="技术方案",
            file=upload(name, data),
        )
    assert "file" in caught.value.message_dict
    assert Document.objects.count() == 0
    assert DocumentVersion.objects.count() == 0
    assert stored_files(settings) == []


def test_a_refused_next_version_leaves_the_document_as_it_was(personas, project, settings):
    version = services.document_create(
        actor=personas.sales_a,
        project=project,
        kind=DocumentKind.PROPOSAL,
        title="技术方案",
        file=upload("方案.pdf", pdf_bytes()),
    )
    with pytest.raises(ValidationError):
        services.document_add_version(
            actor=personas.sales_a,
            document=version.document,
            file=upload("方案.pdf", exe_bytes()),
            change_note="降低报价",
        )
    document = Document.objects.get()
    assert document.version_count == 1
    assert DocumentVersion.objects.count() == 1
    assert len(stored_files(settings)) == 1


def test_a_path_traversal_name_is_stored_under_a_generated_name(personas, project, settings):
    # Django's uploaded file keeps only the base name; the service never uses it on disk.
    evil = upload("placeholder.pdf", pdf_bytes())
    evil.name = "../../etc/passwd.pdf"
    version = services.document_create(
        actor=personas.sales_a,
        project=project,
        kind=DocumentKind.OTHER,
        title="资料",
        file=evil,
    )
    assert version.original_name == "passwd.pdf"
    assert version.file.name.startswith(f"documents/{project.pk}/")
    stored = version.file.name.rsplit("/", 1)[-1]
    assert len(stored) == 32 and "passwd" not in stored and ".." not in version.file.name
    files = stored_files(settings)
    assert len(files) == 1
    assert files[0].resolve().is_relative_to(settings.MEDIA_ROOT.resolve())


# --- Through the upload page ---------------------------------------------------------------


def post_document(client, project, name, data, **fields):
    payload = {
        "kind": DocumentKind.PROPOSAL,
        "title": "光伏并网技术方案",
        "change_note": "",
        "file": upload(name, data),
        **fields,
    }
    return client.post(reverse("crm:document-create", args=[project.pk]), payload)


@pytest.mark.parametrize(("name", "data"), REFUSED)
def test_the_upload_page_refuses_with_the_reason_and_keeps_the_typed_fields(
    personas, login, project, settings, name, data
):
    response = post_document(login(personas.sales_a), project, name, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["file"]
    html = response.content.decode()
    assert 'data-testid="error-file"' in html
    assert 'value="光伏并网技术方案"' in html
    assert Document.objects.count() == 0
    assert stored_files(settings) == []


def test_the_upload_page_shows_a_traversal_name_cleaned(personas, login, project, settings):
    client = login(personas.sales_a)
    response = post_document(client, project, "../../etc/passwd.pdf", pdf_bytes())
    assert response.status_code == 302
    version = DocumentVersion.objects.get()
    page = client.get(reverse("crm:document-detail", args=[version.document_id])).content.decode()
    assert "passwd.pdf" in page
    assert "etc/passwd" not in page and "../" not in page
    assert version.file.name.startswith(f"documents/{project.pk}/")


def test_an_oversized_file_is_refused_and_nothing_is_stored(personas, login, project, settings):
    # Just over the limit: the body is within the slack, so the service check refuses it.
    settings.UPLOAD_MAX_BYTES = 2000
    response = post_document(
        login(personas.sales_a), project, "大文件.pdf", pdf_bytes() + b"\x00" * 3000
    )
    assert response.status_code == 200
    assert shown_size(2000) in " ".join(response.context["form"].errors["file"])
    assert Document.objects.count() == 0
    assert stored_files(settings) == []


def test_a_body_over_the_limit_is_refused_before_it_is_read(personas, project, settings):
    settings.UPLOAD_MAX_BYTES = 10_000
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.sales_a)
    response = post_document(client, project, "巨大.pdf", pdf_bytes() + b"\x00" * 200_000)
    assert response.status_code == 413
    html = response.content.decode()
    assert 'data-testid="error-file"' in html
    assert shown_size(10_000) in html
    assert Document.objects.count() == 0
    assert stored_files(settings) == []


def test_the_declared_length_alone_is_enough_to_refuse(personas, login, project, settings):
    response = login(personas.sales_a).post(
        reverse("crm:document-create", args=[project.pk]),
        {"title": "x"},
        CONTENT_LENGTH=str(settings.UPLOAD_MAX_BYTES * 2),
    )
    assert response.status_code == 413
    assert Document.objects.count() == 0


def test_uploads_still_need_the_csrf_token(personas, project, settings):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.sales_a)
    response = post_document(client, project, "方案.pdf", pdf_bytes())
    assert response.status_code == 403
    assert Document.objects.count() == 0
    assert stored_files(settings) == []


def test_a_40_megabyte_file_is_accepted(personas, login, project, settings):
    # Larger than Django's in-memory thresholds: the file streams to a temporary file and
    # DATA_UPLOAD_MAX_MEMORY_SIZE (which counts the other fields only) does not refuse it.
    data = pdf_bytes() + b"\x00" * (40 * 1024 * 1024)
    assert len(data) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert len(data) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    response = post_document(login(personas.sales_a), project, "大型方案.pdf", data)
    assert response.status_code == 302, response.context["form"].errors
    version = DocumentVersion.objects.get()
    assert version.size == len(data)
    assert version.file.size == len(data)
