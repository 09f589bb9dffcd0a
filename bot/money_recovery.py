"""After a restart: money actions a crash left between Confirm and their outcome.

A ``confirmed`` withdrawal, coupon, conversion or futures fixation was never sent (the
one-time code lived only in the dead process's memory, and a WallexPay action is marked
``sent`` before its request leaves): it is settled as failed and its owner told that
nothing went out.
A ``sent`` one may have reached the system: it is never sent again; its transfer row
becomes ``unknown`` (so the daily cap keeps counting it) and its owner is told to
check the system's history, with the reference the request carried. Each message goes
through the outbox once (deduplicated per confirmation).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.chats import ChatPreferences
from bot.confirmations import Action, ConfirmationStore, State
from bot.i18n import Lang
from storage.db import Database
from storage.repos import outbox
from storage.repos import withdrawals as transfers

log = logging.getLogger(__name__)

MONEY_KINDS = ("withdrawal", "coupon", "coupon_redeem", "convert", "convert_now", "futures")
CODE_KINDS = ("withdrawal", "coupon", "coupon_redeem")
"""The kinds whose ``confirmed`` rows wait for a one-time code (or coupon) typed back."""
Render = Callable[[Lang, Action], str]


async def recover(
    db: Database,
    confirmations: ConfirmationStore,
    chats: ChatPreferences,
    render: Render,
    *,
    started_at: datetime,
    wake: Callable[[], None] | None = None,
) -> int:
    """Settle what an earlier process left unfinished; returns how many were settled."""
    settled = 0
    for act in await confirmations.unfinished(MONEY_KINDS):
        if act.confirmed_at is not None and act.confirmed_at >= started_at:
            continue  # this process's own, in progress
        if act.state is State.CONFIRMED:
            await confirmations.mark_failed(act.id, "restarted before it was sent")
        else:
            await confirmations.mark_failed(act.id, "restarted after sending: outcome unknown")
        lang = await chats.language(act.chat_id, None)
        async with db.session() as session:
            if act.state is State.SENT and act.client_ref:
                row = await transfers.by_reference(session, act.client_ref)
                if row is not None and row.state == transfers.SENDING:
                    await transfers.finish(session, row.id, state=transfers.UNKNOWN)
            await outbox.enqueue(
                session,
                chat_id=act.chat_id,
                user_id=act.user_id,
                kind="money",
                dedupe=f"money-recover:{act.id}",
                text=render(lang, act),
            )
        settled += 1
        log.info("settled %s %s left %s by an earlier process", act.kind, act.id, act.state)
    if settled and wake is not None:
        wake()
    return settled
