//! Service points ("we come to you"): administrators register the assets and places whose
//! printed QR code opens the resident form prefilled with the point's service and location,
//! one at a time or from a CSV file; residents scanning a code read the point.
//!
//! Points are part of the catalogue: like a service, a point is what an entity offers
//! residents (a way in to one of its services), managed under the same permission.

use crate::catalogue::{CatalogueError, CatalogueResult};
use crate::error::{Failure, Outcome};
use crate::identity::authz::{Permission, StaffUser};
use crate::App;
use rand::Rng;
use std::collections::{BTreeSet, HashMap};
use tawasul_domain::points::{generated_code, parse_decimal, NewPoint, PointDraft, GENERATED_CODE_LEN};
use tawasul_domain::Invalid;
use tawasul_store::{AuditInsert, EntityRow, PointInsert, PointRow, ServiceRow};

/// The largest CSV file an import reads.
pub const MAX_IMPORT_BYTES: usize = 2 * 1024 * 1024;
/// The most points one import adds.
pub const MAX_IMPORT_ROWS: usize = 10_000;

/// The columns of an import file: the first line names them, in any order.
const REQUIRED_COLUMNS: [&str; 4] = ["service", "name_ar", "lat", "lon"];
const OPTIONAL_COLUMNS: [&str; 4] = ["entity", "code", "name_en", "asset_kind"];

/// A problem of one line of an import file: nothing is imported, and the message says where.
fn at_line(line: u64, e: Invalid) -> Invalid {
    let message = if e.field.is_empty() {
        format!("line {line}: {}", e.message)
    } else {
        format!("line {line}, {}: {}", e.field, e.message)
    };
    Invalid::new(e.code, "file", message)
}

fn file_problem(code: &'static str, message: impl Into<String>) -> Invalid {
    Invalid::new(code, "file", message)
}

/// The drafts of an import file, each with its line, or the first problem found.
/// `entity`: the entity the import is for, which rows may leave out; a row naming another
/// is refused.
pub fn parse_import(bytes: &[u8], entity: Option<&str>) -> Result<Vec<(u64, PointDraft)>, Invalid> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(file_problem(
            "import_too_large",
            format!(
                "the file has {} bytes; an import reads at most {MAX_IMPORT_BYTES}",
                bytes.len()
            ),
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader
        .byte_headers()
        .map_err(|e| file_problem("invalid_csv", format!("line 1: {e}")))?
        .clone();
    let mut columns: HashMap<&'static str, usize> = HashMap::new();
    for (i, raw) in headers.iter().enumerate() {
        let name = std::str::from_utf8(raw).unwrap_or("").trim().to_lowercase();
        let known = REQUIRED_COLUMNS.iter().chain(&OPTIONAL_COLUMNS).find(|c| **c == name);
        let Some(known) = known else {
            let shown: String = String::from_utf8_lossy(raw).chars().take(40).collect();
            return Err(file_problem(
                "unknown_column",
                format!(
                    "line 1: unknown column {shown:?}; the columns are {} and optionally {}",
                    REQUIRED_COLUMNS.join(", "),
                    OPTIONAL_COLUMNS.join(", ")
                ),
            ));
        };
        if columns.insert(*known, i).is_some() {
            return Err(file_problem(
                "duplicate_column",
                format!("line 1: column {known} is named twice"),
            ));
        }
    }
    if let Some(missing) = REQUIRED_COLUMNS.iter().find(|c| !columns.contains_key(*c)) {
        return Err(file_problem(
            "missing_column",
            format!("line 1: the column {missing} is missing"),
        ));
    }
    if entity.is_none() && !columns.contains_key("entity") {
        return Err(file_problem("missing_column", "line 1: the column entity is missing"));
    }
    let mut drafts = Vec::new();
    for record in reader.byte_records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            file_problem("invalid_csv", format!("line {line}: {}", csv_problem(&e)))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        if drafts.len() == MAX_IMPORT_ROWS {
            return Err(file_problem(
                "too_many_rows",
                format!("line {line}: an import adds at most {MAX_IMPORT_ROWS} points"),
            ));
        }
        let text = |column: &str| -> Result<Option<String>, Invalid> {
            let Some(i) = columns.get(column) else { return Ok(None) };
            let raw = record.get(*i).unwrap_or_default();
            let s = std::str::from_utf8(raw)
                .map_err(|_| at_line(line, Invalid::new("invalid_encoding", column, "is not UTF-8 text")))?;
            Ok(Some(s.to_owned()).filter(|s| !s.is_empty()))
        };
        let number = |column: &str| -> Result<f64, Invalid> {
            let raw = text(column)?.unwrap_or_default();
            parse_decimal(&raw).ok_or_else(|| {
                at_line(
                    line,
                    Invalid::new("invalid_number", column, format!("{raw:?} is not a number")),
                )
            })
        };
        let row_entity = text("entity")?;
        let entity = match (row_entity, entity) {
            (Some(given), Some(fixed)) if given != fixed => {
                return Err(at_line(
                    line,
                    Invalid::new(
                        "other_entity",
                        "entity",
                        format!("this import is for {fixed:?}, not {given:?}"),
                    ),
                ))
            }
            (Some(given), _) => given,
            (None, Some(fixed)) => fixed.to_owned(),
            (None, None) => return Err(at_line(line, Invalid::new("required", "entity", "must not be empty"))),
        };
        let draft = PointDraft {
            code: text("code")?,
            entity,
            service: text("service")?.unwrap_or_default(),
            name_ar: text("name_ar")?.unwrap_or_default(),
            name_en: text("name_en")?,
            lat: number("lat")?,
            lon: number("lon")?,
            asset_kind: text("asset_kind")?,
        };
        drafts.push((line, draft));
    }
    if drafts.is_empty() {
        return Err(file_problem(
            "empty_import",
            "the file has no points under its first line",
        ));
    }
    Ok(drafts)
}

