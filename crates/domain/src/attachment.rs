//! Files residents and staff attach: recognised by their content, never by their name.

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
}

impl AttachmentType {
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Heic => "image/heic",
            Self::Pdf => "application/pdf",
        }
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
            other => {
                return Err(Invalid::new(
                    "unsupported_file_type",
                    "file",
                    format!(
                        "only JPEG, PNG, WebP, HEIC and PDF files are accepted (this looks like {})",
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
                || (found == Self::Jpeg && c == "image/jpg");
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

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0";
    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";
    const WEBP: &[u8] = b"RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0";
    const HEIC: &[u8] = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";

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
