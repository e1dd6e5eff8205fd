//! Files residents and staff attach: recognised by their content, never by their name.
//! Photos, PDFs, and the callers' recordings of the phone line (WAV, MP3).

use crate::Invalid;

pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;
/// The most files a report may bring when it is made; more can be added to the case later.
pub const MAX_FILES_AT_INTAKE: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentType {
    Jpeg,
    Png,
    Webp,
    Heic,
    Pdf,
    Wav,
    Mp3,
}

impl AttachmentType {
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Heic => "image/heic",
            Self::Pdf => "application/pdf",
            Self::Wav => "audio/wav",
            Self::Mp3 => "audio/mpeg",
        }
    }

    /// The extension a file of this type is named with when it came without a name.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Heic => "heic",
            Self::Pdf => "pdf",
            Self::Wav => "wav",
            Self::Mp3 => "mp3",
        }
    }

    /// Whether the file is a photo (HEIC included, though it is refused when cleaned).
    pub fn is_photo(self) -> bool {
        matches!(self, Self::Jpeg | Self::Png | Self::Webp | Self::Heic)
    }

    /// Whether the file is a recording, which is stored as it came (a photo is re-encoded).
    pub fn is_audio(self) -> bool {
        matches!(self, Self::Wav | Self::Mp3)
    }

    /// Recognises the file from its first bytes. A `claimed` MIME type (the upload's
    /// Content-Type) that disagrees with the content is refused: the file is not what it claims.
    pub fn sniff(bytes: &[u8], claimed: Option<&str>) -> Result<Self, Invalid> {
        if bytes.is_empty() {
            return Err(Invalid::new("empty_file", "file", "the file is empty"));
        }
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(Invalid::new(
                "file_too_large",
                "file",
                format!("files may be at most {} MiB", MAX_ATTACHMENT_BYTES / 1024 / 1024),
            ));
        }
        let found = match infer::get(bytes).map(|t| t.mime_type()) {
            Some("image/jpeg") => Self::Jpeg,
            Some("image/png") => Self::Png,
            Some("image/webp") => Self::Webp,
            Some("image/heif" | "image/heic") => Self::Heic,
            Some("application/pdf") => Self::Pdf,
            Some("audio/x-wav") => Self::Wav,
            Some("audio/mpeg") => Self::Mp3,
            _ if is_mpeg_audio_frame(bytes) => Self::Mp3,
            other => {
                return Err(Invalid::new(
                    "unsupported_file_type",
                    "file",
                    format!(
                        "only JPEG, PNG, WebP, HEIC and PDF files and WAV and MP3 recordings are accepted (this looks like {})",
                        other.unwrap_or("unknown data")
                    ),
                ))
            }
        };
        let claim = claimed.map(|c| c.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
        let generic = |c: &str| c.is_empty() || c == "application/octet-stream";
        if let Some(c) = claim.filter(|c| !generic(c)) {
            let agrees = c == found.mime()
                || (found == Self::Heic && c == "image/heif")
                || (found == Self::Jpeg && c == "image/jpg")
                || (found == Self::Wav && matches!(c.as_str(), "audio/x-wav" | "audio/wave" | "audio/vnd.wave"))
                || (found == Self::Mp3 && matches!(c.as_str(), "audio/mp3" | "audio/mpeg3"));
            if !agrees {
                return Err(Invalid::new(
                    "content_mismatch",
                    "file",
                    format!("the file says it is {c} but its content is {}", found.mime()),
                ));
            }
        }
        Ok(found)
    }
}

