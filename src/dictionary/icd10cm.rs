//! ICD-10-CM importer: reads the official tabular list XML (`icd10cm_tabular_<year>.xml`) with
//! a streaming parser and derives every code with its hierarchy and notes.
//!
//! - Leaves of the `<diag>` tree are billable; every other `<diag>` is a non-billable category
//!   or subcategory.
//! - 7th characters (`<sevenChrDef>`) apply to the codes at and below the `<diag>` that defines
//!   them, the nearest definition winning. A leaf in their scope is not billable itself: each
//!   7th character makes a billable code, padded with the placeholder `X` to six characters
//!   first (`T36.0X1` → `T36.0X1A`), titled `"<leaf title>, <meaning>"`.
//! - Exceptions stated in a `<notes>` note of the form "7th characters D and S do not apply to
//!   codes in category S06 with 6th character 7 ..., or 8 ..." are honoured.
//! - Chapters and blocks (tabular sections) become headings with their notes.
//!
//! For the FY2026 release this yields the 74,719 valid codes CMS publishes.

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use regex::Regex;

use super::error::{excerpt, line_col};
use super::{
    CodeEntry, Dictionary, DictionaryError, EntryKind, Notes, SeventhChar, SourceFile, with_seventh,
};
use crate::code::CodeSystem;

/// The root element of the tabular list.
const ROOT: &str = "ICD10CM.tabular";

/// Imports the tabular list XML at `path`.
///
/// # Errors
/// [`DictionaryError::Io`] when the file cannot be read, [`DictionaryError::Format`] with line
/// and column when it is not well-formed XML, is not a tabular list, is truncated, or a
/// `<diag>` lacks its code or title.
pub fn import(path: &Path) -> Result<Dictionary, DictionaryError> {
    let bytes = std::fs::read(path).map_err(|e| DictionaryError::io(path, e))?;
    let mut dictionary = parse(&path.display().to_string(), &bytes)?;
    dictionary.push_source(SourceFile::describe("ICD-10-CM tabular", path, &bytes));
    Ok(dictionary)
}

/// Parses tabular list XML already in memory; `path` names it in errors.
///
/// # Errors
/// As [`import`], except for I/O.
///
/// # Examples
/// ```
/// use medcode::code::CodeSystem;
/// use medcode::dictionary::icd10cm;
/// let xml = r#"<ICD10CM.tabular><version>2026</version><chapter><name>1</name>
///   <desc>Some diseases (A00-A09)</desc><section id="A00-A09"><desc>Block (A00-A09)</desc>
///   <diag><name>A00</name><desc>Cholera</desc>
///     <diag><name>A00.0</name><desc>Cholera due to Vibrio cholerae 01</desc></diag>
///   </diag></section></chapter></ICD10CM.tabular>"#;
/// let dictionary = icd10cm::parse("inline.xml", xml.as_bytes()).unwrap();
/// assert!(dictionary.get(CodeSystem::Icd10Cm, "A00.0").unwrap().billable);
/// assert!(!dictionary.get(CodeSystem::Icd10Cm, "A00").unwrap().billable);
/// ```
pub fn parse(path: &str, bytes: &[u8]) -> Result<Dictionary, DictionaryError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_col(bytes, e.valid_up_to());
        DictionaryError::format(
            path,
            line,
            Some(column),
            "expected UTF-8 text, found an invalid byte",
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parser = Parser::new(path, text);
    parser.run()?;
    let mut dictionary = Dictionary::from_entries(parser.release(), parser.entries);
    for heading in parser.headings {
        dictionary.push_heading(heading);
    }
    Ok(dictionary)
}

/// Which list a `<note>` belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NoteKind {
    InclusionTerm,
    Includes,
    Excludes1,
    Excludes2,
    CodeFirst,
    UseAdditionalCode,
    CodeAlso,
    Other,
}

impl NoteKind {
    fn from_element(name: &str) -> Option<NoteKind> {
        Some(match name {
            "inclusionTerm" => NoteKind::InclusionTerm,
            "includes" => NoteKind::Includes,
            "excludes1" => NoteKind::Excludes1,
            "excludes2" => NoteKind::Excludes2,
            "codeFirst" => NoteKind::CodeFirst,
            "useAdditionalCode" => NoteKind::UseAdditionalCode,
            "codeAlso" => NoteKind::CodeAlso,
            "notes" | "sevenChrNote" => NoteKind::Other,
            _ => return None,
        })
    }

