"""/countdown, /today, /subscribe, /unsubscribe and /settings: the daily side of the campaign.

The clock fixture stands at Tue 1 June 2027, 13:00 UTC (09:00 in New York). The deadline is
10 June 2027, 12:00 EDT = 16:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.storage import Settings

DEADLINE = datetime(2027, 6, 10, 16, 0, tzinfo=UTC)
DEADLINE_LOCAL = "Thu 10 Jun 2027, 12:00 EDT"
DEADLINE_TEXT_START = "On June 10, 2020 Amazon announced a one-year pause"
JUNE_1_ACTION = ("Sign the petition asking Amazon to stop selling surveillance technology to "
                 "police and ICE for good.")
JUNE_2_ACTION = "Send the petition to three people you think would sign it."
FALLBACK = "Share the #EyesOnAmazon petition with one person who has not signed yet."
ZONE_QUESTION = "Which timezone are you in?"
TIME_QUESTION = "At what time should the daily prompt arrive?"
USAGE = "Use /settings timezone America/New_York or /settings time 08:30."
UNCHANGED = Settings(None, None)




# /countdown ---------------------------------------------------------------------------------

async def test_countdown_shows_days_and_hours_left_the_deadline_and_why(chat):
    text = await chat.send("/countdown")

    assert text.startswith(
        f"9 days and 3 hours left until Moratorium anniversary ({DEADLINE_LOCAL}).")
    assert f"\n{DEADLINE_TEXT_START}" in text
    assert text.rstrip().endswith("we want a permanent commitment by then.")


@pytest.mark.parametrize("before, left", [
    (timedelta(hours=1), "1 hour"),
    (timedelta(hours=1, minutes=59), "1 hour"),
    (timedelta(minutes=30), "less than an hour"),
    (timedelta(seconds=1), "less than an hour"),
    (timedelta(days=1), "1 day and 0 hours"),
    (timedelta(days=1, hours=1), "1 day and 1 hour"),
    (timedelta(days=2, hours=5, minutes=59), "2 days and 5 hours"),
])
async def test_countdown_edges(chat, clock, before, left):
    clock.current = DEADLINE - before

    text = await chat.send("/countdown")

    assert text.startswith(f"{left} left until Moratorium anniversary ({DEADLINE_LOCAL}).")


@pytest.mark.parametrize("after", [timedelta(0), timedelta(minutes=1), timedelta(days=3)])
async def test_countdown_after_the_deadline_says_it_passed(chat, clock, after):
    clock.current = DEADLINE + after

    text = await chat.send("/countdown")

    assert text == f"The deadline, Moratorium anniversary, passed on {DEADLINE_LOCAL}."
    assert "left until" not in text


# /today -------------------------------------------------------------------------------------

async def test_today_shows_the_days_action(chat):
    text = await chat.send("/today")

    assert text == f"Today's action (Tue 1 Jun 2027):\n{JUNE_1_ACTION}"


async def test_today_shows_the_actions_link_when_it_has_one(chat, clock):
    clock.current = datetime(2027, 6, 6, 13, 0, tzinfo=UTC)

    text = await chat.send("/today")

    assert text == ("Today's action (Sun 6 Jun 2027):\n"
                    "Donate to MediaJustice if you can, to keep the campaign going.\n"
                    "https://mediajustice.org/donate/")


async def test_today_without_an_action_suggests_the_fallback(chat, clock):
    clock.current = datetime(2027, 5, 1, 13, 0, tzinfo=UTC)

    text = await chat.send("/today")

    assert text == f"Today's action (Sat 1 May 2027):\nNo special action today. {FALLBACK}"


async def test_today_depends_on_the_supporters_timezone(chat, make_chat, bot, clock):
    # 02:00 UTC on 2 June is still 22:00 on 1 June in New York, but 03:00 on 2 June in London.
    londoner = make_chat(user_id="2002", name="Grace Hopper")
    assert "Europe/London" in await londoner.send("/settings timezone Europe/London")
    clock.current = datetime(2027, 6, 2, 2, 0, tzinfo=UTC)

    in_new_york = await chat.send("/today")
    in_london = await londoner.send("/today")

    assert in_new_york == f"Today's action (Tue 1 Jun 2027):\n{JUNE_1_ACTION}"
    assert in_london == f"Today's action (Wed 2 Jun 2027):\n{JUNE_2_ACTION}"


# /subscribe and /unsubscribe ----------------------------------------------------------------

async def test_subscribe_uses_the_campaign_defaults_and_stores_the_chat(chat, bot, clock):
    text = await chat.send("/subscribe")

    assert text.startswith("You're subscribed. Every day at 09:00 (America/New_York)")
    assert "/unsubscribe" in text
    subscription = await bot.store.subscription_of("telegram", "1001")
    assert subscription is not None
    assert subscription.active
    assert subscription.chat_id == "1001"
    assert subscription.since == clock.current


async def test_a_group_admin_subscribes_the_group_itself(make_chat, bot, clock):
    admin = make_chat(user_id="2002", chat_id="-100555", can_manage_chat=True)

    text = await admin.send("/subscribe")

    assert text.startswith("This chat will get the countdown and the day's action every day "
                           "at 09:00 (America/New_York).")
    assert await bot.store.chat_subscribed("telegram", "-100555")
    assert await bot.store.subscription_of("telegram", "2002") is None  # not the admin personally
    assert "already gets the daily post" in await admin.send("/subscribe")
    assert (await bot.store.stats(clock.now(), bot.config.zone)).subscribed_chats == 1
    assert "no more daily posts" in await admin.send("/unsubscribe")
    assert not await bot.store.chat_subscribed("telegram", "-100555")
    assert "isn't subscribed" in await admin.send("/unsubscribe")


async def test_a_group_member_who_does_not_manage_it_is_sent_to_a_private_chat(make_chat, bot):
    bot.deep_links["telegram"] = lambda command: f"https://t.me/CampaignBot?start={command}"
    member = make_chat(user_id="2003", chat_id="-100555")

    text = await member.send("/subscribe")

    assert "Only the people who manage this chat" in text
    assert [b.url for b in member.buttons] == ["https://t.me/CampaignBot?start=subscribe"]
    assert not await bot.store.chat_subscribed("telegram", "-100555")
    assert await bot.store.subscription_of("telegram", "2003") is None


async def test_subscribe_twice_says_already_subscribed(chat, bot, clock):
    await chat.send("/subscribe")

    text = await chat.send("/subscribe")

    assert text.startswith("You're already subscribed: every day at 09:00 (America/New_York).")
    assert (await bot.store.subscription_of("telegram", "1001")).active
    assert (await bot.store.stats(clock.now(), bot.config.zone)).active_subscribers == 1


async def test_unsubscribe_removes_it_and_a_second_time_says_you_werent(chat, bot):
    await chat.send("/subscribe")

    text = await chat.send("/unsubscribe")

    assert text == "Done: no more daily prompts. /subscribe brings them back."
    assert await bot.store.subscription_of("telegram", "1001") is None
    again = await chat.send("/unsubscribe")
    assert again == "You weren't subscribed to daily prompts."
    assert await bot.store.subscription_of("telegram", "1001") is None


async def test_subscribe_after_unsubscribing_subscribes_again(chat, bot):
    await chat.send("/subscribe")
    await chat.send("/unsubscribe")

    text = await chat.send("/subscribe")

    assert text.startswith("You're subscribed.")
    assert (await bot.store.subscription_of("telegram", "1001")).active


# /settings ----------------------------------------------------------------------------------

async def test_settings_shows_the_campaign_defaults_with_buttons(chat, bot):
    text = await chat.send("/settings")

    assert "Timezone: America/New_York (campaign default)" in text
    assert "Daily prompt time: 09:00 (campaign default)" in text
    assert "Daily prompts: off (/subscribe to turn on)" in text
    # The shipped campaign speaks English and Spanish, so the language can be chosen too.
    assert chat.labels == ["Change timezone", "Change time", "Change language"]
    assert await bot.store.settings_of("telegram", "1001") == UNCHANGED


async def test_settings_says_when_daily_prompts_are_on(chat):
    await chat.send("/subscribe")

    text = await chat.send("/settings")

    assert "Daily prompts: on" in text


async def test_settings_are_saved_shown_and_used_by_subscribe(chat, bot):
    zone = await chat.send("/settings timezone Europe/London")
    time = await chat.send("/settings time 7:30")

    assert zone == "Your timezone is now Europe/London."
    assert time == "Your daily prompt will arrive at 07:30."
    assert await bot.store.settings_of("telegram", "1001") == Settings("Europe/London", "07:30")
    shown = await chat.send("/settings")
    assert "Timezone: Europe/London\n" in shown
    assert "Daily prompt time: 07:30\n" in shown
    assert "campaign default" not in shown
    subscribed = await chat.send("/subscribe")
    assert subscribed.startswith("You're subscribed. Every day at 07:30 (Europe/London)")


async def test_settings_tz_is_short_for_timezone(chat, bot):
    text = await chat.send("/settings tz Asia/Tokyo")

    assert text == "Your timezone is now Asia/Tokyo."
    assert (await bot.store.settings_of("telegram", "1001")).timezone == "Asia/Tokyo"


async def test_one_setting_changed_keeps_the_other_default(chat, bot):
    await chat.send("/settings time 18:00")

    shown = await chat.send("/settings")

    assert "Timezone: America/New_York (campaign default)" in shown
    assert "Daily prompt time: 18:00\n" in shown
    assert await bot.store.settings_of("telegram", "1001") == Settings(None, "18:00")


ZONE_REASON = "I don't know the timezone"
TIME_REASON = "Please give a time as HH:MM on a 24-hour clock"


@pytest.mark.parametrize("typed, reason", [
    ("/settings timezone Mars/Olympus", ZONE_REASON),
    ("/settings timezone ../../etc/passwd", ZONE_REASON),
    ("/settings timezone /etc/localtime", ZONE_REASON),
    pytest.param("/settings timezone America", ZONE_REASON, id="timezone-directory-America"),
    pytest.param("/settings timezone " + "Europe/" + "x" * 300, ZONE_REASON,
                 id="timezone-name-too-long"),
    ("/settings time 25:00", TIME_REASON),
    ("/settings time 9am", TIME_REASON),
    ("/settings time 12:60", TIME_REASON),
    ("/settings colour blue", USAGE),
])
async def test_bad_settings_change_nothing_and_explain(chat, bot, typed, reason):
    text = await chat.send(typed)

    assert reason in text
    assert USAGE in text
    assert await bot.store.settings_of("telegram", "1001") == UNCHANGED


async def test_bad_settings_keep_an_earlier_good_value(chat, bot):
    await chat.send("/settings timezone Europe/London")
    await chat.send("/settings time 07:30")

    await chat.send("/settings timezone Mars/Olympus")
    await chat.send("/settings time 24:00")

    assert await bot.store.settings_of("telegram", "1001") == Settings("Europe/London", "07:30")


async def test_change_timezone_asks_once_explains_a_bad_answer_and_saves_a_good_one(chat, bot):
    await chat.send("/settings")

    question = await chat.press("Change timezone")

    assert question.startswith(ZONE_QUESTION)
    assert "/cancel" in question
    assert "1 of" not in question  # a one-question form has no step counter
    bad = await chat.send("Mars/Olympus")
    assert bad.startswith(f"{ZONE_REASON} “Mars/Olympus”.")
    assert ZONE_QUESTION in bad
    assert await bot.store.settings_of("telegram", "1001") == UNCHANGED
    good = await chat.send("Europe/London")
    assert good == "Your timezone is now Europe/London."
    assert await bot.store.settings_of("telegram", "1001") == Settings("Europe/London", None)
    assert await bot.store.form_session("telegram", "1001") is None
    after = await chat.send("Europe/Paris")  # the form is closed: plain text again
    assert "/help" in after
    assert (await bot.store.settings_of("telegram", "1001")).timezone == "Europe/London"


async def test_change_timezone_with_a_tz_directory_name_explains(chat, bot):
    await chat.send("/settings")
    await chat.press("Change timezone")

    text = await chat.send("America")

    assert ZONE_REASON in text
    assert ZONE_QUESTION in text
    assert await bot.store.settings_of("telegram", "1001") == UNCHANGED


async def test_change_time_asks_explains_and_saves(chat, bot):
    await chat.send("/settings")

    question = await chat.press("Change time")

    assert question.startswith(TIME_QUESTION)
    bad = await chat.send("9am")
    assert bad.startswith(TIME_REASON)
    assert TIME_QUESTION in bad
    assert await bot.store.settings_of("telegram", "1001") == UNCHANGED
    good = await chat.send("7:30")
    assert good == "Your daily prompt will arrive at 07:30."
    assert await bot.store.settings_of("telegram", "1001") == Settings(None, "07:30")


async def test_settings_with_only_a_key_asks_the_question(chat):
    text = await chat.send("/settings time")

    assert text.startswith(TIME_QUESTION)


@pytest.mark.parametrize("button, question", [
    ("Change timezone", ZONE_QUESTION),
    ("Change time", TIME_QUESTION),
])
async def test_cancel_closes_a_settings_question(chat, bot, button, question):
    await chat.send("/settings")
    assert (await chat.press(button)).startswith(question)

    text = await chat.send("/cancel")

    assert text == "Cancelled. Nothing you typed in that form was kept."
    assert await bot.store.form_session("telegram", "1001") is None
    after = await chat.send("Europe/London" if button == "Change timezone" else "07:30")
    assert "/help" in after
    assert await bot.store.settings_of("telegram", "1001") == UNCHANGED


@pytest.mark.parametrize("data", ["settings:colour", "settings", "settings:time:extra"])
async def test_tampered_settings_buttons_change_nothing(chat, bot, data):
    text = await chat.press_data(data)

    assert "no longer available" in text
    assert await bot.store.form_session("telegram", "1001") is None
