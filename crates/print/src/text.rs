//! Lines of text as glyph outlines: split into bidi runs (Unicode's algorithm), each run
//! shaped by rustybuzz in the bundled Amiri font, then drawn as paths. The outlines are the
//! same in PNG, SVG and PDF, and no viewer needs the font or a shaper of its own.

use crate::{PathOp, Shape};
use rustybuzz::ttf_parser::{GlyphId, OutlineBuilder};
use rustybuzz::{Direction, Face, UnicodeBuffer};
use std::sync::OnceLock;
use unicode_bidi::BidiInfo;

/// Amiri (SIL Open Font License 1.1; `fonts/OFL.txt`), Arabic and Latin in one face.
pub static FONT: &[u8] = include_bytes!("../fonts/Amiri-Regular.ttf");

pub fn face() -> &'static Face<'static> {
    static FACE: OnceLock<Face<'static>> = OnceLock::new();
    #[allow(clippy::expect_used)]
    FACE.get_or_init(|| Face::from_slice(FONT, 0).expect("the bundled font parses"))
}

/// One shaped glyph: its id, where it starts on the line and how far it moves, in font units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Glyph {
    pub id: u16,
    pub x: f32,
    pub y: f32,
    pub advance: f32,
}

/// Shapes a run of one direction.
fn shape_run(text: &str, rtl: bool, pen: &mut f32, out: &mut Vec<Glyph>) {
    let mut buffer = UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.guess_segment_properties();
    buffer.set_direction(if rtl {
        Direction::RightToLeft
    } else {
        Direction::LeftToRight
    });
    let shaped = rustybuzz::shape(face(), &[], buffer);
    // rustybuzz gives the glyphs of a right-to-left run in visual order already.
    for (info, pos) in shaped.glyph_infos().iter().zip(shaped.glyph_positions()) {
        out.push(Glyph {
            id: u16::try_from(info.glyph_id).unwrap_or(0),
            x: *pen + pos.x_offset as f32,
            y: pos.y_offset as f32,
            advance: pos.x_advance as f32,
        });
        *pen += pos.x_advance as f32;
    }
}

/// The glyphs of one line, left to right as they are seen, and the line's width in font
/// units. `rtl`: the paragraph's direction (Arabic lines are right-to-left, so that a
/// number or a Latin word inside keeps its place).
pub fn shape_line(text: &str, rtl: bool) -> (Vec<Glyph>, f32) {
    let level = if rtl {
        unicode_bidi::Level::rtl()
    } else {
        unicode_bidi::Level::ltr()
    };
    let bidi = BidiInfo::new(text, Some(level));
    let mut glyphs = Vec::new();
    let mut pen = 0.0;
    for paragraph in &bidi.paragraphs {
        let (levels, runs) = bidi.visual_runs(paragraph, paragraph.range.clone());
        for run in runs {
            let rtl = levels[run.start].is_rtl();
            shape_run(&text[run], rtl, &mut pen, &mut glyphs);
        }
    }
    (glyphs, pen)
}

/// Collects a glyph's outline, placed at (`x`, `baseline`) and scaled from font units; the
/// font's y goes up, the scene's goes down.
struct Placed<'a> {
    ops: &'a mut Vec<PathOp>,
    x: f32,
    baseline: f32,
    scale: f32,
}

impl Placed<'_> {
    fn at(&self, x: f32, y: f32) -> (f32, f32) {
        (self.x + x * self.scale, self.baseline - y * self.scale)
    }
}

impl OutlineBuilder for Placed<'_> {
    fn move_to(&mut self, x: f32, y: f32) {
        let p = self.at(x, y);
        self.ops.push(PathOp::Move(p.0, p.1));
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let p = self.at(x, y);
        self.ops.push(PathOp::Line(p.0, p.1));
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let (a, b) = (self.at(x1, y1), self.at(x, y));
        self.ops.push(PathOp::Quad(a.0, a.1, b.0, b.1));
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let (a, b, c) = (self.at(x1, y1), self.at(x2, y2), self.at(x, y));
        self.ops.push(PathOp::Cubic(a.0, a.1, b.0, b.1, c.0, c.1));
    }
    fn close(&mut self) {
        self.ops.push(PathOp::Close);
    }
}

/// How a line is set: its size, the widest it may be, its direction.
#[derive(Debug, Clone, Copy)]
pub struct LineStyle {
    pub size: f32,
    pub max_width: f32,
    pub rtl: bool,
}

/// The most characters of a line that is printed; longer text ends in an ellipsis.
const MAX_CHARS: usize = 80;

/// Where a line stands against its x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Its left end at x.
    Left,
    /// Its middle at x.
    Centre,
    /// Its right end at x.
    Right,
}

