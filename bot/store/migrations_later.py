"""Schema migrations 9 on (languages, growth), continuing the numbered list in migrations.py:
`MIGRATIONS = (1..8) + LATER`, and `PRAGMA user_version` counts them all. Append new ones here;
never edit one that has shipped."""

LATER: tuple[str, ...] = (
    # 9: languages. The language a person chose with /settings (NULL: their app's, negotiated);
    # and the language a signature's petition and consent text were shown in (NULL: signed
    # before the bot spoke more than English; consent_text holds the very text shown).
    """
    ALTER TABLE user_settings ADD COLUMN language TEXT;
    ALTER TABLE signatures ADD COLUMN language TEXT;
    """,
    # 10: the language a person's app reported when they subscribed, RSVPed or subscribed a
    # chat (NULL: before the bot spoke more than English), so the prompts, reminders and notices
    # rendered for them later are in it when they chose none with /settings.
    """
    ALTER TABLE subscriptions ADD COLUMN language TEXT;
    ALTER TABLE rsvps ADD COLUMN language TEXT;
    ALTER TABLE chat_subscriptions ADD COLUMN subscriber_language TEXT;
    """,
    # 11: an announcement's versions in the configured languages other than the default (its
    # own text is the default's): each recipient gets the version of their /settings language.
    # The moderator's words to everyone, about no one: not personal data.
    """
    CREATE TABLE announcement_versions (
        announcement_id INTEGER NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
        language        TEXT NOT NULL,
        text            TEXT NOT NULL,
        PRIMARY KEY (announcement_id, language)
    );
    """,
    # 12: the signature counts the bot has celebrated (petition milestones and the goal), each
    # once ever: the primary key makes the first signer to reach one the only one to celebrate
    # it. About no one: not personal data.
    """
    CREATE TABLE milestones (
        count      INTEGER PRIMARY KEY,
        reached_at TEXT NOT NULL
    );
    """,
    # 13: where a signature came from: the source tag of the `?start=sign_<source>` link it was
    # signed through ('unknown' for a malformed one; NULL: direct). Names a channel, not a
    # person: not personal data.
    """
    ALTER TABLE signatures ADD COLUMN source TEXT;
    """,
    # 14: referrals. Each supporter's own invite code (random, never derived from their id),
    # and `via`: a code they arrived with, kept only until they sign. A credit row is keyed by
    # the person who signed through a referral: it stays after they /unsign, so signing again
    # credits no one a second time (the withdrawn signature itself is not kept). A signature
    # notes only THAT it came through a referral, never whose.
    """
    CREATE TABLE referral_codes (
        platform TEXT NOT NULL,
        user_id  TEXT NOT NULL,
        code     TEXT NOT NULL UNIQUE,
        via      TEXT,
        PRIMARY KEY (platform, user_id)
    );
    CREATE TABLE referral_credits (
        platform          TEXT NOT NULL,
        user_id           TEXT NOT NULL,
        referrer_platform TEXT NOT NULL,
        referrer_user_id  TEXT NOT NULL,
        credited_at       TEXT NOT NULL,
        PRIMARY KEY (platform, user_id)
    );
    CREATE INDEX referral_credits_referrer ON referral_credits (referrer_platform,
                                                               referrer_user_id);
    ALTER TABLE signatures ADD COLUMN referred INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE user_settings ADD COLUMN referral_notices INTEGER NOT NULL DEFAULT 1;
    """,
    # 15: that a person has signed (kept when they withdraw with /unsign; /forget erases the
    # row): signing again later, through someone's link, credits no one (issue 12).
    """
    ALTER TABLE referral_codes ADD COLUMN has_signed INTEGER NOT NULL DEFAULT 0;
    UPDATE referral_codes SET has_signed = 1 WHERE EXISTS (SELECT 1 FROM signatures s
        WHERE s.platform = referral_codes.platform AND s.user_id = referral_codes.user_id);
    """,
    # 16: whether a person made it to an event they RSVPed to (issue 13), asked an hour after
    # it ends; a column of the RSVP row, so it is erased with it.
    """
    ALTER TABLE rsvps ADD COLUMN attended INTEGER;
    ALTER TABLE rsvps ADD COLUMN attended_at TEXT;
    """,
    # 17: when the bot first welcomed a person on a platform with no start message (issue 14:
    # the welcome comes before their first command there, once). A column of their settings
    # row, so /forget erases it with the rest; /mydata shows it.
    """
    ALTER TABLE user_settings ADD COLUMN welcomed_at TEXT;
    """,
    # 18: campaign panels (issue 14): one live message per chat (a Discord channel, a Telegram
    # group or channel) that the bot edits as the count and the next event change. `shown`:
    # a hash of the content last put there, so an edit happens only when it would change
    # something; `edited_at`: the last edit, for at most one a minute. About a chat, never a
    # person (who posted it is not kept): not personal data.
    """
    CREATE TABLE panels (
        platform   TEXT NOT NULL,
        chat_id    TEXT NOT NULL,
        message_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        edited_at  TEXT,
        shown      TEXT NOT NULL,
        PRIMARY KEY (platform, chat_id)
    );
    """,
)
