//! Loading: spec files from disk or memory, parsed into the spec model. YAML syntax and shape
//! errors come back located (file, YAML path, line) as the parser reports them.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, SpecError};
use crate::limits::{too_deep, MAX_DEPTH, MAX_FILE_BYTES};
use crate::spec::Document;

/// One spec file's name and text.
#[derive(Debug, Clone)]
pub struct Source {
    /// The name used in `$ref`s and error messages, e.g. `papay.yaml`.
    pub name: String,
    /// The YAML text.
    pub text: String,
}

/// Reads every `*.yaml` file of a folder, in file-name order. A file larger than
/// [`MAX_FILE_BYTES`] is read only that far (one byte more), and refused by [`crate::lower`].
pub fn read_dir(dir: &Path) -> Result<Vec<Source>, Error> {
    let io = |source| Error::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            names.push(path);
        }
    }
    names.sort();
    names
        .into_iter()
        .map(|path| {
            let text = read_bounded(&path).map_err(|source| Error::Io {
                path: path.display().to_string(),
                source,
            })?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(Source { name, text })
        })
        .collect()
}

/// A file's text, or its first `MAX_FILE_BYTES + 1` bytes if it is larger (then lossily
/// decoded: it is refused for its size anyway).
fn read_bounded(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > MAX_FILE_BYTES {
        return Ok(String::from_utf8_lossy(&bytes).into_owned());
    }
    String::from_utf8(bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// Refuses, before the YAML parser runs, a file over the size limit or nested too deep.
fn bounded(source: &Source) -> Result<(), SpecError> {
    let error = |line, message| SpecError {
        file: source.name.clone(),
        path: String::new(),
        line,
        message,
    };
    if source.text.len() > MAX_FILE_BYTES {
        return Err(error(
            None,
            format!(
                "the file is larger than {} MiB, the limit for one spec file; split it",
                MAX_FILE_BYTES >> 20
            ),
        ));
    }
    match too_deep(&source.text) {
        Some((line, depth)) => Err(error(
            Some(line),
            format!("the YAML nests {depth} levels deep here, more than the limit of {MAX_DEPTH}; use `$ref`s to shared schemas"),
        )),
        None => Ok(()),
    }
}

/// Parses every source: the documents that parsed, keyed by file name, and every parse error
/// of the others (so lowering can go on with the files that parsed).
pub(crate) fn parse(sources: &[Source]) -> (BTreeMap<String, Document>, Vec<SpecError>) {
    let mut docs = BTreeMap::new();
    let mut errors = Vec::new();
    for source in sources {
        if let Err(e) = bounded(source) {
            errors.push(e);
            continue;
        }
        match serde_yaml::from_str::<Document>(&source.text) {
            Ok(doc) => {
                docs.insert(source.name.clone(), doc);
            }
            Err(e) => errors.push(yaml_error(&source.name, &e)),
        }
    }
    (docs, errors)
}

fn yaml_error(file: &str, e: &serde_yaml::Error) -> SpecError {
    let mut message = e.to_string();
    let line = e.location().map(|l| l.line());
    if let Some(l) = e.location() {
        let suffix = format!(" at line {} column {}", l.line(), l.column());
        if let Some(stripped) = message.strip_suffix(&suffix) {
            message = stripped.to_owned();
        }
    }
    let (path, message) = match message.split_once(": ") {
        Some((p, m)) if !p.contains(' ') => (p.to_owned(), m.to_owned()),
        _ => (String::new(), message),
    };
    SpecError {
        file: file.to_owned(),
        path,
        line,
        message,
    }
}
