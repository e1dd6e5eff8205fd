//! Exports of cases (`tawasul export`, the staff console's downloads, `GET
//! /api/v1/exports/cases`): the staff's spreadsheet as CSV or XLSX, and the open-data layout of
//! NYC's 311 Service Requests. Read a keyset page at a time and written as read, each cell
//! straight from the row the driver read; a file of a million cases never sits in memory.

use super::views::{mask_email, mask_name, mask_phone};
use super::work::parse_instant;
use super::CasesResult;
use crate::error::{Failure, Outcome};
use crate::identity::authz::{Permission, StaffUser};
use crate::operator::Operator;
use crate::workflow::config::WorkflowConfig;
use crate::App;
use chrono::{NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use tawasul_domain::calendar::BusinessCalendar;
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

/// What a CSV is buffered by on its way to a file.
const FILE_BUFFER: usize = 1 << 20;

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
    /// Created at or after this instant (RFC 3339) or the start of this date (YYYY-MM-DD), a
    /// local day of each case's entity (its calendar's time zone), as the KPI reports and the
    /// queue count days.
    pub from: Option<String>,
    /// Created before this instant (RFC 3339) or the start of this date (YYYY-MM-DD, so
    /// exclusive), a local day as for `from`.
    pub to: Option<String>,
}

/// An export under way: `next_chunk` gives a CSV's bytes a page at a time, `write_to` writes
/// any format to a file.
pub struct CaseExport {
    app: App,
    format: ExportFormat,
    /// Its bounds hold every entity's days; `days` keeps each case to its own entity's.
    page: ExportPage,
    days: Days,
    cells: RowWriter,
    started: bool,
    done: bool,
    rows: u64,
}

/// An export's period as given: an instant, or a date to be read as a local day.
#[derive(Debug, Clone, Copy)]
enum Bound {
    Instant(i64),
    Day(chrono::NaiveDate),
}

impl Bound {
    fn parse(raw: &str, field: &str) -> Outcome<Self> {
        match chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(date) => Ok(Self::Day(date)),
            Err(_) => Ok(Self::Instant(parse_instant(raw, field)?)),
        }
    }

    fn at(self, calendar: &BusinessCalendar) -> i64 {
        match self {
            Self::Instant(at) => at,
            Self::Day(date) => calendar.day_start(date),
        }
    }
}

/// `[from, to)`, either end open.
type Span = (Option<i64>, Option<i64>);

/// The period in each entity's local days, where it depends on the entity: an export of
/// every entity with a date. The page's bounds are the widest of them, and a case outside
/// its own entity's (at most the hours between two zones' midnights) is read and left out.
#[derive(Debug)]
struct Days {
    /// `[from, to)` by entity; `None` when the page's bounds are exact.
    by_entity: Option<HashMap<i64, Span>>,
    /// For an entity the configuration does not know: the installation's default calendar.
    otherwise: Span,
}

impl Days {
    fn hold(&self, entity_id: i64, at: i64) -> bool {
        let Some(by_entity) = &self.by_entity else {
            return true;
        };
        let (from, to) = by_entity.get(&entity_id).unwrap_or(&self.otherwise);
        from.is_none_or(|from| at >= from) && to.is_none_or(|to| at < to)
    }
}

