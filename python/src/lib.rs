//! The Python module `medcode._medcode`, re-exported by the `medcode` package: one
//! [`Engine`] loaded once, notes coded to the same JSON report as `medcode suggest --format
//! json` (as Python dicts), batches coded in parallel with the GIL released.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::exceptions::{PyIOError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use rayon::prelude::*;

use medcode::code::CodeSystem;
use medcode::date::ServiceDate;
use medcode::dictionary::Dictionary;
use medcode::pipeline::{Engine as Core, Options};
use medcode::policy::Setting;
use medcode::rules::PackSource;

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A loaded medcode engine: rule packs, context, dictionary. Load once, code many notes; safe
/// to share between threads.
#[pyclass(frozen, module = "medcode")]
struct Engine {
    core: Arc<Core>,
}

/// Per-call options, as given from Python.
struct Call {
    setting: Option<String>,
    date_of_service: Option<String>,
    systems: Option<Vec<String>>,
    trace: bool,
    dictionary_candidates: bool,
}

impl Call {
    fn options(&self) -> PyResult<Options> {
        Ok(Options {
            setting: parse_setting(self.setting.as_deref())?.unwrap_or_default(),
            trace: self.trace,
            date_of_service: self
                .date_of_service
                .as_deref()
                .map(str::parse::<ServiceDate>)
                .transpose()
                .map_err(value_error)?,
            systems: self
                .systems
                .as_ref()
                .map(|names| {
                    names
                        .iter()
                        .map(|n| {
                            CodeSystem::parse(n).ok_or_else(|| {
                                value_error(format!(
                                    "unknown code system `{n}`; expected icd10cm, cpt or hcpcs"
                                ))
                            })
                        })
                        .collect::<PyResult<Vec<_>>>()
                })
                .transpose()?,
            min_confidence: 0.0,
            dictionary_candidates: self.dictionary_candidates,
        })
    }
}

fn parse_setting(setting: Option<&str>) -> PyResult<Option<Setting>> {
    setting
        .map(str::parse::<Setting>)
        .transpose()
        .map_err(value_error)
}

/// JSON text to Python objects, with the standard library's `json`.
fn loads(py: Python<'_>, json: &str) -> PyResult<Py<PyAny>> {
    Ok(py.import("json")?.call_method1("loads", (json,))?.unbind())
}

/// One note of a batch, read from Python before the GIL is released.
struct Item {
    id: String,
    text: String,
    options: Options,
    meta: Option<Py<PyDict>>,
}

#[pymethods]
impl Engine {
    /// Loads the bundled rule packs, with `rules` (pack files or directories) layered over them,
    /// and `dictionary` (a file made by `medcode data import`; default: the embedded starter
    /// dictionary).
    #[new]
    #[pyo3(signature = (rules=None, dictionary=None))]
    fn new(
        py: Python<'_>,
        rules: Option<Vec<PathBuf>>,
        dictionary: Option<PathBuf>,
    ) -> PyResult<Self> {
        py.detach(|| {
            let dictionary = match &dictionary {
                Some(path) => Dictionary::load(path),
                None => Dictionary::starter(),
            }
            .map_err(|e| PyIOError::new_err(e.to_string()))?;
            let mut packs = Vec::new();
            for path in rules.unwrap_or_default() {
                packs.extend(
                    PackSource::read(&path).map_err(|e| PyIOError::new_err(e.to_string()))?,
                );
            }
            let (core, _warnings) =
                Core::with_rule_packs(dictionary, &packs).map_err(value_error)?;
            Ok(Engine {
                core: Arc::new(core),
            })
        })
    }

