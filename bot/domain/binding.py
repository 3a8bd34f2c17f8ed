"""One-time binding codes: issue, redeem (with the lockout against guessing), unbind.

Only a code's hash is stored. Ten wrong codes from one LINE account within an hour lock
that account out of binding for an hour.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.domain.people import Person, active_binding, load_person
from bot.infra.models import BindingCode, LineBinding, Student, Teacher
from bot.infra.store import Store
from bot.infra.vocab import PersonKind

# No 0/O, 1/I/L: codes are read off paper.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
# "AB12CD34", "綁定 ab12cd34", "綁定碼：AB12CD34" (after NFKC, so full-width input works too).
CODE_PATTERN = re.compile(r"^(?:綁定碼?)?[\s:]*([A-Za-z0-9]{8})$")
MAX_FAILURES = 10
LOCK_SECONDS = 3600


class BindOutcome(Enum):
    bound = "bound"
    bad_code = "bad_code"
    locked = "locked"
    already_bound = "already_bound"   # this LINE account is bound to someone already


@dataclass(frozen=True)
class BindResult:
    outcome: BindOutcome
    person: Person | None = None       # bound: the person; already_bound: whom it is bound to (if readable)
    failures_left: int | None = None
    replaced: bool = False             # bound: the person's earlier LINE account was unbound (a new phone)


def parse_code(text: str) -> str | None:
    """The code in a chat message (``AB12CD34`` or ``綁定 ab12cd34``), upper-cased; or None."""
    match = CODE_PATTERN.match(unicodedata.normalize("NFKC", text).strip())
    return match.group(1).upper() if match else None


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode("ascii")).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def issue_code(session: Session, kind: PersonKind, person_id: int) -> str:
    """A fresh code for a person; their earlier unused codes stop working."""
    session.execute(delete(BindingCode).where(
        BindingCode.person_kind == kind, BindingCode.person_id == person_id, BindingCode.used_at.is_(None)))
    while True:
        code = new_code()
        digest = hash_code(code)
        if session.scalar(select(BindingCode.id).where(BindingCode.code_hash == digest)) is None:
            break
    session.add(BindingCode(code_hash=digest, person_kind=kind, person_id=person_id))
    session.flush()
    return code


def is_locked(store: Store, line_user_id: str) -> bool:
    return store.get(f"bind-lock:{line_user_id}") is not None


def _record_failure(store: Store, line_user_id: str) -> int:
    failures = store.incr(f"bind-fail:{line_user_id}", LOCK_SECONDS)
    if failures >= MAX_FAILURES:
        store.set(f"bind-lock:{line_user_id}", "1", LOCK_SECONDS)
        store.delete(f"bind-fail:{line_user_id}")
    return max(MAX_FAILURES - failures, 0)


def redeem(session: Session, store: Store, line_user_id: str, code: str, now: datetime) -> BindResult:
    """Bind ``line_user_id`` to the person the code was issued for, using the code up."""
    if is_locked(store, line_user_id):
        return BindResult(BindOutcome.locked)
    current = active_binding(session, line_user_id)
    if current is not None:
        return BindResult(BindOutcome.already_bound, load_person(session, line_user_id))
    digest = hash_code(code)
    row = session.scalar(select(BindingCode).where(BindingCode.code_hash == digest, BindingCode.used_at.is_(None)))
    person_model = None
    if row is not None:
        person_model = session.get(Student if row.person_kind == PersonKind.student else Teacher, row.person_id)
        if isinstance(person_model, Student) and not person_model.enrolled:
            person_model = None
    if row is None or person_model is None:
        left = _record_failure(store, line_user_id)
        return BindResult(BindOutcome.locked if left == 0 else BindOutcome.bad_code, failures_left=left)
    # Use the code exactly once, even if two accounts send it at the same moment.
    used = session.execute(
        update(BindingCode).where(BindingCode.id == row.id, BindingCode.used_at.is_(None))
        .values(used_at=now, used_by=line_user_id)
    )
    if used.rowcount != 1:
        left = _record_failure(store, line_user_id)
        return BindResult(BindOutcome.bad_code, failures_left=left)
    # A person re-binding (a new phone) ends their earlier binding.
    moved = session.execute(
        update(LineBinding).where(LineBinding.person_kind == row.person_kind, LineBinding.person_id == row.person_id,
                                  LineBinding.unbound_at.is_(None)).values(unbound_at=now)
    )
    session.add(LineBinding(line_user_id=line_user_id, person_kind=row.person_kind, person_id=row.person_id,
                            bound_at=now))
    session.flush()
    store.delete(f"bind-fail:{line_user_id}")
    return BindResult(BindOutcome.bound, load_person(session, line_user_id), replaced=bool(moved.rowcount))


def unbind(session: Session, line_user_id: str, now: datetime) -> bool:
    """End this LINE account's binding; False when it was not bound."""
    binding = active_binding(session, line_user_id)
    if binding is None:
        return False
    binding.unbound_at = now
    session.flush()
    return True
