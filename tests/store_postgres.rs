//! The PostgreSQL store against a real throwaway cluster (tests/common/postgres.rs): schema,
//! every column, savepoints, ids, the change feed and its ordering across writers, outages,
//! notifications, restores. Without PostgreSQL and PostGIS these say "skipped: …" and pass,
//! except under CI.

mod common;

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use common::postgres::{PgCluster, PgOptions};
use incident_atlas::collection::RecordKind;
use incident_atlas::model::displacement::{Count, DisplacementReport};
use incident_atlas::model::field::Places;
use incident_atlas::model::{incident_fields, report_fields, Incident, Placement};
use incident_atlas::store::postgres::Listener;
use incident_atlas::store::{Change, FeedEntry, Location, Op, Store, StoreError, Stored};

const DEADLINE: Duration = Duration::from_secs(30);

fn fast_cluster() -> Option<PgCluster> {
    PgCluster::start_with(PgOptions { fsync: false })
}

fn open(url: &str) -> Store {
    Store::open(&Location::Postgres(url.to_string())).expect("open the PostgreSQL store")
}

/// A time PostgreSQL keeps exactly (microseconds).
fn micro(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap()
}
use chrono::DurationRound;

fn incident(lon: f64) -> Incident {
    let now = micro(Utc::now());
    Incident {
        id: 0,
        event_id_cnty: None,
        event_date: NaiveDate::from_ymd_opt(2022, 1, 20).unwrap(),
        time_precision: 1,
        event_type: "Battles".into(),
        sub_event_type: "Armed clash".into(),
        actor1: "A".into(),
        assoc_actor_1: None,
        inter1: None,
        actor2: None,
        assoc_actor_2: None,
        inter2: None,
        country: None,
        iso: None,
        admin1: None,
        admin2: None,
        admin3: None,
        location: "Somewhere".into(),
        lon,
        lat: 36.5,
        geo_precision: 1,
        place_id: None,
        placement: Placement::Coordinates,
        location_protection: "exact".into(),
        public: None,
        fatalities: 1,
        fatalities_low: None,
        fatalities_high: None,
        source: None,
        source_url: None,
        notes: None,
        tags: Vec::new(),
        created_at: now,
        updated_at: now,
    }
}

fn report() -> DisplacementReport {
    let now = micro(Utc::now());
    let day = NaiveDate::from_ymd_opt(2022, 1, 20).unwrap();
    DisplacementReport {
        id: 0,
        date_start: day,
        date_end: day + chrono::Days::new(2),
        origin_id: "o".into(),
        destination_id: None,
        households: None,
        individuals: None,
        source: None,
        source_url: None,
        notes: None,
        created_at: now,
        updated_at: now,
    }
}

fn insert(store: &mut Store, lon: f64) -> Result<i64, StoreError> {
    store
        .write(|w| {
            let mut i = incident(lon);
            w.insert(&mut i)?;
            Ok(i.id)
        })
        .map(|c| c.value)
}

fn declared(names: impl Iterator<Item = &'static str>) -> Vec<String> {
    let mut v: Vec<String> = names.map(str::to_owned).collect();
    v.sort();
    v
}

