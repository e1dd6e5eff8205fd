//! Photos are re-encoded when they arrive, from their pixels alone: what a camera writes
//! beside them (EXIF and XMP: the place it was taken, the time, the device's serial) is not
//! kept, and no original is kept either. A photo that would take more than
//! [`MAX_DECODED_BYTES`] or is wider or taller than [`MAX_SIDE`] pixels is refused before it
//! is decoded (a "decompression bomb"). PDFs and recordings (WAV, MP3) are stored as they came.

use std::io::Cursor;
use tawasul_domain::attachment::AttachmentType;
use tawasul_domain::Invalid;

/// The widest and tallest photo accepted, in pixels (a 48-megapixel phone photo is 8000×6000).
pub const MAX_SIDE: u32 = 12_000;
/// The most memory a photo may take once decoded (8000×6000 in RGB is 144 MiB).
pub const MAX_DECODED_BYTES: u64 = 192 * 1024 * 1024;
/// The quality JPEG photos are written back at.
const JPEG_QUALITY: u8 = 88;

/// A file as it is stored: its bytes and type after cleaning.
#[derive(Debug)]
pub struct Cleaned {
    pub bytes: Vec<u8>,
    pub kind: AttachmentType,
}

fn too_large() -> Invalid {
    Invalid::new(
        "image_too_large",
        "file",
        format!(
            "photos may be at most {MAX_SIDE}×{MAX_SIDE} pixels and {} MiB once opened",
            MAX_DECODED_BYTES / 1024 / 1024
        ),
    )
}

fn unreadable(e: &image::ImageError) -> Invalid {
    match e {
        image::ImageError::Limits(_) => too_large(),
        other => Invalid::new("unreadable_image", "file", format!("the photo cannot be read: {other}")),
    }
}

/// The file to store for `bytes` of type `kind`: a photo re-encoded without its metadata (a
/// WebP as JPEG, since the encoder here writes WebP only losslessly), a PDF or a recording
/// unchanged. Slow
/// for large photos: call it off the async runtime.
pub fn clean(bytes: Vec<u8>, kind: AttachmentType) -> Result<Cleaned, Invalid> {
    use image::ImageDecoder;
    let format = match kind {
        AttachmentType::Pdf | AttachmentType::Wav | AttachmentType::Mp3 => return Ok(Cleaned { bytes, kind }),
        AttachmentType::Heic => {
            return Err(Invalid::new(
                "unsupported_image",
                "file",
                "HEIC photos cannot be cleaned of their location here: send JPEG, PNG or WebP",
            ))
        }
        AttachmentType::Jpeg => image::ImageFormat::Jpeg,
        AttachmentType::Png => image::ImageFormat::Png,
        AttachmentType::Webp => image::ImageFormat::WebP,
    };
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    let mut reader = image::ImageReader::new(Cursor::new(&bytes));
    reader.set_format(format);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| unreadable(&e))?;
    if decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(too_large());
    }
    // The camera's orientation is applied to the pixels, since the tag that said it goes.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut photo = image::DynamicImage::from_decoder(decoder).map_err(|e| unreadable(&e))?;
    photo.apply_orientation(orientation);
    let mut out = Cursor::new(Vec::new());
    let kind = match kind {
        AttachmentType::Png => {
            photo
                .write_to(&mut out, image::ImageFormat::Png)
                .map_err(|e| unreadable(&e))?;
            AttachmentType::Png
        }
        _ => {
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
                .encode_image(&photo.to_rgb8())
                .map_err(|e| unreadable(&e))?;
            AttachmentType::Jpeg
        }
    };
    Ok(Cleaned {
        bytes: out.into_inner(),
        kind,
    })
}

impl crate::App {
    /// [`clean`], on the blocking pool.
    pub(crate) async fn clean_file(&self, bytes: Vec<u8>, kind: AttachmentType) -> crate::error::Outcome<Cleaned> {
        let cleaned = tokio::task::spawn_blocking(move || clean(bytes, kind))
            .await
            .map_err(|e| anyhow::anyhow!("re-encoding a photo: {e}"))?;
        Ok(cleaned?)
    }
}

/// The name a cleaned file is shown with: its extension follows a changed type.
pub fn renamed(filename: String, from: AttachmentType, to: AttachmentType) -> String {
    if from == to {
        return filename;
    }
    let stem = match filename.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_owned(),
        _ => filename,
    };
    format!("{stem}.{}", if to == AttachmentType::Jpeg { "jpg" } else { "png" })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(width: u32, height: u32, format: image::ImageFormat) -> Vec<u8> {
        let photo =
            image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(width, height, image::Rgb([200, 40, 40])));
        let mut out = Cursor::new(Vec::new());
        photo.write_to(&mut out, format).expect("encode");
        out.into_inner()
    }

    #[test]
    fn photos_come_back_in_their_type_or_as_jpeg() {
        let png = clean(encoded(3, 2, image::ImageFormat::Png), AttachmentType::Png).expect("png");
        assert_eq!(png.kind, AttachmentType::Png);
        let jpeg = clean(encoded(3, 2, image::ImageFormat::Jpeg), AttachmentType::Jpeg).expect("jpeg");
        assert_eq!((jpeg.kind, &jpeg.bytes[..2]), (AttachmentType::Jpeg, &[0xFF, 0xD8][..]));
        let webp = clean(encoded(3, 2, image::ImageFormat::WebP), AttachmentType::Webp).expect("webp");
        assert_eq!(webp.kind, AttachmentType::Jpeg);
        let pdf = b"%PDF-1.4 ...".to_vec();
        assert_eq!(clean(pdf.clone(), AttachmentType::Pdf).expect("pdf").bytes, pdf);
        let wav = b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0".to_vec();
        let kept = clean(wav.clone(), AttachmentType::Wav).expect("wav");
        assert_eq!((kept.kind, kept.bytes), (AttachmentType::Wav, wav));
        let mp3 = b"ID3\x04\0\0\0\0\0\x23TSSE".to_vec();
        assert_eq!(clean(mp3.clone(), AttachmentType::Mp3).expect("mp3").bytes, mp3);
        assert_eq!(
            renamed("حفرة.webp".into(), AttachmentType::Webp, AttachmentType::Jpeg),
            "حفرة.jpg"
        );
        assert_eq!(
            renamed("photo".into(), AttachmentType::Webp, AttachmentType::Jpeg),
            "photo.jpg"
        );
        assert_eq!(
            renamed("a.png".into(), AttachmentType::Png, AttachmentType::Png),
            "a.png"
        );
    }

    #[test]
    fn broken_huge_and_heic_photos_are_refused() {
        let mut truncated = encoded(3, 2, image::ImageFormat::Png);
        truncated.truncate(40);
        assert_eq!(
            clean(truncated, AttachmentType::Png).expect_err("broken").code,
            "unreadable_image"
        );
        let wide = encoded(MAX_SIDE + 1, 1, image::ImageFormat::Png);
        assert_eq!(
            clean(wide, AttachmentType::Png).expect_err("wide").code,
            "image_too_large"
        );
        assert_eq!(
            clean(vec![0; 16], AttachmentType::Heic).expect_err("heic").code,
            "unsupported_image"
        );
    }
}
