//! Exports of cases (`tawasul export`, the staff console's downloads, `GET
//! /api/v1/exports/cases`): the staff's spreadsheet as CSV or XLSX, and the open-data layout of
//! NYC's 311 Service Requests. Read a keyset page at a time and written as read; a file of a
//! million cases never sits in memory.

use super::views::{mask_email, mask_name, mask_phone};
use super::work::parse_instant;
use super::CasesResult;
use crate::error::{Failure, Outcome};
use crate::identity::authz::{Permission, StaffUser};
use crate::operator::Operator;
use crate::workflow::config::WorkflowConfig;
use crate::App;
use chrono::{Datelike, NaiveDateTime, Timelike};
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use tawasul_domain::export::{
    neutralise, nyc311_channel, nyc311_resolution, nyc311_status, open_data_point, ExportFormat,
};
use tawasul_domain::Invalid;
use tawasul_store::{ExportPage, ExportRow, ServiceName};
use utoipa::IntoParams;

/// Cases read per query: large enough that the round trips do not count, small enough that a
/// page is a few megabytes at most.
const PAGE: i64 = 5_000;

/// The most data rows an XLSX sheet holds (1,048,576 rows, one of them the header).
const XLSX_MAX_ROWS: u64 = 1_048_575;

/// Which cases to export, and how. All optional; `format` is csv by default.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// csv (the staff's spreadsheet, UTF-8 with a BOM), xlsx, or nyc311 (open data in the
    /// column layout of NYC's 311 Service Requests, without personal data).
    pub format: Option<String>,
    /// Only this entity's cases (its code). Staff of one entity export only their own.
    pub entity: Option<String>,
    /// Created at or after this instant (RFC 3339) or date (YYYY-MM-DD, UTC).
    pub from: Option<String>,
    /// Created before this instant (RFC 3339) or date (YYYY-MM-DD, UTC, exclusive).
    pub to: Option<String>,
}

/// An export under way: `next_chunk` gives a CSV's bytes a page at a time, `write_to` writes
/// any format to a file.
pub struct CaseExport {
    app: App,
    format: ExportFormat,
    page: ExportPage,
    /// Whose masking rules apply to the reporter's details; `None`: an operator's export, in full.
    viewer: Option<StaffUser>,
    config: Arc<WorkflowConfig>,
    services: HashMap<i64, ServiceName>,
    zones: HashMap<i64, Tz>,
    started: bool,
    done: bool,
    rows: u64,
}

impl App {
    /// Staff: an export of the cases they may see in the queue — their entity's (any entity's,
    /// for installation-wide staff) — with the reporter's details masked for roles that see
    /// them masked on the case page. The nyc311 layout has no personal data at all.
    pub async fn export_cases(&self, user: &StaffUser, query: ExportQuery) -> CasesResult<CaseExport> {
        user.require(Permission::ViewCase, user.entity_id)?;
        let entity_id = match &query.entity {
            None => user.entity_id,
            Some(code) => {
                let entity = self.entity_named(code).await?;
                match user.entity_id {
                    Some(mine) if mine != entity => {
                        return Err(Failure::Forbidden("staff export only their own entity's cases".into()).into())
                    }
                    _ => Some(entity),
                }
            }
        };
        Ok(self.prepare_export(&query, entity_id, Some(user.clone())).await?)
    }

    async fn entity_named(&self, code: &str) -> Outcome<i64> {
        Ok(self
            .store
            .entity_by_code(code)
            .await?
            .ok_or_else(|| Invalid::new("unknown_entity", "entity", format!("no entity {code:?}")))?
            .id)
    }

