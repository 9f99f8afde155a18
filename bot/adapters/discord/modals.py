"""What someone typed into a modal whose submit had problems, kept in memory only, so the modal
opens refilled when they press "Try again"; and the check, run before the core answers, of
whether it will answer with problems (only that answer gets the "Try again" button)."""

from __future__ import annotations

from collections import OrderedDict

from ... import forms
from ...core import Form

TYPED_KEPT = 500  # modals refilled after a validation problem (in memory only)


class TypedMemory:
    """(user id, form id) -> what they typed; past `kept` entries the oldest go first."""

    def __init__(self, kept: int = TYPED_KEPT) -> None:
        self.kept = kept
        self._typed: OrderedDict[tuple[str, str], dict[str, str]] = OrderedDict()

    def get(self, user_id: str, form_id: str) -> dict[str, str] | None:
        return self._typed.get((user_id, form_id))

    def keep(self, user_id: str, form_id: str, raw: dict[str, str] | None) -> None:
        """Remember `raw` for this person's form, or (None) drop what was kept."""
        key = (user_id, form_id)
        self._typed.pop(key, None)
        if raw is None:
            return
        self._typed[key] = raw
        while len(self._typed) > self.kept:
            self._typed.popitem(last=False)

    def forget(self, user_id: str) -> None:
        for key in [k for k in self._typed if k[0] == user_id]:
            del self._typed[key]


def has_problems(form: Form, raw: dict[str, str]) -> bool:
    """Whether forms.submit_all will answer with problems: the same checks, run first, so the
    problems reply (and only it) gets a button that reopens the modal."""
    for field in form.fields:
        if field.kind != "text":
            continue
        text = (raw.get(field.name) or "").strip()
        if not text and not field.required:
            continue
        try:
            forms.clean(field, text)
        except ValueError:
            return True
    return False