/// Two replicas starting at once migrate once; opening again changes nothing; the tables have
/// the declared columns (plus the PostGIS point) and QGIS finds a registered geometry column.
#[test]
fn migrates_once_even_when_opened_concurrently() {
    let Some(pg) = fast_cluster() else { return };
    let url = pg.create_database("atlas");
    let barrier = Arc::new(Barrier::new(2));
    let openers: Vec<_> = (0..2)
        .map(|_| {
            let (url, barrier) = (url.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                open(&url).schema_version().unwrap()
            })
        })
        .collect();
    for o in openers {
        assert_eq!(o.join().unwrap(), 2);
    }
    assert_eq!(open(&url).schema_version().unwrap(), 2);
    assert_eq!(
        pg.psql("atlas", "SELECT count(*) FROM schema_migration"),
        "2"
    );
    for (table, fields) in [
        (
            "incident",
            declared(
                incident_fields::FIELDS
                    .iter()
                    .filter(|f| f.places.has(Places::SQL))
                    .map(|f| f.name),
            ),
        ),
        (
            "displacement_report",
            declared(
                report_fields::FIELDS
                    .iter()
                    .filter(|f| f.places.has(Places::SQL))
                    .map(|f| f.name),
            ),
        ),
    ] {
        let actual = pg.psql(
            "atlas",
            &format!(
                "SELECT column_name FROM information_schema.columns WHERE table_name = '{table}' \
                 AND column_name <> 'geom' ORDER BY column_name"
            ),
        );
        let actual: Vec<String> = actual.lines().map(str::to_owned).collect();
        assert_eq!(actual, fields, "{table}");
    }
    assert_eq!(
        pg.psql("atlas", "SELECT f_geometry_column, srid, type FROM geometry_columns WHERE f_table_name = 'incident'"),
        "geom|4326|POINT"
    );
    let mut store = open(&url);
    insert(&mut store, 40.25).unwrap();
    assert_eq!(
        pg.psql("atlas", "SELECT ST_AsText(geom) FROM incident"),
        "POINT(40.25 36.5)"
    );
}

/// A closed port: `Unavailable`, quickly.
#[test]
fn open_without_a_server_is_unavailable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let began = Instant::now();
    let err = Store::open(&Location::Postgres(format!(
        "postgres://u:secret@127.0.0.1:{port}/x"
    )))
    .err()
    .expect("no server there");
    assert!(err.is_unavailable(), "{err}");
    assert!(!err.to_string().contains("secret"), "{err}");
    assert!(began.elapsed() < Duration::from_secs(10));
}

#[test]
fn every_column_round_trips() {
    let Some(pg) = fast_cluster() else { return };
    let mut store = open(&pg.create_database("atlas"));
    let mut i = incident(40.25);
    i.event_id_cnty = Some("SYR1".into());
    i.assoc_actor_1 = Some("B".into());
    i.inter1 = Some(2);
    i.actor2 = Some("C".into());
    i.assoc_actor_2 = Some("D".into());
    i.inter2 = Some(1);
    i.country = Some("Syria".into());
    i.iso = Some(760);
    i.admin1 = Some("a1".into());
    i.admin2 = Some("a2".into());
    i.admin3 = Some("a3".into());
    i.geo_precision = 2;
    i.time_precision = 3;
    i.place_id = Some("p".into());
    i.placement = Placement::Gazetteer;
    i.fatalities = 7;
    i.fatalities_low = Some(1);
    i.fatalities_high = Some(40);
    i.source = Some("s".into());
    i.source_url = Some("https://example.org".into());
    i.notes = Some("n 'quoted' ünïcode".into());
    i.tags = vec!["t1".into(), "t,2".into()];
    // A protected incident's public location is kept beside the true one.
    i.location_protection = "grid:5".into();
    i.public = Some(incident_atlas::model::protection::Stored::new(
        incident_atlas::model::protection::PublicLocation {
            longitude: 40.27,
            latitude: 36.52,
            geo_precision: 2,
            location: "cell".into(),
            place_id: None,
            admin1: Some("a1".into()),
            admin2: None,
            admin3: None,
            applied: "grid:5".into(),
        },
    ));
    let count = |best, low, high| Some(Count { best, low, high });
    let mut r = report();
    r.destination_id = Some("d".into());
    r.households = count(3, Some(2), Some(5));
    r.individuals = count(10, None, Some(20));
    r.source = Some("s".into());
    r.source_url = Some("https://example.org".into());
    r.notes = Some("n".into());
    // A batch large enough for COPY, and one row through INSERT: both paths.
    let mut many: Vec<Incident> = (0..100).map(|_| i.clone()).collect();
    store
        .write(|w| {
            w.insert(&mut i)?;
            w.insert_report(&mut r)?;
            w.insert_incidents(&mut many)
        })
        .unwrap();
    let all = store.load_all().unwrap();
    assert_eq!(all.len(), 101);
    assert_eq!(*all[0], i);
    for (loaded, written) in all[1..].iter().zip(&many) {
        assert_eq!(**loaded, *written);
    }
    assert_eq!(store.load_reports().unwrap(), vec![r.clone()]);
    let read = store
        .write(|w| Ok((w.incident(i.id)?, w.report(r.id)?)))
        .unwrap()
        .value;
    assert_eq!(read, (Some(i.clone()), Some(r.clone())));
    let feed = store.changes_after(0, 10).unwrap();
    assert_eq!(feed[0].record, Some(Stored::Incident(i.clone())));
    assert_eq!(feed[1].record, Some(Stored::Report(r.clone())));
    // Replacing keeps every column too.
    let mut changed = i.clone();
    changed.tags = vec![];
    changed.notes = None;
    changed.lon = -179.5;
    assert!(store.write(|w| w.replace(&changed)).unwrap().value);
    assert_eq!(*store.load_all().unwrap()[0], changed);
}

