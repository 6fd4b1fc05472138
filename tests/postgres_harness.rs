//! The PostgreSQL harness (tests/common/postgres.rs) works: a throwaway cluster of the test's own
//! with PostGIS, reached with tokio-postgres (the client the shared store will use), that keeps
//! what was committed across a restart and across being killed, and leaves nothing behind.
//! Without PostgreSQL and PostGIS installed these tests say "skipped: …" and pass, except
//! under CI.

mod common;

use std::time::Duration;

use common::postgres::{owner_of, PgCluster, PgOptions};
use tokio_postgres::{Client, NoTls};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// What the server said, rather than tokio-postgres's "db error".
fn db_message(e: &tokio_postgres::Error) -> String {
    e.as_db_error()
        .map_or_else(|| e.to_string(), |db| db.message().to_owned())
}

/// Three incidents: id, place, longitude, latitude.
const POINTS: [(i64, &str, f64, f64); 3] = [
    (1, "Aleppo", 37.1612, 36.2021),
    (2, "Raqqa", 39.0094, 35.9528),
    (3, "Deir ez-Zor", 40.1417, 35.3354),
];

/// The rows as they are read back: id, place, WKT, SRID.
async fn read_back(client: &Client) -> Vec<(i64, String, String, i32)> {
    client
        .query(
            "SELECT id, place, ST_AsText(geom), ST_SRID(geom) FROM incidents ORDER BY id",
            &[],
        )
        .await
        .expect("read incidents")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

fn expected_rows() -> Vec<(i64, String, String, i32)> {
    vec![
        (1, "Aleppo".into(), "POINT(37.1612 36.2021)".into(), 4326),
        (2, "Raqqa".into(), "POINT(39.0094 35.9528)".into(), 4326),
        (
            3,
            "Deir ez-Zor".into(),
            "POINT(40.1417 35.3354)".into(),
            4326,
        ),
    ]
}

/// The ids in a box west of 39.5°E, found through the GiST index (sequential scans are off for
/// the query, so the plan must use it); the plan and the ids.
async fn west_of_raqqa_by_index(client: &Client) -> (String, Vec<i64>) {
    let query = "SELECT id FROM incidents \
                 WHERE geom && ST_MakeEnvelope(36.0, 35.0, 39.5, 37.0, 4326) ORDER BY id";
    client
        .batch_execute("SET enable_seqscan = off")
        .await
        .expect("SET");
    let plan: Vec<String> = client
        .query(&format!("EXPLAIN {query}"), &[])
        .await
        .expect("EXPLAIN")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let ids = client
        .query(query, &[])
        .await
        .expect("box query")
        .iter()
        .map(|r| r.get(0))
        .collect();
    (plan.join("\n"), ids)
}

#[test]
fn postgis_points_with_a_gist_index_survive_a_restart() {
    let Some(mut pg) = PgCluster::start() else {
        return;
    };
    println!(
        "PostgreSQL {} on port {}: initdb and start took {:?}",
        pg.version(),
        pg.port(),
        pg.started_in()
    );
    assert!(
        pg.started_in() < Duration::from_secs(20),
        "a cluster took {:?} to start",
        pg.started_in()
    );
    // Durable unless asked otherwise; TCP on 127.0.0.1 only.
    assert_eq!(pg.psql("postgres", "SHOW fsync"), "on");
    assert_eq!(pg.psql("postgres", "SHOW listen_addresses"), "127.0.0.1");
    assert_eq!(pg.psql("postgres", "SHOW unix_socket_directories"), "");
    // As root, the cluster belongs to an unprivileged user.
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let owner = owner_of(pg.data_dir()).expect("data dir");
        assert_ne!(owner, 0, "the data directory belongs to root");
    }

    let url = pg.create_database("atlas_harness");
    assert_eq!(
        url,
        format!("postgres://postgres@127.0.0.1:{}/atlas_harness", pg.port())
    );
    let rt = runtime();
    let first_start = rt.block_on(async {
        let client = connect(&url).await;
        client
            .batch_execute(
                "CREATE EXTENSION postgis;
                 CREATE TABLE incidents (
                     id bigint PRIMARY KEY,
                     place text NOT NULL,
                     geom geometry(Point, 4326) NOT NULL
                 );
                 CREATE INDEX incidents_geom ON incidents USING gist (geom);",
            )
            .await
            .expect("PostGIS schema");
        let postgis: String = client
            .query_one("SELECT postgis_lib_version()", &[])
            .await
            .expect("postgis_lib_version")
            .get(0);
        assert!(postgis.starts_with("3."), "PostGIS {postgis}");
        println!("PostGIS {postgis}");
        let column = client
            .query_one(
                "SELECT type, srid FROM geometry_columns WHERE f_table_name = 'incidents'",
                &[],
            )
            .await
            .expect("geometry_columns");
        assert_eq!(
            (column.get::<_, String>(0), column.get::<_, i32>(1)),
            ("POINT".to_owned(), 4326)
        );

        let insert = client
            .prepare(
                "INSERT INTO incidents (id, place, geom) \
                 VALUES ($1, $2, ST_SetSRID(ST_MakePoint($3, $4), 4326))",
            )
            .await
            .expect("prepare insert");
        for (id, place, lon, lat) in POINTS {
            client
                .execute(&insert, &[&id, &place, &lon, &lat])
                .await
                .expect("insert");
        }
        // The column's type holds: no line strings, no other SRID.
        let line = client
            .execute(
                "INSERT INTO incidents VALUES (9, 'line', \
                 ST_GeomFromText('LINESTRING(36 35, 37 36)', 4326))",
                &[],
            )
            .await
            .expect_err("a LineString in a Point column");
        let line = db_message(&line);
        assert!(line.contains("LineString"), "LineString refused: {line}");
        let srid = client
            .execute(
                "INSERT INTO incidents VALUES (9, 'mercator', ST_SetSRID(ST_MakePoint(1, 2), 3857))",
                &[],
            )
            .await
            .expect_err("SRID 3857 in a 4326 column");
        let srid = db_message(&srid);
        assert!(srid.contains("SRID"), "SRID refused: {srid}");

        assert_eq!(read_back(&client).await, expected_rows());
        let (plan, ids) = west_of_raqqa_by_index(&client).await;
        assert!(plan.contains("incidents_geom"), "the GiST index is used:\n{plan}");
        assert_eq!(ids, vec![1, 2]);

        let started: std::time::SystemTime = client
            .query_one("SELECT pg_postmaster_start_time()", &[])
            .await
            .expect("start time")
            .get(0);
        (client, started)
    });

    let pid_before = pg.pid().expect("running");
    let took = pg.restart();
    println!("restart (pg_ctl stop -m fast, then start) took {took:?}");
    assert!(took < Duration::from_secs(20), "a restart took {took:?}");
    assert_ne!(pg.pid(), Some(pid_before), "a new postmaster");

    rt.block_on(async {
        let (old_client, started_before) = first_start;
        // The connection from before the restart is gone with the server it was made to.
        assert!(
            old_client.simple_query("SELECT 1").await.is_err(),
            "a connection survived the restart"
        );
        let client = connect(&url).await;
        let started_after: std::time::SystemTime = client
            .query_one("SELECT pg_postmaster_start_time()", &[])
            .await
            .expect("start time")
            .get(0);
        assert!(started_after > started_before, "the server started again");
        assert_eq!(read_back(&client).await, expected_rows());
        let (plan, ids) = west_of_raqqa_by_index(&client).await;
        assert!(
            plan.contains("incidents_geom"),
            "the GiST index is used:\n{plan}"
        );
        assert_eq!(ids, vec![1, 2]);
    });
}

