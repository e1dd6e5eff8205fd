//! Which area contains a point: an R-tree over polygon bounding boxes narrows thousands of areas
//! to the few whose box holds the point, and only those are tested exactly.

use geo::{Area as _, BoundingRect, Intersects, MultiPolygon, Point, Relate};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// An area as stored: the polygons one entity serves.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    pub id: i64,
    pub entity_id: i64,
    pub geometry: MultiPolygon<f64>,
}

/// (index into `areas`, index of the polygon within that area's geometry).
type Entry = GeomWithData<Rectangle<[f64; 2]>, (usize, usize)>;

/// The areas of every entity, built once and then only read (it is `Send + Sync`).
#[derive(Debug)]
pub struct AreaIndex {
    areas: Vec<Area>,
    /// Planar size of each area (in square degrees: only ever compared between areas that
    /// overlap, so the projection does not matter).
    sizes: Vec<f64>,
    /// One entry per polygon rather than per area, so that an area of scattered islands is
    /// tested only where one of them lies.
    tree: RTree<Entry>,
}

impl AreaIndex {
    pub fn build(areas: Vec<Area>) -> Self {
        let sizes = areas.iter().map(|a| a.geometry.unsigned_area()).collect();
        let entries = areas
            .iter()
            .enumerate()
            .flat_map(|(a, area)| {
                area.geometry.iter().enumerate().filter_map(move |(p, polygon)| {
                    let rect = polygon.bounding_rect()?;
                    let corners = Rectangle::from_corners(rect.min().into(), rect.max().into());
                    Some(Entry::new(corners, (a, p)))
                })
            })
            .collect();
        Self {
            areas,
            sizes,
            tree: RTree::bulk_load(entries),
        }
    }

    /// The area containing the point (lon, lat); when areas overlap, the smallest (most
    /// specific) one, ties by lowest id. A point on an area's boundary (or on the boundary of one
    /// of its holes) is in the area, so a point on a border shared by two areas still has one.
    pub fn locate(&self, lon: f64, lat: f64) -> Option<&Area> {
        let point = Point::new(lon, lat);
        let mut best: Option<usize> = None;
        for entry in self.tree.locate_all_at_point(&[lon, lat]) {
            let (a, p) = entry.data;
            // Cheap ordering first: most candidates cannot beat the best found so far.
            if best.is_some_and(|b| self.order(a, b) != Ordering::Less) {
                continue;
            }
            if self.areas[a].geometry.0[p].intersects(&point) {
                best = Some(a);
            }
        }
        best.map(|a| &self.areas[a])
    }

    /// The areas that share ground with `geometry`, each once, by their order in the index.
    /// Areas that only touch it (a shared border, a corner) do not overlap: neighbours drawn
    /// edge to edge are the normal case.
    pub fn overlapping(&self, geometry: &MultiPolygon<f64>) -> Vec<&Area> {
        let mut found = BTreeSet::new();
        for polygon in geometry {
            let Some(rect) = polygon.bounding_rect() else {
                continue;
            };
            let envelope = AABB::from_corners(rect.min().into(), rect.max().into());
            for entry in self.tree.locate_in_envelope_intersecting(&envelope) {
                let (a, p) = entry.data;
                if found.contains(&a) {
                    continue;
                }
                let relation = polygon.relate(&self.areas[a].geometry.0[p]);
                if relation.is_intersects() && !relation.is_touches() {
                    found.insert(a);
                }
            }
        }
        found.into_iter().map(|a| &self.areas[a]).collect()
    }