    /// Codes one note: the report as a dict (the JSON of `medcode suggest --format json`).
    #[pyo3(signature = (text, id="note", setting=None, date_of_service=None, systems=None, trace=false, dictionary_candidates=true))]
    #[allow(clippy::too_many_arguments)]
    fn suggest(
        &self,
        py: Python<'_>,
        text: &str,
        id: &str,
        setting: Option<String>,
        date_of_service: Option<String>,
        systems: Option<Vec<String>>,
        trace: bool,
        dictionary_candidates: bool,
    ) -> PyResult<Py<PyAny>> {
        let call = Call {
            setting,
            date_of_service,
            systems,
            trace,
            dictionary_candidates,
        };
        let options = call.options()?;
        let json = py.detach(|| {
            let report = self.core.suggest(id, text, &options).map_err(value_error)?;
            serde_json::to_string(&report).map_err(value_error)
        })?;
        loads(py, &json)
    }

    /// Codes many notes in parallel (on `threads` threads, default: all cores) with the GIL
    /// released; reports in input order. A record is a dict with `text` and optionally `id`,
    /// `setting`, `date_of_service` (other keys come back under `meta`), or a plain string.
    #[pyo3(signature = (records, threads=None, setting=None, date_of_service=None, systems=None, dictionary_candidates=true))]
    #[allow(clippy::too_many_arguments)]
    fn suggest_many(
        &self,
        py: Python<'_>,
        records: &Bound<'_, PyAny>,
        threads: Option<usize>,
        setting: Option<String>,
        date_of_service: Option<String>,
        systems: Option<Vec<String>>,
        dictionary_candidates: bool,
    ) -> PyResult<Py<PyList>> {
        let call = Call {
            setting,
            date_of_service,
            systems,
            trace: false,
            dictionary_candidates,
        };
        let items = items(records, &call.options()?)?;
        let reports = self.code_all(py, &items, threads, |report| {
            serde_json::to_string(&report).map_err(|e| e.to_string())
        })?;
        let out = PyList::empty(py);
        for (item, report) in items.into_iter().zip(reports) {
            let report = loads(py, &report)?;
            if let Some(meta) = item.meta {
                report.bind(py).set_item("meta", meta)?;
            }
            out.append(report)?;
        }
        Ok(out.unbind())
    }

    /// Like `suggest_many`, but one tuple per suggestion, built without JSON: (note id, code,
    /// system, status, confidence, byte start, byte end, char start, char end) of its first
    /// evidence; a note with no suggestion gives one tuple whose other fields are None. For
    /// data pipelines (Spark, pandas) that want rows, not reports.
    #[pyo3(signature = (records, threads=None, setting=None, date_of_service=None, systems=None, dictionary_candidates=true))]
    #[allow(clippy::too_many_arguments)]
    fn suggest_rows(
        &self,
        py: Python<'_>,
        records: &Bound<'_, PyAny>,
        threads: Option<usize>,
        setting: Option<String>,
        date_of_service: Option<String>,
        systems: Option<Vec<String>>,
        dictionary_candidates: bool,
    ) -> PyResult<Py<PyList>> {
        let call = Call {
            setting,
            date_of_service,
            systems,
            trace: false,
            dictionary_candidates,
        };
        let items = items(records, &call.options()?)?;
        let reports = self.code_all(py, &items, threads, Ok)?;
        let out = PyList::empty(py);
        for report in reports {
            if report.suggestions.is_empty() {
                let none = py.None();
                out.append((
                    report.note_id.as_str(),
                    &none,
                    &none,
                    &none,
                    &none,
                    &none,
                    &none,
                    &none,
                    &none,
                ))?;
            }
            for s in &report.suggestions {
                let Some(e) = s.evidence.first() else {
                    continue;
                };
                out.append((
                    report.note_id.as_str(),
                    s.code.as_str(),
                    s.system.name(),
                    s.status.name(),
                    // As JSON writes it (0.8, not 0.800000011920929), so rows equal reports.
                    s.confidence
                        .to_string()
                        .parse::<f64>()
                        .unwrap_or(f64::from(s.confidence)),
                    e.span.start,
                    e.span.end,
                    e.chars.start,
                    e.chars.end,
                ))?;
            }
        }
        Ok(out.unbind())
    }

