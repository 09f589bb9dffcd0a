"""/feed, /feeds, /unfeed, their buttons, and the bot's own membership changes.

Who may do what: in a group, its admins manage its feeds (anyone may list them); a
channel's feeds are managed in a private chat with the bot by that channel's admins.
Every check asks Telegram (``getChatMember``) at the moment of the action, so a demoted
admin loses the power at once; buttons carry only one-time tokens bound to whoever
listed the feeds, and the press is checked again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal

from telegram import ChatMember, ChatMemberAdministrator, ChatMemberRestricted, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ChatMemberHandler, CommandHandler

from bot.buttons import Press
from bot.context import BotContext
from bot.feeds import model
from bot.feeds.model import ChannelProblem, FeedError, FeedNotFound, FeedView, NotAdmin, TooFrequent
from bot.i18n import Lang
from handlers import feed_texts
from handlers.args import UsageError, clean_args
from handlers.callbacks import action
from handlers.commands import N_
from handlers.feed_args import parse_feed
from handlers.keyboards import one_time_keyboard
from handlers.lang import lang_for
from handlers.reply import reply

log = logging.getLogger(__name__)

ANONYMOUS_ADMIN = model.ANONYMOUS_ADMIN
"""GroupAnonymousBot: the sender of an anonymous admin's message (with sender_chat set)."""
ADMINS = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


async def _member(context: BotContext, chat_id: int | str, user_id: int) -> ChatMember | None:
    try:
        return await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return None


async def is_admin(context: BotContext, chat_id: int, user_id: int) -> bool:
    member = await _member(context, chat_id, user_id)
    return member is not None and member.status in ADMINS


def _anonymous_admin(update: Update) -> bool:
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    return (
        user is not None
        and user.id == ANONYMOUS_ADMIN
        and message is not None
        and message.sender_chat is not None
        and chat is not None
        and message.sender_chat.id == chat.id
    )


def error_text(lang: Lang, error: FeedError) -> str:
    if isinstance(error, TooFrequent):
        used = lang.number(error.used_per_minute.quantize(Decimal("0.1")), None)
        if error.smallest is None:
            return lang(
                "This chat's feeds already post {used} times a minute, the most I allow "
                "(Telegram takes 20 a minute in a group or channel). Pause or remove one "
                "with /feeds first.",
                used=used,
            )
        return lang(
            "Every {every} is too often here: this chat's feeds already post {used} times a "
            "minute and together may post {limit} (Telegram takes 20 a minute in a group or "
            "channel). Every {smallest} or longer fits.",
            every=feed_texts.every_text(lang, error.every),
            used=used,
            limit=lang.integer(model.FEED_POSTS_PER_MINUTE),
            smallest=feed_texts.every_text(lang, error.smallest),
        )
    if isinstance(error, FeedNotFound):
        return lang("There is no feed #{id} here. /feeds lists them.", id=error.feed_id)
    if isinstance(error, NotAdmin):
        return lang("Only an admin of {chat} can manage its feeds.", chat=error.chat)
    if isinstance(error, ChannelProblem):
        return channel_problem_text(lang, error)
    return lang("That feed cannot be changed now.")


def channel_problem_text(lang: Lang, problem: ChannelProblem) -> str:
    name = problem.channel
    if problem.problem == model.CHANNEL_NOT_FOUND:
        return lang(
            "I can't find {channel}. Check the name, and add me to the channel as an "
            "administrator with the right “Post messages”.",
            channel=name,
        )
    if problem.problem == model.CHANNEL_NOT_A_CHANNEL:
        return lang(
            "{channel} is not a channel. For a group, send /feed in the group itself.",
            channel=name,
        )
    if problem.problem == model.CHANNEL_USER_NOT_ADMIN:
        return lang(
            "You are not an administrator of {channel}, so you can't set its feeds.",
            channel=name,
        )
    if problem.problem == model.CHANNEL_BOT_NOT_ADMIN:
        return lang(
            "I am not an administrator of {channel}. Add me as an administrator with the "
            "right “Post messages”.",
            channel=name,
        )
    rights = ", ".join(f"“{lang(r)}”" for r in problem.rights)
    return lang(
        "I am an administrator of {channel} but lack the right {rights}. Give it to me "
        "in the channel's administrators, then send the command again.",
        channel=name,
        rights=rights,
    )


RIGHT_POST = N_("Post messages")
RIGHT_EDIT = N_("Edit messages of others")
RIGHT_PIN = N_("Pin messages")
RIGHT_SEND = N_("Send messages")