/// What turns a case into its row's cells: the names read once, the viewer, the clocks.
struct RowWriter {
    /// Whose masking rules apply to the reporter's details; `None`: an operator's export, in full.
    viewer: Option<StaffUser>,
    config: Arc<WorkflowConfig>,
    services: HashMap<i64, ServiceName>,
    /// Each entity's local time, by the entity's id.
    clocks: HashMap<i64, Clock>,
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
        let export = self.prepare_export(&query, entity_id, Some(user.clone())).await?;
        // An export is a view of every row it holds: audited once, with what it asked for.
        let reporters = !matches!(export.format, ExportFormat::Nyc311) && user.may(Permission::ViewReporter, entity_id);
        let details = serde_json::json!({
            "format": query.format.as_deref().unwrap_or("csv"),
            "from": query.from,
            "to": query.to,
            "reporters": reporters,
        });
        self.audit_view(user, "export_cases", query.entity.as_deref().unwrap_or("*"), details)
            .await;
        Ok(export)
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
        let from = query.from.as_deref().map(|v| Bound::parse(v, "from")).transpose()?;
        let to = query.to.as_deref().map(|v| Bound::parse(v, "to")).transpose()?;
        let (config, services) = tokio::try_join!(self.workflow(), async { Ok(self.store.service_names().await?) })?;
        // A date is a local day of the case's entity, as the KPI reports count days.
        let bounds = |calendar: &BusinessCalendar| (from.map(|b| b.at(calendar)), to.map(|b| b.at(calendar)));
        let otherwise = bounds(config.calendar_of(entity_id));
        if let (Some(from), Some(to)) = otherwise {
            if to <= from {
                return Err(Invalid::new("empty_period", "to", "must come after from").into());
            }
        }
        let mut days = Days {
            by_entity: None,
            otherwise,
        };
        let (mut first, mut last) = otherwise;
        let by_day = matches!(from, Some(Bound::Day(_))) || matches!(to, Some(Bound::Day(_)));
        if entity_id.is_none() && by_day {
            let by_entity: HashMap<i64, Span> = config
                .entities
                .keys()
                .map(|id| (*id, bounds(config.calendar_of(Some(*id)))))
                .collect();
            for (from, to) in by_entity.values() {
                first = first.zip(*from).map(|(a, b)| a.min(b));
                last = last.zip(*to).map(|(a, b)| a.max(b));
            }
            days.by_entity = Some(by_entity);
        }
        let clocks = config
            .entities
            .keys()
            .map(|id| (*id, Clock::new(config.policy(*id).calendar.time_zone())))
            .collect();
        Ok(CaseExport {
            app: self.clone(),
            format,
            page: ExportPage {
                entity_id,
                from: first,
                to: last,
                after: None,
                limit: PAGE,
            },
            days,
            cells: RowWriter {
                viewer,
                config,
                services: services.into_iter().map(|s| (s.id, s)).collect(),
                clocks,
            },
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
            let mut out = Vec::with_capacity(1024);
            self.write_csv_header(&mut out)?;
            return Ok(Some(out));
        }
        if self.done {
            return Ok(None);
        }
        let mut csv = csv::WriterBuilder::new().from_writer(Vec::with_capacity(PAGE as usize * 600));
        self.csv_page(&mut csv).await?;
        let out = csv.into_inner().map_err(|e| unexpected(e.into_error()))?;
        Ok(if out.is_empty() { None } else { Some(out) })
    }

    /// The BOM and the header row.
    fn write_csv_header(&self, out: &mut impl Write) -> Outcome<()> {
        out.write_all(b"\xEF\xBB\xBF").map_err(unexpected)?;
        let mut csv = csv::WriterBuilder::new().from_writer(out);
        csv.write_record(self.format.columns()).map_err(unexpected)?;
        csv.flush().map_err(unexpected)
    }

    /// One page of cases as CSV rows, written as they are read.
    async fn csv_page<W: Write + Send>(&mut self, csv: &mut csv::Writer<W>) -> Outcome<()> {
        let nyc311 = self.format == ExportFormat::Nyc311;
        let Self {
            app, page, days, cells, ..
        } = self;
        let mut sink = CsvSink {
            csv,
            text: Vec::with_capacity(64),
        };
        let (mut read, mut written) = (0u64, 0u64);
        let mut last = None;
        app.store
            .export_each(*page, &mut |row: &ExportRow<'_>| {
                read += 1;
                last = Some((row.created_at, row.id));
                if !days.hold(row.entity_id, row.created_at) {
                    return Ok(());
                }
                if nyc311 {
                    cells.nyc311_row(row, &mut sink)?;
                } else {
                    cells.staff_row(row, &mut sink)?;
                }
                sink.csv.write_record(None::<&[u8]>).map_err(unexpected)?;
                written += 1;
                Ok::<_, Failure>(())
            })
            .await??;
        self.turn_page(read, written, last);
        Ok(())
    }

    /// After a page of `read` cases, `written` of them exported, the last of them `last`.
    fn turn_page(&mut self, read: u64, written: u64, last: Option<(i64, i64)>) {
        // A short page is the last: no query only to learn that nothing follows.
        self.done = read < self.page.limit as u64;
        if last.is_some() {
            self.page.after = last;
        }
        self.rows += written;
    }

    /// Writes the whole export to `path`, calling `progress` after each page.
    pub async fn write_to(&mut self, path: &Path, mut progress: impl FnMut(&CaseExport)) -> Outcome<()> {
        if self.format == ExportFormat::Xlsx {
            return self.write_xlsx(path, progress).await;
        }
        let mut file = std::fs::File::create(path).map_err(unexpected)?;
        self.started = true;
        self.write_csv_header(&mut file)?;
        let mut csv = csv::WriterBuilder::new().buffer_capacity(FILE_BUFFER).from_writer(file);
        while !self.done {
            self.csv_page(&mut csv).await?;
            progress(self);
        }
        csv.into_inner()
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
        while !self.done {
            let Self {
                app,
                page,
                days,
                cells,
                rows,
                ..
            } = self;
            let mut sink = XlsxSink {
                sheet: &mut *sheet,
                when: &when,
                row: 0,
                col: 0,
            };
            let (mut read, mut written) = (0u64, 0u64);
            let mut last = None;
            app.store
                .export_each(*page, &mut |row: &ExportRow<'_>| {
                    read += 1;
                    last = Some((row.created_at, row.id));
                    if !days.hold(row.entity_id, row.created_at) {
                        return Ok(());
                    }
                    // Sheet rows after the header: the cases before this page, then this page's.
                    let r = *rows + written + 1;
                    if r > XLSX_MAX_ROWS {
                        return Err(Failure::from(Invalid::new(
                            "too_many_for_xlsx",
                            "format",
                            format!(
                                "an XLSX sheet holds at most {XLSX_MAX_ROWS} cases: narrow the period or export csv"
                            ),
                        )));
                    }
                    sink.row = r as u32;
                    sink.col = 0;
                    cells.staff_row(row, &mut sink)?;
                    written += 1;
                    Ok(())
                })
                .await??;
            self.turn_page(read, written, last);
            progress(self);
        }
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || workbook.save(&path))
            .await
            .map_err(unexpected)?
            .map_err(unexpected)?;
        Ok(())
    }
}