/// An MP3 without an ID3 tag starts with its first frame's header: eleven sync bits, an MPEG
/// version that exists, layer III, and a bit rate and sample rate that are not reserved.
/// `infer` knows only MPEG-1 frames; telephone recordings at 8 kHz are MPEG-2.5.
fn is_mpeg_audio_frame(bytes: &[u8]) -> bool {
    let [a, b, c, ..] = bytes else { return false };
    let sync = *a == 0xFF && b & 0xE0 == 0xE0;
    let version_exists = (b >> 3) & 0b11 != 0b01;
    let layer_three = (b >> 1) & 0b11 == 0b01;
    let bit_rate = c >> 4;
    let sample_rate = (c >> 2) & 0b11;
    sync && version_exists && layer_three && bit_rate != 0 && bit_rate != 0b1111 && sample_rate != 0b11
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0";
    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";
    const WEBP: &[u8] = b"RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0";
    const HEIC: &[u8] = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
    const WAV: &[u8] = b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x40\x1f\0\0";
    const MP3_ID3: &[u8] = b"ID3\x04\0\0\0\0\0\x23TSSE";
    /// An MPEG-2.5 layer III frame header, 8 kHz, 16 kbit/s: what a phone recording starts with.
    const MP3_FRAME: &[u8] = b"\xff\xe3\x28\xc4\0\0\0\0";

    #[test]
    fn each_accepted_type_is_recognised_by_content() {
        assert_eq!(AttachmentType::sniff(PNG, None), Ok(AttachmentType::Png));
        assert_eq!(
            AttachmentType::sniff(JPEG, Some("image/jpeg")),
            Ok(AttachmentType::Jpeg)
        );
        assert_eq!(
            AttachmentType::sniff(PDF, Some("application/octet-stream")),
            Ok(AttachmentType::Pdf)
        );
        assert_eq!(AttachmentType::sniff(WEBP, None), Ok(AttachmentType::Webp));
        assert_eq!(
            AttachmentType::sniff(HEIC, Some("image/heic")),
            Ok(AttachmentType::Heic)
        );
        assert_eq!(AttachmentType::sniff(WAV, Some("audio/x-wav")), Ok(AttachmentType::Wav));
        assert_eq!(
            AttachmentType::sniff(MP3_ID3, Some("audio/mpeg")),
            Ok(AttachmentType::Mp3)
        );
        assert_eq!(AttachmentType::sniff(MP3_FRAME, None), Ok(AttachmentType::Mp3));
        assert!(AttachmentType::Wav.is_audio() && !AttachmentType::Png.is_audio());
    }

    #[test]
    fn audio_is_told_from_other_data_by_its_header() {
        assert_eq!(
            AttachmentType::sniff(WAV, Some("image/png")).expect_err("lie").code,
            "content_mismatch"
        );
        // WebP and WAV share RIFF; a JPEG starts with 0xFF too; reserved frame fields are not MP3.
        assert_eq!(
            AttachmentType::sniff(WEBP, Some("audio/wav")).expect_err("webp").code,
            "content_mismatch"
        );
        assert_eq!(
            AttachmentType::sniff(JPEG, Some("audio/mpeg")).expect_err("jpeg").code,
            "content_mismatch"
        );
        for not_mp3 in [
            &b"\xff\xeb\x28\xc4"[..],
            b"\xff\xe3\xf8\xc4",
            b"\xff\xe3\x2c\xc4",
            b"\xff\xe7\x28\xc4",
        ] {
            assert_eq!(
                AttachmentType::sniff(not_mp3, None).expect_err("not mp3").code,
                "unsupported_file_type",
                "{not_mp3:x?}"
            );
        }
    }

    #[test]
    fn lies_scripts_and_empties_are_refused() {
        assert_eq!(
            AttachmentType::sniff(PNG, Some("application/pdf"))
                .expect_err("lie")
                .code,
            "content_mismatch"
        );
        assert_eq!(
            AttachmentType::sniff(b"<script>alert(1)</script>", Some("image/png"))
                .expect_err("script")
                .code,
            "unsupported_file_type"
        );
        assert_eq!(
            AttachmentType::sniff(b"MZ\x90\0\x03", None).expect_err("exe").code,
            "unsupported_file_type"
        );
        assert_eq!(AttachmentType::sniff(b"", None).expect_err("empty").code, "empty_file");
        let huge = vec![0u8; MAX_ATTACHMENT_BYTES + 1];
        assert_eq!(
            AttachmentType::sniff(&huge, None).expect_err("huge").code,
            "file_too_large"
        );
    }
}