fn csv_problem(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("has {len} fields where the first line names {expected_len}")
        }
        _ => "is not valid CSV".to_owned(),
    }
}

/// The path a point's QR code opens: the resident form, prefilled.
pub fn point_path(code: &str) -> String {
    format!("/p/{code}")
}

impl App {
    /// The address residents reach this installation at, when it is configured.
    pub fn public_url(&self) -> Option<&str> {
        self.settings.public_url.as_deref()
    }

    /// Adds one point and returns it (with its code, generated when none was given).
    pub async fn add_point(&self, user: &StaffUser, draft: PointDraft) -> CatalogueResult<PointRow> {
        let codes = self.add_points(Some(user), vec![(0, draft)], "add_point").await?;
        Ok(self.point_row(&codes[0]).await?)
    }

    /// The same, by the operator at the command line (`tawasul point add`).
    pub async fn add_point_as_operator(&self, draft: PointDraft) -> CatalogueResult<PointRow> {
        let codes = self.add_points(None, vec![(0, draft)], "add_point").await?;
        Ok(self.point_row(&codes[0]).await?)
    }

    /// Adds every point of a CSV file for the entity `entity`, or none: the first bad line
    /// is refused with its number. Returns the codes of the points, in the file's order.
    pub async fn import_points(&self, user: &StaffUser, entity: &str, csv: &[u8]) -> CatalogueResult<Vec<String>> {
        self.managed_entity(user, entity, "entity").await?;
        let drafts = parse_import(csv, Some(entity))?;
        self.add_points(Some(user), drafts, "import_points").await
    }

    /// The same, by the operator at the command line (`tawasul point import`): each row
    /// names its entity unless `entity` is given.
    pub async fn import_points_as_operator(&self, entity: Option<&str>, csv: &[u8]) -> CatalogueResult<Vec<String>> {
        let drafts = parse_import(csv, entity)?;
        self.add_points(None, drafts, "import_points").await
    }

    /// An entity's points with their counts of cases, for its administrators.
    pub async fn points(&self, user: &StaffUser, entity: &str) -> CatalogueResult<Vec<PointRow>> {
        let entity = self.managed_entity(user, entity, "entity").await?;
        Ok(self.store.points(Some(entity.id)).await?)
    }

    /// The points whose cases a staff user may list (those of the user's entity, or every
    /// point for installation-wide staff), with their counts of cases.
    pub async fn points_for_queue(&self, user: &StaffUser) -> CatalogueResult<Vec<PointRow>> {
        Ok(self.store.points(user.entity_id).await?)
    }

    /// A point as a resident scanning its code sees it: public, like the catalogue.
    pub async fn point(&self, code: &str) -> CatalogueResult<Option<PointRow>> {
        if tawasul_domain::catalogue::parse_code(code, "code").is_err() {
            return Ok(None);
        }
        Ok(self.store.point_by_code(code).await?)
    }

    /// Points by code, for the operator's `tawasul qr`; an unknown code is refused by name.
    pub async fn points_as_operator(&self, codes: &[String]) -> CatalogueResult<Vec<PointRow>> {
        if codes.is_empty() {
            return Ok(self.store.points(None).await?);
        }
        let mut rows = Vec::with_capacity(codes.len());
        for code in codes {
            let row = self.store.point_by_code(&code.to_lowercase()).await?;
            rows.push(row.ok_or_else(|| Invalid::new("unknown_point", "point", format!("no service point {code:?}")))?);
        }
        Ok(rows)
    }

