"""Test doubles and helpers shared by the tests, never shipped in bot/: the in-memory chat
(memory.py), the frozen clock (clock.py), and helpers more than one test module uses."""
