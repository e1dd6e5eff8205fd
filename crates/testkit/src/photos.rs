//! Photos as cameras and attackers make them: a JPEG carrying its location, time and the
//! camera's serial in EXIF and XMP, and PNGs whose header claims more pixels than memory holds.

/// The camera's serial number written into [`jpeg_with_location`]'s EXIF and XMP.
pub const CAMERA_SERIAL: &str = "SN-TAWASUL-4417-GPS";
/// What would betray metadata in a file: the EXIF and XMP headers, the GPS tag names of XMP,
/// the serial, and the latitude's degrees as an EXIF rational (26/1, little-endian).
pub const METADATA_MARKERS: &[&[u8]] = &[
    b"Exif\0\0",
    b"http://ns.adobe.com/xap/1.0/",
    b"GPSLatitude",
    CAMERA_SERIAL.as_bytes(),
    &[26, 0, 0, 0, 1, 0, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0],
];

/// A 64×48 JPEG photo taken at 26°12′N 50°35′E (Manama), with an EXIF block (GPS IFD,
/// date and time, body serial number) and an XMP packet saying the same.
pub fn jpeg_with_location() -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 5) as u8, 90]));
    let mut plain = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(pixels)
        .write_to(&mut plain, image::ImageFormat::Jpeg)
        .expect("a JPEG in memory");
    let plain = plain.into_inner();
    let mut out = plain[..2].to_vec(); // SOI
    segment(&mut out, 0xE1, &[b"Exif\0\0".as_slice(), &tiff()].concat());
    let xmp = format!(
        "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\
         <rdf:Description xmlns:exif=\"http://ns.adobe.com/exif/1.0/\" xmlns:aux=\"http://ns.adobe.com/exif/1.0/aux/\" \
         exif:GPSLatitude=\"26,12.0N\" exif:GPSLongitude=\"50,35.0E\" exif:DateTimeOriginal=\"2026-03-01T09:30:00\" \
         aux:SerialNumber=\"{CAMERA_SERIAL}\"/></rdf:RDF></x:xmpmeta>"
    );
    segment(&mut out, 0xE1, xmp.as_bytes());
    out.extend_from_slice(&plain[2..]);
    out
}

fn segment(out: &mut Vec<u8>, marker: u8, data: &[u8]) {
    let length = u16::try_from(data.len() + 2).expect("a JPEG segment under 64 KiB");
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(data);
}

/// A little-endian TIFF structure: IFD0 with the date, the body serial and a pointer to the GPS
/// IFD, which holds the latitude and longitude with their references.
fn tiff() -> Vec<u8> {
    // Offsets from the start of the TIFF header.
    const IFD0: u32 = 8;
    const IFD0_ENTRIES: u16 = 3;
    let ifd0_size = 2 + 12 * u32::from(IFD0_ENTRIES) + 4;
    let date_at = IFD0 + ifd0_size;
    let date = b"2026:03:01 09:30:00\0";
    let serial_at = date_at + date.len() as u32;
    let serial = [CAMERA_SERIAL.as_bytes(), b"\0"].concat();
    let gps_at = serial_at + serial.len() as u32;
    const GPS_ENTRIES: u16 = 4;
    let gps_size = 2 + 12 * u32::from(GPS_ENTRIES) + 4;
    let lat_at = gps_at + gps_size;
    let lon_at = lat_at + 24;

    let mut t = b"II*\0".to_vec();
    t.extend_from_slice(&IFD0.to_le_bytes());
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32| {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&kind.to_le_bytes());
        t.extend_from_slice(&count.to_le_bytes());
        t.extend_from_slice(&value.to_le_bytes());
    };
    t.extend_from_slice(&IFD0_ENTRIES.to_le_bytes());
    entry(&mut t, 0x0132, 2, date.len() as u32, date_at); // DateTime
    entry(&mut t, 0x8825, 4, 1, gps_at); // GPSInfo
    entry(&mut t, 0xA431, 2, serial.len() as u32, serial_at); // BodySerialNumber
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(date);
    t.extend_from_slice(&serial);
    t.extend_from_slice(&GPS_ENTRIES.to_le_bytes());
    entry(&mut t, 0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0")); // GPSLatitudeRef
    entry(&mut t, 0x0002, 5, 3, lat_at); // GPSLatitude
    entry(&mut t, 0x0003, 2, 2, u32::from_le_bytes(*b"E\0\0\0")); // GPSLongitudeRef
    entry(&mut t, 0x0004, 5, 3, lon_at); // GPSLongitude
    t.extend_from_slice(&0u32.to_le_bytes());
    for (numerator, denominator) in [(26u32, 1u32), (12, 1), (0, 1), (50, 1), (35, 1), (0, 1)] {
        t.extend_from_slice(&numerator.to_le_bytes());
        t.extend_from_slice(&denominator.to_le_bytes());
    }
    t
}

/// A PNG whose header says `width`×`height` RGBA pixels, followed by a few bytes of image
/// data: small to send, enormous to decode.
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    let mut header = width.to_be_bytes().to_vec();
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA, no interlace
    chunk(&mut out, b"IHDR", &header);
    // zlib, one stored block of a filter byte and one pixel.
    chunk(
        &mut out,
        b"IDAT",
        &[
            0x78, 0x01, 0x01, 0x05, 0x00, 0xfa, 0xff, 0, 1, 2, 3, 4, 0x00, 0x1c, 0x00, 0x0b,
        ],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).expect("a small chunk").to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (ISO 3309), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
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
    fn the_photo_carries_its_location_and_still_decodes() {
        let photo = jpeg_with_location();
        for marker in METADATA_MARKERS {
            assert!(
                photo.windows(marker.len()).any(|w| w == *marker),
                "{:?}",
                String::from_utf8_lossy(marker)
            );
        }
        let decoded = image::load_from_memory(&photo).expect("a valid JPEG");
        assert_eq!((decoded.width(), decoded.height()), (64, 48));
    }

    #[test]
    fn the_bomb_says_its_size_in_a_valid_header() {
        let bomb = png_claiming(50_000, 50_000);
        let reader = image::ImageReader::with_format(std::io::Cursor::new(&bomb), image::ImageFormat::Png);
        assert_eq!(reader.into_dimensions().expect("a valid header"), (50_000, 50_000));
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }
}
