//! Importing the polygons an entity serves from GeoJSON. The text comes from an admin upload or
//! the command line, so it is treated as hostile: its size is checked before parsing, vertices,
//! arrays and features are counted while parsing (memory stays proportional to what is kept,
//! not to the text), and every rejection names the place in the document it concerns.
//!
//! The document is read with a streaming serde visitor rather than `geojson`'s own types, whose
//! tagged and untagged enums buffer the whole document before a single check can run and whose
//! errors cannot say which feature is wrong. `geojson` writes the geometry back out.

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::cell::Cell;
use std::fmt;
use tawasul_domain::text::CaseText;
use tawasul_domain::Invalid;

/// Largest GeoJSON text accepted, in bytes.
pub const MAX_TEXT_BYTES: usize = 20 * 1024 * 1024;
/// Most positions (ring closures included) in one document.
pub const MAX_VERTICES: usize = 200_000;
/// Most features in one FeatureCollection.
pub const MAX_FEATURES: usize = 10_000;
/// Longest area name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Arrays (polygons, rings, empty ones) allowed inside coordinates. Every valid ring has at least
/// four vertices, so a document within [`MAX_VERTICES`] never reaches this; it stops `[[],[],…]`.
const MAX_ARRAYS: usize = MAX_VERTICES;

/// One polygon set an entity serves, as imported.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaShape {
    pub name: Option<String>,
    pub geometry: MultiPolygon<f64>,
}

/// Why a GeoJSON document cannot be imported. The message starts with [`AreaError::field`], the
/// path of the offending member (`features[3].geometry.coordinates[0][5]`), when there is one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AreaError {
    #[error("the GeoJSON text is {bytes} bytes long; at most {max} bytes are accepted")]
    TooLarge { bytes: usize, max: usize },
    #[error("not JSON: {message}")]
    Json { message: String },
    #[error("{field}: not GeoJSON: {message}")]
    NotGeoJson { field: String, message: String },
    #[error("{field}: a {kind} is not an area; only Polygon and MultiPolygon geometries are accepted")]
    UnsupportedGeometry { field: String, kind: String },
    #[error("{field}: the feature has no geometry")]
    MissingGeometry { field: String },
    #[error("{field}: {what}")]
    Empty { field: String, what: &'static str },
    #[error("{field}: {axis} {value} is outside [{min}, {max}]")]
    OutOfRange {
        field: String,
        axis: &'static str,
        value: f64,
        min: f64,
        max: f64,
    },
    #[error("{field}: a linear ring needs at least 4 positions (the first repeated last); this one has {positions}")]
    RingTooShort { field: String, positions: usize },
    #[error("{field}: the linear ring is not closed; its last position must equal its first")]
    RingNotClosed { field: String },
    #[error("{field}: the document has more than {max} vertices")]
    TooManyVertices { field: String, max: usize },
    #[error("{field}: the coordinates hold more than {max} arrays")]
    TooManyArrays { field: String, max: usize },
    #[error("features: the collection has more than {max} features")]
    TooManyFeatures { max: usize },
    #[error(transparent)]
    Name(Invalid),
}

impl AreaError {
    /// Stable snake_case code for clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::Json { .. } => "invalid_json",
            Self::NotGeoJson { .. } => "not_geojson",
            Self::UnsupportedGeometry { .. } => "unsupported_geometry",
            Self::MissingGeometry { .. } => "missing_geometry",
            Self::Empty { .. } => "empty",
            Self::OutOfRange { .. } => "out_of_range",
            Self::RingTooShort { .. } => "ring_too_short",
            Self::RingNotClosed { .. } => "ring_not_closed",
            Self::TooManyVertices { .. } => "too_many_vertices",
            Self::TooManyArrays { .. } => "too_many_arrays",
            Self::TooManyFeatures { .. } => "too_many_features",
            Self::Name(invalid) => invalid.code,
        }
    }

    /// Path of the offending member in the document; empty when the problem is the whole text.
    pub fn field(&self) -> &str {
        match self {
            Self::TooLarge { .. } | Self::Json { .. } => "",
            Self::TooManyFeatures { .. } => "features",
            Self::NotGeoJson { field, .. }
            | Self::UnsupportedGeometry { field, .. }
            | Self::MissingGeometry { field }
            | Self::Empty { field, .. }
            | Self::OutOfRange { field, .. }
            | Self::RingTooShort { field, .. }
            | Self::RingNotClosed { field }
            | Self::TooManyVertices { field, .. }
            | Self::TooManyArrays { field, .. } => field,
            Self::Name(invalid) => &invalid.field,
        }
    }
}