    async fn prepare_export(
        &self,
        query: &ExportQuery,
        entity_id: Option<i64>,
        viewer: Option<StaffUser>,
    ) -> Outcome<CaseExport> {
        let format = ExportFormat::parse(query.format.as_deref().unwrap_or("csv"))?;
        let from = query.from.as_deref().map(|v| parse_instant(v, "from")).transpose()?;
        let to = query.to.as_deref().map(|v| parse_instant(v, "to")).transpose()?;
        if let (Some(from), Some(to)) = (from, to) {
            if to <= from {
                return Err(Invalid::new("empty_period", "to", "must come after from").into());
            }
        }
        let (config, services) = tokio::try_join!(self.workflow(), async { Ok(self.store.service_names().await?) })?;
        let zones = config
            .entities
            .keys()
            .map(|id| (*id, config.policy(*id).calendar.time_zone()))
            .collect();
        Ok(CaseExport {
            app: self.clone(),
            format,
            page: ExportPage {
                entity_id,
                from,
                to,
                after: None,
                limit: PAGE,
            },
            viewer,
            config,
            services: services.into_iter().map(|s| (s.id, s)).collect(),
            zones,
            started: false,
            done: false,
            rows: 0,
        })
    }
}

impl Operator<'_> {
    /// `tawasul export`: every case of the installation (or of one entity), reporter in full,
    /// for an operator who holds the database anyway.
    pub async fn export_cases(&self, query: ExportQuery) -> Outcome<CaseExport> {
        let entity_id = match &query.entity {
            Some(code) => Some(self.app.entity_named(code).await?),
            None => None,
        };
        self.app.prepare_export(&query, entity_id, None).await
    }
}

impl CaseExport {
    pub fn format(&self) -> ExportFormat {
        self.format
    }

    /// A name for the downloaded file.
    pub fn file_name(&self) -> String {
        let stem = match self.format {
            ExportFormat::Nyc311 => "tawasul-311",
            _ => "tawasul-cases",
        };
        format!("{stem}.{}", self.format.extension())
    }

    /// Cases written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The creation time the export has reached (of the last case written), and the period it
    /// covers, for a progress bar.
    pub fn reached(&self) -> Option<i64> {
        self.page.after.map(|(at, _)| at)
    }

    pub fn period(&self) -> (Option<i64>, Option<i64>) {
        (self.page.from, self.page.to)
    }

    /// The next piece of a CSV export (the BOM and header first, then one page of cases), or
    /// `None` once every case is written. An export of nothing is its header.
    pub async fn next_chunk(&mut self) -> Outcome<Option<Vec<u8>>> {
        if self.format == ExportFormat::Xlsx {
            return Err(Failure::Unexpected(anyhow::anyhow!(
                "an XLSX export is written with write_to"
            )));
        }
        if !self.started {
            self.started = true;
            let mut out = b"\xEF\xBB\xBF".to_vec();
            let mut csv = csv::WriterBuilder::new().from_writer(&mut out);
            csv.write_record(self.format.columns()).map_err(unexpected)?;
            csv.flush().map_err(unexpected)?;
            drop(csv);
            return Ok(Some(out));
        }
        let Some(rows) = self.next_page().await? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(rows.len() * 400);
        let mut csv = csv::WriterBuilder::new().from_writer(&mut out);
        let mut cells = Cells::default();
        for row in &rows {
            match self.format {
                ExportFormat::Nyc311 => self.nyc311_row(row, &mut cells),
                _ => self.staff_row(row, &mut cells),
            }
            for cell in cells.iter() {
                match cell {
                    Cell::Text(s) => csv.write_field(neutralise(s).as_bytes()),
                    Cell::Number(s) | Cell::Verbatim(s) | Cell::Time(s, _) => csv.write_field(s.as_bytes()),
                    Cell::Empty => csv.write_field(b""),
                }
                .map_err(unexpected)?;
            }
            csv.write_record(None::<&[u8]>).map_err(unexpected)?;
        }
        csv.flush().map_err(unexpected)?;
        drop(csv);
        Ok(Some(out))
    }

