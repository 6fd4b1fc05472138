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

const land = atlas('land-50m.json');
// world-atlas winds rings for d3 (clockwise outside); RFC 7946 wants the right-hand rule.
write('land-50m.geojson', rewind(topojson.feature(land, land.objects.land), false));

// Borders between two countries only (a !== b): coasts come from the land polygons.
const countries = atlas('countries-10m.json');
write(
  'borders-10m.geojson',
  topojson.mesh(countries, countries.objects.countries, (a, b) => a !== b),
);