/// Parses GeoJSON text: a FeatureCollection, a Feature or a bare Polygon/MultiPolygon geometry;
/// each feature's name is the first non-blank string of its properties "name", "name_ar" and
/// "name_en". Positions may carry an altitude, which is dropped.
pub fn parse_areas(geojson: &str) -> Result<Vec<AreaShape>, AreaError> {
    if geojson.len() > MAX_TEXT_BYTES {
        return Err(AreaError::TooLarge {
            bytes: geojson.len(),
            max: MAX_TEXT_BYTES,
        });
    }
    let root = read_document(geojson)?;
    match root.kind.as_deref() {
        Some("FeatureCollection") => {
            let features = root
                .features
                .ok_or_else(|| not_geojson("features", "a FeatureCollection needs a \"features\" array"))?;
            if features.is_empty() {
                return Err(AreaError::Empty {
                    field: "features".into(),
                    what: "the FeatureCollection has no features",
                });
            }
            features
                .into_iter()
                .enumerate()
                .map(|(i, feature)| shape(feature, &format!("features[{i}]")))
                .collect()
        }
        Some("Feature") => Ok(vec![shape(root, "")?]),
        Some(_) => Ok(vec![AreaShape {
            name: None,
            geometry: geometry(root, "")?,
        }]),
        None => Err(not_geojson(
            "type",
            "missing \"type\"; expected a FeatureCollection, a Feature, a Polygon or a MultiPolygon",
        )),
    }
}

/// GeoJSON geometry text of a shape, for storage; it reads back with [`parse_areas`].
pub fn geometry_json(shape: &MultiPolygon<f64>) -> String {
    geojson::Geometry::new(geojson::GeometryValue::from(shape)).to_string()
}

fn not_geojson(field: impl Into<String>, message: impl Into<String>) -> AreaError {
    AreaError::NotGeoJson {
        field: field.into(),
        message: message.into(),
    }
}

fn member(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_owned()
    } else {
        format!("{base}.{name}")
    }
}

fn shape(feature: RawObject, field: &str) -> Result<AreaShape, AreaError> {
    match feature.kind.as_deref() {
        Some("Feature") => {}
        Some(other) => {
            return Err(not_geojson(
                member(field, "type"),
                format!("expected a Feature, found {other:?}"),
            ))
        }
        None => {
            return Err(not_geojson(
                member(field, "type"),
                "missing \"type\"; expected \"Feature\"",
            ))
        }
    }
    let name = match feature.name {
        Some((key, raw)) => {
            let path = member(&member(field, "properties"), key);
            Some(
                CaseText::parse(&raw, &path, MAX_NAME_CHARS)
                    .map_err(AreaError::Name)?
                    .into_string(),
            )
        }
        None => None,
    };
    let geometry_field = member(field, "geometry");
    let raw = feature.geometry.flatten().ok_or_else(|| AreaError::MissingGeometry {
        field: geometry_field.clone(),
    })?;
    Ok(AreaShape {
        name,
        geometry: geometry(*raw, &geometry_field)?,
    })
}

fn geometry(raw: RawObject, field: &str) -> Result<MultiPolygon<f64>, AreaError> {
    let kind = raw.kind.unwrap_or_default();
    let multi = match kind.as_str() {
        "Polygon" => false,
        "MultiPolygon" => true,
        "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "GeometryCollection" => {
            return Err(AreaError::UnsupportedGeometry {
                field: field.to_owned(),
                kind,
            })
        }
        "" => {
            return Err(not_geojson(
                member(field, "type"),
                "missing \"type\"; expected \"Polygon\" or \"MultiPolygon\"",
            ))
        }
        other => {
            return Err(not_geojson(
                member(field, "type"),
                format!("unknown geometry type {other:?}"),
            ))
        }
    };
    let path = member(field, "coordinates");
    let coordinates = raw
        .coordinates
        .ok_or_else(|| not_geojson(path.clone(), "missing \"coordinates\""))?;
    if !multi {
        return Ok(MultiPolygon(vec![polygon(coordinates, &path)?]));
    }
    let polygons = list(coordinates, &path, "an array of polygons")?;
    if polygons.is_empty() {
        return Err(AreaError::Empty {
            field: path,
            what: "the MultiPolygon has no polygons",
        });
    }
    let polygons = polygons
        .into_iter()
        .enumerate()
        .map(|(i, p)| polygon(p, &format!("{path}[{i}]")))
        .collect::<Result<_, _>>()?;
    Ok(MultiPolygon(polygons))
}