/// In a group commit a write that fails (a CHECK) is undone alone; the others commit.
#[test]
fn a_failed_write_in_a_group_spoils_no_other() {
    let Some(pg) = fast_cluster() else { return };
    let mut store = open(&pg.create_database("atlas"));
    let results = store
        .write(|w| {
            let good = w.all_or_nothing(|w| w.insert(&mut incident(40.0)));
            let bad = w.all_or_nothing(|w| {
                w.insert(&mut incident(41.0))?;
                w.insert(&mut incident(500.0))
            });
            let good_again = w.all_or_nothing(|w| w.insert(&mut incident(42.0)));
            Ok((
                good.is_ok(),
                bad.map_err(|e| e.to_string()),
                good_again.is_ok(),
            ))
        })
        .unwrap()
        .value;
    assert!(results.0 && results.2);
    let err = results.1.unwrap_err();
    assert!(err.contains("check"), "{err}");
    let lons: Vec<f64> = store.load_all().unwrap().iter().map(|i| i.lon).collect();
    assert_eq!(lons, vec![40.0, 42.0]);
    let seqs: Vec<i64> = store
        .changes_after(0, 10)
        .unwrap()
        .iter()
        .map(|e| e.change.seq)
        .collect();
    assert_eq!(seqs, vec![1, 2]);
    // A failure outside a savepoint fails the whole write, and nothing of it stays.
    let failed = store.write(|w| {
        w.insert(&mut incident(43.0))?;
        let _ = w.insert(&mut incident(500.0));
        Ok(())
    });
    assert!(failed.is_err());
    assert_eq!(store.count().unwrap(), 2);
    assert_eq!(store.head().unwrap().seq, 2);
}

#[test]
fn ids_are_never_reused() {
    let Some(pg) = fast_cluster() else { return };
    let mut store = open(&pg.create_database("atlas"));
    let ids: Vec<i64> = (0..3)
        .map(|n| insert(&mut store, n as f64).unwrap())
        .collect();
    assert_eq!(ids, vec![1, 2, 3]);
    assert!(store.write(|w| w.delete(3)).unwrap().value);
    assert!(!store.write(|w| w.delete(3)).unwrap().value);
    assert_eq!(insert(&mut store, 0.0).unwrap(), 4);
    // A rolled-back insert's id is gone too.
    let _ = store.write(|w| {
        w.insert(&mut incident(1.0))?;
        Err::<(), _>(StoreError::Commit("changed my mind".into()))
    });
    let mut batch: Vec<Incident> = (0..100).map(|_| incident(2.0)).collect();
    store.write(|w| w.insert_incidents(&mut batch)).unwrap();
    let batch_ids: Vec<i64> = batch.iter().map(|i| i.id).collect();
    assert_eq!(batch_ids, (6..106).collect::<Vec<_>>());
    assert_eq!(insert(&mut store, 0.0).unwrap(), 106);
}