    fn list(self, notes: &mut Notes) -> &mut Vec<String> {
        match self {
            NoteKind::InclusionTerm => &mut notes.inclusion_terms,
            NoteKind::Includes => &mut notes.includes,
            NoteKind::Excludes1 => &mut notes.excludes1,
            NoteKind::Excludes2 => &mut notes.excludes2,
            NoteKind::CodeFirst => &mut notes.code_first,
            NoteKind::UseAdditionalCode => &mut notes.use_additional_code,
            NoteKind::CodeAlso => &mut notes.code_also,
            NoteKind::Other => &mut notes.other,
        }
    }
}

/// An open element, as far as the importer cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    Root,
    Version,
    Node(Level),
    Name,
    Desc,
    NoteList(NoteKind),
    Note,
    SevenDef,
    Extension(char),
    /// Content the importer does not read (the introduction, section index, tables).
    Skip,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Chapter,
    Section,
    Diag,
}

/// "7th characters D and S do not apply to codes ... with 6th character 7 ..., or 8 ...".
#[derive(Debug, Clone)]
struct SeventhExclusion {
    characters: Vec<char>,
    /// 1-based position in the code without its dot.
    position: usize,
    values: Vec<char>,
}

impl SeventhExclusion {
    fn applies_to(&self, code: &str) -> bool {
        code.chars()
            .filter(|&c| c != '.')
            .nth(self.position - 1)
            .is_some_and(|c| self.values.contains(&c))
    }
}

static EXCLUSION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"7th characters? (?P<chars>[A-Z0-9](?:(?:,|,? and|,? or) [A-Z0-9])*) (?:do|does) not apply to (?:all )?codes? [^.]*?with (?P<pos>[1-7])(?:st|nd|rd|th) characters? (?P<rest>.*)",
    )
    .ok()
});
static EXCLUDED_VALUE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?:^|\bor |, )(?P<v>[0-9A-Z])\b").ok());

fn parse_exclusion(note: &str) -> Option<SeventhExclusion> {
    let caps = EXCLUSION.as_ref()?.captures(note)?;
    let characters = caps["chars"]
        .split([',', ' '])
        .filter(|s| s.len() == 1)
        .filter_map(|s| s.chars().next())
        .collect();
    let position = caps["pos"].parse().ok()?;
    let values: Vec<char> = EXCLUDED_VALUE
        .as_ref()?
        .captures_iter(&caps["rest"])
        .filter_map(|c| c["v"].chars().next())
        .collect();
    (!values.is_empty()).then_some(SeventhExclusion {
        characters,
        position,
        values,
    })
}

/// A chapter, section or diag being read.
#[derive(Debug)]
struct Node {
    level: Level,
    code: String,
    title: String,
    notes: Notes,
    seventh: Vec<SeventhChar>,
    exclusions: Vec<SeventhExclusion>,
    has_children: bool,
    opened_at: usize,
}

struct Parser<'a> {
    path: &'a str,
    text: &'a str,
    reader: Reader<&'a [u8]>,
    frames: Vec<(Frame, usize)>,
    nodes: Vec<Node>,
    buffer: String,
    version: String,
    seen_root: bool,
    entries: Vec<CodeEntry>,
    headings: Vec<CodeEntry>,
    first_seen: HashMap<String, usize>,
}