fn polygon(coordinates: Coords, field: &str) -> Result<Polygon<f64>, AreaError> {
    let mut rings = list(coordinates, field, "an array of linear rings")?
        .into_iter()
        .enumerate()
        .map(|(i, r)| ring(r, &format!("{field}[{i}]")));
    let exterior = rings.next().ok_or_else(|| AreaError::Empty {
        field: field.to_owned(),
        what: "the polygon has no exterior ring",
    })??;
    Ok(Polygon::new(exterior, rings.collect::<Result<_, _>>()?))
}

fn ring(coordinates: Coords, field: &str) -> Result<LineString<f64>, AreaError> {
    let positions = list(coordinates, field, "a linear ring (an array of positions)")?;
    let mut ring = Vec::with_capacity(positions.len());
    for (i, position) in positions.into_iter().enumerate() {
        let Coords::Position(x, y) = position else {
            return Err(not_geojson(
                format!("{field}[{i}]"),
                "expected a position [longitude, latitude], found nested arrays",
            ));
        };
        for (axis, value, limit) in [("longitude", x, 180.0), ("latitude", y, 90.0)] {
            // Written so that NaN fails too.
            if !(-limit..=limit).contains(&value) {
                return Err(AreaError::OutOfRange {
                    field: format!("{field}[{i}]"),
                    axis,
                    value,
                    min: -limit,
                    max: limit,
                });
            }
        }
        ring.push(Coord { x, y });
    }
    if ring.len() < 4 {
        return Err(AreaError::RingTooShort {
            field: field.to_owned(),
            positions: ring.len(),
        });
    }
    if ring.first() != ring.last() {
        return Err(AreaError::RingNotClosed {
            field: field.to_owned(),
        });
    }
    Ok(LineString(ring))
}

fn list(coordinates: Coords, field: &str, expected: &str) -> Result<Vec<Coords>, AreaError> {
    match coordinates {
        Coords::List(items) => Ok(items),
        Coords::Position(..) => Err(not_geojson(field, format!("expected {expected}, found a position"))),
    }
}

// ---- Streaming reader ----

