"""The stages of `bot.dialog.parse`, one module each: normalise → commands → frames → concepts (and Chinese,
beside them in `chinese`; several edits in one message in `several`)."""
