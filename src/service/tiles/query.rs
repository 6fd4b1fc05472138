//! The query every tile-family request takes, vetted by `QueryParams`: `f`, `datetime`, the
//! collection's own parameters and equality filters, selected as its items select.

use crate::collection::{Collection, Selection};
use crate::model::Interval;
use crate::service::{QueryParams, RequestError};
// Equality filters are parsed as items parse them.
use crate::service::parameters::{conjoin, equalities, equality_parameters};

/// What `f` names on the tile routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileFormat {
    Json,
    TileJson,
    Mvt,
}

/// What the tileset list, a tileset and a tile offer.
pub const TILESETS_FORMATS: &[TileFormat] = &[TileFormat::Json];
pub const TILESET_FORMATS: &[TileFormat] = &[TileFormat::Json, TileFormat::TileJson];
pub const TILE_FORMATS: &[TileFormat] = &[TileFormat::Mvt];

impl TileFormat {
    /// The `f` value naming the format.
    pub fn name(self) -> &'static str {
        match self {
            TileFormat::Json => "json",
            TileFormat::TileJson => "tilejson",
            TileFormat::Mvt => "mvt",
        }
    }

    /// The format `f=value` names among `offered`, or a 400 naming `f` and the values.
    fn from_f(value: &str, offered: &[TileFormat]) -> Result<TileFormat, RequestError> {
        offered
            .iter()
            .copied()
            .find(|f| f.name() == value)
            .ok_or_else(|| {
                let names: Vec<&str> = offered.iter().map(|f| f.name()).collect();
                RequestError::bad(
                    "f",
                    format!(
                        "'{value}' is not supported here; use {}",
                        names.join(" or ")
                    ),
                )
            })
    }
}

/// A tile-family request: the selection its query gives, the query to hand on to tile URL
/// templates, and the format asked for.
#[derive(Debug, Clone)]
pub struct TileQuery {
    pub selection: Selection,
    /// Every parameter but `f`, in the order given.
    pub carried: Vec<(String, String)>,
    pub format: Option<TileFormat>,
}

impl TileQuery {
    /// Vets `query_string` against what tiles of `c` take (`f` among `offered`, `datetime`,
    /// the collection's parameters and equality filters) and selects as its items do.
    pub fn parse(
        query_string: &str,
        c: &dyn Collection,
        offered: &[TileFormat],
    ) -> Result<TileQuery, RequestError> {
        let mut accepted = vec!["f", "datetime"];
        accepted.extend(c.parameters().iter().map(|(n, _)| *n));
        accepted.extend(equality_parameters(c).iter().map(|(n, _)| *n));
        let params =
            QueryParams::parse(query_string, &accepted, "a tile request of this collection")?;

        let format = params
            .get("f")
            .map(|v| TileFormat::from_f(v, offered))
            .transpose()?;
        let mut selection = Selection::default();
        if let Some(v) = params.get("datetime") {
            let interval = Interval::parse(v).map_err(|e| RequestError::bad("datetime", e))?;
            // Timeless collections accept and ignore it, as their items do.
            selection.datetime = c.is_temporal().then_some(interval);
        }
        selection.params = params.only(|k| c.parameters().iter().any(|(n, _)| *n == k));
        let carried = params.only(|k| k != "f");
        // Equality parameters as items take them: typed CQL2 on queryables, text otherwise.
        let (conjuncts, equals) = equalities(c, &carried)?;
        selection.filter = conjoin(conjuncts);
        selection.equals = equals;
        Ok(TileQuery {
            selection,
            carried,
            format,
        })
    }

    /// `?a=b&…` of the carried parameters, or nothing.
    pub fn query_suffix(&self) -> String {
        if self.carried.is_empty() {
            return String::new();
        }
        let mut s = form_urlencoded::Serializer::for_suffix(String::from("?"), 1);
        for (k, v) in &self.carried {
            s.append_pair(k, v);
        }
        s.finish()
    }

    /// The carried parameters sorted, as `k=v&…`: requests asking the same in another order
    /// share a cached tile.
    pub fn cache_key(&self) -> String {
        let mut carried = self.carried.clone();
        carried.sort();
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(carried)
            .finish()
    }
}

/// Vets the query of a resource without parameters of its own: only `f=json`.
pub fn only_json(query_string: &str) -> Result<(), RequestError> {
    let params = QueryParams::parse(query_string, &["f"], "this resource")?;
    match params.get("f") {
        Some(v) if v != "json" => Err(RequestError::bad(
            "f",
            format!("'{v}' is not supported; use json"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_without_parameters_take_f_json_once() {
        assert_eq!(only_json(""), Ok(()));
        assert_eq!(only_json("f=json"), Ok(()));
        assert_eq!(
            only_json("f=xml"),
            Err(RequestError::bad("f", "'xml' is not supported; use json"))
        );
        assert_eq!(
            only_json("f=json&f=json"),
            Err(RequestError::bad("f", "given more than once"))
        );
        assert_eq!(
            only_json("x=1"),
            Err(RequestError::bad(
                "x",
                "unknown parameter; this resource accepts only f"
            ))
        );
    }

    #[test]
    fn f_names_one_of_the_offered_formats() {
        assert_eq!(
            TileFormat::from_f("tilejson", TILESET_FORMATS),
            Ok(TileFormat::TileJson)
        );
        assert_eq!(
            TileFormat::from_f("mvt", TILESET_FORMATS),
            Err(RequestError::bad(
                "f",
                "'mvt' is not supported here; use json or tilejson"
            ))
        );
    }
}