impl<'a> Parser<'a> {
    fn new(path: &'a str, text: &'a str) -> Parser<'a> {
        let mut reader = Reader::from_str(text);
        reader.config_mut().check_end_names = true;
        Parser {
            path,
            text,
            reader,
            frames: Vec::new(),
            nodes: Vec::new(),
            buffer: String::new(),
            version: String::new(),
            seen_root: false,
            entries: Vec::with_capacity(100_000),
            headings: Vec::new(),
            first_seen: HashMap::with_capacity(100_000),
        }
    }

    fn release(&self) -> String {
        if self.version.is_empty() {
            "ICD-10-CM".to_string()
        } else {
            format!("ICD-10-CM {}", self.version)
        }
    }

    fn error_at(&self, offset: usize, message: impl Into<String>) -> DictionaryError {
        let (line, column) = line_col(self.text.as_bytes(), offset);
        DictionaryError::format(self.path, line, Some(column), message)
    }

    fn not_tabular(&self, offset: usize, found: &str) -> DictionaryError {
        self.error_at(
            offset,
            format!(
                "this does not look like an ICD-10-CM tabular XML file: expected the root element <{ROOT}>, found {found}"
            ),
        )
    }

    fn run(&mut self) -> Result<(), DictionaryError> {
        loop {
            let before = self.reader.buffer_position() as usize;
            let event = self.reader.read_event().map_err(|e| {
                let at = self.reader.error_position() as usize;
                self.error_at(at, format!("malformed XML: {e}"))
            })?;
            match event {
                Event::Start(start) => self.start(&start, before)?,
                Event::Empty(start) => {
                    self.start(&start, before)?;
                    self.end(before)?;
                }
                Event::End(_) => self.end(before)?,
                Event::Text(text) => {
                    let content = text.xml10_content();
                    if self.frames.is_empty() && !content.trim().is_empty() {
                        return Err(
                            self.not_tabular(before, &format!("text {}", excerpt(&content)))
                        );
                    }
                    self.buffer.push_str(&content);
                }
                Event::CData(data) => self.buffer.push_str(&data.xml10_content()),
                Event::GeneralRef(reference) => {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(c)) => Some(c),
                        Ok(None) => match &*reference {
                            "amp" => Some('&'),
                            "lt" => Some('<'),
                            "gt" => Some('>'),
                            "quot" => Some('"'),
                            "apos" => Some('\''),
                            _ => None,
                        },
                        Err(_) => None,
                    };
                    let Some(c) = resolved else {
                        return Err(self.error_at(
                            before,
                            format!("expected a known entity, found &{};", &*reference),
                        ));
                    };
                    self.buffer.push(c);
                }
                Event::Eof => break,
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            }
        }
        if let Some(&(frame, opened)) = self.frames.last() {
            let (line, _) = line_col(self.text.as_bytes(), opened);
            let element = self.open_element_name(frame);
            return Err(self.error_at(
                self.text.len(),
                format!(
                    "unexpected end of file (truncated?): expected the end of <{element}> opened at line {line}, found the end of the file"
                ),
            ));
        }
        if !self.seen_root {
            return Err(self.not_tabular(self.text.len(), "no root element"));
        }
        Ok(())
    }

    fn open_element_name(&self, frame: Frame) -> &'static str {
        match frame {
            Frame::Root => ROOT,
            Frame::Version => "version",
            Frame::Node(Level::Chapter) => "chapter",
            Frame::Node(Level::Section) => "section",
            Frame::Node(Level::Diag) => "diag",
            Frame::Name => "name",
            Frame::Desc => "desc",
            Frame::NoteList(_) => "a note list",
            Frame::Note => "note",
            Frame::SevenDef => "sevenChrDef",
            Frame::Extension(_) => "extension",
            Frame::Skip | Frame::Other => "an element",
        }
    }

    fn start(&mut self, start: &BytesStart<'_>, offset: usize) -> Result<(), DictionaryError> {
        let name = start.name().as_ref().to_string();
        let parent = self.frames.last().map(|&(f, _)| f);
        self.buffer.clear();
        let frame = match (parent, name.as_str()) {
            (None, ROOT) => {
                self.seen_root = true;
                Frame::Root
            }
            (None, other) => return Err(self.not_tabular(offset, &format!("<{other}>"))),
            (Some(Frame::Skip), _) => Frame::Skip,
            (_, "introduction" | "sectionIndex" | "visualImpairment") => Frame::Skip,
            (Some(Frame::Root), "version") => Frame::Version,
            (_, "chapter") => self.open_node(Level::Chapter, String::new(), offset),
            (_, "section") => {
                let id = self.attribute(start, "id", offset)?;
                self.open_node(Level::Section, id, offset)
            }
            (_, "diag") => {
                if let Some(parent) = self.nodes.last_mut().filter(|n| n.level == Level::Diag) {
                    parent.has_children = true;
                }
                self.open_node(Level::Diag, String::new(), offset)
            }
            (Some(Frame::Node(_)), "name") => Frame::Name,
            (Some(Frame::Node(_)), "desc") => Frame::Desc,
            (Some(Frame::Node(_)), "sevenChrDef") => Frame::SevenDef,
            (Some(Frame::SevenDef), "extension") => {
                let value = self.attribute(start, "char", offset)?;
                let mut chars = value.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if c.is_ascii_alphanumeric() => Frame::Extension(c),
                    _ => {
                        return Err(self.error_at(
                            offset,
                            format!(
                                "expected a single letter or digit in the char attribute of <extension>, found {value:?}"
                            ),
                        ));
                    }
                }
            }
            (Some(Frame::NoteList(_)), "note") => Frame::Note,
            (Some(Frame::Node(_)), other) => match NoteKind::from_element(other) {
                Some(kind) => Frame::NoteList(kind),
                None => Frame::Other,
            },
            _ => Frame::Other,
        };
        self.frames.push((frame, offset));
        Ok(())
    }

    fn open_node(&mut self, level: Level, code: String, offset: usize) -> Frame {
        self.nodes.push(Node {
            level,
            code,
            title: String::new(),
            notes: Notes::default(),
            seventh: Vec::new(),
            exclusions: Vec::new(),
            has_children: false,
            opened_at: offset,
        });
        Frame::Node(level)
    }

    fn attribute(
        &self,
        start: &BytesStart<'_>,
        name: &str,
        offset: usize,
    ) -> Result<String, DictionaryError> {
        let element = start.name().as_ref().to_string();
        match start.try_get_attribute(name) {
            Ok(Some(attribute)) => match attribute
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            {
                Ok(value) => Ok(value.into_owned()),
                Err(e) => Err(self.error_at(offset, format!("malformed attribute {name}: {e}"))),
            },
            Ok(None) => Err(self.error_at(
                offset,
                format!("expected a {name} attribute on <{element}>, found none"),
            )),
            Err(e) => {
                Err(self.error_at(offset, format!("malformed attributes on <{element}>: {e}")))
            }
        }
    }

    fn take_text(&mut self) -> String {
        let text = self.buffer.split_whitespace().collect::<Vec<_>>().join(" ");
        self.buffer.clear();
        text
    }

    fn end(&mut self, offset: usize) -> Result<(), DictionaryError> {
        let Some((frame, opened)) = self.frames.pop() else {
            return Err(self.error_at(offset, "expected no more end tags, found one"));
        };
        let parent = self.frames.last().map(|&(f, _)| f);
        match frame {
            Frame::Version => self.version = self.take_text(),
            Frame::Name | Frame::Desc => {
                let text = self.take_text();
                if let Some(node) = self.nodes.last_mut() {
                    if frame == Frame::Name {
                        node.code = text;
                    } else {
                        node.title = text;
                    }
                }
            }
            Frame::Note => {
                let text = self.take_text();
                if let (Some(Frame::NoteList(kind)), Some(node)) = (parent, self.nodes.last_mut()) {
                    if kind == NoteKind::Other
                        && let Some(exclusion) = parse_exclusion(&text)
                    {
                        node.exclusions.push(exclusion);
                    }
                    kind.list(&mut node.notes).push(text);
                }
            }
            Frame::Extension(character) => {
                let meaning = self.take_text();
                if let Some(node) = self.nodes.last_mut() {
                    node.seventh.push(SeventhChar { character, meaning });
                }
            }
            Frame::Node(_) => self.close_node(opened)?,
            _ => self.buffer.clear(),
        }
        Ok(())
    }

    fn close_node(&mut self, opened: usize) -> Result<(), DictionaryError> {
        let Some(node) = self.nodes.pop() else {
            return Ok(());
        };
        let element = match node.level {
            Level::Chapter => "chapter",
            Level::Section => "section",
            Level::Diag => "diag",
        };
        if node.title.is_empty() {
            return Err(self.error_at(
                opened,
                format!("expected a <desc> in this <{element}>, found none"),
            ));
        }
        match node.level {
            Level::Chapter => {
                let range = chapter_range(&node.title).unwrap_or_else(|| node.code.clone());
                self.headings.push(heading(EntryKind::Chapter, range, node));
            }
            Level::Section => {
                self.headings
                    .push(heading(EntryKind::Block, node.code.clone(), node));
            }
            Level::Diag => self.close_diag(node)?,
        }
        Ok(())
    }

    fn close_diag(&mut self, node: Node) -> Result<(), DictionaryError> {
        if node.code.is_empty() {
            return Err(self.error_at(
                node.opened_at,
                "expected a <name> in this <diag>, found none",
            ));
        }
        if let Some(&first) = self.first_seen.get(&node.code) {
            let (line, _) = line_col(self.text.as_bytes(), first);
            return Err(self.error_at(
                node.opened_at,
                format!(
                    "expected each code once, found {} again (first at line {line})",
                    node.code
                ),
            ));
        }
        self.first_seen.insert(node.code.clone(), node.opened_at);
        let ancestors: Vec<&Node> = self
            .nodes
            .iter()
            .filter(|n| n.level == Level::Diag)
            .collect();
        if let Some(parent) = ancestors.last()
            && !node.code.starts_with(parent.code.as_str())
        {
            // The parent chain is derived from code prefixes (see Dictionary::ancestors).
            return Err(self.error_at(
                node.opened_at,
                format!(
                    "expected a code starting with its parent {}, found {}",
                    parent.code, node.code
                ),
            ));
        }
        let mut seventh = node.seventh.clone();
        if !node.has_children && seventh.is_empty() {
            seventh = ancestors
                .iter()
                .rev()
                .find(|n| !n.seventh.is_empty())
                .map(|n| n.seventh.clone())
                .unwrap_or_default();
        }
        let needs_seventh = !node.has_children && !seventh.is_empty();
        if needs_seventh {
            let exclusions = ancestors
                .iter()
                .flat_map(|n| &n.exclusions)
                .chain(&node.exclusions);
            for exclusion in exclusions.filter(|x| x.applies_to(&node.code)) {
                seventh.retain(|s| !exclusion.characters.contains(&s.character));
            }
            for s in &seventh {
                self.entries.push(CodeEntry::new(
                    CodeSystem::Icd10Cm,
                    with_seventh(&node.code, s.character),
                    format!("{}, {}", node.title, s.meaning),
                ));
            }
        }
        let mut entry = CodeEntry::new(CodeSystem::Icd10Cm, node.code, node.title);
        entry.billable = !node.has_children && !needs_seventh;
        entry.notes = (!node.notes.is_empty()).then(|| Box::new(node.notes));
        entry.seventh = seventh;
        self.entries.push(entry);
        Ok(())
    }
}

