"""Discord: a discord.py client with slash commands and persistent buttons in front of the conversation core.

Servers use the slash commands (reading plain messages there needs the privileged message-content intent);
direct messages also take free text and attachments. Buttons are `DynamicItem`s: their `custom_id` carries
the core's payload (action, session, version) and the owner's user id, and the item class is registered at
start-up, so buttons under old messages keep working after a restart.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
import discord
from discord import app_commands

from bot import i18n
from bot.adapters.ordering import ArrivalOrder, as_prepare
from bot.adapters.retry import Retry
from bot.core import BadPayload, ButtonEvent, Event, ImageReply, Person, PhotoEvent, Reply, TextEvent, TextReply
from bot.core import wording as core_wording

log = logging.getLogger(__name__)

PLATFORM = "discord"
SYNC_VAR = "DISCORD_SYNC_COMMANDS"
DEFAULT_FILE_LIMIT = 10 * 1024 * 1024  # attachment_size_limit of an interaction without server boosts
MAX_CONTENT = 2000

NOT_YOURS = "These buttons belong to the person who sent that photo. Send your own photo to start editing."
NOT_AN_IMAGE = "I can only edit photos of faces: please attach a picture (PNG, JPEG, WebP, HEIC)."
SERVER_TEXT = "In servers, use `/edit` with a picture and a prompt, or the buttons under a result."


def too_big(size: int, limit: int) -> str:
    return (f"That picture is {size / 2**20:.1f} MB; I can take up to {limit / 2**20:.0f} MB here. "
            "Please send a smaller version.")


def _check_image(attachment: discord.Attachment, limit: int) -> str | None:
    """Why an attachment cannot be edited, or None when it can."""
    if not (attachment.content_type or "").startswith("image/"):
        return NOT_AN_IMAGE
    if attachment.size > limit:
        return too_big(attachment.size, limit)
    return None


def network_trouble(exc: BaseException) -> bool:
    """Worth another try: a connection refused, reset or timed out, or a Discord server error (not a 404).
    (Messages need no retry here: discord.py tries them again itself after resets and server errors.)"""
    return isinstance(exc, aiohttp.ClientError | OSError | discord.DiscordServerError)


BUTTON_TEMPLATE = r"(?P<payload>sc1:[a-z]+:\d+:\d+)@(?P<owner>\d+)"
CANCEL_TEMPLATE = r"stop@(?P<owner>\d+)"


class EditButton(discord.ui.DynamicItem[discord.ui.Button], template=BUTTON_TEMPLATE):
    """More / Less / Undo / Redo / Reset under a result; `custom_id` = "<core payload>@<owner's user id>"."""

    def __init__(self, label: str, payload: str, owner: int) -> None:
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.secondary,
                                           custom_id=f"{payload}@{owner}"))
        self.payload = payload
        self.owner = owner

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /):
        return cls(item.label or "", match["payload"], int(match["owner"]))

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Only the photo's owner edits it; anyone else is told so, privately."""
        if interaction.user.id == self.owner:
            return True
        await interaction.response.send_message(NOT_YOURS, ephemeral=True)
        return False

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        assert isinstance(client, DiscordBot)
        await client.on_button(interaction, self.payload)


