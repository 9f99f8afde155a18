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
    # 19: running counts (issue 15), kept by triggers in the same transaction as the row they
    # count, so they are exact after any restart: RSVPs per event (the event list shows them on
    # every press: counting 300,000 rows each time would not do), outbox rows per message,
    # platform and state (the announcement's progress, every few seconds), signatures per
    # platform and kind (every /sign tells the total; counting 1,000,000 rows took 30 ms) and
    # active subscriptions per platform (/stats). Filled from the rows at migration time.
    # Counts of rows about no one: not personal.
    """
    CREATE TABLE signature_counts (
        platform      TEXT NOT NULL,
        wants_updates INTEGER NOT NULL,
        referred      INTEGER NOT NULL,
        n             INTEGER NOT NULL,
        PRIMARY KEY (platform, wants_updates, referred)
    ) WITHOUT ROWID;
    INSERT INTO signature_counts SELECT platform, wants_updates, referred, COUNT(*)
        FROM signatures GROUP BY platform, wants_updates, referred;
    CREATE TRIGGER signature_counts_insert AFTER INSERT ON signatures BEGIN
        INSERT INTO signature_counts VALUES (NEW.platform, NEW.wants_updates, NEW.referred, 1)
            ON CONFLICT (platform, wants_updates, referred) DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER signature_counts_delete AFTER DELETE ON signatures BEGIN
        UPDATE signature_counts SET n = n - 1 WHERE platform = OLD.platform
            AND wants_updates = OLD.wants_updates AND referred = OLD.referred;
    END;
    CREATE TRIGGER signature_counts_update AFTER UPDATE OF platform, wants_updates, referred
    ON signatures WHEN OLD.platform IS NOT NEW.platform
        OR OLD.wants_updates IS NOT NEW.wants_updates OR OLD.referred IS NOT NEW.referred BEGIN
        UPDATE signature_counts SET n = n - 1 WHERE platform = OLD.platform
            AND wants_updates = OLD.wants_updates AND referred = OLD.referred;
        INSERT INTO signature_counts VALUES (NEW.platform, NEW.wants_updates, NEW.referred, 1)
            ON CONFLICT (platform, wants_updates, referred) DO UPDATE SET n = n + 1;
    END;
    CREATE TABLE subscription_counts (
        platform TEXT PRIMARY KEY,
        active   INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO subscription_counts SELECT platform, COUNT(*) FROM subscriptions
        WHERE active = 1 GROUP BY platform;
    CREATE TRIGGER subscription_counts_insert AFTER INSERT ON subscriptions
    WHEN NEW.active = 1 BEGIN
        INSERT INTO subscription_counts VALUES (NEW.platform, 1)
            ON CONFLICT (platform) DO UPDATE SET active = active + 1;
    END;
    CREATE TRIGGER subscription_counts_delete AFTER DELETE ON subscriptions
    WHEN OLD.active = 1 BEGIN
        UPDATE subscription_counts SET active = active - 1 WHERE platform = OLD.platform;
    END;
    CREATE TRIGGER subscription_counts_update AFTER UPDATE OF platform, active ON subscriptions
    WHEN OLD.platform IS NOT NEW.platform OR OLD.active IS NOT NEW.active BEGIN
        UPDATE subscription_counts SET active = active - 1
            WHERE platform = OLD.platform AND OLD.active = 1;
        INSERT INTO subscription_counts SELECT NEW.platform, 1 WHERE NEW.active = 1
            ON CONFLICT (platform) DO UPDATE SET active = active + 1;
    END;
    CREATE TABLE event_counts (
        event_id TEXT PRIMARY KEY,
        going    INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO event_counts SELECT event_id, COUNT(*) FROM rsvps GROUP BY event_id;
    CREATE TRIGGER event_counts_insert AFTER INSERT ON rsvps BEGIN
        INSERT INTO event_counts VALUES (NEW.event_id, 1)
            ON CONFLICT (event_id) DO UPDATE SET going = going + 1;
    END;
    CREATE TRIGGER event_counts_delete AFTER DELETE ON rsvps BEGIN
        UPDATE event_counts SET going = going - 1 WHERE event_id = OLD.event_id;
    END;
    CREATE TRIGGER event_counts_update AFTER UPDATE OF event_id ON rsvps
    WHEN OLD.event_id IS NOT NEW.event_id BEGIN
        UPDATE event_counts SET going = going - 1 WHERE event_id = OLD.event_id;
        INSERT INTO event_counts VALUES (NEW.event_id, 1)
            ON CONFLICT (event_id) DO UPDATE SET going = going + 1;
    END;
    CREATE TABLE outbox_counts (
        message_id INTEGER NOT NULL,
        platform   TEXT NOT NULL,
        state      TEXT NOT NULL,
        n          INTEGER NOT NULL,
        PRIMARY KEY (message_id, platform, state)
    ) WITHOUT ROWID;
    INSERT INTO outbox_counts SELECT message_id, platform, state, COUNT(*) FROM outbox
        WHERE message_id IS NOT NULL GROUP BY message_id, platform, state;
    CREATE TRIGGER outbox_counts_insert AFTER INSERT ON outbox
    WHEN NEW.message_id IS NOT NULL BEGIN
        INSERT INTO outbox_counts VALUES (NEW.message_id, NEW.platform, NEW.state, 1)
            ON CONFLICT (message_id, platform, state) DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER outbox_counts_delete AFTER DELETE ON outbox
    WHEN OLD.message_id IS NOT NULL BEGIN
        UPDATE outbox_counts SET n = n - 1 WHERE message_id = OLD.message_id
            AND platform = OLD.platform AND state = OLD.state;
    END;
    CREATE TRIGGER outbox_counts_update AFTER UPDATE OF message_id, platform, state ON outbox
    WHEN OLD.message_id IS NOT NEW.message_id OR OLD.platform IS NOT NEW.platform
        OR OLD.state IS NOT NEW.state BEGIN
        UPDATE outbox_counts SET n = n - 1 WHERE message_id = OLD.message_id
            AND platform = OLD.platform AND state = OLD.state;
        INSERT INTO outbox_counts SELECT NEW.message_id, NEW.platform, NEW.state, 1
            WHERE NEW.message_id IS NOT NULL
            ON CONFLICT (message_id, platform, state) DO UPDATE SET n = n + 1;
    END;
    """,
)
