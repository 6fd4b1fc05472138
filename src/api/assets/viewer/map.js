// The Incident Atlas map viewer: everything it draws comes from this server (the OGC API
// collections, the change feed, the Natural Earth base map compiled into the binary), so it
// works with no internet. Data values only ever reach the page as text nodes, never as HTML.
(function () {
  'use strict';

  var cfg = JSON.parse(document.getElementById('atlas-config').textContent);
  var api = cfg.base;

  // ACLED's six event types, coloured so that neighbours on the legend differ in hue.
  var COLOURS = {
    'Battles': '#d7301f',
    'Explosions/Remote violence': '#fd8d3c',
    'Violence against civilians': '#7a0177',
    'Protests': '#2c7fb8',
    'Riots': '#e7298a',
    'Strategic developments': '#31a354'
  };
  var OTHER = '#636363';
  // Clash zone intensity by fatalities: low 0, moderate 1–9, high 10–49, severe 50 or more.
  var INTENSITY = { low: '#fee8c8', moderate: '#fdbb84', high: '#ef6548', severe: '#990000' };
  var PAGE = cfg.limit;
  var DAY = 86400000;

  // ---- dates: the slider moves over whole days, the unit of an event date ----
  function parseDay(s) { return Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10)); }
  function isDay(s) { return typeof s === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(s) && !isNaN(parseDay(s)); }
  function dayString(t) { return new Date(t).toISOString().slice(0, 10); }
  var today = dayString(Date.now());
  var range = {
    min: cfg.dates ? cfg.dates[0] : today,
    max: cfg.dates ? cfg.dates[1] : today
  };
  function span() { return Math.round((parseDay(range.max) - parseDay(range.min)) / DAY); }
  function indexOf(day) { return Math.round((parseDay(day) - parseDay(range.min)) / DAY); }
  function dayAt(i) { return dayString(parseDay(range.min) + i * DAY); }

  // ---- state, read from and written to the URL's fragment so a link reproduces the map ----
  var state = {
    from: range.min,
    to: range.max,
    types: cfg.event_types.slice(),
    view: null
  };

  function readHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ''));
    var view = (params.get('map') || '').split('/').map(Number);
    if (view.length === 3 && view.every(isFinite)) state.view = { zoom: view[0], lat: view[1], lon: view[2] };
    var from = params.get('from'), to = params.get('to');
    if (isDay(from)) { if (from < range.min) range.min = from; state.from = from; }
    if (isDay(to)) { if (to > range.max) range.max = to; state.to = to; }
    if (state.from > state.to) { var t = state.from; state.from = state.to; state.to = t; }
    if (params.has('types')) {
      var wanted = params.get('types').split(',');
      state.types = cfg.event_types.filter(function (t) { return wanted.indexOf(t) >= 0; });
    }
  }

  function writeHash() {
    var c = map.getCenter();
    var parts = [
      'map=' + map.getZoom() + '/' + c.lat.toFixed(5) + '/' + c.lng.toFixed(5),
      'from=' + state.from,
      'to=' + state.to
    ];
    if (state.types.length !== cfg.event_types.length) {
      parts.push('types=' + state.types.map(encodeURIComponent).join(','));
    }
    history.replaceState(null, '', '#' + parts.join('&'));
  }

  readHash();

  // ---- the map and its offline base map ----
  // maxZoom bounds the clusters' zoom levels (markercluster needs it); 18 is a street.
  var map = L.map('map', { zoomControl: true, worldCopyJump: true, minZoom: 2, maxZoom: 18 });
  map.attributionControl.setPrefix('Leaflet');
  map.createPane('basemap').style.zIndex = 150;
  map.createPane('places').style.zIndex = 350;
  map.createPane('zones').style.zIndex = 380;
  // Labels above the areas but under the incidents (overlay pane 400), which sit on anchors.
  map.createPane('labels').style.zIndex = 390;

  // One canvas for the base map: the world's coastlines are too many vertices for SVG.
  var basemapRenderer = L.canvas({ pane: 'basemap' });
  var landLayer = L.geoJSON(null, {
    pane: 'basemap', interactive: false, renderer: basemapRenderer,
    style: { stroke: false, fillColor: '#efe9dc', fillOpacity: 1 }
  }).addTo(map);
  var borderLayer = L.geoJSON(null, {
    pane: 'basemap', interactive: false, renderer: basemapRenderer,
    style: { color: '#9b8f7a', weight: 1, dashArray: '4 3', fill: false }
  }).addTo(map);
  map.attributionControl.addAttribution('Natural Earth');
  getJson(cfg.basemap.land).then(function (d) { landLayer.addData(d); atlas.basemap += 1; }).catch(ignoreAbort);
  getJson(cfg.basemap.borders).then(function (d) { borderLayer.addData(d); atlas.basemap += 1; }).catch(ignoreAbort);

  var overlays = {};
  if (cfg.tiles) {
    // Only when the operator configured one (--basemap): an online layer over the offline one.
    overlays['Online base map'] = L.tileLayer(cfg.tiles.url, {
      attribution: cfg.tiles.attribution || '', maxZoom: 19, pane: 'basemap'
    }).addTo(map);
  }

  // ---- small helpers ----
  function getJson(url, signal) {
    return fetch(url, { headers: { Accept: 'application/geo+json, application/json' }, signal: signal })
      .then(function (r) {
        if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
        var cursor = r.headers.get('Atlas-Sync-Cursor');
        return r.json().then(function (body) {
          if (cursor !== null && isFinite(+cursor)) body.cursor = +cursor;
          return body;
        });
      });
  }

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }

  // A place name in English and, beside it, in Arabic rendered right-to-left.
  function placeName(en, ar) {
    return el('span', { class: 'place-name' }, [
      el('span', { lang: 'en' }, [en || '']),
      ar ? el('span', { lang: 'ar', dir: 'rtl', class: 'ar' }, [ar]) : null
    ]);
  }

  function bboxParam(pad) {
    var b = map.getBounds().pad(pad);
    var w = Math.max(-180, b.getWest()), e = Math.min(180, b.getEast());
    var s = Math.max(-90, b.getSouth()), n = Math.min(90, b.getNorth());
    if (e - w >= 360 || w >= e) { w = -180; e = 180; }
    return [w, s, e, n].map(function (v) { return v.toFixed(5); }).join(',');
  }

  function windowParam() {
    // The newest day open-ended, so incidents dated after the slider's range still count.
    return state.from + '/' + (state.to === range.max ? '..' : state.to);
  }

  function typeFilter() {
    if (state.types.length === cfg.event_types.length) return null;
    return 'event_type IN (' + state.types.map(function (t) { return "'" + t.replace(/'/g, "''") + "'"; }).join(',') + ')';
  }

  function incidentPasses(p) {
    if (!p || state.types.indexOf(p.event_type) < 0) return false;
    var d = p.event_date;
    return d >= state.from && (state.to === range.max || d <= state.to);
  }

  // ---- places: the gazetteer's polygons and points, labelled in both languages ----
  var placesLayer = L.geoJSON(null, {
    pane: 'places',
    style: function (f) {
      var k = f.properties.kind;
      var wide = k === 'governorate' || k === 'district' || k === 'subdistrict' || k === 'country';
      return {
        color: wide ? '#8c7b5e' : '#6b6b6b', weight: wide ? 1.5 : 1, dashArray: wide ? '6 4' : null,
        fillColor: k === 'facility' || k === 'camp' ? '#bdbdbd' : '#ffffff', fillOpacity: wide ? 0 : 0.25
      };
    },
    pointToLayer: function (f, latlng) {
      return L.circleMarker(latlng, { pane: 'places', radius: 4, color: '#555', weight: 1, fillColor: '#fff', fillOpacity: 1 });
    },
    onEachFeature: function (f, layer) {
      var p = f.properties;
      layer.bindPopup(function () {
        return el('div', { class: 'popup' }, [
          el('h3', {}, [placeName(p.name, p.name_ar)]),
          el('p', {}, [p.kind || '', p.uncertainty_m ? ' · ±' + p.uncertainty_m + ' m' : '']),
          p.source ? el('p', { class: 'source' }, ['Source: ' + p.source]) : null
        ]);
      });
    }
  });
  var labelLayer = L.layerGroup();
  var placesGroup = L.layerGroup([placesLayer, labelLayer]).addTo(map);
  overlays['Places'] = placesGroup;

  var arabicNames = {}; // place id → Arabic name, for incident popups

  function labelBand(kind) {
    if (kind === 'country' || kind === 'governorate') return 'far';
    if (kind === 'city' || kind === 'town' || kind === 'district' || kind === 'subdistrict' || kind === 'camp') return 'mid';
    return 'near';
  }

  function loadPlaces() {
    return getJson(api + '/collections/places/items?limit=' + PAGE).then(function (fc) {
      placesLayer.clearLayers();
      labelLayer.clearLayers();
      placesLayer.addData(fc);
      atlas.places = fc.features.length;
      fc.features.forEach(function (f) { arabicNames[f.id] = f.properties.name_ar; });
      fc.features.forEach(function (f) {
        var p = f.properties;
        var a = Array.isArray(p.anchor) ? L.latLng(p.anchor[1], p.anchor[0]) : null;
        if (!a && f.geometry) a = L.geoJSON(f).getBounds().getCenter();
        if (!a) return;
        // Below the anchor: incidents placed by the gazetteer sit on it.
        L.tooltip({ permanent: true, direction: 'bottom', offset: [0, 6], pane: 'labels', interactive: false,
          className: 'place-label band-' + labelBand(p.kind) })
          .setLatLng(a).setContent(placeName(p.name, p.name_ar)).addTo(labelLayer);
      });
    });
  }

  // ---- derived layers: clash zones and displacement ----
  var zonesLayer = L.geoJSON(null, {
    pane: 'zones',
    style: function (f) {
      var c = INTENSITY[f.properties.intensity] || INTENSITY.moderate;
      return { color: c, weight: 1.5, fillColor: c, fillOpacity: 0.3 };
    },
    onEachFeature: function (f, layer) {
      var p = f.properties;
      layer.bindPopup(function () {
        var names = (p.places || []).map(function (pl) { return pl.name || pl.id; }).join(', ');
        return el('div', { class: 'popup' }, [
          el('h3', {}, ['Clash zone (' + (p.intensity || '?') + ' intensity)']),
          table([
            ['Incidents', String(p.incident_count)],
            ['Fatalities', String(p.fatalities)],
            ['Dates', p.first_event_date + (p.last_event_date !== p.first_event_date ? ' – ' + p.last_event_date : '')],
            ['Places', names],
            ['Area', p.area_km2 !== undefined ? p.area_km2.toFixed(2) + ' km²' : '']
          ])
        ]);
      });
    }
  });
  overlays['Clash zones'] = zonesLayer.addTo(map);

  var originsLayer = L.geoJSON(null, {
    pane: 'zones',
    style: { color: '#54278f', weight: 2, dashArray: '3 4', fillColor: '#9e9ac8', fillOpacity: 0.3 },
    onEachFeature: function (f, layer) {
      var p = f.properties;
      layer.bindPopup(function () {
        return el('div', { class: 'popup' }, [
          el('h3', {}, ['Displaced from ', placeName(p.name || p.origin_id, p.name_ar)]),
          table([
            ['Households', count(p.households, p.households_low, p.households_high)],
            ['Individuals', count(p.individuals, p.individuals_low, p.individuals_high)],
            ['Reports', String(p.report_count)],
            ['Dates', (p.first_date || '') + (p.last_date && p.last_date !== p.first_date ? ' – ' + p.last_date : '')],
            ['Destination unknown in', p.unknown_destination_reports ? p.unknown_destination_reports + ' report(s)' : '']
          ])
        ]);
      });
    }
  });
  var flowsLayer = L.geoJSON(null, {
    pane: 'zones',
    style: function (f) {
      var h = f.properties.households || 0;
      return { color: '#54278f', weight: Math.min(10, 2 + Math.sqrt(h) / 4), opacity: 0.85, className: 'flow' };
    },
    onEachFeature: function (f, layer) {
      var p = f.properties;
      layer.bindPopup(function () {
        return el('div', { class: 'popup' }, [
          el('h3', {}, ['Displacement ', placeName(p.origin_name || p.origin_id), ' → ', placeName(p.destination_name || p.destination_id)]),
          table([
            ['Households', count(p.households, p.households_low, p.households_high)],
            ['Individuals', count(p.individuals, p.individuals_low, p.individuals_high)],
            ['Reports', String(p.report_count)]
          ])
        ]);
      });
    }
  });
  overlays['Displacement'] = L.layerGroup([originsLayer, flowsLayer]).addTo(map);

  // Flow lines end in an arrowhead: an SVG marker defined once in the overlay's SVG.
  flowsLayer.on('layeradd', function (e) {
    var path = e.layer.getElement && e.layer.getElement();
    if (!path) return;
    var svg = path.ownerSVGElement;
    if (svg && !svg.querySelector('#atlas-arrow')) {
      var ns = path.namespaceURI;
      var defs = document.createElementNS(ns, 'defs');
      var marker = document.createElementNS(ns, 'marker');
      [['id', 'atlas-arrow'], ['viewBox', '0 0 10 10'], ['refX', '8'], ['refY', '5'],
        ['markerWidth', '4'], ['markerHeight', '4'], ['orient', 'auto-start-reverse']]
        .forEach(function (a) { marker.setAttribute(a[0], a[1]); });
      var tip = document.createElementNS(ns, 'path');
      tip.setAttribute('d', 'M 0 0 L 10 5 L 0 10 z');
      tip.setAttribute('fill', '#54278f');
      marker.appendChild(tip);
      defs.appendChild(marker);
      svg.insertBefore(defs, svg.firstChild);
    }
    path.setAttribute('marker-end', 'url(#atlas-arrow)');
  });

  function count(v, lo, hi) {
    if (v === null || v === undefined) return '';
    return String(v) + (lo !== null && lo !== undefined && hi !== null && hi !== undefined ? ' (' + lo + '–' + hi + ')' : '');
  }

  function table(rows) {
    return el('table', {}, rows.filter(function (r) { return r[1]; }).map(function (r) {
      return el('tr', {}, [el('th', {}, [r[0]]), el('td', { dir: 'auto' }, [r[1]])]);
    }));
  }

  var derivedRequest = null;
  function loadDerived() {
    if (derivedRequest) derivedRequest.abort();
    derivedRequest = new AbortController();
    var signal = derivedRequest.signal;
    var q = '?datetime=' + encodeURIComponent(windowParam()) + '&limit=' + PAGE;
    return Promise.all([
      getJson(api + '/collections/clash-zones/items' + q, signal),
      getJson(api + '/collections/displacement-origins/items' + q, signal),
      getJson(api + '/collections/displacement-flows/items' + q, signal)
    ]).then(function (r) {
      zonesLayer.clearLayers().addData(r[0]);
      originsLayer.clearLayers().addData(r[1]);
      flowsLayer.clearLayers().addData(r[2]);
      atlas.zones = r[0].features.length;
      atlas.origins = r[1].features.length;
      atlas.flows = r[2].features.length;
    }).catch(ignoreAbort);
  }

  function ignoreAbort(e) {
    if (e && e.name === 'AbortError') return;
    setStatus('Could not load: ' + e.message, true);
  }

  // ---- incidents: coloured by event type, sized by fatalities, clustered when dense ----
  function radius(fatalities) { return Math.min(26, 5 + 2.2 * Math.sqrt(Math.max(0, fatalities || 0))); }

  var cluster = L.markerClusterGroup({
    maxClusterRadius: 32, showCoverageOnHover: false, spiderfyOnMaxZoom: true, chunkedLoading: true,
    // A cluster is a ring of its event types' shares (a pie) around its count.
    iconCreateFunction: function (c) {
      var children = c.getAllChildMarkers();
      var byType = {};
      children.forEach(function (m) {
        var t = m.feature.properties.event_type;
        byType[t] = (byType[t] || 0) + 1;
      });
      var at = 0, stops = [];
      cfg.event_types.concat(['other']).forEach(function (t) {
        var n = t === 'other'
          ? children.length - cfg.event_types.reduce(function (a, k) { return a + (byType[k] || 0); }, 0)
          : byType[t] || 0;
        if (!n) return;
        var next = at + n / children.length * 360;
        stops.push((COLOURS[t] || OTHER) + ' ' + at.toFixed(1) + 'deg ' + next.toFixed(1) + 'deg');
        at = next;
      });
      var n = children.length;
      var size = n < 10 ? 34 : n < 100 ? 40 : 48;
      var ring = el('div', { class: 'cluster' }, [el('span', {}, [String(n)])]);
      ring.style.background = 'conic-gradient(' + stops.join(',') + ')';
      ring.style.width = ring.style.height = size + 'px';
      return L.divIcon({ html: ring.outerHTML, className: 'cluster-icon', iconSize: L.point(size, size) });
    }
  });
  overlays['Incidents'] = cluster.addTo(map);
  var markers = {}; // id → marker

  function incidentMarker(f) {
    var p = f.properties;
    var c = L.GeoJSON.coordsToLatLng(f.geometry.coordinates);
    var m = L.circleMarker(c, {
      radius: radius(p.fatalities), color: '#fff', weight: 1.2,
      fillColor: COLOURS[p.event_type] || OTHER, fillOpacity: 0.85,
      // A protected incident is drawn where the server generalised it to: dashed, to say so.
      className: protectedLevel(p) ? 'incident protected' : 'incident'
    });
    m.feature = f;
    m.bindPopup(function () { return incidentPopup(m.feature); }, { maxWidth: 360 });
    return m;
  }

  function incidentPopup(f) {
    var p = f.properties;
    var link = null;
    if (typeof p.source_url === 'string' && /^https?:\/\//i.test(p.source_url)) {
      link = el('a', { href: p.source_url, target: '_blank', rel: 'noopener noreferrer' }, ['source link']);
    }
    var fat = p.fatalities === undefined ? '' : String(p.fatalities) +
      (p.fatalities_low !== undefined && p.fatalities_low !== null ? ' (' + p.fatalities_low + '–' + p.fatalities_high + ')' : '');
    var actors = function (a, assoc) { return [a, assoc].filter(Boolean).join('; '); };
    return el('div', { class: 'popup' }, [
      el('h3', {}, [p.event_type + (p.sub_event_type ? ': ' + p.sub_event_type : '')]),
      el('p', { class: 'where' }, [p.event_date + ' · ', placeName(p.location || p.place_id || '', arabicNames[p.place_id])]),
      table([
        ['Actor 1', actors(p.actor1, p.assoc_actor_1)],
        ['Actor 2', actors(p.actor2, p.assoc_actor_2)],
        ['Interaction', [p.inter1, p.inter2].filter(function (x) { return x !== null && x !== undefined; }).join(' – ')],
        ['Fatalities', fat],
        ['Disorder type', p.disorder_type || ''],
        ['Admin', [p.admin1, p.admin2, p.admin3].filter(Boolean).join(' › ')],
        ['Geo precision', precision(p.geo_precision, ['exact place', 'near / part of a place', 'district or larger'])],
        ['Location protection', protectedLevel(p) ? protectedLevel(p) + ' (shown at a generalised point)' : ''],
        ['Time precision', precision(p.time_precision, ['day', 'week', 'month'])],
        ['Source', p.source || ''],
        ['Id', String(f.id)]
      ]),
      link ? el('p', {}, [link]) : null,
      p.notes ? el('p', { class: 'notes', dir: 'auto' }, [p.notes]) : null
    ]);
  }

  function protectedLevel(p) {
    return p.location_protection && p.location_protection !== 'exact' ? p.location_protection : null;
  }

  function precision(v, meanings) {
    if (v === undefined || v === null) return '';
    return v + (meanings[v - 1] ? ' (' + meanings[v - 1] + ')' : '');
  }

  var incidentRequest = null;
  function loadIncidents() {
    if (incidentRequest) incidentRequest.abort();
    if (!state.types.length) {
      cluster.clearLayers(); markers = {}; finishLoad(0, 0);
      return Promise.resolve();
    }
    incidentRequest = new AbortController();
    var q = '?bbox=' + bboxParam(0.25) + '&datetime=' + encodeURIComponent(windowParam()) + '&limit=' + PAGE;
    var filter = typeFilter();
    if (filter) q += '&filter-lang=cql2-text&filter=' + encodeURIComponent(filter);
    return getJson(api + '/collections/incidents/items' + q, incidentRequest.signal).then(function (fc) {
      cluster.clearLayers();
      markers = {};
      var list = [];
      fc.features.forEach(function (f) {
        if (!f.geometry) return;
        var m = incidentMarker(f);
        markers[f.id] = m;
        list.push(m);
      });
      cluster.addLayers(list);
      // The page now holds everything up to the snapshot it was cut from: follow from there
      // (a stream reopened for new filters need not replay what this fetch already has).
      if (fc.cursor !== undefined && (atlas.cursor === null || fc.cursor > atlas.cursor)) atlas.cursor = fc.cursor;
      finishLoad(list.length, fc.numberMatched !== undefined ? fc.numberMatched : list.length);
    }).catch(ignoreAbort);
  }

  function finishLoad(shown, matched) {
    atlas.loads += 1;
    atlas.matched = matched;
    var text = shown === matched
      ? shown + (shown === 1 ? ' incident' : ' incidents') + ' in view'
      : shown + ' of ' + matched + ' incidents in view: zoom in to see the rest';
    setStatus(text, false);
  }

  function setStatus(text, bad) {
    var s = document.getElementById('status');
    s.textContent = text;
    s.classList.toggle('bad', !!bad);
  }

  // ---- the time slider: two thumbs, a window between them you can drag, and play ----
  var fromInput = document.getElementById('from');
  var toInput = document.getElementById('to');
  var band = document.getElementById('window');
  var playButton = document.getElementById('play');

  function syncSlider() {
    var n = span();
    [fromInput, toInput].forEach(function (i) { i.min = 0; i.max = n; i.disabled = n === 0; });
    fromInput.value = indexOf(state.from);
    toInput.value = indexOf(state.to);
    var lo = n ? indexOf(state.from) / n : 0, hi = n ? indexOf(state.to) / n : 1;
    band.style.left = (lo * 100) + '%';
    band.style.width = Math.max(0, (hi - lo) * 100) + '%';
    document.getElementById('from-label').textContent = state.from;
    document.getElementById('to-label').textContent = state.to === state.from ? '' : state.to;
    document.getElementById('range-label').textContent = 'Event dates ' + range.min + ' – ' + range.max;
  }

  var reloadTimer = null;
  function windowChanged() {
    syncSlider();
    writeHash();
    clearTimeout(reloadTimer);
    // Slider drags fire many events: load once they pause.
    reloadTimer = setTimeout(function () { loadIncidents(); loadDerived(); connectLive(); }, 120);
  }

  fromInput.addEventListener('input', function () {
    var i = +fromInput.value;
    if (i > indexOf(state.to)) { i = indexOf(state.to); fromInput.value = i; }
    state.from = dayAt(i);
    windowChanged();
  });
  toInput.addEventListener('input', function () {
    var i = +toInput.value;
    if (i < indexOf(state.from)) { i = indexOf(state.from); toInput.value = i; }
    state.to = dayAt(i);
    windowChanged();
  });

  // Dragging the band between the thumbs moves the whole window, keeping its width.
  band.addEventListener('pointerdown', function (e) {
    var track = band.parentNode.getBoundingClientRect();
    var n = span();
    if (!n) return;
    var start = e.clientX, from0 = indexOf(state.from), width = indexOf(state.to) - from0;
    band.setPointerCapture(e.pointerId);
    function move(ev) {
      var shift = Math.round((ev.clientX - start) / track.width * n);
      var f = Math.max(0, Math.min(n - width, from0 + shift));
      if (dayAt(f) !== state.from) { state.from = dayAt(f); state.to = dayAt(f + width); windowChanged(); }
    }
    function up() { band.removeEventListener('pointermove', move); band.removeEventListener('pointerup', up); }
    band.addEventListener('pointermove', move);
    band.addEventListener('pointerup', up);
    e.preventDefault();
  });

  var playTimer = null;
  function step() {
    var n = span(), f = indexOf(state.from), w = indexOf(state.to) - f;
    f = f + w + 1 > n ? 0 : f + 1;
    state.from = dayAt(f);
    state.to = dayAt(Math.min(n, f + w));
    windowChanged();
  }
  playButton.addEventListener('click', function () {
    if (playTimer) {
      clearInterval(playTimer); playTimer = null;
      playButton.textContent = '▶'; playButton.setAttribute('aria-label', 'Play');
    } else {
      if (indexOf(state.from) === 0 && indexOf(state.to) === span() && span() > 0) {
        state.to = state.from; // a window of one day to play through the range
      }
      step();
      playTimer = setInterval(step, 1500);
      playButton.textContent = '❚❚'; playButton.setAttribute('aria-label', 'Pause');
    }
  });

  // ---- the legend, which is also the event-type filter ----
  function buildLegend() {
    var list = document.getElementById('types');
    cfg.event_types.forEach(function (t) {
      var box = el('input', { type: 'checkbox', value: t });
      box.checked = state.types.indexOf(t) >= 0;
      box.addEventListener('change', function () {
        state.types = cfg.event_types.filter(function (x) {
          return list.querySelector('input[value="' + CSS.escape(x) + '"]').checked;
        });
        writeHash();
        loadIncidents();
        connectLive();
      });
      var swatch = el('span', { class: 'swatch' });
      swatch.style.background = COLOURS[t] || OTHER;
      list.appendChild(el('li', {}, [el('label', {}, [box, swatch, t])]));
    });
    var sizes = document.getElementById('sizes');
    [0, 10, 50].forEach(function (n) {
      var d = 2 * radius(n);
      var dot = el('span', { class: 'dot' });
      dot.style.width = dot.style.height = d + 'px';
      sizes.appendChild(el('span', { class: 'size' }, [dot, String(n)]));
    });
  }

  // ---- live: the change feed as server-sent events, filtered to this map's view ----
  var source = null;
  var liveTimer = null;
  function connectLive() {
    if (!window.EventSource || atlas.cursor === null) return;
    clearTimeout(liveTimer);
    liveTimer = setTimeout(openLive, 150);
  }

  function openLive() {
    if (source) source.close();
    var q = ['after=' + atlas.cursor, 'datetime=' + encodeURIComponent(windowParam())];
    if (state.types.length !== cfg.event_types.length) {
      q.push('event_type=' + encodeURIComponent(state.types.join(',')));
    }
    if (!state.types.length) q.push('collection=displacement-reports');
    source = new EventSource(api + '/changes?' + q.join('&'));
    setLive('connecting');
    source.onopen = function () { setLive('live'); };
    source.onerror = function () { setLive(source.readyState === 2 ? 'offline' : 'connecting'); };
    ['create', 'update'].forEach(function (op) {
      source.addEventListener(op, function (e) { onChange(e, op); });
    });
    source.addEventListener('delete', function (e) { onChange(e, 'delete'); });
    source.addEventListener('layer', function (e) {
      var d = JSON.parse(e.data);
      if (d.collection === 'clash-zones' || d.collection.indexOf('displacement') === 0) {
        clearTimeout(derivedTimer);
        derivedTimer = setTimeout(loadDerived, 300);
      }
    });
    source.addEventListener('reset', function (e) {
      var d = JSON.parse(e.data);
      atlas.cursor = d.after;
      loadIncidents(); loadDerived();
    });
  }
  var derivedTimer = null;

  function setLive(s) {
    atlas.live = s;
    var b = document.getElementById('live');
    b.textContent = s === 'live' ? '● live' : s === 'connecting' ? '○ connecting' : '○ offline';
    b.className = 'live-' + s;
  }

  function onChange(e, op) {
    var change = JSON.parse(e.data);
    if (isFinite(+e.lastEventId) && +e.lastEventId > atlas.cursor) atlas.cursor = +e.lastEventId;
    atlas.events += 1;
    if (change.collection !== 'incidents') return;
    var id = change.id;
    var old = markers[id];
    if (old) { cluster.removeLayer(old); delete markers[id]; }
    if (op === 'delete' || !change.feature || !change.feature.geometry) { atlas.changed(); return; }
    var f = change.feature;
    var day = f.properties.event_date;
    if (isDay(day) && (day > range.max || day < range.min)) {
      // The slider's range grows to take the new date; a window at the end follows it.
      var pinned = state.to === range.max;
      if (day > range.max) range.max = day; else range.min = day;
      if (pinned) state.to = range.max;
      syncSlider();
    }
    if (!incidentPasses(f.properties)) { atlas.changed(); return; }
    var m = incidentMarker(f);
    markers[id] = m;
    cluster.addLayer(m);
    highlight(m);
    toast((op === 'create' ? 'New: ' : 'Updated: ') + f.properties.event_type + ', ' +
      (f.properties.location || f.properties.place_id || '') + ', ' + day);
    atlas.changed();
  }

  function highlight(m) {
    atlas.highlighted[m.feature.id] = true;
    var shown = cluster.getVisibleParent(m) || m;
    var node = shown.getElement ? shown.getElement() : shown._icon;
    if (node) {
      node.classList.add('fresh');
      setTimeout(function () { node.classList.remove('fresh'); }, 4000);
    }
    setTimeout(function () { delete atlas.highlighted[m.feature.id]; }, 4000);
  }

  function toast(text) {
    var t = document.getElementById('toast');
    t.textContent = text;
    t.classList.add('shown');
    clearTimeout(t.timer);
    t.timer = setTimeout(function () { t.classList.remove('shown'); }, 5000);
  }

  // ---- what scripts and tests can ask the page ----
  var atlas = window.atlas = {
    ready: false,
    // Base map files drawn (2: land and borders) and gazetteer places drawn.
    basemap: 0,
    places: 0,
    loads: 0,
    events: 0,
    matched: 0,
    cursor: null,
    live: 'off',
    zones: 0, origins: 0, flows: 0,
    highlighted: {},
    count: function () { return Object.keys(markers).length; },
    ids: function () { return Object.keys(markers).map(Number).sort(function (a, b) { return a - b; }); },
    has: function (id) { return Object.prototype.hasOwnProperty.call(markers, id); },
    // The popup an incident's marker opens, as an element.
    popup: function (id) { return atlas.has(id) ? incidentPopup(markers[id].feature) : null; },
    where: function (id) { return atlas.has(id) ? markers[id].feature.geometry.coordinates : null; },
    state: function () { return { from: state.from, to: state.to, types: state.types.slice(), min: range.min, max: range.max }; },
    changed: function () {
      var n = atlas.count();
      setStatus(n + (n === 1 ? ' incident' : ' incidents') + ' in view', false);
    }
  };

  // ---- start ----
  L.control.layers(null, overlays, { collapsed: true, position: 'topright' }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);

  function zoomBand() {
    var z = map.getZoom();
    map.getContainer().setAttribute('data-labels', z >= 13 ? 'near' : z >= 9 ? 'mid' : 'far');
  }
  map.on('zoomend', zoomBand);

  if (state.view) map.setView([state.view.lat, state.view.lon], state.view.zoom);
  else if (cfg.bbox) {
    // Keep the incidents clear of the panel: beside it on a desk, above it on a phone.
    var phone = window.matchMedia && window.matchMedia('(max-width: 640px)').matches;
    var panel = document.getElementById('panel').getBoundingClientRect();
    map.fitBounds([[cfg.bbox[1], cfg.bbox[0]], [cfg.bbox[3], cfg.bbox[2]]], {
      paddingTopLeft: [phone ? 20 : panel.right + 20, 30],
      paddingBottomRight: [40, phone ? panel.height + 20 : 30],
      maxZoom: 15
    });
  }
  else map.setView([20, 0], 2);
  zoomBand();

  var moveTimer = null;
  map.on('moveend', function () {
    writeHash();
    clearTimeout(moveTimer);
    moveTimer = setTimeout(function () { loadIncidents(); }, 150);
  });

  window.addEventListener('hashchange', function () {
    readHash();
    syncSlider();
    if (state.view) map.setView([state.view.lat, state.view.lon], state.view.zoom);
    document.querySelectorAll('#types input').forEach(function (b) { b.checked = state.types.indexOf(b.value) >= 0; });
    loadIncidents(); loadDerived(); connectLive();
  });

  if (window.matchMedia && window.matchMedia('(max-width: 640px)').matches) {
    document.getElementById('legend').removeAttribute('open');
  }
  buildLegend();
  syncSlider();
  writeHash();
  loadPlaces().catch(ignoreAbort);
  Promise.all([loadIncidents(), loadDerived()]).then(function () {
    atlas.ready = true;
    connectLive();
  });
})();