impl RowWriter {
    fn staff_row(&mut self, row: &ExportRow<'_>, out: &mut impl Sink) -> Outcome<()> {
        let Self {
            viewer,
            config,
            services,
            clocks,
        } = self;
        let plain = viewer
            .as_ref()
            .is_none_or(|u| u.may(Permission::ViewReporter, Some(row.entity_id)));
        let clock = clocks
            .entry(row.entity_id)
            .or_insert_with(|| Clock::new(chrono_tz::UTC));
        let entity = config.entities.get(&row.entity_id);
        let service = services.get(&row.service_id);
        out.text(row.reference)?;
        out.time(Some(row.created_at), clock, ISO)?;
        out.time(row.closed_at, clock, ISO)?;
        out.time(Some(row.updated_at), clock, ISO)?;
        out.text(entity.map_or("", |e| e.code.as_str()))?;
        out.text(entity.map_or("", |e| e.name_ar.as_str()))?;
        out.text(entity.map_or("", |e| e.name_en.as_str()))?;
        out.text(
            row.department_id
                .and_then(|d| config.departments.get(&d))
                .map_or("", |d| d.code.as_str()),
        )?;
        out.text(service.map_or("", |s| s.code.as_str()))?;
        out.text(service.map_or("", |s| s.name_ar.as_str()))?;
        out.text(service.map_or("", |s| s.name_en.as_str()))?;
        out.text(row.kind.as_str())?;
        out.text(row.status.as_str())?;
        out.text(row.channel.as_str())?;
        out.text(row.language.as_str())?;
        out.text(row.priority.as_str())?;
        out.text(row.description)?;
        out.text(row.address.unwrap_or(""))?;
        out.number(row.lat)?;
        out.number(row.lon)?;
        reporter(out, row.reporter_name, plain, mask_name)?;
        reporter(out, row.reporter_phone, plain, mask_phone)?;
        reporter(out, row.reporter_email, plain, mask_email)?;
        out.text(row.resolution.unwrap_or(""))?;
        out.time(row.first_responded_at, clock, ISO)?;
        out.time(row.resolution_due, clock, ISO)
    }