fn heading(kind: EntryKind, code: String, node: Node) -> CodeEntry {
    let mut entry = CodeEntry::new(CodeSystem::Icd10Cm, code, node.title);
    entry.billable = false;
    entry.kind = kind;
    entry.notes = (!node.notes.is_empty()).then(|| Box::new(node.notes));
    entry
}

/// `"Certain infectious and parasitic diseases (A00-B99)"` → `A00-B99`.
fn chapter_range(title: &str) -> Option<String> {
    let open = title.rfind('(')?;
    let inner = title[open + 1..].trim_end().strip_suffix(')')?;
    inner.contains('-').then(|| inner.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_seventh_character_exclusions() {
        let note = "7th characters D and S do not apply to codes in category S06 with 6th character 7 - death due to brain injury prior to regaining consciousness, or 8 - death due to other cause prior to regaining consciousness.";
        let exclusion = parse_exclusion(note).unwrap();
        assert_eq!(exclusion.characters, ['D', 'S']);
        assert_eq!(exclusion.position, 6);
        assert_eq!(exclusion.values, ['7', '8']);
        let cases = [
            ("S06.1X7", true),
            ("S06.378", true),
            ("S06.1X1", false),
            ("S06.37", false),
        ];
        for (code, expected) in cases {
            assert_eq!(exclusion.applies_to(code), expected, "{code}");
        }
        assert!(parse_exclusion("The appropriate 7th character is to be added").is_none());
    }

    #[test]
    fn reads_chapter_ranges() {
        let cases = [
            (
                "Certain infectious and parasitic diseases (A00-B99)",
                Some("A00-B99"),
            ),
            ("Codes for special purposes (U00-U85)", Some("U00-U85")),
            ("No range", None),
        ];
        for (title, expected) in cases {
            assert_eq!(chapter_range(title).as_deref(), expected, "{title}");
        }
    }
}
