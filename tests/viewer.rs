//! The map viewer in a real browser: Debian's chromium, headless, driven over the DevTools
//! protocol. The map renders (a screenshot that is not blank, the markers the server says a
//! time window holds), the slider changes the markers, a link reproduces the map, a POSTed
//! incident appears without a reload, and no request leaves 127.0.0.1.
//!
//! Without chromium, `cargo test` skips this with a line saying so; under CI it must run.
mod common;
use common::*;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use headless_chrome::browser::tab::RequestPausedDecision;
use headless_chrome::protocol::cdp::Input;
use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::{json, Value};

const CHROMIUM: &str = "/usr/bin/chromium";

fn browser() -> Option<Browser> {
    let installed = std::path::Path::new(CHROMIUM).exists();
    if skip_without("chromium", installed) {
        return None;
    }
    let options = LaunchOptions::default_builder()
        .path(Some(PathBuf::from(CHROMIUM)))
        .headless(true)
        // Root in a container has no user namespace for the sandbox.
        .sandbox(false)
        .window_size(Some((1280, 800)))
        .idle_browser_timeout(Duration::from_secs(300))
        .build()
        .expect("launch options");
    // The browser process is ours alone: dropping `Browser` kills it.
    Some(Browser::new(options).expect("chromium starts"))
}

/// The value of a JavaScript expression in the page.
fn eval(tab: &Tab, expression: &str) -> Value {
    tab.evaluate(expression, false)
        .unwrap_or_else(|e| panic!("{expression}: {e}"))
        .value
        .unwrap_or(Value::Null)
}

