"""The local chat: the bot in a terminal, through the same core, commands and database as the platforms.

`/photo PATH` (or a path pasted alone) sends a photo; any other line is a message; results are written
as PNG files whose paths are printed (and optionally opened in the image viewer): the photo with the edited
face, and beside it the face crop alone. End of input ends it. Buttons have no terminal form: typing "more",
"undo", ... does the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import shlex
import sys
import time
from pathlib import Path
from typing import TextIO

from bot.core import Conversation, ImageReply, Person, PhotoEvent, Reply, TextEvent, TextReply

PLATFORM = "console"
BANNER = (
    "Local chat with the photo bot. Load a photo with /photo PATH (or paste its path), then type what to change, "
    "e.g. \"make it cuter\". /help lists the commands; Ctrl-D (end of input) or /quit ends the chat."
)
QUIT = {"/quit", "/exit", "quit", "exit"}
STATUS_EVERY_S = 1.0  # on a non-terminal output, at most one progress line per second


def local_person() -> Person:
    """The person at this terminal (the login name), as the session store knows them."""
    try:
        user = getpass.getuser()[:64] or "local"
    except (KeyError, OSError):
        user = "local"
    return Person(PLATFORM, "terminal", user)


class ConsoleChat:
    """Reads lines from `input`, writes the bot's answers to `output` and its pictures into `out_dir`.

    Args:
        open_images: also open each picture in the system's image viewer.
    """

    def __init__(
        self,
        conversation: Conversation,
        *,
        input: TextIO | None = None,
        output: TextIO | None = None,
        out_dir: Path = Path("styleclip-chat"),
        person: Person | None = None,
        open_images: bool = False,
    ) -> None:
        self.conversation = conversation
        self.input = input or sys.stdin
        self.output = output or sys.stdout
        self.out_dir = out_dir
        self.person = person or local_person()
        self.open_images = open_images
        conversation.face_files = True  # no "Face only" button here: the crop comes as a second file
        self._tty = bool(getattr(self.output, "isatty", lambda: False)())
        self._last_status = 0.0
        self._status_shown = False

    async def run(self) -> int:
        """Chat until end of input; returns 0."""
        self._print(BANNER)
        while True:
            if self._tty:
                self.output.write("you> ")
                self.output.flush()
            try:
                line = await asyncio.to_thread(self.input.readline)
            except (OSError, ValueError):  # a closed or unreadable input ends the chat like EOF
                break
            if not line or line.strip() in QUIT:
                break
            line = line.strip()
            if line:
                for reply in await self.handle_line(line):
                    self.show(reply)
        return 0

    async def handle_line(self, line: str) -> list[Reply]:
        """One line of the chat → the core's replies (a photo line reads the file first)."""
        if line.lower() == "/photo":
            return [TextReply("Which photo? Send /photo followed by the file's path, e.g. /photo ~/me.jpg")]
        path = _photo_path(line)
        if path is None:
            return await self.conversation.handle(TextEvent(self.person, line), self.status)
        try:
            data = path.read_bytes()
        except OSError as exc:
            return [TextReply(f"I can't read {path}: {exc.strerror or exc}.")]
        return await self.conversation.handle(PhotoEvent(self.person, data), self.status)

    async def status(self, text: str) -> None:
        """Progress: one line rewritten in place on a terminal; on a pipe, at most a line a second."""
        if self._tty:
            self.output.write(f"\r\033[K... {text}")
            self._status_shown = True
        else:
            now = time.monotonic()
            if now - self._last_status < STATUS_EVERY_S and "step" in text:
                return
            self._last_status = now
            self.output.write(f"... {text}\n")
        self.output.flush()

    def show(self, reply: Reply) -> None:
        if self._status_shown:
            self.output.write("\r\033[K")
            self._status_shown = False
        if isinstance(reply, TextReply):
            self._print(reply.text)
            return
        assert isinstance(reply, ImageReply)
        path = self.save(reply)
        face = self.save_face(reply)
        self._print(f"{reply.caption}\n  picture: {path}" + (f"\n  face only: {face}" if face else ""))
        if self.open_images:
            _open(path)

    def save(self, reply: ImageReply) -> Path:
        """Write the full-size PNG; names carry the session and version, so nothing is overwritten."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = (self.out_dir / reply.filename).resolve()
        path.write_bytes(reply.png)
        return path

    def save_face(self, reply: ImageReply) -> Path | None:
        """Write the face crop beside the picture (`...-face.png`), when the reply has one."""
        if reply.face_png is None:
            return None
        path = (self.out_dir / reply.filename).resolve()
        path = path.with_name(f"{path.stem}-face{path.suffix or '.png'}")
        path.write_bytes(reply.face_png)
        return path

    def _print(self, text: str) -> None:
        prefix = "bot: "
        self.output.write(prefix + text.replace("\n", "\n" + " " * len(prefix)) + "\n")
        self.output.flush()


def _photo_path(line: str) -> Path | None:
    """`/photo PATH` → PATH (missing files included, so the person hears why); a line that is an existing
    file's path (quotes, as terminals paste them, allowed) → that path; anything else → None."""
    if line.lower().startswith("/photo "):
        rest = line[len("/photo"):].strip()
        return Path(_unquote(rest)).expanduser()
    candidate = Path(_unquote(line)).expanduser()
    try:
        return candidate if ("/" in line or "\\" in line or "." in line) and candidate.is_file() else None
    except OSError:  # a name too long for the file system is text, not a path
        return None


def _unquote(text: str) -> str:
    try:
        parts = shlex.split(text)
    except ValueError:
        return text
    return parts[0] if len(parts) == 1 else text


def _open(path: Path) -> None:
    from PIL import Image

    with contextlib.suppress(Exception):  # a missing viewer is not worth stopping the chat for
        Image.open(path).show()


async def chat(conversation: Conversation, **options) -> int:
    """Run a `ConsoleChat` (see its arguments) until end of input."""
    return await ConsoleChat(conversation, **options).run()
