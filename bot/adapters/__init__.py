"""Platform adapters (Telegram, Discord, console): platform events in, core calls, replies out."""