/// The members of a GeoJSON object that matter here; all others are skipped without being kept.
#[derive(Default)]
struct RawObject {
    kind: Option<String>,
    features: Option<Vec<RawObject>>,
    /// `Some(None)`: `"geometry": null`.
    geometry: Option<Option<Box<RawObject>>>,
    coordinates: Option<Coords>,
    /// The properties key the name came from, and the name.
    name: Option<(&'static str, String)>,
}

/// Coordinates of any depth; the geometry type, which may come after them, decides the shape.
enum Coords {
    Position(f64, f64),
    List(Vec<Coords>),
}

#[derive(Clone, Copy)]
enum Limit {
    Vertices,
    Arrays,
    Features,
}

/// Counts shared by every visitor of one document; `hit` tells a limit from a syntax error.
#[derive(Default)]
struct Budget {
    vertices: Cell<usize>,
    arrays: Cell<usize>,
    features: Cell<usize>,
    hit: Cell<Option<Limit>>,
}

impl Budget {
    fn take<E: de::Error>(&self, limit: Limit) -> Result<(), E> {
        let (counter, max) = match limit {
            Limit::Vertices => (&self.vertices, MAX_VERTICES),
            Limit::Arrays => (&self.arrays, MAX_ARRAYS),
            Limit::Features => (&self.features, MAX_FEATURES),
        };
        counter.set(counter.get() + 1);
        if counter.get() > max {
            self.hit.set(Some(limit));
            return Err(E::custom("limit exceeded"));
        }
        Ok(())
    }
}

fn read_document(text: &str) -> Result<RawObject, AreaError> {
    let budget = Budget::default();
    let mut json = serde_json::Deserializer::from_str(text);
    let mut track = serde_path_to_error::Track::new();
    let seed = ObjectSeed {
        budget: &budget,
        level: Level::Root,
    };
    let read = seed.deserialize(serde_path_to_error::Deserializer::new(&mut json, &mut track));
    let error = match read.and_then(|root| json.end().map(|()| root)) {
        Ok(root) => return Ok(root),
        Err(error) => error,
    };
    let field = match track.path().to_string() {
        root if root == "." => String::new(),
        path => path,
    };
    Err(match budget.hit.get() {
        Some(Limit::Vertices) => AreaError::TooManyVertices {
            field,
            max: MAX_VERTICES,
        },
        Some(Limit::Arrays) => AreaError::TooManyArrays { field, max: MAX_ARRAYS },
        Some(Limit::Features) => AreaError::TooManyFeatures { max: MAX_FEATURES },
        None if error.classify() == serde_json::error::Category::Data => AreaError::NotGeoJson {
            field,
            message: error.to_string(),
        },
        None => AreaError::Json {
            message: error.to_string(),
        },
    })
}

/// Which members an object may usefully have, by where it stands in the document.
#[derive(Clone, Copy)]
enum Level {
    Root,
    Feature,
    Geometry,
}

struct ObjectSeed<'b> {
    budget: &'b Budget,
    level: Level,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_> {
    type Value = RawObject;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<RawObject, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_> {
    type Value = RawObject;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawObject, A::Error> {
        let budget = self.budget;
        let mut raw = RawObject::default();
        let mut seen_properties = false;
        while let Some(key) = map.next_key::<String>()? {
            let duplicate = match (key.as_str(), self.level) {
                ("type", _) => raw.kind.replace(map.next_value()?).is_some(),
                ("features", Level::Root) => raw
                    .features
                    .replace(map.next_value_seed(FeaturesSeed(budget))?)
                    .is_some(),
                ("geometry", Level::Root | Level::Feature) => {
                    let seed = Nullable(ObjectSeed {
                        budget,
                        level: Level::Geometry,
                    });
                    raw.geometry.replace(map.next_value_seed(seed)?.map(Box::new)).is_some()
                }
                ("coordinates", Level::Root | Level::Geometry) => raw
                    .coordinates
                    .replace(map.next_value_seed(CoordsSeed(budget))?)
                    .is_some(),
                ("properties", Level::Root | Level::Feature) => {
                    raw.name = map.next_value_seed(Nullable(PropertiesSeed))?.flatten();
                    std::mem::replace(&mut seen_properties, true)
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    false
                }
            };
            if duplicate {
                return Err(de::Error::custom(format_args!("duplicate member {key:?}")));
            }
        }
        Ok(raw)
    }
}

/// `null` or the value of the inner seed.
struct Nullable<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Nullable<S> {
    type Value = Option<S::Value>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for Nullable<S> {
    type Value = Option<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("null or an object")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(deserializer).map(Some)
    }
}

struct FeaturesSeed<'b>(&'b Budget);

impl<'de> DeserializeSeed<'de> for FeaturesSeed<'_> {
    type Value = Vec<RawObject>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FeaturesSeed<'_> {
    type Value = Vec<RawObject>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of features")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut features = Vec::new();
        let seed = || ObjectSeed {
            budget: self.0,
            level: Level::Feature,
        };
        while let Some(feature) = seq.next_element_seed(seed())? {
            self.0.take(Limit::Features)?;
            features.push(feature);
        }
        Ok(features)
    }
}

/// Keeps the first non-blank string among "name", "name_ar", "name_en"; skips everything else.
struct PropertiesSeed;

const NAME_KEYS: [&str; 3] = ["name", "name_ar", "name_en"];