/// The feed: seqs in commit order, a record's latest change only, deletions, paging, and a
/// head whose seq and stamp only grow.
#[test]
fn the_feed_is_ordered_compacted_and_pages() {
    let Some(pg) = fast_cluster() else { return };
    let mut store = open(&pg.create_database("atlas"));
    assert_eq!(store.head().unwrap().seq, 0);
    let mut heads = vec![store.head().unwrap()];
    let a = insert(&mut store, 1.0).unwrap();
    heads.push(store.head().unwrap());
    let b = insert(&mut store, 2.0).unwrap();
    heads.push(store.head().unwrap());
    let mut r = report();
    store.write(|w| w.insert_report(&mut r)).unwrap();
    heads.push(store.head().unwrap());
    // Update a (its create entry goes), delete b.
    let committed = store
        .write(|w| {
            let mut i = w.incident(a)?.unwrap();
            i.fatalities = 9;
            i.updated_at = w.stamp();
            w.replace(&i)?;
            w.delete(b)
        })
        .unwrap();
    assert!(committed.value);
    assert_eq!(committed.after.seq, committed.before.seq + 2);
    heads.push(store.head().unwrap());
    // A write that changes nothing leaves the head alone.
    let idle = store.write(|w| w.delete(9999)).unwrap();
    assert_eq!(idle.before, idle.after);
    for pair in heads.windows(2) {
        assert!(
            pair[1].seq > pair[0].seq && pair[1].at > pair[0].at,
            "{pair:?}"
        );
    }
    let feed = store.changes_after(0, 100).unwrap();
    let summary: Vec<(i64, RecordKind, i64, Op)> = feed
        .iter()
        .map(|e| (e.change.seq, e.change.kind, e.change.id, e.change.op))
        .collect();
    assert_eq!(
        summary,
        vec![
            (3, RecordKind::DisplacementReports, r.id, Op::Create),
            (4, RecordKind::Incidents, a, Op::Update),
            (5, RecordKind::Incidents, b, Op::Delete),
        ]
    );
    match &feed[1].record {
        Some(Stored::Incident(i)) => assert_eq!(i.fatalities, 9),
        other => panic!("{other:?}"),
    }
    assert_eq!(feed[2].record, None);
    assert_eq!(store.head().unwrap().seq, 5);
    // Paging: two at a time, from where the last page ended.
    let page1 = store.changes_after(0, 2).unwrap();
    let page2 = store.changes_after(page1[1].change.seq, 2).unwrap();
    let page3 = store
        .changes_after(page2.last().unwrap().change.seq, 2)
        .unwrap();
    let paged: Vec<i64> = [page1, page2, page3]
        .concat()
        .iter()
        .map(|e| e.change.seq)
        .collect();
    assert_eq!(paged, vec![3, 4, 5]);
    let deletions = store.load_deletions().unwrap();
    assert_eq!(deletions, vec![(b, feed[2].change.at)]);
    store.write(|w| w.set_setting("k", "v1")).unwrap();
    store.write(|w| w.set_setting("k", "v2")).unwrap();
    assert_eq!(store.setting("k").unwrap().as_deref(), Some("v2"));
    assert_eq!(store.setting("none").unwrap(), None);
}