    /// Explains, step by step, why `code` was or was not suggested for the note (every code
    /// found when `code` is None): a list of dicts.
    #[pyo3(signature = (text, code=None, id="note", setting=None))]
    fn explain(
        &self,
        py: Python<'_>,
        text: &str,
        code: Option<&str>,
        id: &str,
        setting: Option<String>,
    ) -> PyResult<Py<PyAny>> {
        let options = Options {
            setting: parse_setting(setting.as_deref())?.unwrap_or_default(),
            ..Options::default()
        };
        let json = py.detach(|| {
            let explanations = medcode::explain::explain(&self.core, id, text, &options, code)
                .map_err(value_error)?;
            serde_json::to_string(&explanations).map_err(value_error)
        })?;
        loads(py, &json)
    }

    /// The fingerprint of the rule packs in use (as in every report).
    #[getter]
    fn rules_fingerprint(&self) -> String {
        self.core.rules().fingerprint().to_string()
    }
}

/// The records of a batch, read while the GIL is held.
fn items(records: &Bound<'_, PyAny>, defaults: &Options) -> PyResult<Vec<Item>> {
    let mut items = Vec::new();
    for (index, record) in records.try_iter()?.enumerate() {
        items.push(item(&record?, index, defaults)?);
    }
    Ok(items)
}

impl Engine {
    /// Codes `items` on a pool of `threads` threads (all cores when None) with the GIL
    /// released, turning each report into `T` there; in input order.
    fn code_all<T: Send>(
        &self,
        py: Python<'_>,
        items: &[Item],
        threads: Option<usize>,
        convert: impl Fn(medcode::report::Report) -> Result<T, String> + Sync,
    ) -> PyResult<Vec<T>> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.unwrap_or(0))
            .build()
            .map_err(value_error)?;
        let results: Vec<Result<T, String>> = py.detach(|| {
            pool.install(|| {
                items
                    .par_iter()
                    .map(|item| {
                        let report = self
                            .core
                            .suggest(&item.id, &item.text, &item.options)
                            .map_err(|e| format!("{}: {e}", item.id))?;
                        convert(report)
                    })
                    .collect()
            })
        });
        results
            .into_iter()
            .map(|r| r.map_err(value_error))
            .collect()
    }
}

/// One record of `suggest_many`.
fn item(record: &Bound<'_, PyAny>, index: usize, defaults: &Options) -> PyResult<Item> {
    if let Ok(text) = record.cast::<PyString>() {
        return Ok(Item {
            id: index.to_string(),
            text: text.to_string(),
            options: defaults.clone(),
            meta: None,
        });
    }
    let dict = record.cast::<PyDict>().map_err(|_| {
        value_error(format!(
            "record {index}: expected a dict with \"text\", or a string"
        ))
    })?;
    let text: String = dict
        .get_item("text")?
        .ok_or_else(|| value_error(format!("record {index}: no \"text\"")))?
        .extract()?;
    let id = match dict.get_item("id")? {
        Some(id) => id.str()?.to_string(),
        None => index.to_string(),
    };
    let mut options = defaults.clone();
    if let Some(setting) = dict.get_item("setting")? {
        let setting: String = setting.extract()?;
        options.setting = parse_setting(Some(&setting))?.unwrap_or_default();
    }
    if let Some(date) = dict.get_item("date_of_service")? {
        let date: String = date.extract()?;
        options.date_of_service = Some(date.parse().map_err(value_error)?);
    }
    let meta = PyDict::new(record.py());
    for (key, value) in dict.iter() {
        let known = key
            .extract::<String>()
            .is_ok_and(|k| matches!(k.as_str(), "id" | "text" | "setting" | "date_of_service"));
        if !known {
            meta.set_item(key, value)?;
        }
    }
    Ok(Item {
        id,
        text,
        options,
        meta: (!meta.is_empty()).then(|| meta.unbind()),
    })
}

/// The native module.
#[pymodule]
fn _medcode(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Engine>()?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