    pub fn len(&self) -> usize {
        self.areas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// Smaller first, then lower id.
    fn order(&self, a: usize, b: usize) -> Ordering {
        self.sizes[a]
            .total_cmp(&self.sizes[b])
            .then(self.areas[a].id.cmp(&self.areas[b].id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{coord, LineString, Polygon};
    use proptest::prelude::*;

    fn ring(points: &[(f64, f64)]) -> LineString<f64> {
        let mut coords: Vec<_> = points.iter().map(|&(x, y)| coord! { x: x, y: y }).collect();
        coords.push(coords[0]);
        LineString(coords)
    }

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
        Polygon::new(ring(&[(x0, y0), (x1, y0), (x1, y1), (x0, y1)]), vec![])
    }

    fn area(id: i64, polygons: Vec<Polygon<f64>>) -> Area {
        Area {
            id,
            entity_id: id * 10,
            geometry: MultiPolygon(polygons),
        }
    }

    fn located(index: &AreaIndex, lon: f64, lat: f64) -> Option<i64> {
        index.locate(lon, lat).map(|a| a.id)
    }

    #[test]
    fn overlapping_finds_shared_ground_but_not_a_shared_border() {
        let index = AreaIndex::build(vec![
            area(1, vec![square(0.0, 0.0, 10.0, 10.0)]),
            // Two islands, the second far away: found by its island alone.
            area(2, vec![square(20.0, 0.0, 30.0, 10.0), square(50.0, 50.0, 51.0, 51.0)]),
            area(3, vec![square(-5.0, -5.0, -1.0, -1.0)]),
        ]);
        let ids =
            |g: Vec<Polygon<f64>>| -> Vec<i64> { index.overlapping(&MultiPolygon(g)).iter().map(|a| a.id).collect() };
        assert_eq!(ids(vec![square(5.0, 5.0, 25.0, 6.0)]), vec![1, 2], "a strip across two");
        assert_eq!(
            ids(vec![square(2.0, 2.0, 3.0, 3.0)]),
            vec![1],
            "a tiny polygon inside one"
        );
        assert_eq!(
            ids(vec![square(-20.0, -20.0, 100.0, 100.0)]),
            vec![1, 2, 3],
            "one around all"
        );
        assert_eq!(
            ids(vec![square(50.5, 50.5, 52.0, 52.0)]),
            vec![2],
            "over the far island"
        );
        assert!(
            ids(vec![square(10.0, 0.0, 20.0, 10.0)]).is_empty(),
            "edge to edge between 1 and 2"
        );
        assert!(ids(vec![square(10.0, 10.0, 12.0, 12.0)]).is_empty(), "a shared corner");
        assert!(ids(vec![square(100.0, 100.0, 101.0, 101.0)]).is_empty(), "far away");
    }

    #[test]
    fn is_send_and_sync() {
        fn shared<T: Send + Sync>() {}
        shared::<AreaIndex>();
    }

    #[test]
    fn a_point_inside_a_polygon_is_located_and_one_outside_is_not() {
        let index = AreaIndex::build(vec![area(1, vec![square(50.0, 26.0, 50.5, 26.5)])]);
        assert_eq!(located(&index, 50.2, 26.2), Some(1));
        assert_eq!(located(&index, 50.6, 26.2), None);
        assert_eq!(located(&index, f64::NAN, 26.2), None);
        assert_eq!(index.len(), 1);
        assert!(!index.is_empty());
        assert!(AreaIndex::build(vec![]).is_empty());
    }

    #[test]
    fn a_point_in_a_hole_is_outside_and_the_holes_edge_is_inside() {
        let with_hole = Polygon::new(
            ring(&[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]),
            vec![ring(&[(4.0, 4.0), (6.0, 4.0), (6.0, 6.0), (4.0, 6.0)])],
        );
        let index = AreaIndex::build(vec![area(1, vec![with_hole])]);
        assert_eq!(located(&index, 5.0, 5.0), None);
        assert_eq!(located(&index, 2.0, 5.0), Some(1));
        assert_eq!(located(&index, 4.0, 5.0), Some(1));
    }

    #[test]
    fn a_point_on_a_shared_border_goes_to_one_of_the_areas() {
        let index = AreaIndex::build(vec![
            area(2, vec![square(0.0, 0.0, 1.0, 1.0)]),
            area(1, vec![square(1.0, 0.0, 2.0, 1.0)]),
        ]);
        assert_eq!(located(&index, 1.0, 0.5), Some(1), "same size: lowest id");
    }

    #[test]
    fn overlapping_areas_give_the_smallest_then_the_lowest_id() {
        let index = AreaIndex::build(vec![
            area(1, vec![square(0.0, 0.0, 10.0, 10.0)]),
            area(2, vec![square(2.0, 2.0, 4.0, 4.0)]),
            area(4, vec![square(3.0, 3.0, 3.5, 3.5)]),
            area(3, vec![square(3.0, 3.0, 3.5, 3.5)]),
        ]);
        assert_eq!(located(&index, 3.2, 3.2), Some(3));
        assert_eq!(located(&index, 2.5, 2.5), Some(2));
        assert_eq!(located(&index, 8.0, 8.0), Some(1));
    }

    #[test]
    fn every_polygon_of_a_multipolygon_counts_and_the_gap_between_does_not() {
        let index = AreaIndex::build(vec![area(
            7,
            vec![square(0.0, 0.0, 1.0, 1.0), square(5.0, 5.0, 6.0, 6.0)],
        )]);
        assert_eq!(located(&index, 0.5, 0.5), Some(7));
        assert_eq!(located(&index, 5.5, 5.5), Some(7));
        assert_eq!(located(&index, 3.0, 3.0), None);
    }

    /// The specification `locate` must meet, written as plainly as possible.
    fn brute_force(areas: &[Area], lon: f64, lat: f64) -> Option<i64> {
        let point = Point::new(lon, lat);
        areas
            .iter()
            .filter(|a| a.geometry.intersects(&point))
            .min_by(|a, b| {
                let by_size = a.geometry.unsigned_area().total_cmp(&b.geometry.unsigned_area());
                by_size.then(a.id.cmp(&b.id))
            })
            .map(|a| a.id)
    }

    /// A star-shaped polygon around a centre (irregular, possibly concave), sometimes with a hole.
    fn star() -> impl Strategy<Value = Polygon<f64>> {
        (
            0.0..10.0f64,
            0.0..10.0f64,
            prop::collection::vec(0.2..3.0f64, 3..12),
            any::<bool>(),
        )
            .prop_map(|(cx, cy, radii, hole)| {
                let n = radii.len() as f64;
                let outline = |scale: f64| -> Vec<(f64, f64)> {
                    radii
                        .iter()
                        .enumerate()
                        .map(|(i, r)| {
                            let angle = std::f64::consts::TAU * i as f64 / n;
                            (cx + scale * r * angle.cos(), cy + scale * r * angle.sin())
                        })
                        .collect()
                };
                // The hole is the outline scaled down about the centre, so it lies inside.
                let holes = if hole { vec![ring(&outline(0.4))] } else { vec![] };
                Polygon::new(ring(&outline(1.0)), holes)
            })
    }

    fn rectangle() -> impl Strategy<Value = Polygon<f64>> {
        (0.0..10.0f64, 0.0..10.0f64, 0.1..5.0f64, 0.1..5.0f64).prop_map(|(x, y, w, h)| square(x, y, x + w, y + h))
    }

    fn areas() -> impl Strategy<Value = Vec<Area>> {
        let polygons = prop::collection::vec(prop_oneof![rectangle(), star()], 1..3);
        prop::collection::vec((0..20i64, polygons), 0..40)
            .prop_map(|list| list.into_iter().map(|(id, polygons)| area(id, polygons)).collect())
    }

    proptest! {
        #[test]
        fn locate_agrees_with_a_scan_of_every_area(
            areas in areas(),
            points in prop::collection::vec((-1.0..14.0f64, -1.0..14.0f64), 1..30),
        ) {
            let index = AreaIndex::build(areas.clone());
            for (lon, lat) in points {
                prop_assert_eq!(located(&index, lon, lat), brute_force(&areas, lon, lat), "at ({}, {})", lon, lat);
            }
        }

        #[test]
        fn locate_agrees_on_vertices_and_edges(areas in areas()) {
            // Boundary points are where bounding boxes and exact tests are most likely to disagree.
            let index = AreaIndex::build(areas.clone());
            for a in &areas {
                for polygon in &a.geometry {
                    for line in polygon.exterior().lines() {
                        for (lon, lat) in [(line.start.x, line.start.y), ((line.start.x + line.end.x) / 2.0, (line.start.y + line.end.y) / 2.0)] {
                            prop_assert_eq!(located(&index, lon, lat), brute_force(&areas, lon, lat));
                        }
                    }
                }
            }
        }
    }
}