/// Two stores (two replicas) writing at once: seqs are contiguous and strictly increasing,
/// and a reader polling the feed never sees a seq below one it has seen.
#[test]
fn concurrent_writers_commit_in_seq_order() {
    let Some(pg) = fast_cluster() else { return };
    let url = pg.create_database("atlas");
    const EACH: usize = 60;
    let began = Instant::now();
    let writers: Vec<_> = (0..2)
        .map(|n| {
            let url = url.clone();
            thread::spawn(move || {
                let mut store = open(&url);
                for k in 0..EACH {
                    store
                        .write(|w| {
                            let mut batch = vec![incident(n as f64), incident(k as f64 / 100.0)];
                            w.insert_incidents(&mut batch)
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    let reader = open(&url);
    let total = (2 * 2 * EACH) as i64;
    let mut last = 0;
    let mut seen = Vec::new();
    while last < total {
        assert!(began.elapsed() < DEADLINE, "the feed stopped at {last}");
        for e in reader.changes_after(last, 7).unwrap() {
            assert_eq!(e.change.seq, last + 1, "a gap or a step back after {last}");
            last = e.change.seq;
            seen.push(e.change);
        }
    }
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(reader.head().unwrap().seq, total);
    let ats: Vec<DateTime<Utc>> = seen.iter().map(|c: &Change| c.at).collect();
    assert!(ats.windows(2).all(|p| p[0] <= p[1]));
    let ids: Vec<i64> = seen.iter().map(|c| c.id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len());
}

/// PostgreSQL down: `Unavailable` (within the pool's wait), for reads and writes; after it
/// comes back, writes work again on the same store, and the listener reconnects.
#[test]
fn unavailable_while_stopped_then_writes_again() {
    let Some(mut pg) = PgCluster::start() else {
        return;
    };
    let url = pg.create_database("atlas");
    let mut store = open(&url);
    let mut listener = Listener::connect(&url);
    assert!(!listener.wait(Duration::from_millis(100)).unwrap());
    insert(&mut store, 1.0).unwrap();
    assert!(listener.wait(DEADLINE).unwrap());
    pg.stop();
    let began = Instant::now();
    let err = insert(&mut store, 2.0).unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    let err = store.head().unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    let err = store.changes_after(0, 10).unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    assert!(
        began.elapsed() < Duration::from_secs(20),
        "{:?}",
        began.elapsed()
    );
    let waited = listener.wait(Duration::from_millis(200));
    assert!(
        matches!(waited, Err(ref e) if e.is_unavailable()),
        "{waited:?}"
    );
    pg.restart();
    let began = Instant::now();
    let id = loop {
        match insert(&mut store, 3.0) {
            Ok(id) => break id,
            Err(e) if e.is_unavailable() && began.elapsed() < DEADLINE => {
                thread::sleep(Duration::from_millis(50))
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert!(id > 1);
    assert_eq!(store.count().unwrap(), 2);
    // Back: the listener says so (commits may have been missed), then waits as before.
    let began = Instant::now();
    let woke = loop {
        match listener.wait(Duration::from_secs(1)) {
            Ok(woke) => break woke,
            Err(e) if e.is_unavailable() && began.elapsed() < DEADLINE => continue,
            Err(e) => panic!("{e}"),
        }
    };
    assert!(woke);
    assert!(!listener.wait(Duration::from_millis(100)).unwrap());
}

/// The listener wakes on another store's commit, and times out without one.
#[test]
fn listener_wakes_on_a_commit_and_times_out_without() {
    let Some(pg) = fast_cluster() else { return };
    let url = pg.create_database("atlas");
    let mut other = open(&url);
    let mut listener = Listener::connect(&url);
    let began = Instant::now();
    assert!(!listener.wait(Duration::from_millis(300)).unwrap());
    assert!(began.elapsed() >= Duration::from_millis(300));
    let writer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(300));
        insert(&mut other, 1.0).unwrap();
        other
    });
    let began = Instant::now();
    assert!(listener.wait(DEADLINE).unwrap());
    assert!(began.elapsed() < DEADLINE);
    let mut other = writer.join().unwrap();
    assert!(!listener.wait(Duration::from_millis(200)).unwrap());
    // A write that changes nothing notifies nothing; a rolled back one neither.
    other.write(|w| w.delete(12345)).unwrap();
    let _ = other.write(|w| {
        w.insert(&mut incident(1.0))?;
        Err::<(), _>(StoreError::Commit("no".into()))
    });
    assert!(!listener.wait(Duration::from_millis(300)).unwrap());
}

/// A restore keeps ids and seqs; later inserts get higher ids.
#[test]
fn restore_keeps_ids_and_later_ids_are_higher() {
    let Some(pg) = fast_cluster() else { return };
    let mut store = open(&pg.create_database("atlas"));
    let at = micro(Utc::now());
    let mut entries = Vec::new();
    let mut seq = 0;
    // Enough incidents for COPY, ids with gaps; a report; a deletion.
    for n in 0..80 {
        let mut i = incident(n as f64 / 10.0);
        i.id = 10 + 3 * n;
        seq += 1;
        entries.push(FeedEntry {
            change: Change {
                seq,
                kind: RecordKind::Incidents,
                id: i.id,
                op: Op::Create,
                at,
            },
            record: Some(Stored::Incident(i)),
        });
    }
    let mut r = report();
    r.id = 7;
    seq += 1;
    entries.push(FeedEntry {
        change: Change {
            seq,
            kind: RecordKind::DisplacementReports,
            id: 7,
            op: Op::Update,
            at,
        },
        record: Some(Stored::Report(r.clone())),
    });
    seq += 1;
    entries.push(FeedEntry {
        change: Change {
            seq,
            kind: RecordKind::Incidents,
            id: 5,
            op: Op::Delete,
            at,
        },
        record: None,
    });
    store.write(|w| w.restore(&entries)).unwrap();
    assert_eq!(store.head().unwrap().seq, seq);
    assert_eq!(store.changes_after(0, 1000).unwrap(), entries);
    let max = 10 + 3 * 79;
    assert!(insert(&mut store, 0.0).unwrap() > max);
    let mut next = report();
    store.write(|w| w.insert_report(&mut next)).unwrap();
    assert!(next.id > 7);
    assert_eq!(store.load_deletions().unwrap(), vec![(5, at)]);
}

/// A load wide enough to be split over several connections gives every incident once, in id
/// order, with repeated text shared.
#[test]
fn a_split_load_is_whole_ordered_and_shares_text() {
    let Some(pg) = fast_cluster() else { return };
    let mut store = open(&pg.create_database("atlas"));
    let at = micro(Utc::now());
    let entries: Vec<FeedEntry> = (0..300)
        .map(|n| {
            let mut i = incident(n as f64 / 10.0);
            // Ids over 1..300_000: four ranges of the load, some of them sparse.
            i.id = 1 + n * n * 3;
            i.admin1 = Some("Al-Hasakeh".into());
            FeedEntry {
                change: Change {
                    seq: n + 1,
                    kind: RecordKind::Incidents,
                    id: i.id,
                    op: Op::Create,
                    at,
                },
                record: Some(Stored::Incident(i)),
            }
        })
        .collect();
    store.write(|w| w.restore(&entries)).unwrap();
    let all = store.load_all().unwrap();
    let expected: Vec<Incident> = entries
        .iter()
        .map(|e| match &e.record {
            Some(Stored::Incident(i)) => i.clone(),
            _ => unreachable!(),
        })
        .collect();
    let loaded: Vec<Incident> = all.iter().map(|i| (**i).clone()).collect();
    assert_eq!(loaded, expected);
    assert!(Arc::ptr_eq(&all[0].actor1, &all[1].actor1));
}

/// Figures, not a check: with ATLAS_PG_BENCH_URL set (a database of your own, fsync on),
/// `cargo test --release --test store_postgres -- --ignored --nocapture measure` prints the
/// rate of one-insert writes, of 1000-insert writes, and how long loading everything takes.
#[test]
#[ignore]
fn measure() {
    let Ok(url) = std::env::var("ATLAS_PG_BENCH_URL") else {
        eprintln!("skipped: ATLAS_PG_BENCH_URL is not set");
        return;
    };
    let mut store = open(&url);
    if std::env::var_os("ATLAS_PG_BENCH_LOAD_ONLY").is_none() {
        let n = 500;
        let began = Instant::now();
        for k in 0..n {
            insert(&mut store, k as f64 / 1000.0).unwrap();
        }
        let single = began.elapsed();
        eprintln!(
            "single-row writes: {n} in {single:?} = {:.0}/s",
            n as f64 / single.as_secs_f64()
        );
        let (writes, per) = (20, 1000);
        let began = Instant::now();
        for _ in 0..writes {
            store
                .write(|w| {
                    let mut batch: Vec<Incident> =
                        (0..per).map(|k| incident(k as f64 / 1e4)).collect();
                    w.insert_incidents(&mut batch)
                })
                .unwrap();
        }
        let batched = began.elapsed();
        eprintln!(
            "batched writes ({per} per transaction): {} in {batched:?} = {:.0}/s",
            writes * per,
            (writes * per) as f64 / batched.as_secs_f64()
        );
    }
    for _ in 0..3 {
        let began = Instant::now();
        let all = store.load_all().unwrap();
        eprintln!("load_all: {} incidents in {:?}", all.len(), began.elapsed());
    }
}