    /// A row of the open-data layout: no reporter, no description, no address, no staff's
    /// words (all of which may name a person); the point coarsened, or left out (see
    /// `open_data_point`).
    fn nyc311_row(&mut self, row: &ExportRow<'_>, out: &mut impl Sink) -> Outcome<()> {
        let Self {
            config,
            services,
            clocks,
            ..
        } = self;
        let clock = clocks
            .entry(row.entity_id)
            .or_insert_with(|| Clock::new(chrono_tz::UTC));
        let entity = config.entities.get(&row.entity_id);
        let point = open_data_point(row.kind, row.lat, row.lon);
        let ended = !row.status.is_open();
        out.text(row.reference)?; // Unique Key
        out.time(Some(row.created_at), clock, NYC)?; // Created Date
        out.time(row.closed_at, clock, NYC)?; // Closed Date
        out.text(entity.map_or("", |e| e.code.as_str()))?; // Agency
        out.text(entity.map_or("", |e| e.name_en.as_str()))?; // Agency Name
        out.text(services.get(&row.service_id).map_or("", |s| s.name_en.as_str()))?; // Complaint Type
        out.text(row.kind.as_str())?; // Descriptor
        out.empty(8)?; // Location Type, Incident Zip and Address, Street Name, Cross and Intersection Streets
        out.text(if point.is_some() { "LATLONG" } else { "" })?; // Address Type
        out.empty(3)?; // City, Landmark, Facility Type
        out.text(nyc311_status(row.status))?; // Status
        out.time(row.resolution_due, clock, NYC)?; // Due Date
        out.text(nyc311_resolution(row.status))?; // Resolution Description
        out.time(ended.then_some(row.updated_at), clock, NYC)?; // Resolution Action Updated Date
        out.empty(5)?; // Community Board, BBL, Borough, X and Y Coordinate (State Plane)
        out.text(nyc311_channel(row.channel))?; // Open Data Channel Type
        out.empty(9)?; // Park Facility Name … Bridge Highway Segment
        out.number(point.map(|p| p.0))?; // Latitude
        out.number(point.map(|p| p.1))?; // Longitude
        match point {
            Some((lat, lon)) => out.point(lat, lon), // Location
            None => out.empty(1),
        }
    }
}

/// A reporter's detail, masked unless `plain`; a phone number (or its mask) as it is.
fn reporter(out: &mut impl Sink, v: Option<&str>, plain: bool, mask: fn(&str) -> String) -> Outcome<()> {
    let Some(v) = v else {
        return out.empty(1);
    };
    let masked;
    let shown = if plain {
        v
    } else {
        masked = mask(v);
        masked.as_str()
    };
    if is_phone_like(shown) {
        out.verbatim(shown)
    } else {
        out.text_cell(shown)
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

/// Where a row's cells go, one after the other: a CSV record or a sheet's row.
trait Sink {
    /// Words from people or the catalogue, even empty: neutralised in CSV.
    fn text_cell(&mut self, s: &str) -> Outcome<()>;

    /// Text that can hold no formula (a phone number of `+`, digits and a mask's `*`): as it
    /// is, so that `+973…` is not shown as `'+973…`.
    fn verbatim(&mut self, s: &str) -> Outcome<()>;

    /// A number, written by us: never neutralised (a longitude may be negative). Nothing
    /// when absent or not finite.
    fn number(&mut self, n: Option<f64>) -> Outcome<()>;

    /// A point as `(lat, lon)`.
    fn point(&mut self, lat: f64, lon: f64) -> Outcome<()>;

    /// An instant in the entity's local time: as text, and as a date in XLSX.
    fn time(&mut self, at: Option<i64>, clock: &mut Clock, style: TimeStyle) -> Outcome<()>;

    /// `n` empty cells.
    fn empty(&mut self, n: usize) -> Outcome<()>;

    /// Words, nothing when empty.
    fn text(&mut self, s: &str) -> Outcome<()> {
        if s.is_empty() {
            self.empty(1)
        } else {
            self.text_cell(s)
        }
    }
}

/// Cells into a CSV record; `text` is a scratch buffer for the cells we write ourselves.
struct CsvSink<'w, W: Write> {
    csv: &'w mut csv::Writer<W>,
    text: Vec<u8>,
}

impl<W: Write> CsvSink<'_, W> {
    fn field(&mut self, bytes: &[u8]) -> Outcome<()> {
        self.csv.write_field(bytes).map_err(unexpected)
    }

    fn scratch(&mut self) -> Outcome<()> {
        self.csv.write_field(&self.text).map_err(unexpected)
    }
}

