BEGIN TRANSACTION;
CREATE TABLE actions_done (
        platform TEXT NOT NULL,
        user_id  TEXT NOT NULL,
        day      TEXT NOT NULL,
        done_at  TEXT NOT NULL,
        PRIMARY KEY (platform, user_id, day)
    );
INSERT INTO "actions_done" VALUES('telegram','101','2027-06-01','2027-06-01T13:00:00+00:00');
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
    , valid_hours INTEGER, expires_at TEXT);
INSERT INTO "announcements" VALUES(1,'telegram','42','Mod','42','Rally at noon!','everyone',NULL,NULL,'sending',2,NULL,'2027-06-01T13:00:00+00:00','2027-06-01T13:00:00+00:00',NULL,NULL,'2027-06-02T13:00:00+00:00');
CREATE TABLE chat_subscriptions (
        platform   TEXT NOT NULL,
        chat_id    TEXT NOT NULL,
        active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        created_at TEXT NOT NULL, next_prompt_at TEXT, prompts_over INTEGER NOT NULL DEFAULT 0, plan_after TEXT, prompted_through TEXT, subscribed_by TEXT,
        PRIMARY KEY (platform, chat_id)
    );
INSERT INTO "chat_subscriptions" VALUES('telegram','-100500',1,'2027-06-01T13:00:00+00:00',NULL,0,'2027-06-01T13:00:00+00:00',NULL,'101');
CREATE TABLE form_sessions (
        platform   TEXT NOT NULL,
        user_id    TEXT NOT NULL,
        form_id    TEXT NOT NULL,
        step       INTEGER NOT NULL,
        data       TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (platform, user_id)
    );
INSERT INTO "form_sessions" VALUES('discord','202','sign',1,'{"name": "Bo"}','2027-06-01T13:00:00+00:00');
CREATE TABLE messages (
        id         INTEGER PRIMARY KEY,
        key        TEXT NOT NULL UNIQUE,
        kind       TEXT NOT NULL,
        body       TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
INSERT INTO "messages" VALUES(1,'prompt:2027-06-01','prompt','{"text": "Call your rep."}','2027-06-01T13:00:00+00:00');
INSERT INTO "messages" VALUES(2,'announcement:1','announcement','{"text": "Rally at noon!"}','2027-06-01T13:00:00+00:00');
CREATE TABLE "outbox" (
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
    , priority INTEGER NOT NULL DEFAULT 0);
INSERT INTO "outbox" VALUES(1,1,'telegram','101','101','prompt:telegram:101:2027-06-01','pending',0,'2027-06-01T13:00:00+00:00',NULL,'2027-06-01T13:00:00+00:00','2027-06-02T01:00:00+00:00',NULL,0,1);
INSERT INTO "outbox" VALUES(2,2,'discord','404','404','ann:1:discord:404','delivered',1,'2027-06-01T13:00:00+00:00',NULL,'2027-06-01T13:00:00+00:00','2027-06-02T13:00:00+00:00',NULL,0,0);
INSERT INTO "outbox" VALUES(3,2,'discord','9202','202','ann:1:discord:9202','delivered',1,'2027-06-01T13:00:00+00:00',NULL,'2027-06-01T13:00:00+00:00','2027-06-02T13:00:00+00:00',NULL,0,0);
INSERT INTO "outbox" VALUES(4,2,'telegram','101','101','ann:1:telegram:101','pending',0,'2027-06-01T13:00:00+00:00',NULL,'2027-06-01T13:00:00+00:00','2027-06-02T13:00:00+00:00',NULL,0,0);
CREATE TABLE platform_state (
        platform TEXT NOT NULL,
        key      TEXT NOT NULL,
        value    TEXT NOT NULL,
        PRIMARY KEY (platform, key)
    );
INSERT INTO "platform_state" VALUES('discord','commands_hash','abc123');
CREATE TABLE rsvps (
        platform   TEXT NOT NULL,
        user_id    TEXT NOT NULL,
        event_id   TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (platform, user_id, event_id)
    );
INSERT INTO "rsvps" VALUES('telegram','101','day1','2027-06-01T13:00:00+00:00');
INSERT INTO "rsvps" VALUES('telegram','101','day3','2027-06-01T13:00:00+00:00');
INSERT INTO "rsvps" VALUES('discord','202','day2','2027-06-01T13:00:00+00:00');
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
INSERT INTO "signatures" VALUES(1,'telegram','101','Ada','ada@example.org','10001',1,'We store your name to count you.','v1','2027-06-01T13:00:00+00:00');
INSERT INTO "signatures" VALUES(2,'discord','202','Bo',NULL,NULL,0,'We store your name to count you.','v1','2027-06-01T13:00:00+00:00');
INSERT INTO "signatures" VALUES(4,'discord','404','Di',NULL,NULL,1,'We store your name to count you.','v1','2027-06-01T13:00:00+00:00');
CREATE TABLE subscriptions (
        platform   TEXT NOT NULL,
        user_id    TEXT NOT NULL,
        chat_id    TEXT NOT NULL,
        active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        created_at TEXT NOT NULL, paused_reason TEXT, pause_noticed INTEGER NOT NULL DEFAULT 0, next_prompt_at TEXT, prompts_over INTEGER NOT NULL DEFAULT 0, plan_after TEXT, prompted_through TEXT,
        PRIMARY KEY (platform, user_id)
    );
INSERT INTO "subscriptions" VALUES('telegram','101','101',1,'2027-06-01T13:00:00+00:00',NULL,0,'2027-06-02T13:00:00+00:00',0,'2027-06-01T13:00:00+00:00','2027-06-01');
INSERT INTO "subscriptions" VALUES('discord','202','9202',1,'2027-06-01T13:00:00+00:00',NULL,0,NULL,0,'2027-06-01T13:00:00+00:00',NULL);
CREATE TABLE unreachable (
        platform TEXT NOT NULL,
        chat_id  TEXT NOT NULL,
        reason   TEXT NOT NULL,
        since    TEXT NOT NULL,
        PRIMARY KEY (platform, chat_id)
    );
INSERT INTO "unreachable" VALUES('discord','404','blocked','2027-06-01T13:00:00+00:00');
CREATE TABLE user_settings (
        platform   TEXT NOT NULL,
        user_id    TEXT NOT NULL,
        timezone   TEXT,
        send_at    TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (platform, user_id)
    );
INSERT INTO "user_settings" VALUES('telegram','101','Europe/Berlin','08:30','2027-06-01T13:00:00+00:00');
CREATE INDEX signatures_signed_at ON signatures (signed_at);
CREATE INDEX rsvps_event ON rsvps (event_id);
CREATE INDEX subscriptions_due ON subscriptions (next_prompt_at) WHERE active = 1;
CREATE INDEX announcements_status ON announcements (status, send_at);
CREATE INDEX outbox_message ON outbox (message_id, state);
CREATE INDEX outbox_user ON outbox (platform, user_id);
CREATE INDEX outbox_queue ON outbox (platform, state, priority, not_before);
CREATE INDEX outbox_expiry ON outbox (expires_at) WHERE state = 'pending';
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('signatures',4);
COMMIT;
PRAGMA user_version = 8;
