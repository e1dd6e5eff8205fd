//! Exports of cases: the formats, the columns of each, and the rules that make a cell safe to
//! open in a spreadsheet and a row fit to publish as open data.

use crate::vocab::{Channel, Kind, Status};
use crate::Invalid;
use std::borrow::Cow;

/// A file of cases: the staff's spreadsheet (CSV or XLSX), or the open-data layout of New York
/// City's 311 Service Requests (CSV, no personal data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
    Nyc311,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s {
            "csv" => Ok(Self::Csv),
            "xlsx" => Ok(Self::Xlsx),
            "nyc311" => Ok(Self::Nyc311),
            _ => Err(Invalid::new(
                "unknown_format",
                "format",
                format!("unknown format {s:?}; one of: csv, xlsx, nyc311"),
            )),
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Self::Csv | Self::Nyc311 => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv | Self::Nyc311 => "csv",
            Self::Xlsx => "xlsx",
        }
    }

    /// The header row, in order.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Self::Csv | Self::Xlsx => STAFF_COLUMNS,
            Self::Nyc311 => NYC311_COLUMNS,
        }
    }
}

/// The staff's spreadsheet: what the case page shows, one row per case. The reporter's details
/// are masked for roles that see them masked on the case page.
pub const STAFF_COLUMNS: &[&str] = &[
    "reference",
    "created_at",
    "closed_at",
    "updated_at",
    "entity",
    "entity_name_ar",
    "entity_name_en",
    "department",
    "service",
    "service_name_ar",
    "service_name_en",
    "kind",
    "status",
    "channel",
    "language",
    "priority",
    "description",
    "address",
    "latitude",
    "longitude",
    "reporter_name",
    "reporter_phone",
    "reporter_email",
    "resolution",
    "first_responded_at",
    "resolution_due",
];

/// The 41 columns of NYC Open Data's "311 Service Requests from 2010 to Present"
/// (erm2-nwe9), in the order of its CSV download.
pub const NYC311_COLUMNS: &[&str] = &[
    "Unique Key",
    "Created Date",
    "Closed Date",
    "Agency",
    "Agency Name",
    "Complaint Type",
    "Descriptor",
    "Location Type",
    "Incident Zip",
    "Incident Address",
    "Street Name",
    "Cross Street 1",
    "Cross Street 2",
    "Intersection Street 1",
    "Intersection Street 2",
    "Address Type",
    "City",
    "Landmark",
    "Facility Type",
    "Status",
    "Due Date",
    "Resolution Description",
    "Resolution Action Updated Date",
    "Community Board",
    "BBL",
    "Borough",
    "X Coordinate (State Plane)",
    "Y Coordinate (State Plane)",
    "Open Data Channel Type",
    "Park Facility Name",
    "Park Borough",
    "Vehicle Type",
    "Taxi Company Borough",
    "Taxi Pick Up Location",
    "Bridge Highway Name",
    "Bridge Highway Direction",
    "Road Ramp",
    "Bridge Highway Segment",
    "Latitude",
    "Longitude",
    "Location",
];

/// A text cell that a spreadsheet would read as a formula (or as a DDE call) is given a
/// leading apostrophe, so that it is shown as the text it is: OWASP's "CSV injection" rule for
/// cells beginning with `=`, `+`, `-`, `@`, a tab or a carriage return.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// NYC's status words for ours: open, assigned, in progress, pending (waiting on someone
/// else), closed.
pub fn nyc311_status(status: Status) -> &'static str {
    match status {
        Status::New | Status::Acknowledged => "Open",
        Status::Assigned => "Assigned",
        Status::InProgress => "In Progress",
        Status::WaitingOnReporter | Status::Transferred => "Pending",
        Status::Resolved | Status::Closed | Status::Rejected | Status::Merged => "Closed",
    }
}

/// NYC's "Open Data Channel Type": PHONE, ONLINE, MOBILE or OTHER.
pub fn nyc311_channel(channel: Channel) -> &'static str {
    match channel {
        Channel::Phone => "PHONE",
        Channel::Web | Channel::Api | Channel::Email | Channel::Open311 | Channel::Chat | Channel::Social => "ONLINE",
        Channel::Sms | Channel::Whatsapp | Channel::Qr => "MOBILE",
        Channel::WalkIn => "OTHER",
    }
}

/// A fixed sentence for how the case ended, instead of the staff's own words, which may name
/// the resident; nothing while it is open.
pub fn nyc311_resolution(status: Status) -> &'static str {
    match status {
        Status::Resolved | Status::Closed => "The entity resolved this request.",
        Status::Rejected => "The entity found no action to take on this request.",
        Status::Merged => "This request duplicated another and was joined to it.",
        _ => "",
    }
}

/// Decimal places a published point keeps: 0.001° is about 110 m, a street block, not a door.
pub const OPEN_DATA_DECIMALS: i32 = 3;

/// The point published as open data: only for reports and complaints, which are about a place;
/// rounded to a block so that it never points at a home. Suggestions, inquiries, compliments
/// and escalations are about a service or a person, and a point would say only where the
/// resident was.
pub fn open_data_point(kind: Kind, lat: Option<f64>, lon: Option<f64>) -> Option<(f64, f64)> {
    let (lat, lon) = lat.zip(lon)?;
    if !matches!(kind, Kind::Report | Kind::Complaint) || !lat.is_finite() || !lon.is_finite() {
        return None;
    }
    let scale = 10f64.powi(OPEN_DATA_DECIMALS);
    Some(((lat * scale).round() / scale, (lon * scale).round() / scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_openers_are_neutralised_and_nothing_else() {
        for hostile in ["=HYPERLINK(\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"] {
            let safe = neutralise(hostile);
            assert_eq!(safe, format!("'{hostile}"), "{hostile:?}");
        }
        for plain in ["الإنارة معطلة", "pothole", "", " =1", "'quoted", "12"] {
            assert!(matches!(neutralise(plain), Cow::Borrowed(_)), "{plain:?}");
        }
    }

    #[test]
    fn formats_parse_and_refuse_the_unknown() {
        assert_eq!(ExportFormat::parse("nyc311"), Ok(ExportFormat::Nyc311));
        assert_eq!(ExportFormat::parse("xlsx").map(ExportFormat::extension), Ok("xlsx"));
        let err = ExportFormat::parse("pdf").expect_err("no pdf export");
        assert_eq!(err.field, "format");
        assert_eq!(NYC311_COLUMNS.len(), 41);
    }

    #[test]
    fn open_data_points_are_coarse_and_only_for_places() {
        assert_eq!(
            open_data_point(Kind::Report, Some(26.228_516), Some(50.586_049)),
            Some((26.229, 50.586))
        );
        assert_eq!(open_data_point(Kind::Compliment, Some(26.2), Some(50.5)), None);
        assert_eq!(open_data_point(Kind::Report, None, Some(50.5)), None);
        assert_eq!(open_data_point(Kind::Complaint, Some(f64::NAN), Some(50.5)), None);
    }

    #[test]
    fn every_status_and_channel_has_a_nyc_word() {
        for s in Status::ALL {
            assert!(!nyc311_status(*s).is_empty());
            assert_eq!(nyc311_resolution(*s).is_empty(), s.is_open());
        }
        for c in Channel::ALL {
            assert!(["PHONE", "ONLINE", "MOBILE", "OTHER"].contains(&nyc311_channel(*c)));
        }
    }
}