    /// Writes the whole export to `path`, calling `progress` after each page.
    pub async fn write_to(&mut self, path: &Path, mut progress: impl FnMut(&CaseExport)) -> Outcome<()> {
        if self.format == ExportFormat::Xlsx {
            return self.write_xlsx(path, progress).await;
        }
        let file = std::fs::File::create(path).map_err(unexpected)?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        while let Some(chunk) = self.next_chunk().await? {
            out.write_all(&chunk).map_err(unexpected)?;
            progress(self);
        }
        out.into_inner()
            .map_err(|e| unexpected(e.into_error()))?
            .sync_all()
            .map_err(unexpected)?;
        Ok(())
    }

    /// The staff's spreadsheet as a workbook of one sheet, in rust_xlsxwriter's constant-memory
    /// mode: each row goes to a temporary file as it is written, and the workbook is zipped
    /// from those at the end. Text cells are typed strings, which no spreadsheet evaluates, so
    /// they keep their text as it is; times are the entity's local time as real dates.
    async fn write_xlsx(&mut self, path: &Path, mut progress: impl FnMut(&CaseExport)) -> Outcome<()> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut workbook = Workbook::new();
        let when = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        let bold = Format::new().set_bold();
        let sheet = workbook.add_worksheet_with_constant_memory().map_err(unexpected)?;
        sheet.set_name("cases").map_err(unexpected)?;
        for (col, name) in self.format.columns().iter().enumerate() {
            sheet
                .write_string_with_format(0, col as u16, *name, &bold)
                .map_err(unexpected)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(unexpected)?;
        self.started = true;
        let mut cells = Cells::default();
        while let Some(rows) = self.next_page().await? {
            if self.rows > XLSX_MAX_ROWS {
                return Err(Invalid::new(
                    "too_many_for_xlsx",
                    "format",
                    format!("an XLSX sheet holds at most {XLSX_MAX_ROWS} cases: narrow the period or export csv"),
                )
                .into());
            }
            // Sheet rows after the header: the cases before this page, then this page's.
            let before = self.rows - rows.len() as u64;
            for (i, row) in rows.iter().enumerate() {
                let r = (before + i as u64 + 1) as u32;
                self.staff_row(row, &mut cells);
                for (col, cell) in cells.iter().enumerate() {
                    let col = col as u16;
                    match cell {
                        Cell::Text(s) | Cell::Verbatim(s) => sheet.write_string(r, col, s.as_str()).map(|_| ()),
                        Cell::Number(s) => match s.parse::<f64>() {
                            Ok(n) => sheet.write_number(r, col, n).map(|_| ()),
                            Err(_) => sheet.write_string(r, col, s.as_str()).map(|_| ()),
                        },
                        Cell::Time(_, local) => sheet.write_datetime_with_format(r, col, local, &when).map(|_| ()),
                        Cell::Empty => Ok(()),
                    }
                    .map_err(unexpected)?;
                }
            }
            progress(self);
        }
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || workbook.save(&path))
            .await
            .map_err(unexpected)?
            .map_err(unexpected)?;
        Ok(())
    }

    /// The next page of cases, or `None` after the last.
    async fn next_page(&mut self) -> Outcome<Option<Vec<ExportRow>>> {
        if self.done {
            return Ok(None);
        }
        let rows = self.app.store.export_page(self.page).await?;
        // A short page is the last: no query only to learn that nothing follows.
        self.done = (rows.len() as i64) < self.page.limit;
        let Some(last) = rows.last() else {
            return Ok(None);
        };
        self.page.after = Some((last.created_at, last.id));
        self.rows += rows.len() as u64;
        Ok(Some(rows))
    }

    fn zone(&self, entity_id: i64) -> Tz {
        self.zones.get(&entity_id).copied().unwrap_or(chrono_tz::UTC)
    }

    fn staff_row(&self, row: &ExportRow, cells: &mut Cells) {
        cells.clear();
        let zone = self.zone(row.entity_id);
        let entity = self.config.entities.get(&row.entity_id);
        let service = self.services.get(&row.service_id);
        let plain = self
            .viewer
            .as_ref()
            .is_none_or(|u| u.may(Permission::ViewReporter, Some(row.entity_id)));
        let reporter = |v: &Option<String>, mask: fn(&str) -> String| match v {
            Some(v) => {
                let shown = if plain { v.clone() } else { mask(v) };
                if is_phone_like(&shown) {
                    Cell::Verbatim(shown)
                } else {
                    Cell::Text(shown)
                }
            }
            None => Cell::Empty,
        };
        cells.text(&row.reference);
        cells.time(Some(row.created_at), zone, ISO);
        cells.time(row.closed_at, zone, ISO);
        cells.time(Some(row.updated_at), zone, ISO);
        cells.text(entity.map_or("", |e| e.code.as_str()));
        cells.text(entity.map_or("", |e| e.name_ar.as_str()));
        cells.text(entity.map_or("", |e| e.name_en.as_str()));
        cells.text(
            row.department_id
                .and_then(|d| self.config.departments.get(&d))
                .map_or("", |d| d.code.as_str()),
        );
        cells.text(service.map_or("", |s| s.code.as_str()));
        cells.text(service.map_or("", |s| s.name_ar.as_str()));
        cells.text(service.map_or("", |s| s.name_en.as_str()));
        cells.text(row.kind.as_str());
        cells.text(row.status.as_str());
        cells.text(row.channel.as_str());
        cells.text(row.language.as_str());
        cells.text(row.priority.as_str());
        cells.text(&row.description);
        cells.text(row.address.as_deref().unwrap_or(""));
        cells.number(row.lat);
        cells.number(row.lon);
        cells.push(reporter(&row.reporter_name, mask_name));
        cells.push(reporter(&row.reporter_phone, mask_phone));
        cells.push(reporter(&row.reporter_email, mask_email));
        cells.text(row.resolution.as_deref().unwrap_or(""));
        cells.time(row.first_responded_at, zone, ISO);
        cells.time(row.resolution_due, zone, ISO);
    }

    /// A row of the open-data layout: no reporter, no description, no address, no staff's
    /// words (all of which may name a person); the point coarsened, or left out (see
    /// `open_data_point`).
    fn nyc311_row(&self, row: &ExportRow, cells: &mut Cells) {
        cells.clear();
        let zone = self.zone(row.entity_id);
        let entity = self.config.entities.get(&row.entity_id);
        let point = open_data_point(row.kind, row.lat, row.lon);
        let ended = !row.status.is_open();
        cells.text(&row.reference); // Unique Key
        cells.time(Some(row.created_at), zone, NYC); // Created Date
        cells.time(row.closed_at, zone, NYC); // Closed Date
        cells.text(entity.map_or("", |e| e.code.as_str())); // Agency
        cells.text(entity.map_or("", |e| e.name_en.as_str())); // Agency Name
        cells.text(self.services.get(&row.service_id).map_or("", |s| s.name_en.as_str())); // Complaint Type
        cells.text(row.kind.as_str()); // Descriptor
        cells.empty(8); // Location Type, Incident Zip and Address, Street Name, Cross and Intersection Streets
        cells.text(if point.is_some() { "LATLONG" } else { "" }); // Address Type
        cells.empty(3); // City, Landmark, Facility Type
        cells.text(nyc311_status(row.status)); // Status
        cells.time(row.resolution_due, zone, NYC); // Due Date
        cells.text(nyc311_resolution(row.status)); // Resolution Description
        cells.time(ended.then_some(row.updated_at), zone, NYC); // Resolution Action Updated Date
        cells.empty(5); // Community Board, BBL, Borough, X and Y Coordinate (State Plane)
        cells.text(nyc311_channel(row.channel)); // Open Data Channel Type
        cells.empty(9); // Park Facility Name … Bridge Highway Segment
        cells.number(point.map(|p| p.0)); // Latitude
        cells.number(point.map(|p| p.1)); // Longitude
        match point {
            Some((lat, lon)) => cells.push(Cell::Number(format!("({lat}, {lon})"))),
            None => cells.empty(1),
        }
    }
}

