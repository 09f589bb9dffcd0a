"""The demo's ``!upstream`` directive: a user of ``sarraf demo`` makes one sandbox fail and
sees what the bot says — here WallexPay not answering an ``exchange/now`` after Confirm."""

from __future__ import annotations

import io

from sandbox import wallexpay
from sandbox.harness import Faults, switch
from sandbox.terminal import TerminalChat

from .conftest import RunningBot


def test_the_switch_words() -> None:
    faults = Faults()
    assert switch(faults, ["502", "/api/v2/exchange/now"]) == (
        "answers 502 with an HTML page at /api/v2/exchange/now… until ok"
    )
    assert faults.status == 502 and faults.only_paths == ("/api/v2/exchange/now",)
    assert switch(faults, ["stall"]) == "does not answer until ok"
    assert faults.stall and faults.status is None and faults.only_paths == ()
    assert switch(faults, ["garbage"]) == "answers 200 with an HTML page until ok"
    assert faults.garbage and not faults.stall
    assert "is not ok" in switch(faults, ["sometimes"]) and faults.garbage  # unchanged
    assert "is not ok" in switch(faults, ["200"])
    assert switch(faults, ["ok"]) == "answers normally"
    assert faults == Faults(_release=faults._release)
    assert "say ok" in switch(faults, [])


async def test_the_demo_shows_an_upstream_that_did_not_answer(bot: RunningBot) -> None:
    out = io.StringIO()
    bot.user()
    chat = TerminalChat(
        bot.stack.telegram,
        1001,
        out=out,
        handled=bot.handled.wait,
        upstream=bot.stack.switch_upstream,
    )
    status = await chat.run_script(
        [
            "/connect wallexpay",
            wallexpay.DEMO_KEY,
            wallexpay.DEMO_SECRET,
            "/convert 0.001 BTC USD now",
            "!upstream wallexpay 502 /api/v2/exchange/now",
            "!press 1",
            "!upstream wallexpay ok",
            "!upstream nowhere 502",
            "/convert 0.001 BTC USD now",
            "!press 1",
        ]
    )
    text = out.getvalue()
    assert status == 0, text
    assert "(wallexpay answers 502 with an HTML page at /api/v2/exchange/now… until ok)" in text
    assert "WallexPay did not answer after the request left" in text, text
    assert "(wallexpay answers normally)" in text
    assert "(name one of: alp, narkasa, wallex, wallexpay, wex)" in text
    assert text.count("WallexPay accepted the exchange") == 1, text
    requests = bot.stack.servers["wallexpay"].harness.requests  # type: ignore[attr-defined]
    assert sum(r.path == "/api/v2/exchange/now" for r in requests) == 2