async def check_channel(context: BotContext, user_id: int, name: str, pin: bool) -> tuple[int, str]:
    """The channel's id and @name, after checking the user and the bot may run a feed there."""
    try:
        chat = await context.bot.get_chat(name)
    except TelegramError:
        raise ChannelProblem(name, model.CHANNEL_NOT_FOUND) from None
    shown = f"@{chat.username}" if chat.username else (chat.title or name)
    if chat.type != ChatType.CHANNEL:
        raise ChannelProblem(shown, model.CHANNEL_NOT_A_CHANNEL)
    user = await _member(context, chat.id, user_id)
    if user is None or user.status not in ADMINS:
        raise ChannelProblem(shown, model.CHANNEL_USER_NOT_ADMIN)
    me = await _member(context, chat.id, context.bot.id)
    if me is None or me.status not in ADMINS:
        raise ChannelProblem(shown, model.CHANNEL_BOT_NOT_ADMIN)
    if isinstance(me, ChatMemberAdministrator):
        missing = []
        if not me.can_post_messages:
            missing.append(RIGHT_POST)
        if pin and not me.can_edit_messages:
            missing.append(RIGHT_EDIT)
        if missing:
            raise ChannelProblem(shown, model.CHANNEL_BOT_RIGHTS, tuple(missing))
    return chat.id, shown


async def _group_bot_problem(context: BotContext, chat_id: int, pin: bool) -> str | None:
    """The right the bot lacks in this group for such a feed, if any."""
    me = await _member(context, chat_id, context.bot.id)
    if isinstance(me, ChatMemberRestricted) and not me.can_send_messages:
        return RIGHT_SEND
    if pin and not (
        me is not None
        and (
            me.status == ChatMemberStatus.OWNER
            or (isinstance(me, ChatMemberAdministrator) and me.can_pin_messages)
        )
    ):
        return RIGHT_PIN
    return None


async def create_feed(update: Update, context: BotContext) -> None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    lang = await lang_for(update, context)
    parsed = parse_feed(clean_args(context.args))
    feeds = context.services.feeds
    assert feeds is not None
    if parsed.channel is not None:
        if chat.type != ChatType.PRIVATE:
            await reply(
                update,
                lang(
                    "Set up a channel's feed in a private chat with me: open @{bot} and send "
                    "the command there.",
                    bot=context.bot.username,
                ),
            )
            return
        try:
            channel_id, shown = await check_channel(
                context, user.id, parsed.channel, parsed.request.pin
            )
            view = await feeds.create(
                chat_id=channel_id,
                chat_kind="channel",
                chat_title=shown,
                creator_id=user.id,
                request=parsed.request,
            )
        except FeedError as error:
            await reply(update, error_text(lang, error))
            return
        await reply(update, feed_texts.created_text(lang, view))
        return
    if chat.type == ChatType.PRIVATE:
        raise UsageError(
            "feed",
            "Feeds are posted in groups and channels: send /feed in the group, or here "
            "/feed @channel EXCHANGE SYMBOL for a channel you administer.",
        )
    if chat.type == ChatType.CHANNEL:
        return  # channel posts have no sender to check; channels are set up in private
    if not (_anonymous_admin(update) or await is_admin(context, chat.id, user.id)):
        await reply(
            update,
            lang(
                "Sorry, only an admin of this group can set up a price feed. An admin can "
                "send /feed here; anyone can see the feeds with /feeds."
            ),
        )
        return
    missing = await _group_bot_problem(context, chat.id, parsed.request.pin)
    if missing is not None:
        await reply(
            update,
            lang(
                "I need the right “{right}” in this group for that feed. Give it to me, then "
                "send the command again.",
                right=lang(missing),
            ),
        )
        return
    try:
        view = await feeds.create(
            chat_id=chat.id,
            chat_kind=str(chat.type),
            chat_title=chat.title,
            creator_id=user.id,
            request=parsed.request,
        )
    except FeedError as error:
        await reply(update, error_text(lang, error))
        return
    await reply(update, feed_texts.created_text(lang, view))


async def _visible_feeds(update: Update, context: BotContext) -> tuple[list[FeedView], bool]:
    """This group's feeds, or in private those of the channels the user administers."""
    chat, user = update.effective_chat, update.effective_user
    feeds = context.services.feeds
    assert chat is not None and user is not None and feeds is not None
    if chat.type != ChatType.PRIVATE:
        return await feeds.of_chat(chat.id), False
    found = await feeds.channel_feeds()
    allowed: dict[int, bool] = {}
    for view in found:
        if view.chat_id not in allowed:
            allowed[view.chat_id] = await is_admin(context, view.chat_id, user.id)
    return [v for v in found if allowed[v.chat_id]], True


