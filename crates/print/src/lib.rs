//! Printed text and shapes: a line of Arabic or English set as glyph outlines (`text`: bidi
//! runs shaped by rustybuzz in the bundled Amiri font), so that every viewer shows it the same
//! without the font; and those shapes drawn into a PDF page (`pdf`). The QR labels and the
//! monthly performance report are printed with it.

pub mod pdf;
pub mod text;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PathOp {
    Move(f32, f32),
    Line(f32, f32),
    Quad(f32, f32, f32, f32),
    Cubic(f32, f32, f32, f32, f32, f32),
    Close,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A filled rectangle (a run of dark QR modules, a rule of a table): x, y, width, height.
    Rect(f32, f32, f32, f32),
    /// Glyph outlines, filled with the non-zero rule.
    Path(Vec<PathOp>),
}