/// `+`, digits and `*` only: a stored phone number (E.164, as intake writes it) or its mask.
fn is_phone_like(s: &str) -> bool {
    s.starts_with('+') && s.len() > 1 && s[1..].bytes().all(|b| b.is_ascii_digit() || b == b'*')
}

fn unexpected(e: impl std::error::Error + Send + Sync + 'static) -> Failure {
    Failure::Unexpected(anyhow::Error::new(e))
}

/// How a time is written in text: the staff's `2026-03-01 14:05:09`, or NYC's
/// `03/01/2026 02:05:09 PM`.
#[derive(Clone, Copy)]
enum TimeStyle {
    Iso,
    Nyc,
}
const ISO: TimeStyle = TimeStyle::Iso;
const NYC: TimeStyle = TimeStyle::Nyc;

enum Cell {
    /// Words from people or the catalogue: neutralised in CSV.
    Text(String),
    /// Written by us from a number: never neutralised (a longitude may be negative).
    Number(String),
    /// Text that can hold no formula (a phone number of `+`, digits and a mask's `*`): as it
    /// is, so that `+973…` is not shown as `'+973…`.
    Verbatim(String),
    /// An instant in the entity's local time: as text, and as a date for XLSX.
    Time(String, NaiveDateTime),
    Empty,
}

