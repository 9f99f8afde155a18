"""The per-concern SQL of the storage layer: one Storage mixin per concern, the migrations and
the records the queries return. Imported only by bot/storage.py (the entry point everything else
uses), and imports nothing else of the bot: it is the bottom layer."""
