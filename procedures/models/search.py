"""The search index: one plain-text document per revision, written whenever its content is.

The database derives what it searches from these rows: on PostgreSQL a trigger keeps two
tsvectors (`head` for code and title, `vector` for everything, weighted) under a GIN index; on
SQLite triggers keep an FTS5 table in step (migration 0007). `procedures.search` reads them.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from .documents import Revision
from .records import now


class SearchDocument(models.Model):
    revision = models.OneToOneField(
        Revision,
        on_delete=models.CASCADE,
        related_name="search_document",
        verbose_name=_("revision"),
    )
    # The PostgreSQL text-search configuration the vectors were built with (a setting).
    config = models.CharField(_("text-search configuration"), max_length=63)
    code = models.CharField(_("code"), max_length=60)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    head = SearchVectorField(null=True, editable=False)
    vector = SearchVectorField(null=True, editable=False)
    indexed_at = models.DateTimeField(_("indexed at"), default=now)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self) -> str:
        return f"{self.code} · {self.title}"