/// One row's cells, reused from row to row.
#[derive(Default)]
struct Cells(Vec<Cell>);

impl Cells {
    fn clear(&mut self) {
        self.0.clear();
    }

    fn iter(&self) -> impl Iterator<Item = &Cell> {
        self.0.iter()
    }

    fn push(&mut self, cell: Cell) {
        self.0.push(cell);
    }

    fn text(&mut self, s: &str) {
        self.0.push(if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s.to_owned())
        });
    }

    fn number(&mut self, n: Option<f64>) {
        self.0.push(
            n.filter(|n| n.is_finite())
                .map_or(Cell::Empty, |n| Cell::Number(n.to_string())),
        );
    }

    fn empty(&mut self, n: usize) {
        self.0.extend(std::iter::repeat_with(|| Cell::Empty).take(n));
    }

    fn time(&mut self, at: Option<i64>, zone: Tz, style: TimeStyle) {
        let Some(local) = at.and_then(chrono::DateTime::from_timestamp_micros) else {
            self.0.push(Cell::Empty);
            return;
        };
        let local = local.with_timezone(&zone).naive_local();
        let mut text = String::with_capacity(22);
        // Written field by field: a chrono format string is parsed again at every call.
        let _ = match style {
            TimeStyle::Iso => write!(
                text,
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                local.year(),
                local.month(),
                local.day(),
                local.hour(),
                local.minute(),
                local.second()
            ),
            TimeStyle::Nyc => {
                let (pm, hour) = local.hour12();
                write!(
                    text,
                    "{:02}/{:02}/{:04} {:02}:{:02}:{:02} {}",
                    local.month(),
                    local.day(),
                    local.year(),
                    hour,
                    local.minute(),
                    local.second(),
                    if pm { "PM" } else { "AM" }
                )
            }
        };
        self.0.push(Cell::Time(text, local));
    }
}

#[cfg(test)]
mod tests {
    use super::is_phone_like;

    #[test]
    fn only_phone_numbers_and_their_masks_go_unneutralised() {
        for phone in ["+97333001234", "+973****1234"] {
            assert!(is_phone_like(phone), "{phone}");
        }
        for other in ["+", "+1+cmd|' /C calc'!A0", "+973 3300", "97333001234", "=+973", "+٩٧٣"] {
            assert!(!is_phone_like(other), "{other}");
        }
    }
}
