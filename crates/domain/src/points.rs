//! Service points ("we come to you"): an asset or a place — a street-light pole, a park, a
//! bus stop, an office counter — with its location, its entity and the service a resident
//! scanning its QR code most likely wants. Parsed here once, from a form, the command line
//! or a row of a CSV file.

use crate::catalogue::parse_code;
use crate::intake::Coordinates;
use crate::text::CaseText;
use crate::Invalid;

pub const MAX_POINT_NAME: usize = 200;
pub const MAX_ASSET_KIND: usize = 64;
/// The letters of generated point codes: lower case without the look-alikes (0/o, 1/l/i),
/// so that a code read off a worn sticker and typed in is still right.
pub const CODE_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
pub const GENERATED_CODE_LEN: usize = 8;

/// A service point as given, before it is known to be valid.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PointDraft {
    /// The point's own code (an asset number such as `sl-1042`); generated when absent.
    pub code: Option<String>,
    pub entity: String,
    pub service: String,
    pub name_ar: String,
    /// Defaults to the Arabic name.
    pub name_en: Option<String>,
    pub lat: f64,
    pub lon: f64,
    pub asset_kind: Option<String>,
}

/// A valid service point, its entity and service still named by code (the application
/// checks that both exist and that the service is the entity's).
#[derive(Debug, Clone, PartialEq)]
pub struct NewPoint {
    pub code: Option<String>,
    pub entity: String,
    pub service: String,
    pub name_ar: String,
    pub name_en: String,
    pub location: Coordinates,
    pub asset_kind: Option<String>,
}

impl NewPoint {
    pub fn parse(d: &PointDraft) -> Result<Self, Invalid> {
        let code = match d.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(parse_code(&c.to_lowercase(), "code")?),
        };
        let entity = parse_code(d.entity.trim(), "entity")?;
        let service = parse_code(d.service.trim(), "service")?;
        let name_ar = point_name(&d.name_ar, "name_ar")?;
        let name_en = match d.name_en.as_deref().filter(|n| !n.trim().is_empty()) {
            Some(n) => point_name(n, "name_en")?,
            None => name_ar.clone(),
        };
        let location = Coordinates::parse(d.lat, d.lon).map_err(|e| Invalid {
            field: e.field.replace("location.", ""),
            ..e
        })?;
        let asset_kind = match d.asset_kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            None => None,
            Some(k) => Some(one_line(k, "asset_kind", MAX_ASSET_KIND)?),
        };
        Ok(Self {
            code,
            entity,
            service,
            name_ar,
            name_en,
            location,
            asset_kind,
        })
    }
}

fn point_name(raw: &str, field: &str) -> Result<String, Invalid> {
    one_line(raw, field, MAX_POINT_NAME)
}

/// Text on one line, since it is printed under a QR code.
fn one_line(raw: &str, field: &str, max: usize) -> Result<String, Invalid> {
    Ok(CaseText::parse_line(raw, field, max)?.into_string())
}

/// A decimal number as people type it in a file or a form: ASCII, Arabic-Indic or Persian
/// digits, `.` or the Arabic decimal separator `٫`; `None` when it is not a finite number.
pub fn parse_decimal(raw: &str) -> Option<f64> {
    let ascii: String = raw
        .trim()
        .chars()
        .map(|c| match c {
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            '٫' => '.',
            other => other,
        })
        .collect();
    let plain = !ascii.is_empty()
        && ascii
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+'));
    ascii.parse::<f64>().ok().filter(|n| plain && n.is_finite())
}

/// A new point code of `GENERATED_CODE_LEN` letters of `CODE_ALPHABET`, from random bytes
/// the caller drew (the domain does no I/O); the slight bias of `% 31` does not matter for
/// a code that is a name, not a secret.
pub fn generated_code(random: [u8; GENERATED_CODE_LEN]) -> String {
    random
        .iter()
        .map(|b| CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> PointDraft {
        PointDraft {
            code: None,
            entity: "cap".into(),
            service: "street-light".into(),
            name_ar: "عمود إنارة ١٠٤٢".into(),
            name_en: Some("Street light 1042".into()),
            lat: 26.2,
            lon: 50.58,
            asset_kind: Some("street-light".into()),
        }
    }

    #[test]
    fn a_point_parses_with_its_english_name_defaulting_to_the_arabic() {
        let p = NewPoint::parse(&draft()).expect("valid");
        assert_eq!(p.name_en, "Street light 1042");
        let p = NewPoint::parse(&PointDraft {
            name_en: None,
            ..draft()
        })
        .expect("valid");
        assert_eq!(p.name_en, "عمود إنارة ١٠٤٢");
    }

    #[test]
    fn codes_are_lower_cased_and_checked() {
        let p = NewPoint::parse(&PointDraft {
            code: Some(" SL-1042 ".into()),
            ..draft()
        })
        .expect("valid");
        assert_eq!(p.code.as_deref(), Some("sl-1042"));
        let bad = NewPoint::parse(&PointDraft {
            code: Some("sl 1042/../x".into()),
            ..draft()
        });
        assert_eq!(bad.map_err(|e| e.field), Err("code".to_owned()));
    }

    #[test]
    fn hostile_names_are_refused_with_the_field() {
        for (name, code) in [
            ("\u{202E}txt.exe", "forbidden_character"),
            ("a\u{2066}b", "forbidden_character"),
            ("line\nbreak", "forbidden_character"),
            ("bell\u{7}", "forbidden_character"),
            ("   ", "required"),
        ] {
            let e = NewPoint::parse(&PointDraft {
                name_ar: name.into(),
                ..draft()
            })
            .expect_err(name);
            assert_eq!((e.code, e.field.as_str()), (code, "name_ar"), "{name:?}");
        }
        let long = "ن".repeat(MAX_POINT_NAME + 1);
        let e = NewPoint::parse(&PointDraft {
            name_en: Some(long),
            ..draft()
        })
        .expect_err("too long");
        assert_eq!((e.code, e.field.as_str()), ("too_long", "name_en"));
    }

    #[test]
    fn a_location_out_of_range_names_its_field() {
        let e = NewPoint::parse(&PointDraft { lat: 91.0, ..draft() }).expect_err("lat");
        assert_eq!(e.field, "lat");
        let e = NewPoint::parse(&PointDraft {
            lon: f64::NAN,
            ..draft()
        })
        .expect_err("lon");
        assert_eq!(e.field, "lon");
    }

    #[test]
    fn decimals_in_arabic_digits_parse_and_words_do_not() {
        assert_eq!(parse_decimal("٢٦٫٢١"), Some(26.21));
        assert_eq!(parse_decimal(" -0.5 "), Some(-0.5));
        for bad in ["", "inf", "NaN", "1e999", "12,5", "1.2.3", "0x10"] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn generated_codes_use_only_the_unambiguous_letters_and_are_valid_codes() {
        let code = generated_code([0, 30, 31, 255, 7, 100, 200, 13]);
        assert_eq!(code.len(), GENERATED_CODE_LEN);
        assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)));
        assert_eq!(parse_code(&code, "code"), Ok(code.clone()));
        assert_ne!(code, generated_code([1; 8]));
    }
}