/// Waits until `expression` is true in the page, or fails saying what it waited for.
fn wait_for(tab: &Tab, expression: &str, deadline: Duration) {
    let start = Instant::now();
    loop {
        if eval(tab, &format!("!!({expression})")) == json!(true) {
            return;
        }
        if start.elapsed() > deadline {
            let status = eval(tab, "document.getElementById('status') && document.getElementById('status').textContent");
            panic!("waited {deadline:?} for {expression}; the page says {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Opens `url` and waits until the viewer has drawn everything and is following live.
fn open_map(tab: &Tab, url: &str) {
    // From a blank page, so that a link differing only in its fragment is a new load too.
    tab.navigate_to("about:blank").expect("blank");
    tab.wait_until_navigated().expect("blank page");
    tab.navigate_to(url).expect("navigate");
    tab.wait_until_navigated().expect("navigated");
    wait_for(
        tab,
        "window.atlas && atlas.ready && atlas.live === 'live' && atlas.basemap === 2 && atlas.places > 0",
        Duration::from_secs(60),
    );
}

/// What the server itself says the items request `query` matches.
fn server_count(s: &Server, query: &str) -> (u64, Vec<i64>) {
    let (status, fc) = s.get_json(&format!("/collections/incidents/items?limit=1000&{query}"));
    assert_eq!(status, 200, "{query}: {fc}");
    let mut ids: Vec<i64> = ids(&fc).iter().filter_map(Value::as_i64).collect();
    ids.sort();
    (fc["numberMatched"].as_u64().expect("numberMatched"), ids)
}

/// A mouse event at (x, y) in CSS pixels, with the left button as `pressed` says.
fn mouse(tab: &Tab, kind: Input::DispatchMouseEventTypeOption, x: f64, y: f64, pressed: bool) {
    let left = pressed || kind == Input::DispatchMouseEventTypeOption::MouseReleased;
    tab.call_method(Input::DispatchMouseEvent {
        Type: kind,
        x,
        y,
        button: Some(if left {
            Input::MouseButton::Left
        } else {
            Input::MouseButton::None
        }),
        buttons: Some(if pressed { 1 } else { 0 }),
        click_count: Some(1),
        modifiers: None,
        timestamp: None,
        force: None,
        tangential_pressure: None,
        tilt_x: None,
        tilt_y: None,
        twist: None,
        delta_x: None,
        delta_y: None,
        pointer_Type: None,
    })
    .expect("mouse event");
}

/// The page rectangle of the element `selector`: [left, top, width, height].
fn rect(tab: &Tab, selector: &str) -> [f64; 4] {
    let r = eval(
        tab,
        &format!("JSON.stringify((r => [r.left, r.top, r.width, r.height])(document.querySelector('{selector}').getBoundingClientRect()))"),
    );
    serde_json::from_str(r.as_str().expect("rect")).expect("four numbers")
}

fn page_ids(tab: &Tab) -> Vec<i64> {
    serde_json::from_value(eval(tab, "JSON.stringify(atlas.ids())"))
        .ok()
        .and_then(|v: String| serde_json::from_str(&v).ok())
        .expect("atlas.ids()")
}

/// Share of the screenshot's pixels that differ from its most common colour (the sea or the
/// land), and whether some pixel has the Battles marker's red.
fn picture(png_bytes: &[u8]) -> (f64, bool) {
    let decoder = png::Decoder::new(png_bytes);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|p| &p[..3])
        .collect();
    let mut counts = std::collections::HashMap::new();
    for p in &pixels {
        *counts.entry(*p).or_insert(0usize) += 1;
    }
    let most = counts.values().max().copied().unwrap_or(0);
    let near = |p: &[u8], c: [u8; 3]| p.iter().zip(c).all(|(a, b)| a.abs_diff(b) < 24);
    // #d7301f at the markers' 0.85 opacity over a light background.
    let red = pixels
        .iter()
        .any(|p| near(p, [0xd7, 0x30, 0x1f]) || near(p, [0xdc, 0x4a, 0x3a]));
    (1.0 - most as f64 / pixels.len() as f64, red)
}

#[test]
fn the_map_viewer_in_chromium() {
    let Some(browser) = browser() else { return };
    let s = Server::start();
    let tab = browser.new_tab().expect("tab");
    tab.set_default_timeout(Duration::from_secs(30));

    // Every request the page makes, recorded before it leaves the browser.
    let requested = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = requested.clone();
    tab.enable_fetch(None, None).expect("fetch domain");
    tab.enable_request_interception(Arc::new(
        move |_transport,
              _session,
              event: headless_chrome::protocol::cdp::Fetch::events::RequestPausedEvent| {
            seen.lock()
                .expect("one recorder")
                .push(event.params.request.url.clone());
            RequestPausedDecision::Continue(None)
        },
    ))
    .expect("interception");

    // A browser at the front door lands on the map, every incident of the scenario drawn.
    open_map(&tab, &s.url("/"));
    let url = eval(&tab, "location.href");
    assert!(
        url.as_str().unwrap_or("").starts_with(&s.url("/map#map=")),
        "{url}"
    );
    let (all, all_ids) = server_count(&s, "");
    assert_eq!(all, 16);
    assert_eq!(eval(&tab, "atlas.count()"), json!(16));
    assert_eq!(page_ids(&tab), all_ids);
    assert_eq!(eval(&tab, "atlas.matched"), json!(16));
    // One clash zone and two displacement origins in the scenario's two days.
    assert_eq!(eval(&tab, "atlas.zones"), json!(1));
    assert_eq!(eval(&tab, "atlas.origins"), json!(2));
    assert_eq!(eval(&tab, "atlas.places"), json!(17));
    // Arabic names are set right-to-left.
    assert_eq!(
        eval(&tab, "[...document.querySelectorAll('.place-label [lang=ar]')].every(e => e.dir === 'rtl' && getComputedStyle(e).direction === 'rtl')"),
        json!(true)
    );
    assert!(
        eval(
            &tab,
            "document.querySelectorAll('.place-label [lang=ar]').length"
        )
        .as_u64()
        .unwrap_or(0)
            > 0
    );

    // An incident's popup: the ACLED fields, the fatalities' range, the precision, the source
    // link, the place's Arabic name right-to-left, and the notes in their own direction.
    let popup = eval(&tab, "(p => JSON.stringify({text: p.textContent, link: p.querySelector('a').href, ar: p.querySelector('[lang=ar]').textContent, dir: p.querySelector('[lang=ar]').dir, notes: p.querySelector('.notes').dir}))(atlas.popup(1))");
    let popup: Value = serde_json::from_str(popup.as_str().expect("popup")).expect("JSON");
    let text = popup["text"].as_str().unwrap_or("");
    for wanted in [
        "Explosions/Remote violence: Suicide bomb",
        "Islamic State (Syria)",
        "4 (2–8)",
        "1 (exact place)",
        "SOHR; AFP",
    ] {
        assert!(text.contains(wanted), "popup lacks {wanted}: {text}");
    }
    assert_eq!(popup["link"], "https://www.syriahr.com/en/235443/");
    assert_eq!(popup["ar"], "سجن الصناعة");
    assert_eq!(popup["dir"], "rtl");
    assert_eq!(popup["notes"], "auto");
    // The scenario's protected incident says it is shown at a generalised point.
    let protected = eval(&tab, "atlas.popup(12).textContent");
    assert!(
        protected
            .as_str()
            .unwrap_or("")
            .contains("Location protectioncity (shown at a generalised point)"),
        "{protected}"
    );

    // The screenshot shows a map: not one flat colour, and the red of Battles markers.
    std::thread::sleep(Duration::from_millis(500));
    let shot = tab
        .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
        .expect("screenshot");
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("viewer.png");
    std::fs::write(&out, &shot).expect("screenshot saved");
    if std::env::var_os("ATLAS_UPDATE_SCREENSHOT").is_some() {
        let doc = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/viewer.png");
        std::fs::write(&doc, &shot).expect("docs/viewer.png");
    }
    let (varied, red) = picture(&shot);
    assert!(
        varied > 0.10,
        "the screenshot ({}) is nearly blank: {varied:.3} of it differs from its main colour",
        out.display()
    );
    assert!(red, "no Battles marker red in {}", out.display());

    // Moving the slider's end thumb one day left: the window is the first day only.
    tab.wait_for_element("#to")
        .expect("slider")
        .focus()
        .expect("focus");
    let loads = eval(&tab, "atlas.loads").as_u64().expect("loads");
    tab.press_key("ArrowLeft").expect("key");
    wait_for(
        &tab,
        &format!("atlas.loads > {loads} && atlas.state().to === '2022-01-20'"),
        Duration::from_secs(20),
    );
    let (first_day, first_ids) = server_count(&s, "datetime=2022-01-20");
    assert_eq!(first_day, 9);
    assert_eq!(eval(&tab, "atlas.count()"), json!(9));
    assert_eq!(page_ids(&tab), first_ids);
    assert!(eval(&tab, "location.hash")
        .as_str()
        .unwrap_or("")
        .contains("to=2022-01-20"));

    // Play steps the one-day window through the days: the second day next.
    tab.wait_for_element("#play")
        .expect("play")
        .click()
        .expect("click");
    wait_for(&tab, "atlas.state().from === '2022-01-21' && atlas.state().to === '2022-01-21' && atlas.count() === 7", Duration::from_secs(20));
    assert_eq!(server_count(&s, "datetime=2022-01-21").0, 7);
    tab.wait_for_element("#play")
        .expect("play")
        .click()
        .expect("pause");

    // A link reproduces a map: the second day, battles only.
    open_map(
        &tab,
        &s.url("/map#map=14/36.48/40.76&from=2022-01-21&to=2022-01-21&types=Battles"),
    );
    let (battles, battle_ids) = server_count(&s, "datetime=2022-01-21&event_type=Battles");
    assert_eq!(battles, 3);
    assert_eq!(page_ids(&tab), battle_ids);
    assert_eq!(
        eval(&tab, "[...document.querySelectorAll('#types input')].filter(b => b.checked).map(b => b.value).join()"),
        json!("Battles")
    );

    // Live: a POSTed incident appears on the open map without a reload, highlighted; the
    // slider's range grows to its date (2022-01-22, a day after the scenario).
    open_map(&tab, &s.url("/map"));
    eval(&tab, "window.sameDocument = true");
    let (status, created) = s.post("/collections/incidents/items", &incident("al-Zuhur"));
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().expect("id");
    wait_for(&tab, &format!("atlas.has({id})"), Duration::from_secs(15));
    assert_eq!(eval(&tab, "window.sameDocument"), json!(true));
    assert_eq!(
        eval(&tab, &format!("!!atlas.highlighted[{id}]")),
        json!(true)
    );
    assert_eq!(eval(&tab, "atlas.count()"), json!(17));
    assert_eq!(eval(&tab, "atlas.state().max"), json!("2022-01-22"));
    // al-Zuhur's anchor, where the gazetteer places the new incident.
    assert_eq!(
        eval(&tab, &format!("JSON.stringify(atlas.where({id}))")),
        json!("[40.7703,36.4757]")
    );
    // Deleted: gone from the map, still without a reload.
    let res = s
        .client()
        .delete(s.url(&format!("/collections/incidents/items/{id}")))
        .bearer_auth(TOKEN)
        .send()
        .expect("delete");
    assert_eq!(res.status(), 204);
    wait_for(&tab, &format!("!atlas.has({id})"), Duration::from_secs(15));
    assert_eq!(eval(&tab, "atlas.count()"), json!(16));

    // A phone's width: the panel becomes a sheet along the bottom, the legend folded.
    open_map(&tab, &s.url("/map"));
    tab.call_method(
        headless_chrome::protocol::cdp::Emulation::SetDeviceMetricsOverride {
            width: 390,
            height: 844,
            device_scale_factor: 2.0,
            mobile: true,
            scale: None,
            screen_width: None,
            screen_height: None,
            position_x: None,
            position_y: None,
            dont_set_visible_size: None,
            screen_orientation: None,
            viewport: None,
            display_feature: None,
            device_posture: None,
        },
    )
    .expect("phone metrics");
    open_map(&tab, &s.url("/map"));
    let panel = eval(&tab, "JSON.stringify((r => [r.top, r.bottom, r.width])(document.getElementById('panel').getBoundingClientRect()))");
    let [top, bottom, width]: [f64; 3] =
        serde_json::from_str(panel.as_str().expect("rect")).expect("three numbers");
    assert!(
        top > 844.0 * 0.5 && (bottom - 844.0).abs() < 1.0 && (width - 390.0).abs() < 1.0,
        "panel at {panel}"
    );
    assert_eq!(
        eval(&tab, "document.getElementById('legend').open"),
        json!(false)
    );
    assert_eq!(eval(&tab, "atlas.count()"), json!(16));
    let phone = tab
        .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
        .expect("screenshot");
    std::fs::write(
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("viewer-phone.png"),
        &phone,
    )
    .expect("saved");

    // Dragging the window between the thumbs moves it whole. With an incident on 24 January
    // the range is five days; the two-day window of the 20th and 21st, dragged three days'
    // worth to the right, is the 23rd and 24th.
    tab.call_method(headless_chrome::protocol::cdp::Emulation::ClearDeviceMetricsOverride(None))
        .expect("desk metrics");
    let mut later = incident("Villat al-Humr");
    later["properties"]["event_date"] = json!("2022-01-24");
    let (status, later) = s.post("/collections/incidents/items", &later);
    assert_eq!(status, 201, "{later}");
    open_map(&tab, &s.url("/map#from=2022-01-20&to=2022-01-21"));
    assert_eq!(eval(&tab, "atlas.state().max"), json!("2022-01-24"));
    let [left, top, width, height] = rect(&tab, "#window");
    let track = rect(&tab, ".track");
    let (x, y) = (left + width / 2.0, top + height / 2.0);
    let step = (track[2] - 16.0) / 4.0;
    mouse(
        &tab,
        Input::DispatchMouseEventTypeOption::MouseMoved,
        x,
        y,
        false,
    );
    mouse(
        &tab,
        Input::DispatchMouseEventTypeOption::MousePressed,
        x,
        y,
        true,
    );
    for k in 1..=6 {
        mouse(
            &tab,
            Input::DispatchMouseEventTypeOption::MouseMoved,
            x + 3.0 * step * k as f64 / 6.0,
            y,
            true,
        );
    }
    mouse(
        &tab,
        Input::DispatchMouseEventTypeOption::MouseReleased,
        x + 3.0 * step,
        y,
        false,
    );
    wait_for(
        &tab,
        &format!("atlas.state().from === '2022-01-23' && atlas.state().to === '2022-01-24' && atlas.has({})", later["id"]),
        Duration::from_secs(20),
    );
    let (dragged, dragged_ids) = server_count(&s, "datetime=2022-01-23/2022-01-24");
    assert_eq!(dragged, 1);
    assert_eq!(page_ids(&tab), dragged_ids);

    // Nothing the page asked for left this server.
    let requested = requested.lock().expect("recorder").clone();
    assert!(requested.len() > 10, "{requested:?}");
    let own = format!("{}/", s.base);
    let outside: Vec<&String> = requested
        .iter()
        .filter(|u| !u.starts_with(&own) && !u.starts_with("data:"))
        .collect();
    assert!(outside.is_empty(), "requests beyond 127.0.0.1: {outside:?}");
    for wanted in [
        "/assets/natural-earth-2.0.2/land-50m.geojson",
        "/changes?",
        "/collections/clash-zones/items?",
    ] {
        assert!(
            requested.iter().any(|u| u.contains(wanted)),
            "never requested {wanted}"
        );
    }
}
