"""/futures and /convert … now through the real bot against the strict WallexPay sandbox:
what the merchant sees, and what reached WallexPay."""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.app import services_of
from bot.confirmations import Refusal
from sandbox import wallexpay
from sandbox.runner import SandboxStack
from storage.repos import confirmations as confirmations_repo

from ..conftest import FixedClock
from .conftest import RunningBot, running_bot
from .test_bot_payments import merchant
from .test_bot_withdrawals import last_with_buttons, money, press

ADDRESS = re.compile(r"Address: ([13][1-9A-HJ-NP-Za-km-z]{25,34})")


def sent(bot: RunningBot, method: str) -> list[dict[str, Any]]:
    return [
        json.loads(r.body)
        for r in bot.stack.servers["wallexpay"].harness.requests
        if r.path == f"/api/v2/{method}"
    ]


def money_store(bot: RunningBot) -> Any:
    return services_of(bot.app).confirmations


def futures_jobs(bot: RunningBot) -> list[Any]:
    assert bot.app.job_queue is not None
    return [j for j in bot.app.job_queue.jobs() if str(j.name).startswith("futures:")]


async def test_futures_rate_confirmed_within_its_window(bot: RunningBot) -> None:
    user = await merchant(bot)
    await user.ask("/futures 30 BTC USD")
    offer = last_with_buttons(bot, user)
    text = str(offer["text"])
    assert "Futures on WallexPay" in text and "You receive: 30 USD" in text
    assert re.search(r"It holds for (99 min 5\d s|100 min 0 s) more", text), text
    [taken] = sent(bot, "addresses/take")
    assert taken == {
        "currency": "BTC",
        "foreign_id": f"user-id:{user.user_id}",
        "convert_to": "USD",
    }
    found = ADDRESS.search(text)
    assert found, text
    [asked] = sent(bot, "futures/rates")
    assert asked == {"address": found.group(1)}
    # the buttons die with the rates
    store = money_store(bot)
    act = await store.get(futures_jobs(bot)[0].data["pending"].id)
    assert act is not None and act.kind == "futures" and act.user_id == user.user_id
    assert act.expires_at.timestamp() <= float(act.payload["release_at"]) + 1
    done = await press(bot, user, offer, 1)
    assert "WallexPay fixed futures" in done and "30 USD for" in done, done
    assert found.group(1) in done and "Have your customer send exactly" in done
    [confirmed] = sent(bot, "futures/confirm")
    assert confirmed == {
        "address": found.group(1),
        "sender_currency": "BTC",
        "receiver_currency": "USD",
        "receiver_amount": "30",
    }
    ledger = bot.stack.servers["wallexpay"].payments.ledger(
        bot.stack.servers["wallexpay"].merchants[wallexpay.DEMO_KEY]
    )
    assert [f.receiver_amount for f in ledger.futures] == [Decimal("30")]


async def test_futures_refused_by_wallexpay_after_its_window_offer_fresh_rates(
    bot: RunningBot, market_clock: FixedClock
) -> None:
    user = await merchant(bot)
    await user.ask("/futures 30 BTC USD")
    offer = last_with_buttons(bot, user)
    market_clock.advance(6001)  # WallexPay's rates lapse; our clock has not noticed
    lapsed = await press(bot, user, offer, 1)
    assert "These futures rates lapsed" in lapsed and "nothing was fixed" in lapsed, lapsed
    assert len(sent(bot, "futures/confirm")) == 1  # WallexPay itself refused it
    sandbox = bot.stack.servers["wallexpay"]
    assert sandbox.payments.ledger(sandbox.merchants[wallexpay.DEMO_KEY]).futures == []
    fresh = last_with_buttons(bot, user)
    assert "Fresh rates" in str(fresh["reply_markup"])
    again = await press(bot, user, fresh, 1)
    assert "Futures on WallexPay" in again and "It holds for" in again
    assert len(sent(bot, "futures/rates")) == 2
    done = await press(bot, user, last_with_buttons(bot, user), 1)
    assert "WallexPay fixed futures" in done


async def test_futures_lapsed_by_our_clock_sends_nothing(bot: RunningBot) -> None:
    clock = FixedClock(time.time())
    money(bot).payments.clock = clock
    user = await merchant(bot)
    await user.ask("/futures 30 BTC USD")
    offer = last_with_buttons(bot, user)
    clock.advance(6000 - 1)  # within the last seconds: too late to arrive in time
    lapsed = await press(bot, user, offer, 1)
    assert "These futures rates lapsed" in lapsed
    assert sent(bot, "futures/confirm") == []


