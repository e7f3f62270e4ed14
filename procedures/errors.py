"""The one family of refusals. Every act that says "no" raises a `Refused` (or a subclass):
its `message` is for the user, in their terms, and nothing was changed. Views catch `Refused`
and show the message; everything else is a bug.

Imports nothing from the project, so every layer (rendering included) can use it.
"""


class Refused(Exception):
    """A refusal whose message is for the user. Nothing was changed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
