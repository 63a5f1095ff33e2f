//! The JSON API under `/v1`: suggest, batches (NDJSON streamed in input order), explain, code
//! lookup and search, plus `/healthz` and the OpenAPI document.
//!
//! Each answer is the same JSON as the command line's `--format json`, and each error a
//! problem details object with the command line's wording.

use std::convert::Infallible;
use std::io::BufReader;
use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::TryStreamExt;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tower::ServiceBuilder;

use super::AppState;
use super::problem::Problem;
use crate::code::CodeSystem;
use crate::explain::Explanation;
use crate::jsonl::{JsonlReader, Line, line_limit};
use crate::pipeline::Options;
use crate::report::Report;

type Shared = State<Arc<AppState>>;

/// The API's routes, with body limits, a timeout and a concurrency limit (streamed batches
/// have no total body limit or timeout: each line is limited instead).
pub fn routes(state: &AppState) -> axum::Router<Arc<AppState>> {
    let settings = &state.settings;
    let limited = axum::Router::new()
        .route("/v1/suggest", post(suggest))
        .route("/v1/explain", post(explain))
        .route("/v1/codes/{code}", get(code))
        .route("/v1/search", get(search))
        .route("/v1/openapi.json", get(openapi))
        .route("/healthz", get(health))
        .layer(DefaultBodyLimit::max(settings.max_body_bytes()))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(overloaded))
                .timeout(settings.timeout)
                .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
                    settings.concurrency,
                )),
        );
    limited.route("/v1/batches", post(batches))
}

/// A timeout or any other error of the limiting layers, as a problem.
async fn overloaded(error: tower::BoxError) -> Problem {
    if error.is::<tower::timeout::error::Elapsed>() {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the request took longer than the server's timeout",
        )
    } else {
        Problem::internal(&error)
    }
}

/// A JSON body whose errors are problem details.
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let Json(value) = Json::<T>::from_request(request, state).await?;
        Ok(ApiJson(value))
    }
}

/// The options a request may set, shared by `/v1/suggest`, `/v1/explain` and `/v1/batches`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct RequestOptions {
    /// `inpatient` or `outpatient` (any case; default outpatient).
    pub setting: Option<String>,
    /// The date of service, `YYYY-MM-DD` or `YYYYMMDD`: codes terminated before it are flagged.
    pub date_of_service: Option<String>,
    /// Only these code systems, comma-separated (`icd10cm,cpt,hcpcs`; default all).
    pub systems: Option<String>,
    /// Leave out suggestions below this confidence (0 to 1).
    pub min_confidence: Option<f32>,
    /// Also suggest codes whose official title is written in the note (default true).
    pub dictionary_candidates: Option<bool>,
    /// Include the matcher's trace.
    pub trace: Option<bool>,
}

impl RequestOptions {
    /// The run options, each field read as the command line reads its flag.
    ///
    /// # Errors
    /// A field the command line would refuse, with its wording.
    pub fn options(&self, defaults: &Options) -> Result<Options, Problem> {
        let bad = |field: &str, e: String| Problem::bad_request(format!("{field}: {e}"));
        let setting = match &self.setting {
            Some(text) => text
                .parse()
                .map_err(|e: crate::setting::SettingError| Problem::bad_request(e.to_string()))?,
            None => defaults.setting,
        };
        let date_of_service = match &self.date_of_service {
            Some(text) => Some(
                text.parse()
                    .map_err(|e: crate::date::DateError| bad("date_of_service", e.to_string()))?,
            ),
            None => defaults.date_of_service,
        };
        let systems = match &self.systems {
            Some(list) => Some(CodeSystem::parse_list(list).map_err(|e| bad("systems", e))?),
            None => defaults.systems.clone(),
        };
        let min_confidence = match self.min_confidence {
            Some(value) => {
                crate::pipeline::check_confidence(value).map_err(|e| bad("min_confidence", e))?
            }
            None => defaults.min_confidence,
        };
        Ok(Options {
            setting,
            date_of_service,
            systems,
            min_confidence,
            dictionary_candidates: self
                .dictionary_candidates
                .unwrap_or(defaults.dictionary_candidates),
            trace: self.trace.unwrap_or(defaults.trace),
        })
    }
}

