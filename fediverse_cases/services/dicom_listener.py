"""The DICOM C-STORE listener (pynetdicom): a PACS or modality pushes a study over DIMSE.

Only the calling AE titles of ``[dicom.calling_ae_titles]`` may associate (anything else is
rejected at association, before a byte of data); each title names the clinician the studies are
for. Each C-STORE is checked at once (``dicom.instances``: a bad or truncated instance gets a
failure status, and a study over ``max_study_bytes`` gets Out of Resources); when the association
is released, what it carried is handed study by study to ``dicom_intake.receive_study``, exactly
as STOW-RS does. pynetdicom runs associations in threads; the intake runs on the listener's event
loop, and the release handler waits for it, so a study is processed once and in order.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from fediverse_cases.dicom import store_result
from fediverse_cases.dicom.instances import InstanceRefusal, read_instance
from fediverse_cases.dicom.multipart import DICOM_TYPE, Part
from fediverse_cases.services import dicom_intake
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.repositories.accounts import get_account_by_username

log = logging.getLogger(__name__)

SUCCESS = 0x0000


@dataclass
class _Association:
    calling_ae: str
    size: int = 0
    studies: dict[str, list[Part]] = field(default_factory=dict)


@dataclass
class Listener:
    """The running AE: ``stop()`` (blocking) closes the port, ``drain()`` awaits studies in progress."""

    server: object
    port: int
    on_stop: Callable[[], None]
    in_progress: set[concurrent.futures.Future[None]] = field(default_factory=set)

    def stop(self) -> None:
        self.on_stop()

    async def drain(self) -> None:
        # A study being stored when SIGTERM came is finished, not cut off half-written.
        pending = [asyncio.wrap_future(future) for future in list(self.in_progress)]
        await asyncio.gather(*pending, return_exceptions=True)


def start(state: AppState, loop: asyncio.AbstractEventLoop) -> Listener:
    # pynetdicom is imported here: only the listener needs it.
    from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, StoragePresentationContexts, evt
    from pynetdicom.sop_class import Verification

    settings = state.settings.dicom
    senders = dict(settings.calling_ae_titles)
    ae = AE(ae_title=settings.listener_ae_title)
    ae.require_calling_aet = list(senders)  # unknown callers: A-ASSOCIATE-RJ "calling AE not recognised"
    for context in StoragePresentationContexts:
        ae.add_supported_context(context.abstract_syntax, ALL_TRANSFER_SYNTAXES)
    ae.add_supported_context(Verification)
    ae.maximum_pdu_size = 0
    associations: dict[int, _Association] = {}
    lock = threading.Lock()
    in_progress: set[concurrent.futures.Future[None]] = set()

    def on_accepted(event) -> None:  # type: ignore[no-untyped-def]
        calling = event.assoc.requestor.ae_title.strip()
        with lock:
            associations[id(event.assoc)] = _Association(calling)
        log.info("DICOM association accepted from %s", calling)

    def on_store(event) -> int:  # type: ignore[no-untyped-def]
        with lock:
            current = associations.get(id(event.assoc))
        if current is None:
            return 0xA700
        data = event.encoded_dataset(include_meta=True)
        if current.size + len(data) > settings.max_study_bytes:
            log.warning("C-STORE from %s refused: over dicom.max_study_bytes", current.calling_ae)
            return store_result.OUT_OF_RESOURCES
        try:
            instance = read_instance(data)
        except InstanceRefusal as refusal:
            log.warning("C-STORE from %s refused: %s", current.calling_ae, refusal.message)
            return refusal.reason
        current.size += len(data)
        current.studies.setdefault(instance.study_uid, []).append(Part(DICOM_TYPE, data))
        return SUCCESS

    def on_released(event) -> None:  # type: ignore[no-untyped-def]
        with lock:
            current = associations.pop(id(event.assoc), None)
        if current is None or not current.studies:
            return
        username = senders.get(current.calling_ae, "")
        future = asyncio.run_coroutine_threadsafe(_receive(state, username, current), loop)
        in_progress.add(future)
        try:
            future.result()
        except Exception:
            log.exception("the studies sent by %s could not be stored", current.calling_ae)
        finally:
            in_progress.discard(future)

    def on_aborted(event) -> None:  # type: ignore[no-untyped-def]
        with lock:
            dropped = associations.pop(id(event.assoc), None)
        if dropped is not None:
            log.warning("association from %s aborted: nothing it sent was kept", dropped.calling_ae)

    def on_rejected(event) -> None:  # type: ignore[no-untyped-def]
        calling = event.assoc.requestor.ae_title.strip()
        if calling not in senders:
            log.warning("DICOM association from unknown calling AE title %r rejected", calling)

    handlers = [
        (evt.EVT_ACCEPTED, on_accepted),
        (evt.EVT_REJECTED, on_rejected),
        (evt.EVT_C_STORE, on_store),
        (evt.EVT_RELEASED, on_released),
        (evt.EVT_ABORTED, on_aborted),
    ]
    server = ae.start_server(
        (settings.listener_host, settings.listener_port), block=False, evt_handlers=handlers
    )
    port = int(server.server_address[1])
    log.info("DICOM listener %s on %s:%s", settings.listener_ae_title, settings.listener_host, port)
    return Listener(server, port, server.shutdown)


async def _receive(state: AppState, username: str, association: _Association) -> None:
    async with state.sessionmaker() as db:
        account = await get_account_by_username(db, username)
    for study_uid, parts in association.studies.items():
        try:
            result = await dicom_intake.receive_study(state, account, parts, via="c-store")  # type: ignore[arg-type]
        except dicom_intake.IntakeRefused as refused:
            log.warning("study from %s for %s refused: %s", association.calling_ae, username, refused.message)
            continue
        log.info(
            "study %s from %s: %d instance(s) stored as draft %s, %d failed",
            study_uid,
            association.calling_ae,
            len(result.stored),
            result.case_public_id,
            len(result.failed),
        )