#[test]
fn a_killed_cluster_recovers_what_was_committed() {
    let Some(mut pg) = PgCluster::start() else {
        return;
    };
    let url = pg.create_database("atlas_crash");
    let rt = runtime();
    let connected = rt.block_on(async {
        let client = connect(&url).await;
        client
            .batch_execute(
                "CREATE EXTENSION postgis;
                 CREATE TABLE incidents (id bigint PRIMARY KEY, geom geometry(Point, 4326));
                 INSERT INTO incidents VALUES (1, ST_SetSRID(ST_MakePoint(37.1612, 36.2021), 4326));",
            )
            .await
            .expect("schema and a committed row");
        // An open transaction's row, never committed, must not come back.
        client
            .batch_execute(
                "BEGIN; INSERT INTO incidents VALUES (2, ST_SetSRID(ST_MakePoint(1, 2), 4326));",
            )
            .await
            .expect("uncommitted row");
        client
    });
    // Killed with the transaction open and the client still connected.
    pg.kill();
    drop(connected);
    assert_eq!(pg.pid(), None);
    let took = pg.restart();
    println!("start after kill -9 (crash recovery) took {took:?}");
    assert!(
        pg.log().contains("automatic recovery in progress"),
        "crash recovery ran; log:\n{}",
        pg.log()
    );
    assert_eq!(
        pg.psql(
            "atlas_crash",
            "SELECT id, ST_AsText(geom) FROM incidents ORDER BY id"
        ),
        "1|POINT(37.1612 36.2021)"
    );
}

#[test]
fn fsync_can_be_turned_off_and_drop_leaves_nothing_behind() {
    let Some(mut pg) = PgCluster::start_with(PgOptions { fsync: false }) else {
        return;
    };
    assert_eq!(pg.psql("postgres", "SHOW fsync"), "off");
    assert_eq!(pg.psql("postgres", "SHOW synchronous_commit"), "off");
    pg.create_database("atlas_fast");
    assert_eq!(
        pg.psql(
            "atlas_fast",
            "CREATE EXTENSION postgis; SELECT ST_AsText(ST_Point(1, 2, 4326))"
        ),
        "POINT(1 2)"
    );
    // Stopped and started again, it still has the database.
    pg.stop();
    assert_eq!(pg.pid(), None);
    assert!(std::net::TcpStream::connect(("127.0.0.1", pg.port())).is_err());
    pg.restart();
    assert_eq!(
        pg.psql(
            "atlas_fast",
            "SELECT count(*) FROM pg_extension WHERE extname = 'postgis'"
        ),
        "1"
    );

    let dir = pg.data_dir().parent().expect("temp dir").to_owned();
    let pid = pg.pid().expect("running");
    let port = pg.port();
    drop(pg);
    assert!(!dir.exists(), "{} was left behind", dir.display());
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "postgres {pid} was left running"
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "something still listens on {port}"
    );
}
