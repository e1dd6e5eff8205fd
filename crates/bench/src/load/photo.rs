//! Photos for the intake with photos: valid PNGs (1×1 pixel) of a chosen size, each a
//! different file, since attachments are stored by the digest of their bytes and a repeated
//! photo would be stored once.

/// Makes PNGs of about `size` bytes: the padding is one precomputed ancillary chunk, and
/// only the small chunk that makes each photo unique is checksummed per photo.
pub struct PhotoMaker {
    head: Vec<u8>,
    tail: Vec<u8>,
}

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

impl PhotoMaker {
    pub fn new(size: usize) -> Self {
        let mut head = SIGNATURE.to_vec();
        // 1×1, 8-bit RGB, no interlace.
        chunk(&mut head, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
        let mut padding = b"Comment\0".to_vec();
        padding.resize(size.saturating_sub(100).max(padding.len()), b'.');
        chunk(&mut head, b"tEXt", &padding);
        let mut tail = Vec::new();
        chunk(&mut tail, b"IDAT", &zlib_stored(&[0, 0x2a, 0x6f, 0x9e]));
        chunk(&mut tail, b"IEND", &[]);
        Self { head, tail }
    }

    /// The photo numbered `n`, different from every other number's.
    pub fn photo(&self, n: u64) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.head.len() + self.tail.len() + 40);
        bytes.extend_from_slice(&self.head);
        chunk(&mut bytes, b"tEXt", format!("Title\0load photo {n}").as_bytes());
        bytes.extend_from_slice(&self.tail);
        bytes
    }
}

/// Appends a PNG chunk: length, type, data, CRC of type and data.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let length = u32::try_from(data.len()).expect("a PNG chunk under 4 GiB");
    out.extend_from_slice(&length.to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of one stored (uncompressed) block: enough for one pixel.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let length = u16::try_from(data.len()).expect("one stored block");
    let mut out = vec![0x78, 0x01, 0x01];
    out.extend_from_slice(&length.to_le_bytes());
    out.extend_from_slice(&(!length).to_le_bytes());
    out.extend_from_slice(data);
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

/// CRC-32 (ISO 3309), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_png_specification_example() {
        // The CRC of an empty IEND chunk, as every PNG ends with it.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn photos_are_pngs_of_the_asked_size_and_all_different() {
        let maker = PhotoMaker::new(64 * 1024);
        let (first, second) = (maker.photo(1), maker.photo(2));
        assert!(first.starts_with(&SIGNATURE));
        assert!(first.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]));
        assert!(first.len().abs_diff(64 * 1024) < 200, "{}", first.len());
        assert_ne!(first, second);
    }
}
