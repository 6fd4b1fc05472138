//! Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
//! Append new steps; never edit a released one.

pub const MIGRATIONS: &[&str] = &[
    // 1: incidents (ACLED columns plus ours), deletions for mirrors, settings.
    "CREATE TABLE incident (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id_cnty TEXT,
        event_date TEXT NOT NULL,
        time_precision INTEGER NOT NULL CHECK (time_precision BETWEEN 1 AND 3),
        event_type TEXT NOT NULL,
        sub_event_type TEXT NOT NULL,
        actor1 TEXT NOT NULL,
        assoc_actor_1 TEXT,
        inter1 INTEGER,
        actor2 TEXT,
        assoc_actor_2 TEXT,
        inter2 INTEGER,
        country TEXT,
        iso INTEGER,
        admin1 TEXT,
        admin2 TEXT,
        admin3 TEXT,
        location TEXT NOT NULL,
        longitude REAL NOT NULL CHECK (longitude BETWEEN -180 AND 180),
        latitude REAL NOT NULL CHECK (latitude BETWEEN -90 AND 90),
        geo_precision INTEGER NOT NULL CHECK (geo_precision BETWEEN 1 AND 3),
        place_id TEXT,
        placement TEXT NOT NULL CHECK (placement IN ('coordinates', 'gazetteer')),
        fatalities INTEGER NOT NULL CHECK (fatalities >= 0),
        fatalities_low INTEGER,
        fatalities_high INTEGER,
        source TEXT,
        source_url TEXT,
        notes TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE incident_deletion (
        id INTEGER PRIMARY KEY,
        deleted_at TEXT NOT NULL
    );
    CREATE TABLE setting (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );",
    // 2: displacement reports.
    "CREATE TABLE displacement_report (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        date_start TEXT NOT NULL,
        date_end TEXT NOT NULL CHECK (date_end >= date_start),
        origin_id TEXT NOT NULL,
        destination_id TEXT,
        households INTEGER CHECK (households >= 0),
        households_low INTEGER,
        households_high INTEGER,
        individuals INTEGER CHECK (individuals >= 0),
        individuals_low INTEGER,
        individuals_high INTEGER,
        source TEXT,
        source_url TEXT,
        notes TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );",
    // 3: the change feed (see `store::feed`): each record's latest change, numbered in
    // commit order, and the head row every writer holds. Existing records and deletions are
    // entered oldest first; the old deletions table is now the feed's delete entries.
    "CREATE TABLE change (
        seq INTEGER PRIMARY KEY,
        collection TEXT NOT NULL,
        record_id INTEGER NOT NULL,
        op TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
        at TEXT NOT NULL,
        UNIQUE (collection, record_id)
    );
    INSERT INTO change (collection, record_id, op, at)
        SELECT collection, record_id, op, at FROM (
            SELECT 'incidents' AS collection, id AS record_id,
                CASE WHEN updated_at > created_at THEN 'update' ELSE 'create' END AS op,
                updated_at AS at
            FROM incident
            UNION ALL
            SELECT 'displacement-reports', id,
                CASE WHEN updated_at > created_at THEN 'update' ELSE 'create' END, updated_at
            FROM displacement_report
            UNION ALL
            SELECT 'incidents', id, 'delete', deleted_at FROM incident_deletion
        ) ORDER BY at, collection, record_id;
    CREATE TABLE feed_head (
        one INTEGER PRIMARY KEY CHECK (one = 1),
        seq INTEGER NOT NULL,
        at TEXT NOT NULL
    );
    INSERT INTO feed_head (one, seq, at)
        SELECT 1, COALESCE(MAX(seq), 0), COALESCE(MAX(at), '1970-01-01 00:00:00+00:00')
        FROM change;
    DROP TABLE incident_deletion;",
    // 4: location protection: the level, and the public location computed when written.
    "ALTER TABLE incident ADD COLUMN location_protection TEXT NOT NULL DEFAULT 'exact';
    ALTER TABLE incident ADD COLUMN public_location TEXT;",
];
