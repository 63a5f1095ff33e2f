//! The review UI: the queue, a note with its evidence and decision forms, explanations,
//! imports and exports. Server-rendered HTML ([`pages`]) with one small script and one style
//! sheet, both served by medcode (the workbench works offline).
//!
//! Forms post back here and are answered with a redirect (303), so a reload never posts twice.

mod highlight;
pub mod pages;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use rayon::prelude::*;
use serde::Deserialize;

use super::AppState;
use super::problem::Problem;
use super::security::check_csrf;
use super::store::{Action, NewDecision, NewNote, NoteKey, QueueFilter, ReviewState};
use crate::code::CodeSystem;
use crate::jsonl::{JsonlReader, Line, line_limit};
use crate::report::Report;
use crate::setting::Setting;
use crate::span::Span;

type Shared = State<Arc<AppState>>;

/// The cookie that names the reviewer.
const REVIEWER_COOKIE: &str = "medcode_reviewer";

/// The largest upload (a JSONL file of notes).
const MAX_UPLOAD_BYTES: usize = 512 << 20;

/// The UI's routes and its two assets.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(queue))
        .route("/notes/{key}", get(note))
        .route("/notes/{key}/decisions", post(decide))
        .route("/notes/{key}/explain", get(explain))
        .route("/notes/{key}/fhir.json", get(fhir))
        .route("/import/note", post(import_note))
        .route(
            "/import/file",
            post(import_file).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
        .route("/import/path", post(import_path))
        .route("/reviewer", post(set_reviewer))
        .route("/export/accepted.csv", get(export_csv))
        .route("/export/accepted.jsonl", get(export_jsonl))
        .route("/export/fhir.ndjson", get(export_fhir))
        .route("/assets/app.css", get(css))
        .route("/assets/app.js", get(js))
}

/// A failure shown as an HTML page.
struct PageError(Problem);

impl From<Problem> for PageError {
    fn from(problem: Problem) -> PageError {
        PageError(problem)
    }
}

impl From<tokio::task::JoinError> for PageError {
    fn from(error: tokio::task::JoinError) -> PageError {
        PageError(Problem::internal(&error))
    }
}

impl From<super::store::StoreError> for PageError {
    fn from(error: super::store::StoreError) -> PageError {
        PageError(Problem::internal(&error))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        (status, Html(pages::error(self.0.status, &self.0.detail))).into_response()
    }
}

type PageResult = Result<Response, PageError>;

/// Runs blocking work (the store, the engine) off the async workers.
async fn blocking<T: Send + 'static>(
    state: &Arc<AppState>,
    work: impl FnOnce(&AppState) -> T + Send + 'static,
) -> Result<T, PageError> {
    let state = Arc::clone(state);
    Ok(tokio::task::spawn_blocking(move || work(&state)).await?)
}

fn reviewer(headers: &HeaderMap) -> String {
    super::security::cookie(headers, REVIEWER_COOKIE)
        .map(percent_decode)
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| "reviewer".to_string())
}

/// Queue filters as the query string gives them.
#[derive(Debug, Default, Deserialize)]
struct QueueParams {
    q: Option<String>,
    review: Option<String>,
    system: Option<String>,
    below: Option<String>,
    state: Option<String>,
    page: Option<u64>,
}

impl QueueParams {
    fn filter(&self) -> Result<QueueFilter, Problem> {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        Ok(QueueFilter {
            note_id: given(&self.q).map(str::to_string),
            needs_review: match given(&self.review) {
                Some("yes") => Some(true),
                Some("no") => Some(false),
                Some(other) => {
                    return Err(Problem::bad_request(format!(
                        "review `{other}`: expected yes or no"
                    )));
                }
                None => None,
            },
            system: given(&self.system)
                .map(CodeSystem::parse_named)
                .transpose()
                .map_err(Problem::bad_request)?,
            below_confidence: given(&self.below)
                .map(crate::pipeline::parse_confidence)
                .transpose()
                .map_err(|e| Problem::bad_request(format!("below: {e}")))?,
            state: given(&self.state)
                .map(|s| s.parse::<ReviewState>())
                .transpose()
                .map_err(|_| {
                    Problem::bad_request("state: expected unreviewed, in_progress or done")
                })?,
        })
    }
}

