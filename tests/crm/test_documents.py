"""Documents with versions: numbering, feedback, downloads, scoping, revision counts and the
pages that show them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from pathscore.core.choices import Role
from pathscore.core.events import subscribe, unsubscribe
from pathscore.crm import events, selectors, services
from pathscore.crm.choices import DocumentKind
from pathscore.crm.models import Document, DocumentVersion
from pathscore.org import services as org_services
from pathscore.org.models import User
from tests.crm import factories
from tests.crm.test_uploads import docx_bytes, pdf_bytes, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def project_a(personas):
    return factories.project(personas.sales_a, name="苏州工业园区储能项目")


@pytest.fixture
def project_b(personas):
    return factories.project(personas.sales_b, name="唐山钢厂配电改造")


def new_document(
    actor, project, *, kind=DocumentKind.PROPOSAL, title="储能系统技术方案", data=None
):
    return services.document_create(
        actor=actor,
        project=project,
        kind=kind,
        title=title,
        file=upload("方案.pdf", data or pdf_bytes("V1")),
        change_note="初稿",
    )


def next_version(actor, document, note="调整报价", data=None, name="方案.pdf"):
    return services.document_add_version(
        actor=actor,
        document=document,
        file=upload(name, data or pdf_bytes(note)),
        change_note=note,
    )


def second_salesperson_in_team_a(personas) -> User:
    return org_services.user_create(
        username="sales_a2",
        name="孙新人",
        password=None,
        roles=[Role.SALESPERSON],
        department=personas.team_a,
    )


# --- Versions ------------------------------------------------------------------------------


def test_versions_are_numbered_v1_v2_v3(personas, project_a):
    v1 = new_document(personas.sales_a, project_a)
    document = v1.document
    v2 = next_version(personas.sales_a, document, "降低设备单价")
    v3 = next_version(personas.manager_a, document, "补充储能容量测算", data=docx_bytes(), name="x")
    assert [v.label for v in (v1, v2, v3)] == ["V1", "V2", "V3"]
    document.refresh_from_db()
    assert document.version_count == 3
    assert document.revision_count == 2
    assert v3.uploaded_by == personas.manager_a
    assert v3.original_name == "x.docx"
    assert v1.file.name != v2.file.name


def test_a_next_version_needs_a_change_note(personas, project_a):
    document = new_document(personas.sales_a, project_a).document
    with pytest.raises(services.ValidationError) as caught:
        next_version(personas.sales_a, document, note="  ")
    assert "change_note" in caught.value.message_dict
    assert DocumentVersion.objects.count() == 1


def test_a_foreign_project_is_refused_by_the_service(personas, project_b):
    with pytest.raises(services.ValidationError) as caught:
        new_document(personas.sales_a, project_b)
    assert "project" in caught.value.message_dict
    assert Document.objects.count() == 0


def test_upload_pages_create_v1_then_v2(personas, login, project_a):
    client = login(personas.sales_a)
    response = client.post(
        reverse("crm:document-create", args=[project_a.pk]),
        {
            "kind": DocumentKind.PROPOSAL,
            "title": "储能系统技术方案",
            "change_note": "初稿",
            "file": upload("储能方案.pdf", pdf_bytes("V1")),
        },
    )
    document = Document.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("crm:document-detail", args=[document.pk])
    # The next version without a change note: refused, the note named, nothing stored.
    url = reverse("crm:version-create", args=[document.pk])
    response = client.post(url, {"change_note": "", "file": upload("v2.pdf", pdf_bytes("V2"))})
    assert response.status_code == 200
    assert "change_note" in response.context["form"].errors
    assert DocumentVersion.objects.count() == 1
    response = client.post(
        url, {"change_note": "降低报价10%", "file": upload("v2.pdf", pdf_bytes("V2"))}
    )
    assert response.status_code == 302
    page = client.get(reverse("crm:document-detail", args=[document.pk])).content.decode()
    assert 'data-testid="version-V1"' in page and 'data-testid="version-V2"' in page
    assert "降低报价10%" in page
    assert "V3" in page  # the button offers the next version


# --- Customer feedback ---------------------------------------------------------------------


def test_feedback_is_recorded_and_announced_after_commit(
    personas, project_a, django_capture_on_commit_callbacks
):
    document = new_document(personas.sales_a, project_a).document
    v2 = next_version(personas.sales_a, document, "第二版")
    heard = []

    def handler(**payload):
        heard.append(payload)

    subscribe(events.DOCUMENT_FEEDBACK_RECORDED, handler)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.version_record_feedback(
                actor=personas.sales_a, version=v2, feedback="客户反馈：成本过高"
            )
        assert heard == []  # nothing before the commit
        for callback in callbacks:
            callback()
    finally:
        unsubscribe(events.DOCUMENT_FEEDBACK_RECORDED, handler)
    v2.refresh_from_db()
    assert v2.customer_feedback == "客户反馈：成本过高"
    assert v2.feedback_on == timezone.localdate()
    assert v2.feedback_recorded_by == personas.sales_a
    assert heard == [
        {
            "version_id": v2.pk,
            "document_id": document.pk,
            "project_id": project_a.pk,
            "kind": DocumentKind.PROPOSAL,
            "feedback_on": timezone.localdate().isoformat(),
            "actor_id": personas.sales_a.pk,
        }
    ]


def test_feedback_page_records_and_refuses_a_future_date(personas, login, project_a):
    version = new_document(personas.sales_a, project_a)
    client = login(personas.sales_a)
    url = reverse("crm:version-feedback", args=[version.pk])
    assert client.get(url).context["form"]["feedback_on"].value() == timezone.localdate()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client.post(url, {"feedback": "客户反馈：成本过高", "feedback_on": tomorrow})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["feedback_on"]
    assert "客户反馈：成本过高" in response.content.decode()  # kept as typed
    response = client.post(
        url, {"feedback": "客户反馈：成本过高", "feedback_on": timezone.localdate()}
    )
    assert response.status_code == 302
    page = client.get(reverse("crm:document-detail", args=[version.document_id])).content.decode()
    assert "客户反馈：成本过高" in page
    assert 'data-testid="feedback-V1"' in page
    assert personas.sales_a.name in page


# --- Downloads -----------------------------------------------------------------------------


def test_download_is_an_attachment_with_the_original_name(personas, login, project_a):
    data = pdf_bytes("下载测试")
    version = services.document_create(
        actor=personas.sales_a,
        project=project_a,
        kind=DocumentKind.QUOTATION,
        title="报价单",
        file=upload("报价单 2026.pdf", data),
    )
    response = login(personas.sales_a).get(reverse("crm:version-download", args=[version.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''%E6%8A%A5%E4%BB%B7%E5%8D%95%202026.pdf" in disposition
    assert "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == data


def test_office_files_download_with_their_own_type(personas, login, project_a):
    # Built once: a zip's entries carry the time they were written, so a second build a
    # second later would differ from the uploaded file.
    content = xlsx_bytes()
    version = services.document_create(
        actor=personas.sales_a,
        project=project_a,
        kind=DocumentKind.QUOTATION,
        title="报价明细",
        file=upload("报价明细.xlsx", content),
    )
    response = login(personas.manager_a).get(reverse("crm:version-download", args=[version.pk]))
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert b"".join(response.streaming_content) == content


def test_media_files_are_not_served_publicly(personas, client, project_a, settings):
    version = new_document(personas.sales_a, project_a)
    assert not settings.DEBUG
    assert client.get(f"{settings.MEDIA_URL}{version.file.name}").status_code == 404
    anonymous = client.get(reverse("crm:version-download", args=[version.pk]))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


# --- Scoping -------------------------------------------------------------------------------


def test_another_team_gets_404_everywhere(personas, login, project_a):
    version = new_document(personas.sales_a, project_a)
    document = version.document
    urls = [
        reverse("crm:document-detail", args=[document.pk]),
        reverse("crm:version-download", args=[version.pk]),
        reverse("crm:version-create", args=[document.pk]),
        reverse("crm:version-feedback", args=[version.pk]),
        reverse("crm:document-create", args=[project_a.pk]),
    ]
    for name in ("sales_b", "manager_b", "auditor"):
        client = login(personas.get(name))
        for url in urls:
            assert client.get(url).status_code == 404, (name, url)
        response = client.post(
            reverse("crm:version-feedback", args=[version.pk]), {"feedback": "x"}
        )
        assert response.status_code == 404
        listing = client.get(reverse("crm:document-list"))
        assert listing.status_code == 200
        assert document.title not in listing.content.decode()
    # A guessed id that does not exist looks exactly the same.
    client = login(personas.sales_b)
    assert client.get(reverse("crm:version-download", args=[version.pk + 1000])).status_code == 404


def test_the_team_above_sees_and_read_only_roles_cannot_write(personas, login, project_a):
    version = new_document(personas.sales_a, project_a)
    for name in ("manager_a", "regional_head", "hr", "executive"):
        client = login(personas.get(name))
        assert client.get(version.document.get_absolute_url()).status_code == 200, name
        assert client.get(reverse("crm:version-download", args=[version.pk])).status_code == 200
    executive = login(personas.executive)
    assert executive.get(reverse("crm:version-create", args=[version.document_id])).status_code == (
        403
    )
    page = executive.get(version.document.get_absolute_url()).content.decode()
    assert 'data-testid="upload-version"' not in page


def test_the_previous_owner_keeps_what_they_uploaded_after_a_hand_over(personas, login, project_a):
    newcomer = second_salesperson_in_team_a(personas)
    v1 = new_document(personas.sales_a, project_a)
    document = v1.document
    services.project_hand_over(
        project=project_a, actor=personas.manager_a, new_owner=newcomer, reason="调岗"
    )
    v2 = next_version(newcomer, document, "新负责人修订")

    client = login(personas.sales_a)
    assert client.get(project_a.get_absolute_url()).status_code == 404
    page = client.get(document.get_absolute_url())
    assert page.status_code == 200
    assert [v.label for v in page.context["versions"]] == ["V1"]
    assert 'data-testid="upload-version"' not in page.content.decode()
    download = client.get(reverse("crm:version-download", args=[v1.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == pdf_bytes("V1")
    assert client.get(reverse("crm:version-download", args=[v2.pk])).status_code == 404
    assert client.get(reverse("crm:version-create", args=[document.pk])).status_code == 404
    # The customer relationship is the new owner's: no feedback from the previous one.
    assert client.get(reverse("crm:version-feedback", args=[v1.pk])).status_code == 404
    with pytest.raises(services.ValidationError):
        services.version_record_feedback(actor=personas.sales_a, version=v1, feedback="成本过高")
    listing = client.get(reverse("crm:document-list")).content.decode()
    assert document.title in listing

    newcomer_client = login(newcomer)
    assert newcomer_client.get(reverse("crm:version-download", args=[v1.pk])).status_code == 200
    assert newcomer_client.get(reverse("crm:version-download", args=[v2.pk])).status_code == 200


# --- Revision counts -----------------------------------------------------------------------


def test_revision_counts_per_project_and_per_uploader(personas, project_a, project_b):
    """A hand-computed scenario.

    project A (sales_a, later handed to the newcomer):
      proposal            V1 sales_a, V2 sales_a, V3 manager_a, V4 newcomer  → 3 revisions
      technical proposal  V1 manager_a, V2 sales_a (40 days ago)             → 1 revision
      quotation           V1, V2, V3 sales_a                                  → not proposals
    project B (sales_b):
      proposal            V1 sales_b, V2 sales_b                              → 1 revision

    Per uploader, all time: sales_a 2 (proposal V2, technical V2), manager_a 1,
    newcomer 1, sales_b 1. In the last 30 days sales_a has 1.
    """
    newcomer = second_salesperson_in_team_a(personas)
    proposal = new_document(personas.sales_a, project_a).document
    next_version(personas.sales_a, proposal, "第二版")
    next_version(personas.manager_a, proposal, "经理修订")
    technical = new_document(
        personas.manager_a, project_a, kind=DocumentKind.TECHNICAL_PROPOSAL, title="技术方案"
    ).document
    old = next_version(personas.sales_a, technical, "早先的修订")
    DocumentVersion.objects.filter(pk=old.pk).update(
        uploaded_at=timezone.now() - dt.timedelta(days=40)
    )
    quotation = new_document(
        personas.sales_a, project_a, kind=DocumentKind.QUOTATION, title="报价单"
    ).document
    next_version(personas.sales_a, quotation, "二次报价")
    next_version(personas.sales_a, quotation, "三次报价")
    services.project_hand_over(
        project=project_a, actor=personas.manager_a, new_owner=newcomer, reason="调岗"
    )
    next_version(newcomer, proposal, "新负责人修订")
    other = new_document(personas.sales_b, project_b).document
    next_version(personas.sales_b, other, "第二版")

    assert selectors.revision_count_for_project(project_a) == 4
    assert selectors.revision_count_for_project(project_b) == 1

    everyone = User.objects.filter(
        pk__in=[personas.sales_a.pk, personas.manager_a.pk, newcomer.pk, personas.sales_b.pk]
    )
    with CaptureQueriesContext(connection) as queries:
        counts = selectors.revision_counts_by_uploader(everyone)
    assert len(queries) == 1
    assert counts == {
        personas.sales_a.pk: 2,
        personas.manager_a.pk: 1,
        newcomer.pk: 1,
        personas.sales_b.pk: 1,
    }
    today = timezone.localdate()
    recent = selectors.revision_counts_by_uploader(everyone, since=today - dt.timedelta(days=30))
    assert recent[personas.sales_a.pk] == 1
    older = selectors.revision_counts_by_uploader(everyone, until=today - dt.timedelta(days=30))
    assert older == {
        personas.sales_a.pk: 1,
        personas.manager_a.pk: 0,
        newcomer.pk: 0,
        personas.sales_b.pk: 0,
    }
    # A department covers its subtree, zeros included.
    team_a = selectors.revision_counts_by_uploader(personas.team_a)
    assert team_a[personas.sales_a.pk] == 2
    assert team_a[newcomer.pk] == 1
    assert team_a[personas.manager_a.pk] == 1
    assert team_a[personas.deactivated.pk] == 0
    assert personas.sales_b.pk not in team_a
    east = selectors.revision_counts_by_uploader(personas.east)
    assert east[personas.regional_head.pk] == 0 and east[personas.sales_a.pk] == 2


def test_the_project_documents_tab_shows_the_revision_count(personas, login, project_a):
    proposal = new_document(personas.sales_a, project_a).document
    next_version(personas.sales_a, proposal, "第二版")
    next_version(personas.sales_a, proposal, "第三版")
    response = login(personas.sales_a).get(project_a.get_absolute_url(), {"tab": "documents"})
    html = response.content.decode()
    assert 'data-testid="revision-count">2<' in html
    assert 'data-testid="pane-documents"' in html
    assert "储能系统技术方案" in html


# --- Lists and query counts ----------------------------------------------------------------


def _documents(actor, project, count, start=0):
    for index in range(start, start + count):
        version = new_document(actor, project, title=f"方案{index:03d}")
        next_version(actor, version.document, "修订")
        services.version_record_feedback(actor=actor, version=version, feedback="成本过高")


def _query_count(client, url, params=None) -> int:
    client.get(url, params or {})  # the session's first request does some one-off writes
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


def test_the_documents_list_filters_and_exports(personas, login, project_a, project_b):
    new_document(personas.sales_a, project_a, title="储能方案")
    new_document(personas.sales_a, project_a, kind=DocumentKind.QUOTATION, title="储能报价")
    new_document(personas.sales_b, project_b, title="钢厂方案")
    client = login(personas.sales_a)
    url = reverse("crm:document-list")
    titles = [d.title for d in client.get(url).context["object_list"]]
    assert sorted(titles) == ["储能报价", "储能方案"]
    filtered = client.get(url, {"kind": DocumentKind.QUOTATION}).context["object_list"]
    assert [d.title for d in filtered] == ["储能报价"]
    export = client.get(url, {"export": "csv"})
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "储能方案" in body and "钢厂方案" not in body
    assert "苏州工业园区储能项目" in body
    hr_titles = [d.title for d in login(personas.hr).get(url).context["object_list"]]
    assert len(hr_titles) == 3


def test_documents_list_query_count_is_constant(
    personas, login, project_a, django_assert_max_num_queries
):
    client = login(personas.manager_a)
    url = reverse("crm:document-list")
    _documents(personas.sales_a, project_a, 2)
    few = _query_count(client, url)
    _documents(personas.sales_a, project_a, 10, start=2)
    assert _query_count(client, url) == few
    assert _query_count(client, url, {"export": "xlsx"}) <= few
    with django_assert_max_num_queries(few):
        client.get(url, {"sort": "-last_uploaded_at", "kind": DocumentKind.PROPOSAL})


def test_project_sections_query_count_is_constant(
    personas, login, project_a, django_assert_max_num_queries
):
    client = login(personas.sales_a)
    url = project_a.get_absolute_url()
    _documents(personas.sales_a, project_a, 1)
    services.term_create(actor=personas.sales_a, project=project_a, topic="price", description="a")
    few = _query_count(client, url, {"tab": "documents"})
    _documents(personas.sales_a, project_a, 8, start=1)
    for index in range(6):
        services.term_create(
            actor=personas.sales_a, project=project_a, topic="payment", description=f"付款{index}"
        )
    with django_assert_max_num_queries(few):
        client.get(url, {"tab": "documents"})
    assert _query_count(client, url, {"tab": "contract"}) == few


def test_document_page_query_count_does_not_grow_with_people(
    personas, login, project_a, django_assert_max_num_queries
):
    version = new_document(personas.sales_a, project_a)
    client = login(personas.manager_a)
    url = version.document.get_absolute_url()
    few = _query_count(client, url)
    for index in range(4):
        next_version(personas.sales_a, version.document, f"修订{index}")
    # History is read per version (a handful per document); the versions list itself is
    # one query, so the growth is bounded by the history reads only.
    many = _query_count(client, url)
    assert many - few <= 4 * 2