/// `POST /v1/suggest`: one note.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuggestRequest {
    /// The note text.
    pub text: String,
    /// The note id, echoed in the report (default `note`).
    pub id: Option<String>,
    /// Run options.
    #[serde(flatten)]
    pub options: RequestOptions,
}

/// `POST /v1/explain`: why a code was or was not suggested for a note.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplainRequest {
    /// The note text.
    pub text: String,
    /// The code to explain (any case, dot optional); every suggested or rejected code when
    /// left out.
    pub code: Option<String>,
    /// The note id (default `note`).
    pub id: Option<String>,
    /// `inpatient` or `outpatient` (default outpatient).
    pub setting: Option<String>,
}

/// One hit of `GET /v1/search`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SearchHit {
    /// The code.
    pub code: String,
    /// Its system.
    pub system: CodeSystem,
    /// Its title.
    pub title: String,
    /// Whether it can be reported.
    pub billable: bool,
    /// How well it matched (higher is better).
    pub score: f32,
}

/// `GET /v1/search` parameters.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SearchQuery {
    /// Words to look for in titles and inclusion terms.
    pub q: String,
    /// At most this many hits (default 20, at most 200).
    pub limit: Option<usize>,
}

/// `GET /healthz`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Health {
    /// Always `ok` when the server answers.
    pub status: &'static str,
    /// The medcode version.
    pub medcode_version: &'static str,
    /// The fingerprint of the loaded rule packs.
    pub rules_fingerprint: String,
    /// The dictionary release.
    pub dictionary_release: String,
}

fn check_size(state: &AppState, text: &str) -> Result<(), Problem> {
    let limit = state.settings.max_note_bytes;
    if text.len() as u64 > limit {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "note is {} bytes, over the limit of {limit} bytes (raise it with \
                 --max-note-size)",
                text.len()
            ),
        ));
    }
    Ok(())
}

async fn suggest(
    State(state): Shared,
    ApiJson(request): ApiJson<SuggestRequest>,
) -> Result<Json<Report>, Problem> {
    check_size(&state, &request.text)?;
    let options = request.options.options(&state.defaults)?;
    let id = request.id.unwrap_or_else(|| "note".to_string());
    let report =
        tokio::task::spawn_blocking(move || state.engine.suggest(&id, &request.text, &options))
            .await?
            .map_err(|e| Problem::internal(&e))?;
    Ok(Json(report))
}

async fn explain(
    State(state): Shared,
    ApiJson(request): ApiJson<ExplainRequest>,
) -> Result<Json<Vec<Explanation>>, Problem> {
    check_size(&state, &request.text)?;
    let options = RequestOptions {
        setting: request.setting.clone(),
        ..RequestOptions::default()
    }
    .options(&state.defaults)?;
    let id = request.id.unwrap_or_else(|| "note".to_string());
    let explanations = tokio::task::spawn_blocking(move || {
        crate::explain::explain(
            &state.engine,
            &id,
            &request.text,
            &options,
            request.code.as_deref(),
        )
    })
    .await?
    .map_err(|e| Problem::internal(&e))?;
    Ok(Json(explanations))
}

async fn code(State(state): Shared, Path(code): Path<String>) -> Response {
    let dictionary = state.engine.dictionary();
    match dictionary.lookup(&code) {
        Some(found) => Json(found).into_response(),
        None => Problem::not_found(
            crate::dictionary::cli_support::format_unknown(dictionary, &code)
                .trim_end()
                .to_string(),
        )
        .into_response(),
    }
}

