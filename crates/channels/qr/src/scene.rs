//! A label as black shapes on white, in units (a PNG pixel at scale 1, a PDF point), y down:
//! drawn the same way into PNG, SVG and PDF.

use crate::{Label, QrError, INSTRUCTION_AR, INSTRUCTION_EN};
use qrcode::{Color, EcLevel, QrCode};
use tawasul_print::text::{line, LineStyle};
pub(crate) use tawasul_print::{PathOp, Shape};

#[derive(Debug, Clone)]
pub(crate) struct Scene {
    pub width: f32,
    pub height: f32,
    pub shapes: Vec<Shape>,
}

/// Width of a label, in units.
pub(crate) const WIDTH: f32 = 420.0;
const MARGIN: f32 = 24.0;
/// Modules of white around the code, as the QR specification asks.
const QUIET: usize = 4;
/// The side the code aims at; each module is a whole number of units, so that a PNG at an
/// integer scale has sharp modules.
const CODE_SIDE: f32 = 300.0;

pub(crate) fn layout(label: &Label) -> Result<Scene, QrError> {
    let code = QrCode::with_error_correction_level(label.url.as_bytes(), EcLevel::M)
        .map_err(|e| QrError::Code(e.to_string()))?;
    let modules = code.width();
    let module = (CODE_SIDE / (modules + 2 * QUIET) as f32).floor().max(2.0);
    let side = module * (modules + 2 * QUIET) as f32;
    let width = WIDTH.max(side + 2.0 * MARGIN);
    let centre = width / 2.0;
    let text_width = width - 2.0 * MARGIN;
    let mut shapes = Vec::new();
    let mut y = MARGIN;
    let text = |shapes: &mut Vec<Shape>, y: &mut f32, s: &str, size: f32, rtl: bool| {
        if s.trim().is_empty() {
            return;
        }
        let style = LineStyle {
            size,
            max_width: text_width,
            rtl,
        };
        // Amiri's ascent is about 1.1 em and its descent 0.6 em (Arabic marks reach far).
        let (shape, set) = line(s, centre, *y + size * 1.1, style);
        shapes.push(shape);
        *y += set.max(size * 0.6) * 1.1 + size * 0.55;
    };
    text(&mut shapes, &mut y, &label.entity_ar, 26.0, true);
    text(&mut shapes, &mut y, &label.entity_en, 17.0, false);
    let left = centre - side / 2.0;
    let top = y;
    let colors = code.to_colors();
    for row in 0..modules {
        let mut col = 0;
        while col < modules {
            if colors[row * modules + col] == Color::Dark {
                let start = col;
                while col < modules && colors[row * modules + col] == Color::Dark {
                    col += 1;
                }
                shapes.push(Shape::Rect(
                    left + module * (QUIET + start) as f32,
                    top + module * (QUIET + row) as f32,
                    module * (col - start) as f32,
                    module,
                ));
            } else {
                col += 1;
            }
        }
    }
    y = top + side;
    text(&mut shapes, &mut y, &label.point_ar, 20.0, true);
    if label.point_en != label.point_ar {
        text(&mut shapes, &mut y, &label.point_en, 15.0, false);
    }
    y += 4.0;
    text(&mut shapes, &mut y, INSTRUCTION_AR, 20.0, true);
    text(&mut shapes, &mut y, INSTRUCTION_EN, 15.0, false);
    text(&mut shapes, &mut y, &label.code, 12.0, false);
    Ok(Scene {
        width,
        height: (y + MARGIN - 8.0).ceil(),
        shapes,
    })
}
