"""The command table: one place for each command's usage and description.

``/help``, ``setMyCommands`` and the usage line of an error reply all read it, so they
cannot disagree. Descriptions are message ids translated per language.
"""

from __future__ import annotations

from dataclasses import dataclass


def N_(message: str) -> str:
    """Marks a message for the catalogs; it is translated where it is shown."""
    return message


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    usage: str
    description: str
    example: str = ""


COMMANDS: tuple[Command, ...] = (
    Command("start", "/start", N_("Greeting and a short tour")),
    Command("help", "/help", N_("Every command with an example")),
    Command(
        "price",
        "/price EXCHANGE SYMBOL · /price SYMBOL",
        N_("Last price, bid, ask, 24h change and volume"),
        "/price wallex BTC/TMN",
    ),
    Command("book", "/book EXCHANGE SYMBOL", N_("Top of the order book"), "/book wallex btctmn"),
    Command("trades", "/trades EXCHANGE SYMBOL", N_("Latest trades"), "/trades wallex BTCTMN"),
    Command(
        "markets",
        "/markets EXCHANGE [QUOTE]",
        N_("Markets with their minimums and precision"),
        "/markets narkasa TRY",
    ),
    Command(
        "rates",
        "/rates [FROM] [TO]",
        N_("WallexPay rates and exchangeable pairs"),
        "/rates BTC USDT",
    ),
    Command(
        "chart",
        "/chart EXCHANGE SYMBOL [INTERVAL]",
        N_("Candlestick chart as a picture"),
        "/chart wallex BTC/TMN 1h",
    ),
    Command("lang", "/lang en|fa|tr|ru", N_("Language of my replies in this chat"), "/lang fa"),
    Command(
        "alert",
        "/alert EXCHANGE SYMBOL above|below|cross PRICE [once|every [COOLDOWN]] [until WHEN]"
        " · /alert EXCHANGE SYMBOL change PCT [WINDOW] …",
        N_("A price alert from live prices"),
        "/alert wallex BTC/TMN above 10500000000",
    ),
    Command("alerts", "/alerts", N_("Your alerts, with buttons to pause or delete")),
    Command("delalert", "/delalert ID", N_("Delete an alert")),
    Command(
        "feed",
        "/feed EXCHANGE SYMBOL[,SYMBOL…] [EVERY] [pin] [on move PCT]"
        " · /feed EXCHANGE:SYMBOL,EXCHANGE:SYMBOL… · /feed @CHANNEL …",
        N_("A price board posted in this group (admins), or in your channel (from private)"),
        "/feed wallex BTC/TMN,ETH/TMN 5m pin",
    ),
    Command("feeds", "/feeds", N_("This chat's price feeds, with buttons to pause or remove")),
    Command("unfeed", "/unfeed ID", N_("Remove a price feed")),
    Command(
        "connect",
        "/connect EXCHANGE",
        N_("Connect your exchange account (private chat)"),
        "/connect wex",
    ),
    Command("accounts", "/accounts", N_("Your connected accounts, keys masked")),
    Command("disconnect", "/disconnect EXCHANGE", N_("Remove a connected account")),
    Command(
        "balance", "/balance [EXCHANGE]", N_("Your balances, available and locked"), "/balance"
    ),
    Command(
        "deposit",
        "/deposit EXCHANGE CURRENCY [NETWORK]",
        N_("Your deposit address with a QR code"),
        "/deposit wex BTC",
    ),
    Command(
        "withdraw",
        "/withdraw EXCHANGE CURRENCY AMOUNT ADDRESS [NETWORK|MEMO]",
        N_("Withdraw: a summary, Confirm, then a one-time code you type back"),
        "/withdraw wex BTC 0.01 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
    ),
    Command(
        "addresses",
        "/addresses [EXCHANGE [CURRENCY]] · "
        "/addresses add EXCHANGE CURRENCY ADDRESS [NETWORK|MEMO] [LABEL]",
        N_("Your address book; withdrawals elsewhere are flagged"),
        "/addresses add wex BTC 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa cold wallet",
    ),
    Command(
        "withdrawcap",
        "/withdrawcap · /withdrawcap AMOUNT CURRENCY · /withdrawcap CURRENCY off",
        N_("A daily cap on your withdrawals in one currency"),
        "/withdrawcap 0.5 BTC",
    ),
    Command(
        "coupon",
        "/coupon create CURRENCY AMOUNT · /coupon redeem CODE",
        N_("WEX coupons, with the same two steps as a withdrawal"),
        "/coupon create USD 10",
    ),
    Command(
        "convert",
        "/convert AMOUNT FROM TO [now]",
        N_("WallexPay exchange at a quoted rate (you confirm within its time)"),
        "/convert 0.01 BTC USDT",
    ),
    Command(
        "invoice",
        "/invoice AMOUNT CURRENCY [TITLE]",
        N_("A WallexPay invoice link; you hear when it is paid"),
        "/invoice 25 USDT Order 42",
    ),
    Command("profile", "/profile EXCHANGE", N_("Account profile and fee level"), "/profile wallex"),
    Command(
        "buy",
        "/buy EXCHANGE SYMBOL AMOUNT [PRICE] [stop STOP] · /buy EXCHANGE SYMBOL fast TOTAL",
        N_("Buy: a limit order with a price, a market order without (you confirm first)"),
        "/buy wallex BTC/TMN 0.001 9500000000",
    ),
    Command(
        "sell",
        "/sell EXCHANGE SYMBOL AMOUNT [PRICE] [stop STOP] · /sell EXCHANGE SYMBOL fast AMOUNT",
        N_("Sell: a limit order with a price, a market order without (you confirm first)"),
        "/sell alp BTC_USDT 0.001 70000",
    ),
    Command(
        "orders",
        "/orders EXCHANGE [SYMBOL]",
        N_("Your open orders, with a Cancel button each"),
        "/orders wallex",
    ),
    Command(
        "cancel",
        "/cancel EXCHANGE ORDER_ID [ORDER_ID …] · /cancel",
        N_("Cancel an order (you confirm first), or stop the current step"),
    ),
    Command(
        "history",
        "/history EXCHANGE [SYMBOL]",
        N_("Your own trades, page by page, or as a CSV file"),
        "/history narkasa BTC/USDT",
    ),
    Command(
        "deposits",
        "/deposits EXCHANGE",
        N_("Your deposits with their status"),
        "/deposits narkasa",
    ),
    Command(
        "withdrawals",
        "/withdrawals EXCHANGE",
        N_("Your withdrawals with their status"),
        "/withdrawals wex",
    ),
    Command(
        "banks",
        "/banks · /banks add CARD|IBAN · /banks delete ID",
        N_("Your Wallex bank cards and IBANs (you confirm changes first)"),
        "/banks add IR820540102680020817909002",
    ),
    Command(
        "margin",
        "/margin · /margin history · /margin borrow|repay|transfer …",
        N_("ALP.COM margin: positions, history, borrow and repay (you confirm first)"),
        "/margin",
    ),
    Command(
        "activity",
        "/activity EXCHANGE",
        N_("Wallet activity: every movement of your balances"),
        "/activity alp",
    ),
    Command(
        "futures",
        "/futures AMOUNT FROM TO",
        N_("A WallexPay futures rate with its fixation time; confirm before it lapses"),
        "/futures 30 BTC USD",
    ),
)
BY_NAME = {c.name: c for c in COMMANDS}


def usage(name: str) -> str:
    return BY_NAME[name].usage if name in BY_NAME else f"/{name}"