async def list_feeds(update: Update, context: BotContext) -> None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    views, channels = await _visible_feeds(update, context)
    lang = await lang_for(update, context)
    markup = None
    may_manage = channels or _anonymous_admin(update) or await is_admin(context, chat.id, user.id)
    if views and may_manage:
        rows = []
        for v in views[:40]:
            toggle = (
                (lang("⏸ #{id}", id=v.id), "feed_pause", {"id": v.id})
                if v.state == model.ACTIVE
                else (lang("▶️ #{id}", id=v.id), "feed_resume", {"id": v.id})
            )
            rows.append([toggle, (lang("🗑 #{id}", id=v.id), "feed_remove", {"id": v.id})])
        markup = await one_time_keyboard(context, user.id, chat.id, rows, together=False)
    await reply(update, feed_texts.list_text(lang, views, channels=channels), markup=markup)


async def _authorised(update: Update, context: BotContext, feed_id: int) -> FeedView:
    """The feed, if the user may manage it from this chat (else FeedNotFound/NotAdmin)."""
    chat, user = update.effective_chat, update.effective_user
    feeds = context.services.feeds
    assert chat is not None and user is not None and feeds is not None
    view = await feeds.get(feed_id)
    if chat.type == ChatType.PRIVATE:
        if view.chat_kind != "channel":
            raise FeedNotFound(feed_id)
        if not await is_admin(context, view.chat_id, user.id):
            raise NotAdmin(view.chat_title or str(view.chat_id))
        return view
    if view.chat_id != chat.id:
        raise FeedNotFound(feed_id)
    if not (_anonymous_admin(update) or await is_admin(context, chat.id, user.id)):
        lang = await lang_for(update, context)
        raise NotAdmin(lang("this group"))
    return view


async def remove_feed(update: Update, context: BotContext) -> None:
    args = clean_args(context.args)
    if len(args) != 1 or not args[0].lstrip("#").isdigit():
        raise UsageError("unfeed", "Give the feed's number, as /feeds shows it.")
    await _manage(update, context, int(args[0].lstrip("#")), "remove")


async def _manage(update: Update, context: BotContext, feed_id: int, what: str) -> None:
    feeds = context.services.feeds
    assert feeds is not None
    lang = await lang_for(update, context)
    try:
        view = await _authorised(update, context, feed_id)
        if what == "pause":
            await feeds.pause(view.id)
            text = lang("Feed #{id} is paused. /feeds to resume it.", id=view.id)
        elif what == "resume":
            await feeds.resume(view.id)
            text = lang("Feed #{id} is on again.", id=view.id)
        else:
            await feeds.delete(view.id)
            text = lang("Feed #{id} is removed.", id=view.id)
    except FeedError as error:
        text = error_text(lang, error)
    await reply(update, text)


def _button(what: str) -> Callable[[Update, BotContext, Press], Awaitable[None]]:
    async def pressed(update: Update, context: BotContext, press: Press) -> None:
        await _manage(update, context, int(str(press.payload["id"])), what)

    return pressed


action("feed_pause")(_button("pause"))
action("feed_resume")(_button("resume"))
action("feed_remove")(_button("remove"))


async def on_my_membership(update: Update, context: BotContext) -> None:
    """The bot was removed, or lost the right to post: the chat's feeds pause; it is back
    with the rights: the feeds that paused for that reason resume."""
    changed = update.my_chat_member
    feeds = context.services.feeds
    if changed is None or feeds is None:
        return
    chat, new = changed.chat, changed.new_chat_member
    reason = None
    if new.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        reason = model.REASON_REMOVED
    elif (isinstance(new, ChatMemberRestricted) and not new.can_send_messages) or (
        chat.type == ChatType.CHANNEL
        and not (isinstance(new, ChatMemberAdministrator) and new.can_post_messages)
    ):
        reason = model.REASON_NO_RIGHTS
    if chat.type == ChatType.PRIVATE:
        return
    if reason is not None:
        paused = await feeds.chat_lost(chat.id, reason)
        if paused:
            log.info("feeds: %d feeds of chat %d paused (%s)", len(paused), chat.id, reason)
        return
    # Back, or given the right back: resume what paused because the bot could not post.
    # A pinned board needs the pin right in groups and the edit right in channels.
    can_pin = isinstance(new, ChatMemberAdministrator) and bool(
        new.can_edit_messages if chat.type == ChatType.CHANNEL else new.can_pin_messages
    )
    resumed = await feeds.chat_regained(chat.id, can_pin)
    if resumed:
        log.info("feeds: %d feeds of chat %d resumed", len(resumed), chat.id)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("feed", create_feed))
    app.add_handler(CommandHandler("feeds", list_feeds))
    app.add_handler(CommandHandler("unfeed", remove_feed))
    # A group of its own: another module's membership handler must not hide this one.
    app.add_handler(ChatMemberHandler(on_my_membership, ChatMemberHandler.MY_CHAT_MEMBER), group=8)
