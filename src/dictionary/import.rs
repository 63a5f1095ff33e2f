//! Importing a full dictionary from the official files: finding them in a data directory and
//! merging ICD-10-CM, HCPCS Level II and an optional licensed CPT file into one dictionary.

use std::path::{Path, PathBuf};

use super::{Dictionary, DictionaryError, cpt, hcpcs, icd10cm};
use crate::code::CodeSystem;

/// The files to import. Missing ones are skipped; at least one must be given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSources {
    /// The ICD-10-CM tabular list XML (`icd10cm_tabular_2026.xml`).
    pub icd10cm_tabular: Option<PathBuf>,
    /// The HCPCS Level II record file (`HCPC2026_JAN_ANWEB_01122026.txt`).
    pub hcpcs: Option<PathBuf>,
    /// A licensed CPT `code,descriptor` CSV.
    pub cpt_csv: Option<PathBuf>,
}

impl ImportSources {
    /// Finds the newest official files in a data directory laid out as
    /// `<dir>/icd10cm/icd10cm_tabular_<year>.xml` and `<dir>/hcpcs/HCPC<year>_*ANWEB*.txt`
    /// (the layout of `$MEDCODE_DATA_DIR`). No CPT file is looked for: add one with
    /// [`ImportSources::with_cpt`].
    ///
    /// # Errors
    /// [`DictionaryError::MissingSource`] when neither file is found.
    pub fn from_data_dir(dir: &Path) -> Result<ImportSources, DictionaryError> {
        let icd = newest(&dir.join("icd10cm"), |name| {
            name.starts_with("icd10cm_tabular_") && name.ends_with(".xml")
        });
        let hcpcs = newest(&dir.join("hcpcs"), |name| {
            name.starts_with("HCPC") && name.contains("ANWEB") && name.ends_with(".txt")
        });
        if icd.is_none() && hcpcs.is_none() {
            return Err(DictionaryError::MissingSource {
                what: "ICD-10-CM tabular XML and HCPCS record file".to_string(),
                looked_for: format!(
                    "{0}/icd10cm/icd10cm_tabular_<year>.xml and {0}/hcpcs/HCPC<year>_*ANWEB*.txt",
                    dir.display()
                ),
            });
        }
        Ok(ImportSources {
            icd10cm_tabular: icd,
            hcpcs,
            cpt_csv: None,
        })
    }

    /// The same sources with a CPT CSV added.
    pub fn with_cpt(mut self, path: impl Into<PathBuf>) -> ImportSources {
        self.cpt_csv = Some(path.into());
        self
    }
}

/// The last file (by name, so the newest year) in `dir` whose name passes `wanted`.
fn newest(dir: &Path, wanted: impl Fn(&str) -> bool) -> Option<PathBuf> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| wanted(name))
        .collect();
    names.sort();
    names.pop().map(|name| dir.join(name))
}

/// Imports and merges the given sources into one dictionary: ICD-10-CM and HCPCS are read in
/// parallel, then the CPT CSV is added. The own-words CPT entries of the starter dictionary are
/// kept for codes the CPT file does not supply, so the bundled rules' CPT codes still resolve.
///
/// # Errors
/// The first error of any importer; [`DictionaryError::MissingSource`] when no source is given.
///
/// # Examples
/// ```no_run
/// use std::path::Path;
/// use medcode::dictionary::{ImportSources, import_all};
/// let sources = ImportSources::from_data_dir(Path::new("/data"))?;
/// let dictionary = import_all(&sources)?;
/// dictionary.save(Path::new("/data/medcode/dictionary.bin"))?;
/// # Ok::<(), medcode::dictionary::DictionaryError>(())
/// ```
pub fn import_all(sources: &ImportSources) -> Result<Dictionary, DictionaryError> {
    if sources.icd10cm_tabular.is_none() && sources.hcpcs.is_none() && sources.cpt_csv.is_none() {
        return Err(DictionaryError::MissingSource {
            what: "source files".to_string(),
            looked_for: "an ICD-10-CM tabular XML, a HCPCS record file or a CPT CSV".to_string(),
        });
    }
    let (icd, hcpcs) = rayon::join(
        || {
            sources
                .icd10cm_tabular
                .as_deref()
                .map(icd10cm::import)
                .transpose()
        },
        || sources.hcpcs.as_deref().map(hcpcs::import).transpose(),
    );
    let cpt = sources.cpt_csv.as_deref().map(cpt::import).transpose()?;
    let starter = Dictionary::starter()?;
    let mut dictionary = Dictionary::default();
    for part in [icd?, hcpcs?].into_iter().flatten() {
        dictionary.merge(part);
    }
    let starter_cpt: Vec<_> = starter
        .entries()
        .filter(|e| e.system == CodeSystem::Cpt)
        .cloned()
        .collect();
    let mut release = dictionary.release().to_string();
    dictionary.extend(starter_cpt);
    if let Some(cpt) = cpt {
        release = if release.is_empty() {
            cpt.release().to_string()
        } else {
            format!("{release}; {}", cpt.release())
        };
        dictionary.merge(cpt);
    }
    dictionary.set_release(release);
    Ok(dictionary)
}
