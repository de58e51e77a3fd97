"""Telling the applicants of a step (Art. 20 §5), as the deciding service itself.

The sealed dossier of ``ApplicationFiled`` holds the worker's and the employer's
contacts; the deciding service opens it (need to know, Art. 11) only to address the
notification. Art. 24: a negative decision's reasons go to the worker alone; the
employer hears of the step without them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from uuid import UUID

from guichet_contracts import ApplicationFiled
from guichet_contracts.dossier import SealedDossier
from guichet_contracts.vocabulary import Language
from guichet_core.kernel.store.sql import UnitOfWork
from guichet_core.stores.notifications import Notification, notification_id_for, queue_notification
from guichet_core.stores.vault import PersonalDataVault

Text = Callable[[Language], str]
Body = Callable[[Language, str | None], str]  # language, reasons (None: not for this reader)
Subjects = Mapping[str, Mapping[Language, str]]  # step -> language -> subject line

REASONS_LABEL: dict[Language, str] = {
    "en": "Reasons",
    "fr": "Motifs",
    "nl": "Motivering",
    "de": "Begründung",
}


def letter(
    title: str, *, application_id: str, details: str = "", reasons: str | None, language: Language
) -> str:
    """The body of a notification: what happened, to which dossier, and (for the worker
    only) the reasons of a negative decision."""
    lines = [title, "", f"Dossier: {application_id}"]
    if details:
        lines += ["", details]
    if reasons is not None:
        lines += ["", f"{REASONS_LABEL[language]}:", reasons]
    return "\n".join(lines) + "\n"


async def notify_step(
    uow: UnitOfWork,
    vault: PersonalDataVault,
    filed: ApplicationFiled,
    *,
    cause: UUID,
    step: str,
    subjects: Subjects,
    details: str = "",
    reasons: str | None = None,
) -> None:
    """Notify the applicants of ``step`` with the service's subject lines."""
    application_id = str(filed.application_id)

    def subject(language: Language) -> str:
        return subjects[step][language]

    def body(language: Language, their_reasons: str | None) -> str:
        return letter(
            subjects[step][language],
            application_id=application_id,
            details=details,
            reasons=their_reasons,
            language=language,
        )

    await notify_applicants(
        uow, vault, filed, cause=cause, purpose=step, subject=subject, body=body, reasons=reasons
    )


async def notify_applicants(
    uow: UnitOfWork,
    vault: PersonalDataVault,
    filed: ApplicationFiled,
    *,
    cause: UUID,
    purpose: str,
    subject: Text,
    body: Body,
    reasons: str | None = None,
) -> None:
    """Queue the step's notification for the worker (with ``reasons``, if any) and for
    the employer (without), in the decision's unit of work."""
    if filed.dossier is None:  # filed before dossiers were sealed (v1): no contacts held
        return
    dossier_id = str(filed.application_id)
    personal = await vault.unseal_as(filed.dossier, SealedDossier, dossier_id=dossier_id)
    worker = personal.worker
    language = worker.language
    readers = [(worker.niss or worker.email, worker.email, reasons)]
    employer = personal.employer
    if employer is not None and employer.email:
        readers.append((employer.enterprise_number or employer.email, employer.email, None))
    for recipient, email, their_reasons in readers:
        await queue_notification(
            uow,
            Notification(
                notification_id=notification_id_for(cause, purpose, recipient),
                dossier_id=dossier_id,
                recipient=recipient,
                email=email,
                subject=subject(language),
                body=body(language, their_reasons),
                language=language,
            ),
            vault=vault,
        )
