//! Printable QR codes of service points ("we come to you"): a label with the entity's name,
//! the code of the point's link, the point's name and a short instruction in Arabic and
//! English, as PNG or SVG, and a batch of labels as a PDF sheet for printing.
//!
//! Text is shaped (rustybuzz, with Unicode's bidi algorithm) in the bundled Amiri font and
//! drawn as outlines, so every output looks the same everywhere and none depends on a font
//! or a shaper of the viewer. Names are only ever drawn as outlines or written as escaped
//! text, so a name holding markup stays text.

mod scene;

use scene::{layout, PathOp, Shape};

/// What a resident is asked to do, under every code.
pub const INSTRUCTION_AR: &str = "امسح الرمز لتقديم بلاغ عن هذا الموقع";
pub const INSTRUCTION_EN: &str = "Scan to report a problem at this place";

/// One point's label. The texts are printed as given (names are checked where points are
/// added); the URL is what the code holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub url: String,
    pub code: String,
    pub entity_ar: String,
    pub entity_en: String,
    pub point_ar: String,
    pub point_en: String,
}

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("the link does not fit in a QR code: {0}")]
    Code(String),
    #[error("could not draw the label: {0}")]
    Draw(String),
    #[error("a sheet needs at least one label")]
    Empty,
}

/// The label of a service point whose code opens `base_url` + `/p/{code}`.
pub fn point_label(point: &tawasul_app::rows::PointRow, base_url: &str) -> Label {
    Label {
        url: format!(
            "{}{}",
            base_url.trim_end_matches('/'),
            tawasul_app::catalogue::points::point_path(&point.code)
        ),
        code: point.code.clone(),
        entity_ar: point.entity_name_ar.clone(),
        entity_en: point.entity_name_en.clone(),
        point_ar: point.name_ar.clone(),
        point_en: point.name_en.clone(),
    }
}

/// The output formats, by the file name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
    Pdf,
}

impl Format {
    /// `.png`, `.svg` or `.pdf` (any case); `None` otherwise.
    pub fn of_file_name(name: &str) -> Option<Self> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "png" => Some(Format::Png),
            "svg" => Some(Format::Svg),
            "pdf" => Some(Format::Pdf),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Svg => "image/svg+xml",
            Format::Pdf => "application/pdf",
        }
    }
}

/// Pixels per unit of a PNG label: 420 units become 1,260 pixels, about 10 cm at 300 dpi.
const PNG_SCALE: f32 = 3.0;

/// One label as a PNG image.
pub fn png(label: &Label) -> Result<Vec<u8>, QrError> {
    let scene = layout(label)?;
    let draw = |e: &str| QrError::Draw(e.to_owned());
    let (w, h) = (
        (scene.width * PNG_SCALE).ceil() as u32,
        (scene.height * PNG_SCALE).ceil() as u32,
    );
    let mut pixmap = tiny_skia::Pixmap::new(w, h).ok_or_else(|| draw("empty image"))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let mut paint = tiny_skia::Paint::default();
    paint.set_color_rgba8(0, 0, 0, 255);
    let scale = tiny_skia::Transform::from_scale(PNG_SCALE, PNG_SCALE);
    for shape in &scene.shapes {
        match shape {
            Shape::Rect(x, y, rw, rh) => {
                paint.anti_alias = false;
                if let Some(rect) = tiny_skia::Rect::from_xywh(*x, *y, *rw, *rh) {
                    pixmap.fill_rect(rect, &paint, scale, None);
                }
            }
            Shape::Path(ops) => {
                paint.anti_alias = true;
                let mut pb = tiny_skia::PathBuilder::new();
                for op in ops {
                    match *op {
                        PathOp::Move(x, y) => pb.move_to(x, y),
                        PathOp::Line(x, y) => pb.line_to(x, y),
                        PathOp::Quad(x1, y1, x, y) => pb.quad_to(x1, y1, x, y),
                        PathOp::Cubic(x1, y1, x2, y2, x, y) => pb.cubic_to(x1, y1, x2, y2, x, y),
                        PathOp::Close => pb.close(),
                    }
                }
                if let Some(path) = pb.finish() {
                    pixmap.fill_path(&path, &paint, tiny_skia::FillRule::Winding, scale, None);
                }
            }
        }
    }
    pixmap.encode_png().map_err(|e| QrError::Draw(e.to_string()))
}