async fn queue(
    State(state): Shared,
    headers: HeaderMap,
    Query(params): Query<QueueParams>,
) -> PageResult {
    let filter = params.filter()?;
    let number = params.page.unwrap_or(1).max(1);
    let offset = (number - 1) * pages::PAGE_SIZE;
    let page_filter = filter.clone();
    let page = blocking(&state, move |s| {
        s.store.page(&page_filter, offset, pages::PAGE_SIZE)
    })
    .await??;
    let html = pages::queue(&page, &filter, number, &state.csrf, &reviewer(&headers));
    Ok(Html(html).into_response())
}

async fn note(State(state): Shared, headers: HeaderMap, Path(key): Path<NoteKey>) -> PageResult {
    let html = note_html(&state, key, &reviewer(&headers), None).await?;
    Ok(Html(html).into_response())
}

async fn note_html(
    state: &Arc<AppState>,
    key: NoteKey,
    reviewer: &str,
    error: Option<String>,
) -> Result<String, PageError> {
    let found = blocking(state, move |s| s.store.note(key)).await??;
    let note =
        found.ok_or_else(|| Problem::not_found(format!("there is no note {key} in the queue")))?;
    let added: Vec<crate::span::Span> = super::store::current(&note.decisions)
        .iter()
        .filter(|d| d.action == Action::Add)
        .filter_map(|d| d.evidence)
        .collect();
    let highlighted = highlight::render(&note.text, &note.report, &added);
    Ok(pages::note(
        &note,
        &highlighted,
        &state.csrf,
        reviewer,
        error.as_deref(),
    ))
}

/// A decision form.
#[derive(Debug, Deserialize)]
struct DecisionForm {
    csrf: Option<String>,
    action: String,
    system: Option<String>,
    code: String,
    new_code: Option<String>,
    reason: Option<String>,
    reason_text: Option<String>,
    start: Option<String>,
    end: Option<String>,
}

