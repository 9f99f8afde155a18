"""Numbered schema migrations; `PRAGMA user_version` records how many have run.

Append new migrations (at the end of migrations_later.py, which holds 9 on: split only for
size); never edit one that has shipped, since databases in the field ran it.
"""

from .migrations_later import LATER

MIGRATIONS: tuple[str, ...] = (
    # 1: the core campaign tables.
    """
    CREATE TABLE signatures (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,  -- the signature number, never reused
        platform        TEXT NOT NULL,
        user_id         TEXT NOT NULL,
        name            TEXT,
        email           TEXT,
        postcode        TEXT,
        wants_updates   INTEGER NOT NULL CHECK (wants_updates IN (0, 1)),
        consent_text    TEXT NOT NULL,
        consent_version TEXT NOT NULL,
        signed_at       TEXT NOT NULL,
        UNIQUE (platform, user_id)
    );
    CREATE INDEX signatures_signed_at ON signatures (signed_at);

    CREATE TABLE rsvps (
        platform   TEXT NOT NULL,
        user_id    TEXT NOT NULL,
        event_id   TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (platform, user_id, event_id)
    );
    CREATE INDEX rsvps_event ON rsvps (event_id);

    CREATE TABLE subscriptions (
        platform   TEXT NOT NULL,
        user_id    TEXT NOT NULL,
        chat_id    TEXT NOT NULL,
        active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        created_at TEXT NOT NULL,
        PRIMARY KEY (platform, user_id)
    );

    CREATE TABLE user_settings (
        platform   TEXT NOT NULL,
        user_id    TEXT NOT NULL,
        timezone   TEXT,
        send_at    TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (platform, user_id)
    );

    CREATE TABLE form_sessions (
        platform   TEXT NOT NULL,
        user_id    TEXT NOT NULL,
        form_id    TEXT NOT NULL,
        step       INTEGER NOT NULL,
        data       TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (platform, user_id)
    );
    """,
    # 2: what the platform adapters need: why a subscription was paused (blocked bot, closed
    # DMs) and whether the person was told; chats subscribed as a whole; per-platform state
    # such as the hash of the slash commands last synced to Discord.
    """
    ALTER TABLE subscriptions ADD COLUMN paused_reason TEXT;
    ALTER TABLE subscriptions ADD COLUMN pause_noticed INTEGER NOT NULL DEFAULT 0;

    CREATE TABLE chat_subscriptions (
        platform   TEXT NOT NULL,
        chat_id    TEXT NOT NULL,
        active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        created_at TEXT NOT NULL,
        PRIMARY KEY (platform, chat_id)
    );

    CREATE TABLE platform_state (
        platform TEXT NOT NULL,
        key      TEXT NOT NULL,
        value    TEXT NOT NULL,
        PRIMARY KEY (platform, key)
    );
    """,
    # 3: delivery. When each subscription's next daily prompt is due (UTC; NULL: none left),
    # messages (one body per message, as JSON) and the outbox (one row per recipient per
    # message; the UNIQUE idempotency key makes "at most one prompt per subscription per local
    # date" and "one reminder per RSVP and kind" hold across restarts), actions marked done.
    """
    ALTER TABLE subscriptions ADD COLUMN next_prompt_at TEXT;
    ALTER TABLE subscriptions ADD COLUMN prompts_over INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX subscriptions_due ON subscriptions (next_prompt_at) WHERE active = 1;
    ALTER TABLE chat_subscriptions ADD COLUMN next_prompt_at TEXT;
    ALTER TABLE chat_subscriptions ADD COLUMN prompts_over INTEGER NOT NULL DEFAULT 0;

    CREATE TABLE messages (
        id         INTEGER PRIMARY KEY,
        key        TEXT NOT NULL UNIQUE,
        kind       TEXT NOT NULL,
        body       TEXT NOT NULL,
        created_at TEXT NOT NULL
    );

    CREATE TABLE outbox (
        id         INTEGER PRIMARY KEY,
        message_id INTEGER REFERENCES messages (id) ON DELETE CASCADE,  -- NULL: skipped
        platform   TEXT NOT NULL,
        chat_id    TEXT NOT NULL,
        user_id    TEXT,  -- the person, when the chat is theirs: /forget erases their rows
        idem_key   TEXT NOT NULL UNIQUE,
        state      TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending',
                   'delivered', 'gone', 'failed', 'uncertain', 'cancelled', 'skipped')),
        attempts   INTEGER NOT NULL DEFAULT 0,
        not_before TEXT NOT NULL,
        reason     TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX outbox_queue ON outbox (platform, state, not_before);
    CREATE INDEX outbox_message ON outbox (message_id, state);
    CREATE INDEX outbox_user ON outbox (platform, user_id);

    CREATE TABLE actions_done (
        platform TEXT NOT NULL,
        user_id  TEXT NOT NULL,
        day      TEXT NOT NULL,
        done_at  TEXT NOT NULL,
        PRIMARY KEY (platform, user_id, day)
    );
    """,
    # 4: moderator announcements: the draft as confirmed, its audience and schedule, where its
    # progress message lives, and which outbox message carries it.
    """
    CREATE TABLE announcements (
        id              INTEGER PRIMARY KEY,
        author_platform TEXT NOT NULL,
        author_id       TEXT NOT NULL,
        author_name     TEXT NOT NULL,
        author_chat     TEXT NOT NULL,
        text            TEXT NOT NULL,
        audience        TEXT CHECK (audience IN ('everyone', 'event', 'chats')),
        event_id        TEXT,
        send_at         TEXT,
        status          TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'scheduled',
                        'queued', 'sending', 'done', 'cancelled')),
        message_id      INTEGER REFERENCES messages (id),
        progress_id     TEXT,  -- the platform's id of the progress message we edit
        created_at      TEXT NOT NULL,
        started_at      TEXT,
        finished_at     TEXT
    );
    CREATE INDEX announcements_status ON announcements (status, send_at);

    -- Chats a send found gone (blocked, deactivated, DMs closed): left out of audiences until
    -- the person subscribes again or unblocks the bot.
    CREATE TABLE unreachable (
        platform TEXT NOT NULL,
        chat_id  TEXT NOT NULL,
        reason   TEXT NOT NULL,
        since    TEXT NOT NULL,
        PRIMARY KEY (platform, chat_id)
    );
    """,
    # 5: the outbox learns when a row stops being worth sending (expires_at; past it the row
    # becomes 'expired', never sent), which event a reminder is about (event_id, so the worker
    # can re-check the RSVP just before sending), and how many parts of a split reply already
    # arrived (parts_done, so a retry sends only the rest). SQLite cannot change a CHECK
    # constraint in place, so the table is rebuilt (the documented 12-step way, inside the
    # migration's transaction).
    """
    CREATE TABLE outbox_new (
        id         INTEGER PRIMARY KEY,
        message_id INTEGER REFERENCES messages (id) ON DELETE CASCADE,  -- NULL: skipped
        platform   TEXT NOT NULL,
        chat_id    TEXT NOT NULL,
        user_id    TEXT,  -- the person, when the chat is theirs: /forget erases their rows
        idem_key   TEXT NOT NULL UNIQUE,
        state      TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending',
                   'delivered', 'gone', 'failed', 'uncertain', 'cancelled', 'skipped',
                   'expired')),
        attempts   INTEGER NOT NULL DEFAULT 0,
        not_before TEXT NOT NULL,
        reason     TEXT,
        updated_at TEXT NOT NULL,
        expires_at TEXT,  -- NULL: valid until sent
        event_id   TEXT,  -- reminders: the event, whose RSVP must still hold when sending
        parts_done INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO outbox_new (id, message_id, platform, chat_id, user_id, idem_key, state,
                            attempts, not_before, reason, updated_at)
        SELECT id, message_id, platform, chat_id, user_id, idem_key, state, attempts,
               not_before, reason, updated_at FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_new RENAME TO outbox;
    CREATE INDEX outbox_queue ON outbox (platform, state, not_before);
    CREATE INDEX outbox_message ON outbox (message_id, state);
    CREATE INDEX outbox_user ON outbox (platform, user_id);
    """,
    # 6: an announcement is worth sending only until its expiry: the moderator's choice of how
    # long (valid_hours; NULL: the default) and, once confirmed, the moment itself (expires_at),
    # which its outbox rows carry too.
    """
    ALTER TABLE announcements ADD COLUMN valid_hours INTEGER;
    ALTER TABLE announcements ADD COLUMN expires_at TEXT;
    """,
    # 7: delivery that stays true. Each subscription remembers when prompts are owed from
    # (plan_after: when it was subscribed or resumed) and the local date of its last prompt
    # (prompted_through), so a new time or zone neither drops today's prompt nor repeats a day.
    # Outbox rows get a priority (1: prompts and reminders, sent before announcements), and
    # the queue index leads with it so each class is read in due order without a sort; pending
    # rows with an expiry are indexed by it, for the sweep.
    """
    ALTER TABLE subscriptions ADD COLUMN plan_after TEXT;
    ALTER TABLE subscriptions ADD COLUMN prompted_through TEXT;
    ALTER TABLE chat_subscriptions ADD COLUMN plan_after TEXT;
    ALTER TABLE chat_subscriptions ADD COLUMN prompted_through TEXT;
    UPDATE subscriptions SET plan_after = created_at, prompted_through = (
        SELECT MAX(substr(o.idem_key, -10)) FROM outbox o WHERE o.platform = subscriptions.platform
        AND o.user_id = subscriptions.user_id AND o.idem_key LIKE 'prompt:%');
    UPDATE chat_subscriptions SET plan_after = created_at, prompted_through = (
        SELECT MAX(substr(o.idem_key, -10)) FROM outbox o
        WHERE o.platform = chat_subscriptions.platform AND o.chat_id = chat_subscriptions.chat_id
        AND o.user_id IS NULL AND o.idem_key LIKE 'prompt:%');

    ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
    UPDATE outbox SET priority = 1 WHERE message_id IN (
        SELECT id FROM messages WHERE kind IN ('prompt', 'closing', 'reminder'));
    DROP INDEX outbox_queue;
    CREATE INDEX outbox_queue ON outbox (platform, state, priority, not_before);
    CREATE INDEX outbox_expiry ON outbox (expires_at) WHERE state = 'pending';
    """,
    # 8: who subscribed a group or channel (their user id on that platform; NULL when unknown
    # or erased by /forget), so they can be told once if the bot can no longer post there.
    """
    ALTER TABLE chat_subscriptions ADD COLUMN subscribed_by TEXT;
    """,
) + LATER
