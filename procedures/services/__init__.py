"""Writes that change no status: create a procedure, save a draft, start a revision, comment,
acknowledge (feedback has its own module, feedback.py).

Each function is atomic, locks the rows it changes, records the user and a reason in the
history (django-simple-history) and refuses with an exception of services/errors.py (a
`errors.Refused`), whose message a view shows as it is. Status changes live in workflow/,
not here. Callers import from `procedures.services`; the modules behind it are:

    errors.py       what is refused      text_checks.py  whether text can be shown
    drafts.py       saving a draft       procedures.py   creating one, starting a revision
    comments.py     comments and acknowledgements
    people.py       what a person sets for themselves (their language)
"""

from ..content import CONTENT_FIELDS, DraftContent, MeasureData
from .comments import acknowledge, add_comment
from .drafts import save_draft
from .errors import (
    DuplicateCode,
    EditConflict,
    NotAllowed,
    OpenRevisionExists,
    ServiceError,
    StepsInvalid,
    TextRefused,
)
from .people import set_language
from .procedures import create_procedure, start_revision
from .text_checks import element_labels, picture_problems, unrenderable

__all__ = [
    "CONTENT_FIELDS",
    "DraftContent",
    "DuplicateCode",
    "EditConflict",
    "MeasureData",
    "NotAllowed",
    "OpenRevisionExists",
    "ServiceError",
    "StepsInvalid",
    "TextRefused",
    "acknowledge",
    "add_comment",
    "create_procedure",
    "element_labels",
    "save_draft",
    "set_language",
    "start_revision",
    "picture_problems",
    "unrenderable",
]