async fn search(
    State(state): Shared,
    query: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<SearchHit>>, Problem> {
    let Query(query) = query?;
    let limit = query.limit.unwrap_or(20).clamp(1, 200);
    let hits = tokio::task::spawn_blocking(move || {
        (state
            .engine
            .dictionary()
            .search(&query.q, limit)
            .into_iter())
        .map(|(score, entry)| SearchHit {
            code: entry.code.clone(),
            system: entry.system,
            title: entry.title.clone(),
            billable: entry.billable,
            score,
        })
        .collect()
    })
    .await?;
    Ok(Json(hits))
}

async fn health(State(state): Shared) -> Json<Health> {
    Json(Health {
        status: "ok",
        medcode_version: env!("CARGO_PKG_VERSION"),
        rules_fingerprint: state.engine.rules().fingerprint().to_string(),
        dictionary_release: state.engine.dictionary().release().to_string(),
    })
}

async fn openapi() -> Response {
    let mut response = super::openapi::document().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Records coded in parallel before their lines are sent.
const BATCH_CHUNK: usize = 64;

/// `POST /v1/batches`: NDJSON in (the JSONL records of `suggest --input-format jsonl`), NDJSON
/// out, one report per line in input order, as the lines are coded. A line that cannot be read
/// gives `{"record": N, "error": {problem}}` in its place.
async fn batches(
    State(state): Shared,
    query: Result<Query<RequestOptions>, axum::extract::rejection::QueryRejection>,
    body: Body,
) -> Result<Response, Problem> {
    let Query(request) = query?;
    let options = request.options(&state.defaults)?;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Bytes>(4);
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let reader = tokio_util::io::StreamReader::new(stream);
    tokio::task::spawn_blocking(move || {
        let bridge = tokio_util::io::SyncIoBridge::new(reader);
        code_stream(&state, BufReader::new(bridge), &options, &sender);
    });
    let lines = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let chunk = receiver.recv().await?;
        Some((Ok::<_, Infallible>(chunk), receiver))
    });
    let mut response = Body::from_stream(lines).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    Ok(response)
}

/// Reads, codes and sends chunks until the input ends or the client goes away.
///
/// A reader thread parses lines as they arrive; the coder takes whatever has arrived (at least
/// one line, at most [`BATCH_CHUNK`]), so a slow client gets each report as soon as its line is
/// in, and a fast one gets parallel chunks. The channel between them is bounded, so memory is
/// too.
fn code_stream(
    state: &AppState,
    input: impl std::io::BufRead + Send,
    options: &Options,
    sender: &tokio::sync::mpsc::Sender<Bytes>,
) {
    let max = state.settings.max_note_bytes;
    let (lines, arrived) = std::sync::mpsc::sync_channel::<(usize, Line)>(BATCH_CHUNK * 2);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut reader = JsonlReader::new("request".to_string(), input, line_limit(max));
            let mut n = 0;
            while let Some(line) = reader.next_line(max) {
                n += 1;
                if lines.send((n, line)).is_err() {
                    return; // the client went away
                }
            }
        });
        // Owned here, so it is dropped (stopping the reader) before the scope joins.
        let arrived = arrived;
        while let Ok(first) = arrived.recv() {
            let mut chunk = vec![first];
            chunk.extend(arrived.try_iter().take(BATCH_CHUNK - 1));
            let encoded: Vec<Vec<u8>> = chunk
                .into_par_iter()
                .map(|(n, line)| encode_line(state, n, line, options))
                .collect();
            if sender.blocking_send(Bytes::from(encoded.concat())).is_err() {
                return;
            }
        }
    });
}

/// One output line: the report, or the line's problem.
fn encode_line(state: &AppState, n: usize, line: Line, options: &Options) -> Vec<u8> {
    let result = match line {
        Line::Record(record) => state
            .engine
            .suggest_record(*record, options)
            .map_err(|e| Problem::internal(&e)),
        Line::Bad(message) => Err(Problem::bad_request(message)),
    };
    let mut out = match result {
        Ok(report) => serde_json::to_vec(&report),
        Err(problem) => serde_json::to_vec(&serde_json::json!({ "record": n, "error": problem })),
    }
    .unwrap_or_default();
    out.push(b'\n');
    out
}