/// Text for XML: the five characters with a meaning escaped, control characters dropped.
fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn svg_path(ops: &[PathOp], d: &mut String) {
    use std::fmt::Write;
    for op in ops {
        let _ = match *op {
            PathOp::Move(x, y) => write!(d, "M{x:.2} {y:.2}"),
            PathOp::Line(x, y) => write!(d, "L{x:.2} {y:.2}"),
            PathOp::Quad(x1, y1, x, y) => write!(d, "Q{x1:.2} {y1:.2} {x:.2} {y:.2}"),
            PathOp::Cubic(x1, y1, x2, y2, x, y) => write!(d, "C{x1:.2} {y1:.2} {x2:.2} {y2:.2} {x:.2} {y:.2}"),
            PathOp::Close => write!(d, "Z"),
        };
    }
}

/// One label as an SVG document. Its title (for screen readers and file browsers) holds
/// the names as escaped text; what is seen is outlines.
pub fn svg(label: &Label) -> Result<String, QrError> {
    use std::fmt::Write;
    let scene = layout(label)?;
    let (w, h) = (scene.width, scene.height);
    let mut out = String::new();
    let title = format!(
        "{} — {} · {} — {}",
        label.entity_ar, label.point_ar, label.entity_en, label.point_en
    );
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\">\
         <title>{}</title><desc>{}</desc>\
         <rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>",
        xml_text(&title),
        xml_text(&label.url)
    );
    let mut modules = String::new();
    for shape in &scene.shapes {
        match shape {
            Shape::Rect(x, y, rw, rh) => {
                let _ = write!(modules, "M{x} {y}h{rw}v{rh}h-{rw}z");
            }
            Shape::Path(ops) => {
                let mut d = String::new();
                svg_path(ops, &mut d);
                if !d.is_empty() {
                    let _ = write!(out, "<path d=\"{d}\" fill=\"#000\"/>");
                }
            }
        }
    }
    let _ = write!(
        out,
        "<path d=\"{modules}\" fill=\"#000\" shape-rendering=\"crispEdges\"/></svg>"
    );
    Ok(out)
}

/// A4 in points.
const PAGE: (f32, f32) = (595.0, 842.0);
const SHEET_MARGIN: f32 = 28.0;
/// Labels per page: two across, two down.
const ACROSS: usize = 2;
const DOWN: usize = 2;

/// Labels on A4 pages, four to a page, each with a link to its URL; for printing a batch.
pub fn pdf(labels: &[Label]) -> Result<Vec<u8>, QrError> {
    use pdf_writer::{Finish, Pdf, Rect, Ref, Str, TextStr};
    if labels.is_empty() {
        return Err(QrError::Empty);
    }
    let scenes = labels.iter().map(layout).collect::<Result<Vec<_>, _>>()?;
    let per_page = ACROSS * DOWN;
    let pages = scenes.len().div_ceil(per_page);
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let mut next = 3;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let page_ids: Vec<(Ref, Ref)> = (0..pages).map(|_| (alloc(), alloc())).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().map(|p| p.0))
        .count(i32::try_from(pages).unwrap_or(i32::MAX));
    pdf.document_info(alloc())
        .title(TextStr("Tawasul — QR service points / نقاط الخدمة"));
    let cell = (
        (PAGE.0 - 2.0 * SHEET_MARGIN) / ACROSS as f32,
        (PAGE.1 - 2.0 * SHEET_MARGIN) / DOWN as f32,
    );
    for (p, (page_id, content_id)) in page_ids.iter().enumerate() {
        let mut content = pdf_writer::Content::new();
        let mut links = Vec::new();
        for (i, (scene, label)) in scenes.iter().zip(labels).skip(p * per_page).take(per_page).enumerate() {
            let (col, row) = (i % ACROSS, i / ACROSS);
            let s = ((cell.0 - 12.0) / scene.width).min((cell.1 - 12.0) / scene.height);
            let (w, h) = (scene.width * s, scene.height * s);
            let x = SHEET_MARGIN + col as f32 * cell.0 + (cell.0 - w) / 2.0;
            let top = PAGE.1 - SHEET_MARGIN - row as f32 * cell.1 - (cell.1 - h) / 2.0;
            content.save_state();
            // The scene's y runs down: flip it, from the label's top-left corner.
            content.transform([s, 0.0, 0.0, -s, x, top]);
            content.set_stroke_gray(0.75);
            content.set_line_width(0.5 / s);
            content.rect(0.0, 0.0, scene.width, scene.height);
            content.stroke();
            content.set_fill_gray(0.0);
            tawasul_print::pdf::draw(&mut content, &scene.shapes);
            content.restore_state();
            links.push((Rect::new(x, top - h, x + w, top), label.url.clone()));
        }
        let link_ids: Vec<Ref> = links.iter().map(|_| alloc()).collect();
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE.0, PAGE.1))
            .parent(tree)
            .contents(*content_id);
        page.annotations(link_ids.iter().copied());
        page.finish();
        for ((rect, url), id) in links.iter().zip(&link_ids) {
            let mut annotation = pdf.annotation(*id);
            annotation.subtype(pdf_writer::types::AnnotationType::Link).rect(*rect);
            annotation
                .action()
                .action_type(pdf_writer::types::ActionType::Uri)
                .uri(Str(url.as_bytes()));
            annotation.finish();
        }
        pdf.stream(*content_id, &content.finish());
    }
    Ok(pdf.finish())
}

