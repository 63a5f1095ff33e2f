//! The OpenAPI 3.1 document of the API, built from the same types the handlers use: request
//! and response schemas come from their `schemars` derives, so the document cannot drift from
//! the code. It is served at `/v1/openapi.json` and checked in as `schema/openapi.json`, where
//! a test keeps it current (as the report schema).

use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use super::api::{ExplainRequest, Health, SearchHit, SuggestRequest};
use super::problem::Problem;
use crate::dictionary::Lookup;
use crate::explain::Explanation;
use crate::report::Report;

/// The document, as pretty JSON with a final newline (the checked-in form).
pub fn document() -> String {
    let mut text = serde_json::to_string_pretty(&value()).unwrap_or_default();
    text.push('\n');
    text
}

/// The document as a JSON value.
pub fn value() -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "/components/schemas".into())
        .into_generator();
    let report = generator.subschema_for::<Report>().to_value();
    let suggest = generator.subschema_for::<SuggestRequest>().to_value();
    let explain = generator.subschema_for::<ExplainRequest>().to_value();
    let explanations = generator.subschema_for::<Vec<Explanation>>().to_value();
    let lookup = generator.subschema_for::<Lookup<'static>>().to_value();
    let hits = generator.subschema_for::<Vec<SearchHit>>().to_value();
    let health = generator.subschema_for::<Health>().to_value();
    let problem = generator.subschema_for::<Problem>().to_value();
    let components = Value::Object(generator.take_definitions(true));
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "medcode",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Suggests ICD-10-CM, CPT and HCPCS Level II codes from clinical notes, \
                each with its evidence, for a human to review. Every answer is the JSON of the \
                command line's `--format json`; every error is an RFC 9457 problem details \
                object. With `--token`, send `Authorization: Bearer TOKEN`."
        },
        "servers": [{ "url": "http://127.0.0.1:8080" }],
        "paths": {
            "/v1/suggest": { "post": operation(
                "suggest", "Code one note", Some(("application/json", suggest)),
                &[], ("application/json", report.clone()), &problem) },
            "/v1/batches": { "post": operation(
                "batches",
                "Code NDJSON notes, streamed: one JSONL record per line in (`id`, `text`, \
                 `setting`, `date_of_service`; other fields come back as `meta`), one report \
                 per line out in input order. A line that cannot be read gives \
                 `{\"record\": N, \"error\": problem}` in its place.",
                Some(("application/x-ndjson", json!({ "type": "string" }))),
                &option_parameters(), ("application/x-ndjson", report), &problem) },
            "/v1/explain": { "post": operation(
                "explain", "Why a code was or was not suggested, step by step",
                Some(("application/json", explain)), &[],
                ("application/json", explanations), &problem) },
            "/v1/codes/{code}": { "get": operation(
                "code", "Everything the dictionary knows about a code (any case, dot optional, \
                 `hcpcs:` prefix allowed)", None,
                &[parameter("code", "path", true, "The code")],
                ("application/json", lookup), &problem) },
            "/v1/search": { "get": operation(
                "search", "Search code titles and inclusion terms (misspellings and \
                 abbreviations tolerated)", None,
                &[parameter("q", "query", true, "Words to look for"),
                  parameter("limit", "query", false, "At most this many hits (default 20)")],
                ("application/json", hits), &problem) },
            "/healthz": { "get": operation(
                "health", "Liveness, with the version, rule-pack fingerprint and dictionary \
                 release", None, &[], ("application/json", health), &problem) },
            "/v1/openapi.json": { "get": operation(
                "openapi", "This document", None, &[],
                ("application/json", json!({ "type": "object" })), &problem) }
        },
        "components": { "schemas": components }
    })
}

/// The query parameters of `/v1/batches`: defaults for records that do not set them.
fn option_parameters() -> Vec<Value> {
    vec![
        parameter(
            "setting",
            "query",
            false,
            "inpatient or outpatient (default outpatient)",
        ),
        parameter("date_of_service", "query", false, "YYYY-MM-DD or YYYYMMDD"),
        parameter(
            "systems",
            "query",
            false,
            "Comma-separated: icd10cm, cpt, hcpcs",
        ),
        parameter("min_confidence", "query", false, "0 to 1"),
        parameter(
            "dictionary_candidates",
            "query",
            false,
            "true or false (default true)",
        ),
        parameter("trace", "query", false, "true or false"),
    ]
}

fn parameter(name: &str, place: &str, required: bool, description: &str) -> Value {
    json!({
        "name": name, "in": place, "required": required, "description": description,
        "schema": { "type": "string" }
    })
}

fn operation(
    id: &str,
    summary: &str,
    body: Option<(&str, Value)>,
    parameters: &[Value],
    answer: (&str, Value),
    problem: &Value,
) -> Value {
    let mut op = json!({
        "operationId": id,
        "summary": summary,
        "responses": {
            "200": { "description": "OK", "content": { answer.0: { "schema": answer.1 } } },
            "default": {
                "description": "A problem (RFC 9457)",
                "content": { "application/problem+json": { "schema": problem } }
            }
        }
    });
    if !parameters.is_empty() {
        op["parameters"] = Value::Array(parameters.to_vec());
    }
    if let Some((media, schema)) = body {
        op["requestBody"] = json!({ "required": true, "content": { media: { "schema": schema } } });
    }
    op
}
