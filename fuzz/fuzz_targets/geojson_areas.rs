//! GeoJSON area import (`tawasul area import`, the areas' admin API): the text parsed into
//! named shapes, each of which is stored as GeoJSON and must read back as the same shape.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tawasul_routing::{geometry_json, parse_areas};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(shapes) = parse_areas(text) else {
        return;
    };
    assert!(!shapes.is_empty() && shapes.len() <= text.len());
    for shape in &shapes {
        let stored = geometry_json(&shape.geometry);
        let back = parse_areas(&stored).unwrap_or_else(|e| panic!("{stored} does not read back: {e}"));
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].geometry, shape.geometry, "{stored} read back differently");
    }
});
