//! Shapes drawn into a PDF page's content stream.

use crate::{PathOp, Shape};

pub fn draw(content: &mut pdf_writer::Content, shapes: &[Shape]) {
    for shape in shapes {
        match shape {
            Shape::Rect(x, y, w, h) => {
                content.rect(*x, *y, *w, *h);
            }
            Shape::Path(ops) => {
                let mut at = (0.0, 0.0);
                for op in ops {
                    match *op {
                        PathOp::Move(x, y) => {
                            content.move_to(x, y);
                            at = (x, y);
                        }
                        PathOp::Line(x, y) => {
                            content.line_to(x, y);
                            at = (x, y);
                        }
                        PathOp::Quad(x1, y1, x, y) => {
                            // A quadratic curve as the cubic PDF knows.
                            let c1 = (at.0 + 2.0 / 3.0 * (x1 - at.0), at.1 + 2.0 / 3.0 * (y1 - at.1));
                            let c2 = (x + 2.0 / 3.0 * (x1 - x), y + 2.0 / 3.0 * (y1 - y));
                            content.cubic_to(c1.0, c1.1, c2.0, c2.1, x, y);
                            at = (x, y);
                        }
                        PathOp::Cubic(x1, y1, x2, y2, x, y) => {
                            content.cubic_to(x1, y1, x2, y2, x, y);
                            at = (x, y);
                        }
                        PathOp::Close => {
                            content.close_path();
                        }
                    }
                }
            }
        }
    }
    content.fill_nonzero();
}

/// A4, in points.
pub const A4: (f32, f32) = (595.0, 842.0);

/// A document of pages of shapes, each page laid out y down from its top-left corner in
/// points, with its title in the document's information.
pub fn document(title: &str, pages: &[Vec<Shape>], size: (f32, f32)) -> Vec<u8> {
    use pdf_writer::{Pdf, Rect, Ref, TextStr};
    let mut pdf = Pdf::new();
    let (catalog, tree, info) = (Ref::new(1), Ref::new(2), Ref::new(3));
    let ids: Vec<(Ref, Ref)> = (0..pages.len())
        .map(|i| {
            let n = 4 + 2 * i32::try_from(i).unwrap_or(i32::MAX / 2 - 4);
            (Ref::new(n), Ref::new(n + 1))
        })
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(ids.iter().map(|p| p.0))
        .count(i32::try_from(pages.len()).unwrap_or(i32::MAX));
    pdf.document_info(info).title(TextStr(title));
    for (shapes, (page_id, content_id)) in pages.iter().zip(&ids) {
        let mut content = pdf_writer::Content::new();
        content.save_state();
        // The shapes' y runs down from the top.
        content.transform([1.0, 0.0, 0.0, -1.0, 0.0, size.1]);
        content.set_fill_gray(0.0);
        draw(&mut content, shapes);
        content.restore_state();
        pdf.page(*page_id)
            .media_box(Rect::new(0.0, 0.0, size.0, size.1))
            .parent(tree)
            .contents(*content_id);
        pdf.stream(*content_id, &content.finish());
    }
    pdf.finish()
}
