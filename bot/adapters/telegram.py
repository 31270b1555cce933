"""Telegram: python-telegram-bot's `Application` in front of the conversation core.

Thin on purpose: a platform update becomes one core event, the core's replies become messages. Long polling
by default, a webhook when $TELEGRAM_WEBHOOK_URL is set; $TELEGRAM_API_BASE_URL / $TELEGRAM_FILE_BASE_URL
point the library at a self-hosted Bot API server (or a fake one in the tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import i18n
from bot.adapters import tokens
from bot.adapters.ordering import ArrivalOrder, as_prepare
from bot.adapters.retry import Retry
from bot.core import (
    BadPayload,
    ButtonEvent,
    Event,
    ImageReply,
    Person,
    PhotoEvent,
    Reply,
    Status,
    TextEvent,
    TextReply,
    no_status,
)
from bot.core import wording as core_wording

log = logging.getLogger(__name__)

PLATFORM = "telegram"
API_BASE_VAR = "TELEGRAM_API_BASE_URL"
FILE_BASE_VAR = "TELEGRAM_FILE_BASE_URL"
WEBHOOK_URL_VAR = "TELEGRAM_WEBHOOK_URL"
WEBHOOK_PORT_VAR = "TELEGRAM_WEBHOOK_PORT"
WEBHOOK_LISTEN_VAR = "TELEGRAM_WEBHOOK_LISTEN"
WEBHOOK_SECRET_VAR = "TELEGRAM_WEBHOOK_SECRET"
DOWNLOAD_LIMIT_VAR = "TELEGRAM_DOWNLOAD_LIMIT_MB"
BOT_API_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files on api.telegram.org
MAX_CAPTION = 1024
MAX_ANSWER = 200  # answerCallbackQuery text
FULL_SIZE_PAYLOAD = "png"  # the adapter's own button: send the picture above as a full-size file
CANCEL_PAYLOAD = "stop"  # the adapter's own button under a status line: stop the running optimization
ALBUMS_REMEMBERED = 256  # media groups whose first photo was taken, newest kept
FULL_SIZE_CACHE = 512  # pictures whose full-size file can still be asked for, newest kept
CHAT_ACTION_EVERY_S = 4.5  # Telegram shows a chat action for 5 s

COMMANDS = (
    ("start", "what I do"),
    ("help", "how to ask for edits"),
    ("undo", "step back"),
    ("redo", "step forward again"),
    ("reset", "back to the photo"),
    ("history", "all steps in one picture"),
    ("compare", "before and after"),
    ("privacy", "what I keep"),
    ("forget", "delete everything I keep about you"),
    ("cancel", "stop a running optimization"),
)

NOT_AN_IMAGE = (
    "I can only edit photos of faces. Please send a photo (as a picture or an image file); stickers, videos, "
    "GIFs and other files won't work."
)
FILE_GONE = "I no longer have that file. Press a button or type \"undo\" to get a fresh picture."


def too_big(size: int, limit: int) -> str:
    return (
        f"That file is {size / 2**20:.1f} MB, and I can only fetch files up to {limit / 2**20:.0f} MB from "
        "Telegram. Please send it as a photo (Telegram compresses it) or a smaller image."
    )


def network_trouble(exc: BaseException) -> bool:
    """Worth another try: a connection refused or reset, a timeout, a Bot API server error; not a refusal
    (`BadRequest`, which python-telegram-bot counts as a network error too)."""
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)


class Handler(Protocol):
    """What the adapter needs from the core (`bot.core.Conversation`)."""

    async def handle(self, event: Event, status: Status = no_status) -> list[Reply]: ...

    async def cancel(self, person: Person) -> list[Reply]: ...

    def stoppable_now(self, person: Person) -> bool: ...


@dataclass(frozen=True)
class TelegramSettings:
    """How to reach Telegram. The token is appended to both base URLs, as python-telegram-bot does."""

    token: str
    base_url: str | None = None
    base_file_url: str | None = None
    webhook_url: str | None = None
    webhook_port: int = 8443
    webhook_listen: str = "0.0.0.0"
    webhook_secret: str | None = None
    download_limit: int = BOT_API_DOWNLOAD_LIMIT

    @classmethod
    def from_env(cls) -> TelegramSettings | None:
        """Settings from the environment (the token also from the config file); None without a token."""
        token = tokens.token("telegram")
        if not token:
            return None
        limit_mb = os.environ.get(DOWNLOAD_LIMIT_VAR, "").strip()
        try:
            limit = int(float(limit_mb) * 2**20) if limit_mb else BOT_API_DOWNLOAD_LIMIT
            port = int(os.environ.get(WEBHOOK_PORT_VAR) or 8443)
        except ValueError:
            raise ValueError(f"{DOWNLOAD_LIMIT_VAR} and {WEBHOOK_PORT_VAR} must be numbers") from None
        return cls(
            token=token,
            base_url=os.environ.get(API_BASE_VAR) or None,
            base_file_url=os.environ.get(FILE_BASE_VAR) or None,
            webhook_url=os.environ.get(WEBHOOK_URL_VAR) or None,
            webhook_port=port,
            webhook_listen=os.environ.get(WEBHOOK_LISTEN_VAR) or "0.0.0.0",
            webhook_secret=os.environ.get(WEBHOOK_SECRET_VAR) or None,
            download_limit=limit,
        )


class TelegramBot:
    """The Telegram side of the bot: handlers that turn updates into core events and replies into messages.

    Args:
        conversation: the core (`bot.core.Conversation`), shared with the other platforms.
        settings: token, server URLs, webhook.
        rate_limiter: python-telegram-bot's flood-limit queue; default: `AIORateLimiter(max_retries=3)`,
            which also waits and retries when Telegram answers 429 with `retry_after`.
        retry: how photo downloads and replies are tried again after network trouble.
    """

    def __init__(
        self,
        conversation: Handler,
        settings: TelegramSettings,
        *,
        rate_limiter: AIORateLimiter | None = None,
        retry: Retry | None = None,
    ) -> None:
        self.conversation = conversation
        self.settings = settings
        self.retry = retry or Retry(network_trouble)
        self._files: OrderedDict[tuple[int, int], tuple[str, bytes]] = OrderedDict()
        self._albums: OrderedDict[tuple[int, str], None] = OrderedDict()
        self._order = ArrivalOrder()
        builder = (
            Application.builder()
            .token(settings.token)
            .rate_limiter(rate_limiter or AIORateLimiter(max_retries=3))
            .concurrent_updates(True)  # people in one group don't wait for each other; the core orders each
        )
        if settings.base_url:
            builder = builder.base_url(settings.base_url)
        if settings.base_file_url:
            builder = builder.base_file_url(settings.base_file_url)
        self.application = builder.build()
        self._add_handlers(self.application)

    def _add_handlers(self, app: Application) -> None:
        new = filters.UpdateType.MESSAGE  # not edits of old messages, not channel posts
        app.add_handler(CommandHandler([name for name, _ in COMMANDS], self.on_command, filters=new))
        app.add_handler(MessageHandler(new & filters.PHOTO, self.on_photo))
        app.add_handler(MessageHandler(new & filters.Document.IMAGE, self.on_image_file))
        app.add_handler(MessageHandler(new & filters.TEXT & ~filters.COMMAND, self.on_text))
        app.add_handler(MessageHandler(new & filters.COMMAND, self.on_other_command))  # /drop beard, /more x2
        unsupported = (
            filters.Sticker.ALL | filters.VIDEO | filters.ANIMATION | filters.VIDEO_NOTE | filters.VOICE
            | filters.AUDIO | filters.Document.ALL
        )
        app.add_handler(MessageHandler(new & unsupported, self.on_unsupported))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_error_handler(self.on_error)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Connect, register the command menu and start receiving updates (polling or webhook)."""
        app = self.application
        await app.initialize()
        await app.bot.set_my_commands([BotCommand(name, about) for name, about in COMMANDS])
        await app.start()
        if self.settings.webhook_url:
            # The local path is the public URL's path: a reverse proxy in front forwards it unchanged.
            await app.updater.start_webhook(
                listen=self.settings.webhook_listen,
                port=self.settings.webhook_port,
                url_path=urlsplit(self.settings.webhook_url).path.strip("/"),
                webhook_url=self.settings.webhook_url,
                secret_token=self.settings.webhook_secret,
            )
        else:
            await app.updater.start_polling(poll_interval=0.0, timeout=10)
        log.info("Telegram: running as @%s (%s)", app.bot.username,
                 "webhook" if self.settings.webhook_url else "long polling")

    async def stop(self) -> None:
        """Stop receiving updates, let running handlers finish, and close the connection."""
        app = self.application
        if app.updater and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    # ------------------------------------------------------------------ handlers

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/undo, /history, ...: the core reads commands from the text itself ("/undo@ThisBot" included)."""
        message = update.effective_message
        await self._run(update, TextEvent(self._person(update), message.text or "", _language(update)))

    async def on_other_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Commands outside the menu ("/drop beard"): the core knows them; in groups only "/cmd@ThisBot"."""
        message = update.effective_message
        text = message.text or ""
        head = text.split(maxsplit=1)[0] if text.strip() else ""
        if message.chat.type != ChatType.PRIVATE and not head.lower().endswith(
                f"@{self.application.bot.username}".lower()):
            return
        await self._run(update, TextEvent(self._person(update), text, _language(update)))

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Plain words: always in private chats, in groups only when addressed to the bot."""
        message = update.effective_message
        text = message.text or ""
        if not self._addressed(message, text, message.entities):
            return
        await self._run(update, TextEvent(self._person(update), self._without_mention(text), _language(update)))

    async def on_photo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A compressed photo: take the largest size; its caption is the first instruction. Of an album (a
        media group, one update per photo) only the first photo is taken, and the person is told so."""
        message = update.effective_message
        if not self._addressed(message, message.caption or "", message.caption_entities):
            return
        if message.media_group_id:
            album = (message.chat.id, message.media_group_id)
            if album in self._albums:
                return
            self._albums[album] = None
            while len(self._albums) > ALBUMS_REMEMBERED:
                self._albums.popitem(last=False)
            await self._send(update, [TextReply(_said(update, core_wording.ALBUM_FIRST_ONLY))])
        await self._photo(update, message.photo[-1])

    async def on_image_file(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An image sent as a file (uncompressed)."""
        message = update.effective_message
        if not self._addressed(message, message.caption or "", message.caption_entities):
            return
        await self._photo(update, message.document)

    async def on_unsupported(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, videos, GIFs, voice, non-image files: a friendly refusal."""
        message = update.effective_message
        if not self._addressed(message, message.caption or "", message.caption_entities):
            return
        await self._send(update, [TextReply(NOT_AN_IMAGE)])

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button under a picture. Every query is answered: text-only outcomes go in the answer itself,
        which only the presser sees, so pressing someone else's button in a group bothers no one."""
        query = update.callback_query
        if query.data == FULL_SIZE_PAYLOAD:
            await self._full_size(update)
            return
        if query.data == CANCEL_PAYLOAD:  # not in the person's order: it ends the message that holds it
            texts = [r.text for r in await self.conversation.cancel(self._person(update)) if isinstance(r, TextReply)]
            with contextlib.suppress(BadRequest):
                await query.answer("\n".join(texts)[:MAX_ANSWER] or None, show_alert=bool(texts))
            return
        try:
            event = ButtonEvent.from_payload(self._person(update), query.data or "", _language(update))
        except BadPayload:
            said = _said(update, core_wording.BAD_BUTTON)
            await query.answer(said, show_alert=True)
            return
        status = self._status(update)
        async with self._chat_action(update):
            replies = await self._order.run(
                event.person, as_prepare(event), lambda e: self.conversation.handle(e, status=status)
            )
        await status.close()
        texts = [r.text for r in replies if isinstance(r, TextReply)]
        images = [r for r in replies if isinstance(r, ImageReply)]
        if not images and texts and len(answer := "\n".join(texts)) <= MAX_ANSWER:
            with contextlib.suppress(BadRequest):  # a query older than Telegram keeps: say it in the chat
                await query.answer(answer, show_alert=True)
                return
            await self._send(update, replies)
            return
        with contextlib.suppress(BadRequest):
            await query.answer()
        message = query.message
        # A new step replaces the picture it was pressed under; a picture without buttons ("Face only") is added.
        if images and images[0].buttons and isinstance(message, Message) and message.photo:
            first = images[0]
            try:
                await self.retry.run(lambda: self._edit_picture(message, first), "Telegram: replacing a picture")
                replies = [r for r in replies if r is not first]
            except NetworkError as exc:  # the new picture goes out as a new message instead
                log.warning("Telegram: could not replace a picture: %s", exc)
        await self._send(update, replies)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("Telegram: update failed", exc_info=context.error)

    # ------------------------------------------------------------------ the core in between

    async def _photo(self, update: Update, media) -> None:
        limit = self.settings.download_limit
        if media.file_size and media.file_size > limit:
            await self._send(update, [TextReply(too_big(media.file_size, limit))])
            return
        message = update.effective_message

        async def download() -> PhotoEvent | None:
            async def fetch() -> bytes:
                return bytes(await (await media.get_file()).download_as_bytearray())

            try:
                data = await self.retry.run(fetch, "Telegram: photo download")
            except BadRequest as exc:  # "file is too big" when the size was unknown up front
                log.info("Telegram: could not fetch a file: %s", exc)
                await self._send(update, [TextReply(too_big(media.file_size or limit + 1, limit))])
                return None
            except NetworkError as exc:
                log.warning("Telegram: gave up fetching a photo: %s", exc)
                await self._send(update, [TextReply(_said(update, core_wording.PHOTO_NOT_FETCHED))])
                return None
            caption = self._without_mention(message.caption) if message.caption else None
            return PhotoEvent(self._person(update), data, caption, _language(update))

        await self._run(update, download)

    async def _run(self, update: Update, event: Event | Callable[[], Awaitable[Event | None]]) -> None:
        """Hand the event (or what builds it, e.g. a download) to the core in the person's order, then answer."""
        status = self._status(update)
        async with self._chat_action(update):
            replies = await self._order.run(
                self._person(update), as_prepare(event), lambda e: self.conversation.handle(e, status=status)
            )
        if replies is not None:
            await self._send(update, replies)
        await status.close()

    def _status(self, update: Update) -> StatusLine:
        person = self._person(update)
        return StatusLine(self.application.bot, _chat_id(update), lambda: self.conversation.stoppable_now(person))

    def _person(self, update: Update) -> Person:
        return Person(PLATFORM, str(_chat_id(update)), str(update.effective_user.id))

    # ------------------------------------------------------------------ sending

    async def _send(self, update: Update, replies: Sequence[Reply]) -> None:
        """Send the replies in order, each tried again after network trouble; when one still fails, a short
        note says so (or, when even that fails, the loss is logged) and the rest are not tried."""
        bot, chat, chat_id = self.application.bot, update.effective_chat, _chat_id(update)
        message = update.effective_message if update.message else None
        # In groups, answer the person's message so everyone sees whose picture it is.
        quote = ReplyParameters(message.message_id, allow_sending_without_reply=True) if (
            message and chat and chat.type != ChatType.PRIVATE) else None

        async def send(reply: Reply) -> None:
            if isinstance(reply, ImageReply):
                sent = await bot.send_photo(
                    chat_id, InputFile(reply.jpeg, filename=reply.filename + ".jpg"),
                    caption=reply.caption[:MAX_CAPTION], reply_markup=self._keyboard(reply), reply_parameters=quote,
                )
                self._remember(sent, reply)
            else:
                await bot.send_message(chat_id, reply.text, reply_parameters=quote)

        for i, reply in enumerate(replies):
            try:
                await self.retry.run(lambda reply=reply: send(reply), "Telegram: sending a reply")
            except NetworkError as exc:
                lost = len(replies) - i
                log.warning("Telegram: gave up sending %d repl%s to chat %s: %s", lost, "y" if lost == 1 else "ies",
                            chat_id, exc)
                try:
                    await self.retry.run(lambda: send(TextReply(_said(update, core_wording.ANSWER_NOT_SENT))),
                                         "Telegram: saying a reply was lost")
                except NetworkError:
                    log.error("Telegram: %d repl%s to chat %s lost, and the note saying so too", lost,
                              "y" if lost == 1 else "ies", chat_id)
                return

    async def _edit_picture(self, message: Message, reply: ImageReply) -> None:
        """Replace the picture a button was pressed under, so the chat keeps one picture per step."""
        edited = await message.edit_media(
            InputMediaPhoto(reply.jpeg, filename=reply.filename + ".jpg", caption=reply.caption[:MAX_CAPTION]),
            reply_markup=self._keyboard(reply),
        )
        if isinstance(edited, Message):
            self._remember(edited, reply)

    async def _full_size(self, update: Update) -> None:
        query = update.callback_query
        message = query.message
        stored = self._files.get((message.chat.id, message.message_id)) if message else None
        if stored is None:
            await query.answer(FILE_GONE, show_alert=True)
            return
        await query.answer()
        name, png = stored
        async with self._chat_action(update, ChatAction.UPLOAD_DOCUMENT):
            await self.application.bot.send_document(message.chat.id, InputFile(png, filename=name + ".png"))

    def _keyboard(self, reply: ImageReply) -> InlineKeyboardMarkup:
        rows = []
        if reply.buttons:
            rows.append([InlineKeyboardButton(b.label, callback_data=b.payload) for b in reply.buttons])
        rows.append([InlineKeyboardButton("Full size", callback_data=FULL_SIZE_PAYLOAD)])
        return InlineKeyboardMarkup(rows)

    def _remember(self, message: Message, reply: ImageReply) -> None:
        self._files[(message.chat.id, message.message_id)] = (reply.filename, reply.png)
        self._files.move_to_end((message.chat.id, message.message_id))
        while len(self._files) > FULL_SIZE_CACHE:
            self._files.popitem(last=False)

    @contextlib.asynccontextmanager
    async def _chat_action(self, update: Update, action: str = ChatAction.UPLOAD_PHOTO):
        """Show "sending photo..." for as long as the work takes (Telegram clears it after 5 s)."""
        bot, chat_id = self.application.bot, _chat_id(update)

        async def keep_showing() -> None:
            while True:
                with contextlib.suppress(TelegramError):
                    await bot.send_chat_action(chat_id, action)
                await asyncio.sleep(CHAT_ACTION_EVERY_S)

        task = asyncio.create_task(keep_showing())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # ------------------------------------------------------------------ groups

    def _addressed(self, message: Message, text: str, entities: Sequence[MessageEntity] | None) -> bool:
        """Private chats: always. Groups: replies to the bot's messages and mentions of the bot."""
        if message.chat.type == ChatType.PRIVATE:
            return True
        replied = message.reply_to_message
        if replied and replied.from_user and replied.from_user.id == self.application.bot.id:
            return True
        mention = f"@{self.application.bot.username}".lower()
        for entity in entities or ():
            if entity.type == MessageEntity.MENTION and _entity_text(text, entity).lower() == mention:
                return True
        return False

    def _without_mention(self, text: str) -> str:
        username = self.application.bot.username
        if not username:
            return text.strip()
        cleaned = text.replace(f"@{username}", " ")
        return " ".join(cleaned.split())


def _chat_id(update: Update) -> int:
    """The chat to answer in; a button under a message too old to be shown has none: then the person's own."""
    chat = update.effective_chat
    return chat.id if chat else update.effective_user.id


def _said(update: Update, sentence: str) -> str:
    """One of the core's sentences in the language of the person behind `update`."""
    return i18n.translate(i18n.language_for(_language(update)), sentence)


def _language(update: Update) -> str | None:
    """The person's Telegram language ("zh-hans", "en"), which the core answers in when it has it."""
    user = update.effective_user
    return user.language_code if user else None


def _entity_text(text: str, entity: MessageEntity) -> str:
    """Entity offsets count UTF-16 code units."""
    encoded = text.encode("utf-16-le")
    return encoded[2 * entity.offset: 2 * (entity.offset + entity.length)].decode("utf-16-le")


CANCEL_KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Cancel", callback_data=CANCEL_PAYLOAD)]])


class StatusLine:
    """The core's status callback: the first text is sent, later ones edit that message, and `close`
    deletes it once the answer is there. While the person has an optimization running, it carries a Cancel
    button (`stoppable()` says when)."""

    def __init__(self, bot, chat_id: int, stoppable: Callable[[], bool] = lambda: False) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.stoppable = stoppable
        self.message: Message | None = None
        self.text = ""

    async def __call__(self, text: str) -> None:
        if text == self.text:
            return  # Telegram refuses an edit that changes nothing
        self.text = text
        markup = CANCEL_KEYBOARD if self.stoppable() else None  # an edit without it takes the button away
        if self.message is None:
            self.message = await self.bot.send_message(self.chat_id, text, reply_markup=markup)
        else:
            await self.message.edit_text(text, reply_markup=markup)

    async def close(self) -> None:
        if self.message is not None:
            with contextlib.suppress(TelegramError):
                await self.message.delete()
            self.message = None
