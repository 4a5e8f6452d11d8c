from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

XLSX_ACCEPT = ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(forms.Form):
    """What a file imports, and the file (an .xlsx workbook made from the template)."""

    entity = forms.ChoiceField(label=_("Records to import"))
    file = forms.FileField(label=_("Excel file (.xlsx)"))

    def __init__(self, *args, pipelines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].choices = [(p.entity, p.label) for p in pipelines]
        limit = settings.UPLOAD_MAX_BYTES
        self.fields["file"].help_text = _(
            "A workbook made from the template, at most %(limit)s."
        ) % {"limit": filesizeformat(limit)}
        # documents.js refuses a file that is too big before the browser sends it.
        self.fields["file"].widget.attrs.update(
            {
                "accept": XLSX_ACCEPT,
                "data-max-bytes": str(limit),
                "data-too-big": _("The file is %(size)s; the limit is %(limit)s.")
                % {"size": "{size}", "limit": filesizeformat(limit)},
            }
        )
