// Natural Earth land (1:50m) and country borders (1:10m, finer where a city map zooms in)
// from the world-atlas npm package, as GeoJSON for the viewer's offline base map. Run at
// commit time (`npm ci && node convert.mjs`); the output is committed in data/basemap/ and
// compiled into the binary, so the server needs neither node nor the internet.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import rewind from '@mapbox/geojson-rewind';
import * as topojson from 'topojson-client';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const atlas = (name) => JSON.parse(readFileSync(here(`node_modules/world-atlas/${name}`)));
// Three decimals (~100 m) is finer than either scale's own accuracy.
const rounded = (key, v) => (typeof v === 'number' ? Math.round(v * 1e3) / 1e3 : v);
const write = (name, geojson) => {
  const text = JSON.stringify(geojson, rounded);
  writeFileSync(here(`../../data/basemap/${name}`), text + '\n');
  console.log(`${name}: ${text.length} bytes`);
};

// Rounding can flatten a tiny ring to a line: such rings (no area left, or only rounding noise) are dropped, and a
// polygon whose outer ring went with them.
const round = (x) => Math.round(x * 1e3) / 1e3;
const area = (ring) => {
  let a = 0;
  for (let i = 0; i + 1 < ring.length; i++) a += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  return a / 2;
};
const roundPolygons = (multi) => {
  multi.coordinates = multi.coordinates
    .map((polygon) => polygon.map((ring) => ring.map(([x, y]) => [round(x), round(y)])))
    .filter((polygon) => Math.abs(area(polygon[0])) > 1e-9)
    .map((polygon) => polygon.filter((ring) => Math.abs(area(ring)) > 1e-9));
  return multi;
};

const land = atlas('land-50m.json');
const landFeatures = topojson.feature(land, land.objects.land);
for (const f of landFeatures.features) roundPolygons(f.geometry);
// world-atlas winds rings for d3 (clockwise outside); RFC 7946 wants the right-hand rule.
write('land-50m.geojson', rewind(landFeatures, false));

// Borders between two countries only (a !== b): coasts come from the land polygons.
const countries = atlas('countries-10m.json');
write(
  'borders-10m.geojson',
  topojson.mesh(countries, countries.objects.countries, (a, b) => a !== b),
);