async def test_futures_message_counts_down_then_offers_fresh_rates(bot: RunningBot) -> None:
    clock = FixedClock(time.time())
    money(bot).payments.clock = clock
    user = await merchant(bot)
    await user.ask("/futures 30 BTC USD")
    offer = last_with_buttons(bot, user)
    jobs = futures_jobs(bot)
    assert len(jobs) == 2  # per minute, and once at the end
    emu = bot.stack.telegram

    def shown() -> dict[str, Any]:
        [m] = [m for m in emu.transcript(user.chat_id) if m["message_id"] == offer["message_id"]]
        return m

    clock.advance(6000 - 300)
    await jobs[0].run(bot.app)
    assert re.search(r"It holds for (4 min 5\d s|5 min 0 s) more", str(shown()["text"]))
    assert "Confirm" in str(shown()["reply_markup"])
    fast = futures_jobs(bot)  # the last ten minutes count per 10 s
    intervals = [getattr(j.job.trigger, "interval", None) for j in fast if not j.removed]
    assert [i.total_seconds() for i in intervals if i is not None] == [10]
    clock.advance(301)
    await fast[0].run(bot.app)
    text, markup = str(shown()["text"]), str(shown()["reply_markup"])
    assert "These futures rates lapsed" in text
    assert "Fresh rates" in markup and "Confirm" not in markup
    assert sent(bot, "futures/confirm") == []


async def test_futures_typed_wrong_gets_a_sentence(bot: RunningBot) -> None:
    user = await merchant(bot)
    assert "I need the amount you receive" in await user.ask("/futures 30 BTC")
    assert "is not an amount" in await user.ask("/futures -5 BTC USD")
    assert "must differ" in await user.ask("/futures 5 BTC BTC")
    refused = await user.ask("/futures 30 XYZ USD")
    assert "XYZ" in refused and "Traceback" not in refused
    assert sent(bot, "futures/rates") == []


async def test_futures_only_in_a_private_chat(bot: RunningBot) -> None:
    user = await merchant(bot)
    emu = bot.stack.telegram
    group = emu.add_group("Shop", members=[user.user_id], admins=[user.user_id])
    msg = await emu.send_text(user.user_id, "/futures 30 BTC USD", chat_id=group.id)
    answer = await emu.wait_for_message(group.id, after_message_id=msg["message_id"], timeout=10)
    assert "only in a private chat" in str(answer.get("text"))
    assert sent(bot, "addresses/take") == []


async def test_convert_now_sends_exchange_now_without_a_price(bot: RunningBot) -> None:
    user = await merchant(bot)
    await user.ask("/convert 0.01 BTC USDT now")
    summary = last_with_buttons(bot, user)
    text = str(summary["text"])
    assert "at the market rate" in text and "You give: 0.01 BTC" in text
    assert "No price is fixed" in text
    assert sent(bot, "exchange/now") == []
    done = await press(bot, user, summary, 1)
    assert "WallexPay accepted the exchange" in done, done
    [now] = sent(bot, "exchange/now")
    assert now["sender_amount"] == "0.01" and now["sender_currency"] == "BTC"
    assert now["receiver_currency"] == "USDT" and "price" not in now and now["foreign_id"]
    assert "only understand “now”" in await user.ask("/convert 0.01 BTC USDT later")


async def test_convert_now_cancelled_sends_nothing(bot: RunningBot) -> None:
    user = await merchant(bot)
    await user.ask("/convert 0.01 BTC USDT now")
    assert "Cancelled" in await press(bot, user, last_with_buttons(bot, user), 2)
    assert sent(bot, "exchange/now") == []


async def test_deposit_with_exchange_takes_an_address_converting_on_arrival(
    bot: RunningBot,
) -> None:
    user = await merchant(bot)
    caption = await user.ask("/deposit wallexpay BTC USD")
    assert "Deposit BTC to your WallexPay account" in caption, caption
    assert "Every deposit is converted to USD on arrival" in caption
    [taken] = sent(bot, "addresses/take")
    assert taken == {
        "currency": "BTC",
        "foreign_id": f"user-id:{user.user_id}",
        "convert_to": "USD",
    }
    sandbox = bot.stack.servers["wallexpay"]
    issued = sandbox.merchants[wallexpay.DEMO_KEY].addresses[-1]
    assert issued.address in caption and issued.convert_to == "USD"
    refused = await user.ask("/deposit wallexpay BTC XYZ")
    assert "Traceback" not in refused and refused.strip(), refused
    assert len(sent(bot, "addresses/take")) == 2
    plain = await user.ask("/deposit wallexpay BTC")
    assert "converted" not in plain and "convert_to" not in sent(bot, "addresses/take")[-1]