impl<W: Write> Sink for CsvSink<'_, W> {
    fn text_cell(&mut self, s: &str) -> Outcome<()> {
        self.field(neutralise(s).as_bytes())
    }

    fn verbatim(&mut self, s: &str) -> Outcome<()> {
        self.field(s.as_bytes())
    }

    fn number(&mut self, n: Option<f64>) -> Outcome<()> {
        match n.filter(|n| n.is_finite()) {
            Some(n) => {
                self.text.clear();
                write_f64(&mut self.text, n);
                self.scratch()
            }
            None => self.field(b""),
        }
    }

    fn point(&mut self, lat: f64, lon: f64) -> Outcome<()> {
        self.text.clear();
        self.text.push(b'(');
        write_f64(&mut self.text, lat);
        self.text.extend_from_slice(b", ");
        write_f64(&mut self.text, lon);
        self.text.push(b')');
        self.scratch()
    }

    fn time(&mut self, at: Option<i64>, clock: &mut Clock, style: TimeStyle) -> Outcome<()> {
        match at.and_then(|at| clock.local(at)) {
            Some(local) => {
                self.text.clear();
                local.write(style, &mut self.text);
                self.scratch()
            }
            None => self.field(b""),
        }
    }

    fn empty(&mut self, n: usize) -> Outcome<()> {
        for _ in 0..n {
            self.field(b"")?;
        }
        Ok(())
    }
}

/// Cells into a row of a sheet, from its first column.
struct XlsxSink<'s> {
    sheet: &'s mut rust_xlsxwriter::Worksheet,
    when: &'s rust_xlsxwriter::Format,
    row: u32,
    col: u16,
}

impl XlsxSink<'_> {
    fn string(&mut self, s: &str) -> Outcome<()> {
        self.sheet.write_string(self.row, self.col, s).map_err(unexpected)?;
        self.col += 1;
        Ok(())
    }
}

impl Sink for XlsxSink<'_> {
    fn text_cell(&mut self, s: &str) -> Outcome<()> {
        self.string(s)
    }

    fn verbatim(&mut self, s: &str) -> Outcome<()> {
        self.string(s)
    }

    fn number(&mut self, n: Option<f64>) -> Outcome<()> {
        match n.filter(|n| n.is_finite()) {
            Some(n) => {
                self.sheet.write_number(self.row, self.col, n).map_err(unexpected)?;
                self.col += 1;
                Ok(())
            }
            None => self.empty(1),
        }
    }

    fn point(&mut self, lat: f64, lon: f64) -> Outcome<()> {
        let mut text = Vec::new();
        text.push(b'(');
        write_f64(&mut text, lat);
        text.extend_from_slice(b", ");
        write_f64(&mut text, lon);
        text.push(b')');
        self.string(&String::from_utf8_lossy(&text))
    }

    fn time(&mut self, at: Option<i64>, clock: &mut Clock, _: TimeStyle) -> Outcome<()> {
        if let Some(local) = at.and_then(|at| clock.local(at)).and_then(|l| l.naive()) {
            self.sheet
                .write_datetime_with_format(self.row, self.col, local, self.when)
                .map_err(unexpected)?;
        }
        self.col += 1;
        Ok(())
    }

    fn empty(&mut self, n: usize) -> Outcome<()> {
        self.col += n as u16;
        Ok(())
    }
}

/// A number as Rust's `Display` writes it (shortest digits that read back the same, never an
/// exponent). Not ryu: on ties the two pick different shortest digits.
fn write_f64(out: &mut Vec<u8>, n: f64) {
    let _ = write!(out, "{n}");
}

/// The days a `Clock` remembers, by UTC day modulo this: about three years.
const CLOCK_DAYS: usize = 1024;

/// A day whose offset changes during it (a daylight-saving switch).
const MIXED: i32 = i32::MIN;

/// An entity's time zone with its offsets remembered by UTC day: a zone's offset is looked up
/// (a search in its transitions) once a day of the export, not five times a row. A day the
/// offset changes during is looked up at each instant.
struct Clock {
    zone: Tz,
    /// (UTC day, offset in seconds or MIXED) by day modulo CLOCK_DAYS.
    days: Box<[(i64, i32)]>,
}

/// A local time, in microseconds since 1970-01-01 00:00 on the wall clock.
#[derive(Clone, Copy)]
struct Local(i64);

impl Clock {
    fn new(zone: Tz) -> Self {
        Self {
            zone,
            days: vec![(i64::MIN, 0); CLOCK_DAYS].into_boxed_slice(),
        }
    }

    fn offset_at(&self, secs: i64) -> Option<i32> {
        let utc = chrono::DateTime::from_timestamp(secs, 0)?.naive_utc();
        Some(self.zone.offset_from_utc_datetime(&utc).fix().local_minus_utc())
    }

