"""Issue 12, tier 3: a Discord user signs with `/sign code:<code>` through the real discord.py
client and the fake Discord; the code survives the modal and the consent buttons."""

from __future__ import annotations

import re

import pytest

from tests.fakes.discord_api import answer, bounded, button_id, running
from tests.support.database import rows

CODE = re.compile(r"Your invite code: ([a-z0-9]+)")


@pytest.fixture
async def adapter(dconfig, clock, fake):
    async with running(dconfig, clock, fake) as started:
        yield started


@bounded(30)
async def test_a_discord_user_signs_with_the_code_option_and_the_referrer_is_credited(
        adapter, fake, dconfig):
    invite = await answer(fake, await fake.command("invite", user_id="2001", user_name="Ada"))
    code = CODE.search(invite[0]["content"]).group(1)

    intro = await answer(fake, await fake.command("sign", user_id="1001", user_name="Grace",
                                                  options={"code": code}))
    message, open_id = button_id(intro, "Fill in the petition signature")
    opened = await fake.press(message, open_id, user_id="1001", user_name="Grace")
    await fake.until(lambda: opened.modal is not None)
    submitted = await fake.submit(opened.modal["custom_id"], {
        "name": "Grace", "email": "", "postcode": ""}, user_id="1001")
    consent = await answer(fake, submitted)
    message, sign_id = button_id(consent, "Sign")
    await fake.press(message, sign_id, user_id="1001")
    await fake.until(lambda: "signature #1" in fake.messages[message["id"]]["content"])

    assert rows(dconfig, "SELECT user_id, referred FROM signatures") == [("1001", 1)]
    assert rows(dconfig, "SELECT user_id, referrer_user_id FROM referral_credits") == [
        ("1001", "2001")]
    again = await answer(fake, await fake.command("invite", user_id="2001", user_name="Ada"))
    assert "Your link has brought 1 signature so far." in again[0]["content"]