async def test_a_deposit_to_a_confirmed_futures_address_is_told_at_the_fixed_rate(
    bot: RunningBot,
) -> None:
    user = await merchant(bot)
    url, _ = await money(bot).payments.callback_url(user.user_id)
    assert url is not None
    sandbox = bot.stack.servers["wallexpay"]
    sandbox.set_callback_url(wallexpay.DEMO_KEY, url)
    await user.ask("/futures 30 BTC USD")
    done = await press(bot, user, last_with_buttons(bot, user), 1)
    found = re.search(r"send exactly ([\d.]+) BTC to (\S+) by", done)
    assert found, done
    amount, address = Decimal(found.group(1)), found.group(2)
    [fixed] = sandbox.payments.ledger(sandbox.merchants[wallexpay.DEMO_KEY]).futures
    sandbox.market.shift("BTC", 10)  # the market moves; the fixed rate holds
    sandbox.simulate_deposit(address, amount)
    await sandbox.sweep()
    told = await bot.stack.telegram.wait_for_message(
        user.chat_id,
        predicate=lambda m: (
            "deposit" in str(m.get("text")) and ": confirmed." in str(m.get("text"))
        ),
        timeout=10,
    )
    text = str(told["text"])
    assert f"WallexPay deposit of {amount} BTC: confirmed." in text, text
    [tx] = sandbox.payments.ledger(sandbox.merchants[wallexpay.DEMO_KEY]).transactions.values()
    assert tx.price == fixed.price != sandbox.rate_to("BTC", "USD")  # converted at the fixed rate
    assert f"Received: {tx.receiver_amount.normalize()} USD" in text, text


# --- no answer after Confirm: never "nothing was …", never sent again -------------------
def no_answer_from(bot: RunningBot, method: str) -> None:
    """WallexPay answers this method with a gateway error: the request left, and the bot
    cannot know whether it was carried out."""
    faults = bot.stack.servers["wallexpay"].harness.faults
    faults.status, faults.only_paths = 502, (f"/api/v2/{method}",)


async def test_convert_now_without_an_answer_is_not_called_nothing(bot: RunningBot) -> None:
    user = await merchant(bot)
    await user.ask("/convert 0.01 BTC USDT now")
    summary = last_with_buttons(bot, user)
    no_answer_from(bot, "exchange/now")
    told = await press(bot, user, summary, 1)
    [request] = sent(bot, "exchange/now")  # once: a money call is never retried
    assert "WallexPay did not answer after the request left" in told, told
    assert f"reference {request['foreign_id']}" in told
    assert "Nothing was exchanged" not in told and "try again shortly" not in told
    # Settled here (failed, "outcome unknown"), so a restart does not report it again.
    assert await money_store(bot).unfinished(["convert_now"]) == []


async def test_futures_without_an_answer_name_the_address_to_check(bot: RunningBot) -> None:
    user = await merchant(bot)
    await user.ask("/futures 30 BTC USD")
    offer = last_with_buttons(bot, user)
    found = ADDRESS.search(str(offer["text"]))
    assert found
    no_answer_from(bot, "futures/confirm")
    told = await press(bot, user, offer, 1)
    assert len(sent(bot, "futures/confirm")) == 1
    assert "WallexPay did not answer after the request left" in told, told
    assert f"reference {found.group(1)}" in told and "Nothing was fixed" not in told


async def test_a_refusal_after_confirm_says_nothing_was_exchanged(bot: RunningBot) -> None:
    user = await merchant(bot)
    await user.ask("/convert 5000 BTC USDT now")  # more than the merchant holds
    told = await press(bot, user, last_with_buttons(bot, user), 1)
    assert len(sent(bot, "exchange/now")) == 1
    assert "Nothing was exchanged." in told and "did not answer" not in told, told


async def test_a_restart_tells_of_wallexpay_actions_a_crash_cut_off(
    stack: SandboxStack, tmp_path: Path
) -> None:
    """The process died after Confirm: a conversion already marked sent may have reached
    WallexPay (check, with its reference); futures confirmed but not yet sent did not."""
    db = tmp_path / "restart.db"
    async with running_bot(stack, db) as first:
        user = await merchant(first)
        store = money_store(first)
        await user.ask("/convert 0.01 BTC USDT now")
        await user.ask("/futures 30 BTC USD")
        async with services_of(first.app).db.session() as session:
            rows = await confirmations_repo.in_states(session, [confirmations_repo.PENDING])
            pending = {row.kind: row for row in rows}
        for row in pending.values():
            assert not isinstance(await store.confirm(row.id, user.user_id), Refusal)
        assert await store.mark_sent(pending["convert_now"].id)  # … and the process dies
        reference = pending["convert_now"].client_ref
        assert reference
    async with running_bot(stack, db) as second:
        emu = second.stack.telegram
        sent_one = await emu.wait_for_message(
            user.chat_id, predicate=lambda m: "on its way" in str(m.get("text")), timeout=15
        )
        assert f"reference {reference}" in sent_one["text"]
        never = await emu.wait_for_message(
            user.chat_id,
            predicate=lambda m: "before your confirmed request left" in str(m.get("text")),
            timeout=15,
        )
        assert "nothing was sent" in never["text"]
        assert sent(second, "exchange/now") == [] and sent(second, "futures/confirm") == []
        assert await money_store(second).unfinished(["convert_now", "futures"]) == []