    /// Checks every draft (its line given for messages; 0 for a single point), resolves
    /// entities and services, refuses codes taken in the store or twice in the batch, and
    /// writes them all with one audit row.
    async fn add_points(
        &self,
        user: Option<&StaffUser>,
        drafts: Vec<(u64, PointDraft)>,
        action: &str,
    ) -> CatalogueResult<Vec<String>> {
        let single = drafts.len() == 1 && drafts[0].0 == 0;
        let locate = |line: u64, e: Invalid| if single { e } else { at_line(line, e) };
        let mut entities: HashMap<String, EntityRow> = HashMap::new();
        let mut services: HashMap<String, ServiceRow> = HashMap::new();
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut points = Vec::with_capacity(drafts.len());
        let now = self.now_micros();
        for (line, draft) in &drafts {
            let p = NewPoint::parse(draft).map_err(|e| locate(*line, e))?;
            if !entities.contains_key(&p.entity) {
                let entity = self.store.entity_by_code(&p.entity).await?.ok_or_else(|| {
                    locate(
                        *line,
                        Invalid::new("unknown_entity", "entity", format!("no entity {:?}", p.entity)),
                    )
                })?;
                if let Some(user) = user {
                    user.require(Permission::ManageCatalogue, Some(entity.id))?;
                }
                entities.insert(p.entity.clone(), entity);
            }
            let entity = &entities[&p.entity];
            if !services.contains_key(&p.service) {
                if let Some(service) = self.store.service_by_code(&p.service).await? {
                    services.insert(p.service.clone(), service);
                }
            }
            let service = services
                .get(&p.service)
                .filter(|s| s.entity_id == entity.id)
                .ok_or_else(|| {
                    locate(
                        *line,
                        Invalid::new(
                            "unknown_service",
                            "service",
                            format!("{:?} has no active service {:?}", entity.code, p.service),
                        ),
                    )
                })?;
            if let Some(code) = &p.code {
                if let Some(first) = seen.insert(code.clone(), *line) {
                    return Err(locate(
                        *line,
                        Invalid::new(
                            "duplicate",
                            "code",
                            format!("the code {code:?} is on line {first} already"),
                        ),
                    )
                    .into());
                }
            }
            points.push((
                *line,
                p.code.is_some(),
                PointInsert {
                    code: p.code.clone().unwrap_or_default(),
                    entity_id: entity.id,
                    service_id: service.id,
                    name_ar: p.name_ar,
                    name_en: p.name_en,
                    asset_kind: p.asset_kind,
                    lat: p.location.lat,
                    lon: p.location.lon,
                    created_at: now,
                },
            ));
        }
        let given: Vec<String> = points.iter().filter(|p| p.1).map(|p| p.2.code.clone()).collect();
        let taken: BTreeSet<String> = self.store.taken_point_codes(given).await?.into_iter().collect();
        if let Some((line, _, p)) = points.iter().find(|p| taken.contains(&p.2.code)) {
            let e = Invalid::new(
                "duplicate",
                "code",
                format!("a service point {:?} exists already", p.code),
            );
            return Err(locate(*line, e).into());
        }
        // Generated codes: drawn until unused here and in the store (a clash is rare: 31^8).
        let mut used: BTreeSet<String> = seen.into_keys().collect();
        let mut fresh = Vec::new();
        for (_, _, p) in points.iter_mut().filter(|p| !p.1) {
            p.code = loop {
                let code = generated_code(rand::thread_rng().gen::<[u8; GENERATED_CODE_LEN]>());
                if used.insert(code.clone()) {
                    break code;
                }
            };
            fresh.push(p.code.clone());
        }
        if !self.store.taken_point_codes(fresh).await?.is_empty() {
            return Err(Failure::Unexpected(anyhow::anyhow!("a generated point code is taken; try again")).into());
        }
        let codes: Vec<String> = points.iter().map(|p| p.2.code.clone()).collect();
        let entity_codes: BTreeSet<&str> = entities.keys().map(String::as_str).collect();
        let audit = AuditInsert {
            at: now,
            staff_id: user.map(|u| u.id),
            action: action.into(),
            target: match entity_codes.iter().next() {
                Some(code) if entity_codes.len() == 1 => format!("entity:{code}"),
                _ => "service_points".into(),
            },
            details: serde_json::json!({ "points": codes.len(), "codes": codes.iter().take(20).collect::<Vec<_>>() })
                .to_string(),
        };
        self.store
            .insert_points(points.into_iter().map(|p| p.2).collect(), audit)
            .await
            .map_err(|e| match CatalogueError::from(e) {
                CatalogueError::Duplicate(_) => {
                    Invalid::new("duplicate", "code", "a point with this code was added meanwhile").into()
                }
                other => other,
            })?;
        Ok(codes)
    }

    async fn point_row(&self, code: &str) -> Outcome<PointRow> {
        self.store
            .point_by_code(code)
            .await?
            .ok_or(Failure::NotFound("service point"))
    }
}