/// The label in `format`; a PDF holds the one label on a sheet.
pub fn render(label: &Label, format: Format) -> Result<Vec<u8>, QrError> {
    match format {
        Format::Png => png(label),
        Format::Svg => svg(label).map(String::into_bytes),
        Format::Pdf => pdf(std::slice::from_ref(label)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(name: &str) -> Label {
        Label {
            url: "https://tawasul.example.bh/p/k7m3q9x2".into(),
            code: "k7m3q9x2".into(),
            entity_ar: "أمانة العاصمة".into(),
            entity_en: "Capital Municipality".into(),
            point_ar: name.into(),
            point_en: "Street light 1042".into(),
        }
    }

    /// Every QR code rqrr finds in a PNG, decoded.
    fn decode_png(bytes: &[u8]) -> Vec<String> {
        let pixmap = tiny_skia::Pixmap::decode_png(bytes).expect("a PNG");
        let (w, h) = (pixmap.width() as usize, pixmap.height() as usize);
        let data = pixmap.data();
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| data[(y * w + x) * 4]);
        img.detect_grids()
            .into_iter()
            .map(|g| g.decode().expect("the code decodes").1)
            .collect()
    }

    #[test]
    fn a_png_label_decodes_to_its_link() {
        let bytes = png(&label("عمود إنارة ١٠٤٢")).expect("png");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(decode_png(&bytes), ["https://tawasul.example.bh/p/k7m3q9x2"]);
    }

    #[test]
    fn the_text_is_drawn_not_just_the_code() {
        // The same label without names has fewer dark pixels than with them.
        let with = tiny_skia::Pixmap::decode_png(&png(&label("عمود إنارة ١٠٤٢")).expect("png")).expect("decode");
        let bare = Label {
            entity_ar: String::new(),
            entity_en: String::new(),
            point_ar: String::new(),
            point_en: String::new(),
            ..label("")
        };
        let without = tiny_skia::Pixmap::decode_png(&png(&bare).expect("png")).expect("decode");
        let dark = |p: &tiny_skia::Pixmap| p.data().chunks(4).filter(|px| px[0] < 128).count();
        assert!(
            dark(&with) > dark(&without) + 1000,
            "{} vs {}",
            dark(&with),
            dark(&without)
        );
    }

    #[test]
    fn a_hostile_name_is_inert_in_svg() {
        let hostile = "<script>alert(1)</script>\"&'";
        let svg = svg(&Label {
            entity_en: hostile.into(),
            ..label(hostile)
        })
        .expect("svg");
        assert!(!svg.contains("<script"), "{}", &svg[..400]);
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&apos;"));
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert_eq!(svg.matches("<svg").count(), 1);
    }

    #[test]
    fn a_sheet_has_a_page_for_every_four_labels_and_a_link_for_each() {
        let labels: Vec<Label> = (0..5).map(|i| label(&format!("عمود {i}"))).collect();
        let bytes = pdf(&labels).expect("pdf");
        assert!(bytes.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&bytes);
        let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
        assert_eq!(pages, 2, "two pages");
        assert_eq!(text.matches("/URI (https://tawasul.example.bh/p/k7m3q9x2)").count(), 5);
        assert!(matches!(pdf(&[]), Err(QrError::Empty)));
    }

    #[test]
    fn a_link_too_long_for_a_code_is_an_error() {
        let long = Label {
            url: format!("https://x/{}", "a".repeat(5000)),
            ..label("x")
        };
        assert!(matches!(png(&long), Err(QrError::Code(_))));
    }

    #[test]
    fn formats_follow_the_file_name() {
        assert_eq!(Format::of_file_name("labels.PDF"), Some(Format::Pdf));
        assert_eq!(Format::of_file_name("a.b.svg"), Some(Format::Svg));
        assert_eq!(Format::of_file_name("x.png"), Some(Format::Png));
        assert_eq!(Format::of_file_name("x.jpg"), None);
        assert_eq!(Format::of_file_name("png"), None);
    }
}