class CancelButton(discord.ui.DynamicItem[discord.ui.Button], template=CANCEL_TEMPLATE):
    """Cancel under an optimization's status line; `custom_id` = "stop@<owner's user id>". It acts on whatever
    the presser has running, so only the owner's press stops the owner's optimization."""

    def __init__(self, owner: int) -> None:
        super().__init__(discord.ui.Button(label="Cancel", style=discord.ButtonStyle.danger,
                                           custom_id=f"stop@{owner}"))
        self.owner = owner

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /):
        return cls(int(match["owner"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        assert isinstance(client, DiscordBot)
        await client.on_cancel(interaction)


def cancel_view(owner: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(CancelButton(owner))
    return view


def edit_view(reply: ImageReply, owner: int) -> discord.ui.View | None:
    """The buttons of a result, as a view that never times out (its state lives in the custom ids)."""
    if not reply.buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in reply.buttons:
        view.add_item(EditButton(button.label, button.payload, owner))
    return view


def image_file(reply: ImageReply, limit: int) -> discord.File:
    """The full-size PNG when it fits the upload limit, else the JPEG."""
    if len(reply.png) <= limit:
        return discord.File(io.BytesIO(reply.png), filename=reply.filename + ".png")
    return discord.File(io.BytesIO(reply.jpeg), filename=reply.filename + ".jpg")


class DiscordBot(discord.Client):
    """The Discord side of the bot.

    Args:
        conversation: the core (`bot.core.Conversation`), shared with the other platforms.
        sync_commands: publish the slash commands to Discord at start-up ($DISCORD_SYNC_COMMANDS, default on);
            Discord rate-limits this, so it can be turned off once they are registered.
        retry: how attachment downloads are tried again after network trouble.
    """

    def __init__(self, conversation: Any, *, sync_commands: bool | None = None, retry: Retry | None = None) -> None:
        intents = discord.Intents.default()  # DMs carry their text without the message-content intent
        super().__init__(intents=intents)
        self.conversation = conversation
        self.retry = retry or Retry(network_trouble)
        self._order = ArrivalOrder()
        if sync_commands is None:
            sync_commands = os.environ.get(SYNC_VAR, "1").strip().lower() not in ("0", "false", "no", "off")
        self.sync_commands = sync_commands
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self.on_command_error
        self._add_commands()

    async def setup_hook(self) -> None:
        self.add_dynamic_items(EditButton, CancelButton)  # before any interaction arrives: old buttons keep working
        if self.sync_commands:
            await self.tree.sync()

    # ------------------------------------------------------------------ slash commands

    def _add_commands(self) -> None:
        tree = self.tree

        @tree.command(name="edit", description="Edit a face photo from plain words")
        @app_commands.describe(image="a photo with a face", prompt="what to change, e.g. \"purple hair\"")
        async def edit(interaction: discord.Interaction, image: discord.Attachment, prompt: str) -> None:
            await self.on_edit(interaction, image, prompt)

        simple = {
            "undo": "Step back one edit", "redo": "Step forward again", "reset": "Back to the photo",
            "history": "All steps in one picture", "compare": "Before and after", "privacy": "What I keep",
            "more": "Make the last edit stronger", "less": "Make the last edit weaker",
            "cancel": "Stop a running optimization",
        }
        for name, about in simple.items():
            tree.command(name=name, description=about)(self._text_command(f"/{name}"))

        @tree.command(name="drop", description="Remove an earlier edit and keep the others")
        @app_commands.describe(edit="words of the edit to remove, e.g. \"beard\"")
        async def drop(interaction: discord.Interaction, edit: str) -> None:
            await self.on_text_command(interaction, f"/drop {edit}")

        @tree.command(name="forget", description="Delete everything I keep about you")
        @app_commands.describe(confirm="True to delete now")
        async def forget(interaction: discord.Interaction, confirm: bool = False) -> None:
            await self.on_text_command(interaction, "/forget confirm" if confirm else "/forget")

    def _text_command(self, text: str):
        async def command(interaction: discord.Interaction) -> None:
            await self.on_text_command(interaction, text)
        return command

    async def on_edit(self, interaction: discord.Interaction, image: discord.Attachment, prompt: str) -> None:
        """/edit: refuse bad files at once, else defer (Discord wants an answer within 3 s) and follow up."""
        problem = _check_image(image, interaction.filesize_limit)
        if problem:
            await interaction.response.send_message(problem, ephemeral=True)
            return
        await interaction.response.defer(thinking=True)

        async def download() -> PhotoEvent | None:
            data = await self._download(image)
            if data is None:
                await interaction.followup.send(
                    i18n.translate(i18n.language_for(str(interaction.locale)), core_wording.PHOTO_NOT_FETCHED)
                )
                return None
            return PhotoEvent(self._person(interaction), data, prompt, str(interaction.locale))

        await self._interaction_turn(interaction, download)

    async def on_text_command(self, interaction: discord.Interaction, text: str) -> None:
        await interaction.response.defer(thinking=True)
        await self._interaction_turn(interaction, TextEvent(self._person(interaction), text, str(interaction.locale)))

    async def on_button(self, interaction: discord.Interaction, payload: str) -> None:
        """A button under a result: the new picture replaces that message; notes go to the presser only."""
        try:
            event = ButtonEvent.from_payload(self._person(interaction), payload, str(interaction.locale))
        except BadPayload:
            said = i18n.translate(i18n.language_for(str(interaction.locale)), core_wording.BAD_BUTTON)
            await interaction.response.send_message(said, ephemeral=True)
            return
        await interaction.response.defer()
        replies = await self._order.run(event.person, as_prepare(event), self.conversation.handle)
        # A new step replaces its message; a picture without buttons ("Face only") follows up as a new one.
        first_image = next((r for r in replies if isinstance(r, ImageReply) and r.buttons), None)
        for reply in replies:
            if reply is first_image:
                await interaction.edit_original_response(
                    content=reply.caption[:MAX_CONTENT],
                    attachments=[image_file(reply, interaction.filesize_limit)],
                    view=edit_view(reply, interaction.user.id),
                )
            else:
                await self._followup(interaction, reply, ephemeral=isinstance(reply, TextReply))

    async def on_cancel(self, interaction: discord.Interaction) -> None:
        """Cancel under a status line: not in the presser's order, since it ends the message that holds it."""
        await interaction.response.defer()  # stopping waits for the optimization's current step
        replies = await self.conversation.cancel(self._person(interaction))
        for reply in replies:
            await self._followup(interaction, reply, ephemeral=True)

    async def on_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        reference = os.urandom(4).hex()
        log.error("Discord: command failed [ref %s]", reference, exc_info=error)
        text = core_wording.oops(reference)
        with contextlib.suppress(discord.HTTPException):
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)

    async def _interaction_turn(
        self, interaction: discord.Interaction, event: Event | Callable[[], Awaitable[Event | None]]
    ) -> None:
        """Run one event; progress edits the deferred message, the replies follow up (the first one takes
        the place of "thinking...")."""

        shown = False
        person = self._person(interaction)

        async def status(text: str) -> None:
            nonlocal shown
            shown = True
            view = cancel_view(interaction.user.id) if self.conversation.stoppable_now(person) else None
            await interaction.edit_original_response(content=text[:MAX_CONTENT], view=view)

        replies = await self._order.run(
            person, as_prepare(event), lambda e: self.conversation.handle(e, status=status)
        ) or []
        for reply in replies:
            await self._followup(interaction, reply)
        # The deferred message became the progress line, or nothing answers it ("stop" answered by the message
        # it stopped, a photo that could not be fetched): either way "thinking..." is done.
        if shown or not replies:
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()

    async def _followup(self, interaction: discord.Interaction, reply: Reply, *, ephemeral: bool = False) -> None:
        if isinstance(reply, ImageReply):
            kwargs: dict[str, Any] = {"file": image_file(reply, interaction.filesize_limit)}
            view = edit_view(reply, interaction.user.id)
            if view is not None:
                kwargs["view"] = view
            await interaction.followup.send(reply.caption[:MAX_CONTENT], **kwargs)
        else:
            await interaction.followup.send(reply.text[:MAX_CONTENT], ephemeral=ephemeral)

    # ------------------------------------------------------------------ direct messages

    async def on_message(self, message: discord.Message) -> None:
        """Free text and attachments, in direct messages only (servers: slash commands)."""
        if message.author.bot or message.guild is not None:
            return
        person = Person(PLATFORM, str(message.channel.id), str(message.author.id))
        event: Event | Callable[[], Awaitable[Event | None]]
        if message.attachments:
            images = [a for a in message.attachments if _check_image(a, DEFAULT_FILE_LIMIT) is None]
            attachment = images[0] if images else message.attachments[0]
            problem = _check_image(attachment, DEFAULT_FILE_LIMIT)
            if problem:
                await message.channel.send(problem)
                return
            if len(images) > 1:
                await message.channel.send(core_wording.ALBUM_FIRST_ONLY)

            async def download() -> PhotoEvent | None:
                data = await self._download(attachment)
                if data is None:
                    await message.channel.send(core_wording.PHOTO_NOT_FETCHED)
                    return None
                return PhotoEvent(person, data, message.content or None)

            event = download
        elif message.content.strip():
            event = TextEvent(person, message.content)
        else:
            return
        status_message: discord.Message | None = None

        async def status(text: str) -> None:
            nonlocal status_message
            view = cancel_view(message.author.id) if self.conversation.stoppable_now(person) else None
            if status_message is None:
                status_message = await message.channel.send(text[:MAX_CONTENT], view=view)
            else:
                await status_message.edit(content=text[:MAX_CONTENT], view=view)

        async with message.channel.typing():
            replies = await self._order.run(
                person, as_prepare(event), lambda e: self.conversation.handle(e, status=status)
            ) or []
        await self._send(message.channel, replies, owner=message.author.id)
        if status_message is not None:
            with contextlib.suppress(discord.HTTPException):
                await status_message.delete()

    async def _send(self, channel: discord.abc.Messageable, replies: Sequence[Reply], *, owner: int) -> None:
        for reply in replies:
            if isinstance(reply, ImageReply):
                kwargs: dict[str, Any] = {"file": image_file(reply, DEFAULT_FILE_LIMIT)}
                view = edit_view(reply, owner)
                if view is not None:
                    kwargs["view"] = view
                await channel.send(reply.caption[:MAX_CONTENT], **kwargs)
            else:
                await channel.send(reply.text[:MAX_CONTENT])

    async def _download(self, attachment: discord.Attachment) -> bytes | None:
        """The attachment's bytes, tried again after network trouble; None when it still could not be fetched."""
        try:
            return await self.retry.run(attachment.read, "Discord: attachment download")
        except Exception as exc:
            if not network_trouble(exc):
                raise
            log.warning("Discord: gave up fetching an attachment: %s", exc)
            return None

    def _person(self, interaction: discord.Interaction) -> Person:
        chat = interaction.channel_id or interaction.user.id
        return Person(PLATFORM, str(chat), str(interaction.user.id))


async def run_discord(bot: DiscordBot, token: str) -> None:
    """Log in and serve until `bot.close()`; login errors (a wrong token) raise."""
    async with bot:
        await bot.start(token)