impl<'de> DeserializeSeed<'de> for PropertiesSeed {
    type Value = Option<(&'static str, String)>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PropertiesSeed {
    type Value = Option<(&'static str, String)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of properties")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut names: [Option<String>; 3] = Default::default();
        while let Some(key) = map.next_key::<String>()? {
            match NAME_KEYS.iter().position(|k| *k == key) {
                Some(i) => names[i] = map.next_value::<MaybeText>()?.0.filter(|s| !s.trim().is_empty()),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(NAME_KEYS
            .into_iter()
            .zip(names)
            .find_map(|(key, name)| Some((key, name?))))
    }
}

/// A string, or any other value skipped without being kept.
struct MaybeText(Option<String>);

impl<'de> de::Deserialize<'de> for MaybeText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MaybeText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<MaybeText, E> {
                Ok(MaybeText(Some(s.to_owned())))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<MaybeText, E> {
                Ok(MaybeText(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<MaybeText, E> {
                Ok(MaybeText(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<MaybeText, E> {
                Ok(MaybeText(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<MaybeText, E> {
                Ok(MaybeText(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<MaybeText, E> {
                Ok(MaybeText(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<MaybeText, A::Error> {
                IgnoredAny.visit_seq(seq).map(|_| MaybeText(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<MaybeText, A::Error> {
                IgnoredAny.visit_map(map).map(|_| MaybeText(None))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Nested coordinate arrays, charging every position and every other array to the budget.
#[derive(Clone, Copy)]
struct CoordsSeed<'b>(&'b Budget);

impl<'de> DeserializeSeed<'de> for CoordsSeed<'_> {
    type Value = Coords;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Coords, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for CoordsSeed<'_> {
    type Value = Coords;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of coordinates")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Coords, A::Error> {
        // The first element tells a position (numbers) from an array of arrays.
        match seq.next_element_seed(ElementSeed(self))? {
            None => {
                self.0.take(Limit::Arrays)?;
                Ok(Coords::List(Vec::new()))
            }
            Some(Element::Number(x)) => {
                let y = seq
                    .next_element::<f64>()?
                    .ok_or_else(|| de::Error::invalid_length(1, &"a position of at least two numbers"))?;
                // Altitude and anything after it are checked to be numbers, then dropped.
                while seq.next_element::<f64>()?.is_some() {}
                self.0.take(Limit::Vertices)?;
                Ok(Coords::Position(x, y))
            }
            Some(Element::Array(first)) => {
                self.0.take(Limit::Arrays)?;
                let mut items = vec![first];
                while let Some(next) = seq.next_element_seed(self)? {
                    items.push(next);
                }
                Ok(Coords::List(items))
            }
        }
    }
}

enum Element {
    Number(f64),
    Array(Coords),
}

struct ElementSeed<'b>(CoordsSeed<'b>);

impl<'de> DeserializeSeed<'de> for ElementSeed<'_> {
    type Value = Element;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Element, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElementSeed<'_> {
    type Value = Element;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or an array of coordinates")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Element, E> {
        Ok(Element::Number(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Element, E> {
        Ok(Element::Number(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Element, E> {
        Ok(Element::Number(v as f64))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Element, A::Error> {
        self.0.visit_seq(seq).map(Element::Array)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{coord, Contains, Point};

    fn parsed(text: &str) -> Vec<AreaShape> {
        parse_areas(text).expect("valid GeoJSON")
    }

    fn rejected(text: &str) -> AreaError {
        match parse_areas(text) {
            Ok(shapes) => panic!("accepted {} shapes from {:.200}", shapes.len(), text),
            Err(error) => error,
        }
    }

    /// The code, the field and the message of a rejection.
    fn why(text: &str) -> (&'static str, String, String) {
        let error = rejected(text);
        (error.code(), error.field().to_owned(), error.to_string())
    }

    const SQUARE: &str = "[[50.0,26.0],[50.5,26.0],[50.5,26.5],[50.0,26.5],[50.0,26.0]]";
    const HOLE: &str = "[[50.2,26.2],[50.3,26.2],[50.3,26.3],[50.2,26.3],[50.2,26.2]]";

    fn polygon(rings: &str) -> String {
        format!(r#"{{"type":"Polygon","coordinates":[{rings}]}}"#)
    }

    fn feature(geometry: &str, properties: &str) -> String {
        format!(r#"{{"type":"Feature","properties":{properties},"geometry":{geometry}}}"#)
    }

    fn collection(features: &[String]) -> String {
        format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(","))
    }

    #[test]
    fn a_feature_collection_gives_one_shape_per_feature_with_its_name() {
        let text = collection(&[
            feature(
                &polygon(SQUARE),
                r#"{"name_en":"Manama","name_ar":"المنامة","population":1}"#,
            ),
            feature(&polygon(SQUARE), r#"{"name":"  ","name_en":"Muharraq"}"#),
            feature(&polygon(SQUARE), r#"{"name":42,"name_ar":null}"#),
            feature(&polygon(SQUARE), "null"),
        ]);
        let names: Vec<_> = parsed(&text).into_iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [Some("المنامة".to_owned()), Some("Muharraq".to_owned()), None, None]
        );
    }

    #[test]
    fn a_single_feature_and_a_bare_geometry_are_accepted() {
        let shapes = parsed(&feature(&polygon(SQUARE), r#"{"name":"Seef"}"#));
        assert_eq!(shapes.len(), 1);
        assert_eq!(shapes[0].name.as_deref(), Some("Seef"));
        let bare = parsed(&polygon(SQUARE));
        assert_eq!(bare[0].name, None);
        assert_eq!(bare[0].geometry, shapes[0].geometry);
        assert!(bare[0].geometry.contains(&Point::new(50.25, 26.25)));
    }

    #[test]
    fn a_multipolygon_keeps_every_polygon_and_hole() {
        let far = "[[51.0,25.0],[51.1,25.0],[51.1,25.1],[51.0,25.0]]";
        let text = format!(r#"{{"type":"MultiPolygon","coordinates":[[{SQUARE},{HOLE}],[{far}]]}}"#);
        let shape = &parsed(&text)[0].geometry;
        assert_eq!(shape.0.len(), 2);
        assert_eq!(shape.0[0].interiors().len(), 1);
        assert!(shape.contains(&Point::new(50.1, 26.1)));
        assert!(!shape.contains(&Point::new(50.25, 26.25)), "in the hole");
        assert!(shape.contains(&Point::new(51.07, 25.02)));
    }

    #[test]
    fn altitudes_are_dropped_and_members_may_come_in_any_order() {
        let text = r#"{"coordinates":[[[0,0,12.5],[1,0,3],[1,1,0],[0,0,12.5]]],"bbox":[0,0,1,1],"type":"Polygon"}"#;
        let shapes = parsed(text);
        assert_eq!(shapes[0].geometry.0[0].exterior().0[1], coord! { x: 1.0, y: 0.0 });
    }

    #[test]
    fn geometry_json_round_trips_and_agrees_with_the_geojson_crate() {
        let text = collection(&[feature(
            &format!(r#"{{"type":"MultiPolygon","coordinates":[[{SQUARE},{HOLE}]]}}"#),
            "{}",
        )]);
        let shape = parsed(&text).remove(0).geometry;
        let stored = geometry_json(&shape);
        assert!(
            stored.starts_with(r#"{"type":"MultiPolygon","coordinates":"#),
            "{stored}"
        );
        assert_eq!(parsed(&stored)[0].geometry, shape);

        let theirs: geojson::GeoJson = text.parse().expect("geojson parses it");
        let geojson::GeoJson::FeatureCollection(collection) = theirs else {
            panic!("not a collection")
        };
        let value = &collection.features[0].geometry.as_ref().expect("geometry").value;
        let converted = MultiPolygon::<f64>::try_from(value).expect("converts");
        assert_eq!(converted, shape);
    }

    #[test]
    fn oversized_text_is_refused_before_it_is_parsed() {
        let text = "x".repeat(MAX_TEXT_BYTES + 1);
        assert_eq!(
            rejected(&text),
            AreaError::TooLarge {
                bytes: MAX_TEXT_BYTES + 1,
                max: MAX_TEXT_BYTES
            }
        );
        assert_eq!(rejected(&text).code(), "too_large");
    }

    #[test]
    fn text_that_is_not_json_is_refused() {
        for text in ["", "{", "nope", r#"{"type":"Polygon"} trailing"#, "{'type':'Polygon'}"] {
            let (code, field, message) = why(text);
            assert_eq!((code, field.as_str()), ("invalid_json", ""), "{text}: {message}");
        }
    }

    #[test]
    fn json_that_is_not_geojson_is_refused() {
        let cases = [
            ("[1,2]", ""),
            ("42", ""),
            (r#""Polygon""#, ""),
            ("{}", "type"),
            (r#"{"type":"Banana"}"#, "type"),
            (r#"{"type":5}"#, "type"),
            (r#"{"type":"FeatureCollection"}"#, "features"),
            (r#"{"type":"FeatureCollection","features":{}}"#, "features"),
            (r#"{"type":"FeatureCollection","features":[5]}"#, "features[0]"),
            (
                r#"{"type":"FeatureCollection","features":[{"type":"Polygon"}]}"#,
                "features[0].type",
            ),
            (r#"{"type":"Feature","properties":5,"geometry":null}"#, "properties"),
            (r#"{"type":"Feature","geometry":"here"}"#, "geometry"),
            (r#"{"type":"Polygon"}"#, "coordinates"),
            (r#"{"type":"Polygon","coordinates":"abc"}"#, "coordinates"),
            (
                r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,"1"],[0,0]]]}"#,
                "coordinates[0][2][1]",
            ),
            (
                r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,true],[0,0]]]}"#,
                "coordinates[0][2][1]",
            ),
            (
                r#"{"type":"Polygon","coordinates":[[[0],[1,0],[1,1],[0]]]}"#,
                "coordinates[0][0]",
            ),
            (
                r#"{"type":"Polygon","coordinates":[[[[0,0]],[1,0],[1,1],[0,0]]]}"#,
                "coordinates[0][0]",
            ),
            (
                r#"{"type":"Polygon","coordinates":[[0,0],[1,0],[1,1],[0,0]]}"#,
                "coordinates[0]",
            ),
            (r#"{"type":"Polygon","coordinates":[0,0]}"#, "coordinates"),
            // The message names the member; the path stops at the object holding it.
            (r#"{"type":"Polygon","type":"Polygon","coordinates":[]}"#, ""),
        ];
        for (text, expected_field) in cases {
            let (code, field, message) = why(text);
            assert_eq!(
                (code, field.as_str()),
                ("not_geojson", expected_field),
                "{text}: {message}"
            );
        }
    }

    #[test]
    fn other_geometry_types_are_refused_by_name() {
        let (code, field, message) = why(r#"{"type":"Point","coordinates":[50,26]}"#);
        assert_eq!((code, field.as_str()), ("unsupported_geometry", ""));
        assert!(message.contains("a Point is not an area"), "{message}");
        let text = collection(&[
            feature(&polygon(SQUARE), "{}"),
            feature(r#"{"type":"LineString","coordinates":[[0,0],[1,1]]}"#, "{}"),
        ]);
        let (code, field, message) = why(&text);
        assert_eq!((code, field.as_str()), ("unsupported_geometry", "features[1].geometry"));
        assert!(message.contains("LineString"), "{message}");
        let text = feature(r#"{"type":"GeometryCollection","geometries":[]}"#, "{}");
        assert_eq!(why(&text).0, "unsupported_geometry");
    }

    #[test]
    fn features_without_geometry_and_empty_collections_are_refused() {
        let cases = [
            (feature("null", "{}"), "missing_geometry", "geometry"),
            (
                r#"{"type":"Feature","properties":{}}"#.to_owned(),
                "missing_geometry",
                "geometry",
            ),
            (collection(&[]), "empty", "features"),
            (
                r#"{"type":"MultiPolygon","coordinates":[]}"#.to_owned(),
                "empty",
                "coordinates",
            ),
            (
                r#"{"type":"Polygon","coordinates":[]}"#.to_owned(),
                "empty",
                "coordinates",
            ),
            (
                format!(r#"{{"type":"MultiPolygon","coordinates":[[{SQUARE}],[]]}}"#),
                "empty",
                "coordinates[1]",
            ),
        ];
        for (text, expected_code, expected_field) in cases {
            let (code, field, message) = why(&text);
            assert_eq!(
                (code, field.as_str()),
                (expected_code, expected_field),
                "{text}: {message}"
            );
        }
    }

    #[test]
    fn positions_out_of_range_are_refused_where_they_are() {
        let ring = |bad: &str| polygon(&format!("[[0,0],[1,0],{bad},[0,0]]"));
        let cases = [
            ("[180.5,1]", "longitude 180.5 is outside [-180, 180]"),
            ("[1,-90.01]", "latitude -90.01 is outside [-90, 90]"),
            ("[1e300,1]", "longitude"),
            ("[99999999999999999999999999,1]", "longitude"),
            ("[-1e-320,91]", "latitude 91"),
        ];
        for (bad, expected) in cases {
            let (code, field, message) = why(&ring(bad));
            assert_eq!((code, field.as_str()), ("out_of_range", "coordinates[0][2]"), "{bad}");
            assert!(message.contains(expected), "{message}");
        }
        // In a collection the path names the feature.
        let text = collection(&[feature(&polygon(SQUARE), "{}"), feature(&ring("[1,100]"), "{}")]);
        assert_eq!(rejected(&text).field(), "features[1].geometry.coordinates[0][2]");
    }

    #[test]
    fn non_finite_numbers_cannot_get_through() {
        for bad in ["[NaN,1]", "[Infinity,1]", "[1e400,1]", "[-1e999,1]"] {
            let text = polygon(&format!("[[0,0],[1,0],{bad},[0,0]]"));
            assert_eq!(why(&text).0, "invalid_json", "{bad}");
        }
    }

    #[test]
    fn rings_must_have_four_positions_and_be_closed() {
        let (code, field, message) = why(&polygon("[[0,0],[1,0],[0,0]]"));
        assert_eq!((code, field.as_str()), ("ring_too_short", "coordinates[0]"));
        assert!(message.contains("has 3"), "{message}");
        let (code, field, _) = why(&polygon(&format!("{SQUARE},[[0,0],[1,0],[1,1],[0,1]]")));
        assert_eq!((code, field.as_str()), ("ring_not_closed", "coordinates[1]"));
    }

    #[test]
    fn names_are_checked_like_any_text_people_read() {
        let long = "م".repeat(MAX_NAME_CHARS + 1);
        let text = collection(&[feature(&polygon(SQUARE), &format!(r#"{{"name_ar":"{long}"}}"#))]);
        let (code, field, _) = why(&text);
        assert_eq!((code, field.as_str()), ("too_long", "features[0].properties.name_ar"));
        let text = feature(&polygon(SQUARE), r#"{"name":"Seef\u202e"}"#);
        assert_eq!(why(&text).0, "forbidden_character");
    }

    #[test]
    fn too_many_vertices_are_refused_while_parsing() {
        let positions = vec!["[1,1]"; MAX_VERTICES + 1].join(",");
        let text = polygon(&format!("[{positions}]"));
        let error = rejected(&text);
        assert_eq!(
            (error.code(), error.field()),
            ("too_many_vertices", "coordinates[0][200000]")
        );
        // Exactly at the limit is fine.
        let positions = vec!["[1,1]"; MAX_VERTICES - 4].join(",");
        let text = polygon(&format!("[[0,0],{positions},[2,1],[2,2],[0,0]]"));
        assert_eq!(parsed(&text)[0].geometry.0[0].exterior().0.len(), MAX_VERTICES);
    }

    #[test]
    fn floods_of_empty_arrays_are_refused_while_parsing() {
        let arrays = vec!["[]"; MAX_ARRAYS + 1].join(",");
        let text = format!(r#"{{"type":"MultiPolygon","coordinates":[{arrays}]}}"#);
        assert_eq!(rejected(&text).code(), "too_many_arrays");
    }

    #[test]
    fn too_many_features_are_refused_while_parsing() {
        let features = vec!["{}"; MAX_FEATURES + 1].join(",");
        let text = format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#);
        let error = rejected(&text);
        assert_eq!((error.code(), error.field()), ("too_many_features", "features"));
    }

    #[test]
    fn deep_nesting_is_refused_without_exhausting_the_stack() {
        let deep = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let text = format!(r#"{{"type":"Polygon","coordinates":{}}}"#, deep(100_000));
        assert_eq!(why(&text).0, "invalid_json");
        // Members that are not kept are skipped by serde_json without recursion, so depth is harmless there.
        let text = feature(
            &polygon(SQUARE),
            &format!(r#"{{"junk":{},"name":"Seef"}}"#, deep(100_000)),
        );
        assert_eq!(parsed(&text)[0].name.as_deref(), Some("Seef"));
        let text = format!(
            r#"{{"type":"Polygon","extra":{},"coordinates":[{SQUARE}]}}"#,
            deep(100_000)
        );
        assert_eq!(parsed(&text).len(), 1);
    }
}