    /// The local time of the instant `micros`; `None` out of chrono's range.
    fn local(&mut self, micros: i64) -> Option<Local> {
        let secs = micros.div_euclid(1_000_000);
        let day = secs.div_euclid(86_400);
        let slot = day.rem_euclid(CLOCK_DAYS as i64) as usize;
        let (known, offset) = self.days[slot];
        let offset = if known == day && offset != MIXED {
            offset
        } else if known == day {
            self.offset_at(secs)?
        } else {
            // Offsets change at whole seconds: the day's first and last second agree when it
            // has no change (no zone changes twice in a day and back).
            let first = self.offset_at(day * 86_400);
            let last = self.offset_at(day * 86_400 + 86_399);
            match (first, last) {
                (Some(first), Some(last)) if first == last => {
                    self.days[slot] = (day, first);
                    first
                }
                (Some(_), Some(_)) => {
                    self.days[slot] = (day, MIXED);
                    self.offset_at(secs)?
                }
                _ => self.offset_at(secs)?,
            }
        };
        micros.checked_add(i64::from(offset) * 1_000_000).map(Local)
    }
}

impl Local {
    fn naive(self) -> Option<NaiveDateTime> {
        chrono::DateTime::from_timestamp_micros(self.0).map(|t| t.naive_utc())
    }

    /// Written field by field, without a format string parsed at every call.
    fn write(self, style: TimeStyle, out: &mut Vec<u8>) {
        let secs = self.0.div_euclid(1_000_000);
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        let of_day = secs.rem_euclid(86_400);
        let (hour, minute, second) = (of_day / 3600, of_day / 60 % 60, of_day % 60);
        match style {
            TimeStyle::Iso => {
                write_year(out, year);
                out.push(b'-');
                two(out, month);
                out.push(b'-');
                two(out, day);
                out.push(b' ');
                two(out, hour);
            }
            TimeStyle::Nyc => {
                two(out, month);
                out.push(b'/');
                two(out, day);
                out.push(b'/');
                write_year(out, year);
                out.push(b' ');
                two(out, if hour % 12 == 0 { 12 } else { hour % 12 });
            }
        }
        out.push(b':');
        two(out, minute);
        out.push(b':');
        two(out, second);
        if let TimeStyle::Nyc = style {
            out.extend_from_slice(if hour >= 12 { b" PM" } else { b" AM" });
        }
    }
}

/// Two digits (0 to 99).
fn two(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(&[b'0' + (n / 10) as u8, b'0' + (n % 10) as u8]);
}

/// A year as `{:04}` writes it.
fn write_year(out: &mut Vec<u8>, year: i64) {
    if (0..=9999).contains(&year) {
        two(out, year / 100);
        two(out, year % 100);
    } else {
        let _ = write!(out, "{year:04}");
    }
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (H. Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::{is_phone_like, Clock, ISO, NYC};
    #[test]
    fn only_phone_numbers_and_their_masks_go_unneutralised() {
        for phone in ["+97333001234", "+973****1234"] {
            assert!(is_phone_like(phone), "{phone}");
        }
        for other in ["+", "+1+cmd|' /C calc'!A0", "+973 3300", "97333001234", "=+973", "+٩٧٣"] {
            assert!(!is_phone_like(other), "{other}");
        }
    }

    /// A small deterministic generator, for many inputs without a dependency.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            self.0
        }
    }

    #[test]
    fn local_times_are_chronos() {
        let zones = [
            chrono_tz::UTC,
            chrono_tz::Asia::Bahrain,
            chrono_tz::America::New_York,
            chrono_tz::Asia::Kolkata,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::Europe::London,
            chrono_tz::Asia::Kathmandu,
        ];
        let mut rng = Lcg(11);
        // 1960 to 2100, at random instants, and every half hour across two years' switches.
        let mut instants: Vec<i64> = (0..20_000)
            .map(|_| (rng.next() % 4_418_000_000_000_000) as i64 - 315_619_200_000_000)
            .collect();
        instants.extend((0..2 * 365 * 48).map(|i| 1_735_689_600_000_000 + i * 1_800_000_000 + 123_456));
        for zone in zones {
            let mut clock = Clock::new(zone);
            for &at in &instants {
                let want = chrono::DateTime::from_timestamp_micros(at)
                    .expect("in range")
                    .with_timezone(&zone);
                let local = clock.local(at).expect("in range");
                for (style, format) in [(ISO, "%Y-%m-%d %H:%M:%S"), (NYC, "%m/%d/%Y %I:%M:%S %p")] {
                    let mut out = Vec::new();
                    local.write(style, &mut out);
                    assert_eq!(
                        String::from_utf8(out).expect("utf-8"),
                        want.format(format).to_string(),
                        "{zone} {at}"
                    );
                }
                assert_eq!(local.naive(), Some(want.naive_local()), "{zone} {at}");
            }
        }
    }
}