async fn decide(
    State(state): Shared,
    headers: HeaderMap,
    Path(key): Path<NoteKey>,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    check_csrf(&state, form.csrf.as_deref())?;
    let reviewer = reviewer(&headers);
    let decision = match new_decision(&state, form, &reviewer) {
        Ok(decision) => decision,
        Err(message) => {
            let html = note_html(&state, key, &reviewer, Some(message)).await?;
            return Ok((StatusCode::BAD_REQUEST, Html(html)).into_response());
        }
    };
    match blocking(&state, move |s| s.store.decide(key, &decision)).await? {
        Ok(_) => Ok(Redirect::to(&format!("/notes/{key}")).into_response()),
        Err(super::store::StoreError::NoSuchNote(_)) => {
            Err(Problem::not_found(format!("there is no note {key} in the queue")).into())
        }
        Err(super::store::StoreError::Invalid(message)) => {
            let html = note_html(&state, key, &reviewer, Some(message)).await?;
            Ok((StatusCode::BAD_REQUEST, Html(html)).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// A form as a decision: the action, its code checked against the dictionary.
fn new_decision(
    state: &AppState,
    form: DecisionForm,
    reviewer: &str,
) -> Result<NewDecision, String> {
    let action: Action = form.action.parse().map_err(|_| {
        format!(
            "unknown action `{}`: expected accept, reject, change or add",
            form.action
        )
    })?;
    let given = |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let (system, code) = match action {
        Action::Add => known_code(state, &form.code)?,
        _ => {
            let system = given(form.system)
                .map(|s| CodeSystem::parse_named(&s))
                .transpose()?
                .ok_or("the form names no code system")?;
            (system, form.code.trim().to_string())
        }
    };
    let new_code = match (action, given(form.new_code)) {
        (Action::Change, Some(text)) => Some(known_code(state, &text)?.1),
        (Action::Change, None) => return Err("enter the code to change to".to_string()),
        _ => None,
    };
    let reason = match (given(form.reason), given(form.reason_text)) {
        (Some(r), Some(t)) => Some(format!("{r}: {t}")),
        (r, t) => r.or(t),
    };
    let evidence = match action {
        Action::Add => Some(selection(form.start.as_deref(), form.end.as_deref())?),
        _ => None,
    };
    Ok(NewDecision {
        system,
        code,
        action,
        new_code,
        reason,
        evidence,
        reviewer: reviewer.to_string(),
        medcode_version: env!("CARGO_PKG_VERSION").to_string(),
        rules_fingerprint: state.engine.rules().fingerprint().to_string(),
    })
}

/// A code the dictionary knows, written as the code set writes it; the first search hit when
/// the reviewer typed words.
fn known_code(state: &AppState, text: &str) -> Result<(CodeSystem, String), String> {
    let dictionary = state.engine.dictionary();
    let text = text.trim();
    let code = text.split_whitespace().next().unwrap_or("");
    if let Some(found) = dictionary.lookup(code) {
        return Ok((found.entry.system, found.entry.code.clone()));
    }
    Err(
        crate::dictionary::cli_support::format_unknown(dictionary, code)
            .trim_end()
            .to_string(),
    )
}

fn selection(start: Option<&str>, end: Option<&str>) -> Result<Span, String> {
    let read = |v: Option<&str>| v.and_then(|v| v.trim().parse::<usize>().ok());
    match (read(start), read(end)) {
        (Some(start), Some(end)) if start < end => Ok(Span { start, end }),
        _ => Err("select the evidence in the note text before adding a code".to_string()),
    }
}

#[derive(Debug, Deserialize)]
struct ExplainParams {
    code: Option<String>,
}

async fn explain(
    State(state): Shared,
    Path(key): Path<NoteKey>,
    Query(params): Query<ExplainParams>,
) -> PageResult {
    let html = blocking(&state, move |s| -> Result<Option<String>, PageError> {
        let Some(note) = s.store.note(key)? else {
            return Ok(None);
        };
        let options = crate::pipeline::Options {
            setting: note.setting,
            ..s.defaults.clone()
        };
        let explanations = crate::explain::explain(
            &s.engine,
            &note.note_id,
            &note.text,
            &options,
            params.code.as_deref(),
        )
        .map_err(|e| Problem::internal(&e))?;
        Ok(Some(pages::explanations(&note, &explanations)))
    })
    .await??;
    let html =
        html.ok_or_else(|| Problem::not_found(format!("there is no note {key} in the queue")))?;
    Ok(Html(html).into_response())
}

async fn fhir(State(state): Shared, Path(key): Path<NoteKey>) -> PageResult {
    let bundle = blocking(
        &state,
        move |s| -> Result<Option<serde_json::Value>, PageError> {
            let release = s.engine.dictionary().release().to_string();
            Ok(s.store
                .note_codes(key)?
                .map(|codes| super::export::fhir_bundle(&codes, &release)))
        },
    )
    .await??;
    let bundle =
        bundle.ok_or_else(|| Problem::not_found(format!("there is no note {key} in the queue")))?;
    Ok(download(
        "application/fhir+json",
        &format!("note-{key}-bundle.json"),
        serde_json::to_vec_pretty(&bundle).unwrap_or_default(),
    ))
}

/// A pasted note.
#[derive(Debug, Deserialize)]
struct NoteForm {
    csrf: Option<String>,
    id: Option<String>,
    setting: Option<String>,
    text: String,
}

async fn import_note(State(state): Shared, Form(form): Form<NoteForm>) -> PageResult {
    check_csrf(&state, form.csrf.as_deref())?;
    let setting: Setting = match form.setting.as_deref() {
        Some(text) => text
            .parse()
            .map_err(|e: crate::setting::SettingError| Problem::bad_request(e.to_string()))?,
        None => Setting::Outpatient,
    };
    let id = form
        .id
        .map(|i| i.trim().to_string())
        .filter(|i| !i.is_empty());
    let id = id.unwrap_or_else(|| format!("pasted-{}", jiff::Timestamp::now().as_millisecond()));
    let record = crate::jsonl::Record {
        id,
        text: form.text.replace("\r\n", "\n"),
        setting: Some(setting),
        date_of_service: None,
        meta: None,
    };
    let (added, _) = import(&state, vec![Line::Record(Box::new(record))]).await?;
    match added.keys.first() {
        Some(key) => Ok(Redirect::to(&format!("/notes/{key}")).into_response()),
        None => Ok(Html(pages::imported(0, &added.skipped, &[])).into_response()),
    }
}

async fn import_file(State(state): Shared, mut multipart: Multipart) -> PageResult {
    let mut csrf = None;
    let mut file: Option<(String, Bytes)> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| Problem::bad_request(e.body_text()))?
    {
        match field.name() {
            Some("csrf") => {
                csrf = Some(
                    field
                        .text()
                        .await
                        .map_err(|e| Problem::bad_request(e.body_text()))?,
                )
            }
            Some("file") => {
                let name = field.file_name().unwrap_or("upload").to_string();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| Problem::bad_request(e.body_text()))?;
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    check_csrf(&state, csrf.as_deref())?;
    let (name, bytes) = file.ok_or_else(|| Problem::bad_request("choose a file to import"))?;
    let max = state.settings.max_note_bytes;
    let lines = blocking(&state, move |_| lines_of(&name, &bytes, max)).await?;
    let (added, errors) = import(&state, lines).await?;
    Ok(Html(pages::imported(added.keys.len(), &added.skipped, &errors)).into_response())
}

/// The notes of one uploaded or server file: JSONL records, or the whole file as one note.
fn lines_of(name: &str, bytes: &[u8], max: u64) -> Vec<Line> {
    let jsonl = name.ends_with(".jsonl")
        || name.ends_with(".ndjson")
        || bytes.trim_ascii_start().starts_with(b"{");
    if jsonl {
        let mut reader = JsonlReader::new(name.to_string(), bytes, line_limit(max));
        return std::iter::from_fn(|| reader.next_line(max)).collect();
    }
    if bytes.len() as u64 > max {
        let error = crate::input::InputError::TooLarge {
            path: name.to_string(),
            size: bytes.len() as u64,
            limit: max,
        };
        return vec![Line::Bad(error.to_string())];
    }
    match crate::input::note_from_bytes(name, bytes.to_vec()) {
        Ok(note) => vec![Line::Record(Box::new(crate::jsonl::Record {
            id: note.id,
            text: note.text,
            setting: None,
            date_of_service: None,
            meta: None,
        }))],
        Err(e) => vec![Line::Bad(e.to_string())],
    }
}

#[derive(Debug, Deserialize)]
struct PathForm {
    csrf: Option<String>,
    path: String,
}

async fn import_path(State(state): Shared, Form(form): Form<PathForm>) -> PageResult {
    check_csrf(&state, form.csrf.as_deref())?;
    let max = state.settings.max_note_bytes;
    let path = std::path::PathBuf::from(form.path.trim());
    let lines = blocking(&state, move |_| lines_of_path(&path, max)).await?;
    let (added, errors) = import(&state, lines).await?;
    Ok(Html(pages::imported(added.keys.len(), &added.skipped, &errors)).into_response())
}

/// The notes of a file, or of every file in a directory (sorted by name, not recursive).
pub fn lines_of_path(path: &std::path::Path, max: u64) -> Vec<Line> {
    let read = |file: &std::path::Path| -> Vec<Line> {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match std::fs::read(file) {
            Ok(bytes) => lines_of(&name, &bytes, max),
            Err(e) => vec![Line::Bad(format!("{}: cannot read: {e}", file.display()))],
        }
    };
    if !path.is_dir() {
        return read(path);
    }
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) => return vec![Line::Bad(format!("{}: cannot read: {e}", path.display()))],
    };
    let mut files: Vec<std::path::PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    files.iter().flat_map(|f| read(f)).collect()
}

/// Codes the records (in parallel) and adds them to the queue; returns what was added and the
/// lines that could not be read.
async fn import(
    state: &Arc<AppState>,
    lines: Vec<Line>,
) -> Result<(super::store::Added, Vec<String>), PageError> {
    let result = blocking(state, move |s| -> Result<_, PageError> {
        Ok(import_blocking(s, lines)?)
    })
    .await??;
    Ok(result)
}

/// Codes the records (in parallel) and adds them to the queue, without the async runtime (the
/// import forms call it from `spawn_blocking`; `medcode serve --queue` at start).
///
/// # Errors
/// A store error (coding errors are listed with the unreadable lines).
pub fn import_blocking(
    state: &AppState,
    lines: Vec<Line>,
) -> Result<(super::store::Added, Vec<String>), super::store::StoreError> {
    let mut errors = Vec::new();
    let mut records = Vec::new();
    for line in lines {
        match line {
            Line::Record(record) => records.push(*record),
            Line::Bad(message) => errors.push(message),
        }
    }
    let coded: Vec<Result<(crate::jsonl::Record, Report), String>> = records
        .into_par_iter()
        .map(|record| {
            let setting = record.setting.unwrap_or(state.defaults.setting);
            let options = crate::pipeline::Options {
                setting,
                ..state.defaults.clone()
            };
            let report = state
                .engine
                .suggest(&record.id, &record.text, &options)
                .map_err(|e| format!("{}: {e}", record.id))?;
            Ok((record, report))
        })
        .collect();
    let mut ok = Vec::new();
    for result in coded {
        match result {
            Ok(pair) => ok.push(pair),
            Err(e) => errors.push(e),
        }
    }
    let dates: Vec<Option<String>> = ok
        .iter()
        .map(|(r, _)| r.date_of_service.map(|d| d.to_string()))
        .collect();
    let notes: Vec<NewNote> = ok
        .iter()
        .zip(&dates)
        .map(|((record, report), date)| NewNote {
            note_id: &record.id,
            text: &record.text,
            setting: report.setting,
            date_of_service: date.as_deref(),
            meta: record.meta.as_ref(),
            report,
        })
        .collect();
    let added = state.store.add_notes(&notes)?;
    Ok((added, errors))
}

#[derive(Debug, Deserialize)]
struct ReviewerForm {
    csrf: Option<String>,
    reviewer: String,
}

async fn set_reviewer(State(state): Shared, Form(form): Form<ReviewerForm>) -> PageResult {
    check_csrf(&state, form.csrf.as_deref())?;
    let name: String = form
        .reviewer
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect();
    let mut response = Redirect::to("/").into_response();
    let cookie = format!(
        "{REVIEWER_COOKIE}={}; Path=/; SameSite=Strict",
        percent_encode(&name)
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn download(content_type: &'static str, name: &str, body: Vec<u8>) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

async fn export_csv(State(state): Shared) -> PageResult {
    let text = blocking(&state, |s| {
        s.store.accepted().map(|n| super::export::csv(&n))
    })
    .await??;
    Ok(download(
        "text/csv; charset=utf-8",
        "accepted.csv",
        text.into_bytes(),
    ))
}

async fn export_jsonl(State(state): Shared) -> PageResult {
    let text = blocking(&state, |s| {
        s.store.accepted().map(|n| super::export::gold_jsonl(&n))
    })
    .await??;
    Ok(download(
        "application/x-ndjson",
        "accepted.jsonl",
        text.into_bytes(),
    ))
}

async fn export_fhir(State(state): Shared) -> PageResult {
    let text = blocking(&state, |s| -> Result<String, super::store::StoreError> {
        let release = s.engine.dictionary().release().to_string();
        let mut out = String::new();
        for note in s.store.accepted()? {
            out.push_str(&super::export::fhir_bundle(&note, &release).to_string());
            out.push('\n');
        }
        Ok(out)
    })
    .await??;
    Ok(download(
        "application/fhir+ndjson",
        "bundles.ndjson",
        text.into_bytes(),
    ))
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", include_str!("../assets/app.css"))
}

async fn js() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../assets/app.js"),
    )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}
