//! OGC API – Tiles documents (tile matrix sets, tilesets, TileJSON): typed, HTTP-free.