/// A line of text as one filled path, centred on `centre_x` with its baseline at
/// `baseline`; shrunk to fit `max_width`. Returns the shape and the size it was set at.
pub fn line(text: &str, centre_x: f32, baseline: f32, style: LineStyle) -> (Shape, f32) {
    line_aligned(text, centre_x, baseline, style, Align::Centre)
}

/// A line of text as one filled path standing against `x` as `align` says, its baseline at
/// `baseline`; shrunk to fit `max_width`. Returns the shape and the size it was set at.
pub fn line_aligned(text: &str, x: f32, baseline: f32, style: LineStyle, align: Align) -> (Shape, f32) {
    let text: String = if text.chars().count() > MAX_CHARS {
        text.chars().take(MAX_CHARS - 1).chain(['…']).collect()
    } else {
        text.to_owned()
    };
    let face = face();
    let (glyphs, width) = shape_line(&text, style.rtl);
    let mut scale = style.size / (face.units_per_em() as f32);
    if width * scale > style.max_width && width > 0.0 {
        scale = style.max_width / width;
    }
    let left = match align {
        Align::Left => x,
        Align::Centre => x - width * scale / 2.0,
        Align::Right => x - width * scale,
    };
    let mut ops = Vec::new();
    for g in &glyphs {
        let mut placed = Placed {
            ops: &mut ops,
            x: left + g.x * scale,
            baseline: baseline - g.y * scale,
            scale,
        };
        face.outline_glyph(GlyphId(g.id), &mut placed);
    }
    (Shape::Path(ops), scale * (face.units_per_em() as f32))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str, rtl: bool) -> Vec<u16> {
        shape_line(text, rtl).0.iter().map(|g| g.id).collect()
    }

    #[test]
    fn arabic_letters_take_their_joined_forms() {
        // ب alone is its isolated form; in بببب it is initial, medial (twice) and final.
        let isolated = ids("ب", true);
        assert_eq!(isolated.len(), 1);
        let joined = ids("بببب", true);
        assert_eq!(joined.len(), 4);
        // Visual order is left to right, so the final form is first and the initial last.
        let (last, medial, first) = (joined[0], joined[1], joined[3]);
        for form in [first, medial, last] {
            assert_ne!(
                form, isolated[0],
                "a joined form differs from the isolated one: {joined:?}"
            );
        }
        assert_ne!(first, last);
        assert_ne!(first, medial);
        assert!(joined.iter().all(|g| *g != 0), "no missing glyphs: {joined:?}");
    }

    #[test]
    fn lam_alef_is_not_set_as_two_isolated_letters() {
        let isolated = [ids("ا", true)[0], ids("ل", true)[0]];
        let ligature = ids("لا", true);
        assert_ne!(ligature, isolated, "lam-alef is not two isolated letters");
    }

    #[test]
    fn numbers_in_an_arabic_line_keep_their_order() {
        // "عمود 1042": the digits stay 1-0-4-2 left to right although the line runs right to left.
        let (glyphs, _) = shape_line("عمود 1042", true);
        let digits: Vec<u16> = "1042".chars().map(|c| ids(&c.to_string(), false)[0]).collect();
        let seen: Vec<u16> = glyphs.iter().map(|g| g.id).filter(|id| digits.contains(id)).collect();
        assert_eq!(seen, digits);
        // And the Arabic word comes after them visually (to their right).
        let first_arabic = glyphs
            .iter()
            .position(|g| !digits.contains(&g.id) && g.id != ids(" ", false)[0]);
        let first_digit = glyphs.iter().position(|g| digits.contains(&g.id));
        assert!(first_digit < first_arabic, "{glyphs:?}");
    }

    #[test]
    fn latin_text_has_glyphs_in_the_font() {
        let glyphs = ids("Scan to report", false);
        assert_eq!(glyphs.len(), "Scan to report".len());
        assert!(glyphs.iter().all(|g| *g != 0));
    }

    #[test]
    fn a_long_line_is_shrunk_to_fit_and_cut_with_an_ellipsis() {
        let long = "ن".repeat(500);
        let style = LineStyle {
            size: 20.0,
            max_width: 100.0,
            rtl: true,
        };
        let (shape, size) = line(&long, 50.0, 30.0, style);
        assert!(size < 20.0);
        let Shape::Path(ops) = shape else { panic!("a path") };
        let xs = ops.iter().filter_map(|op| match op {
            PathOp::Move(x, _) | PathOp::Line(x, _) => Some(*x),
            _ => None,
        });
        let (min, max) = xs.fold((f32::MAX, f32::MIN), |(a, b), x| (a.min(x), b.max(x)));
        assert!(min >= -1.0 && max <= 101.0, "{min}..{max}");
    }
}
