//! Located spec errors: file, YAML path and line. The generator never panics on bad input; every
//! problem it finds in a spec comes back as one of these.

use std::fmt;

/// One problem in one spec file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The spec file, as given to the loader (e.g. `spec/recover.yaml`).
    pub file: String,
    /// The YAML path of the offending node, e.g. `paths./v3/x.post.requestBody`.
    pub path: String,
    /// 1-based line, where it could be found.
    pub line: Option<usize>,
    /// What is wrong and, where possible, what to do.
    pub message: String,
}

/// Prints one error on one line, `file:line: at `path`: message`: line breaks in a path or a
/// message (a YAML key can hold one) are written `\n` and `\r`.
impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: ", one_line(&self.file))?,
            None => write!(f, "{}: ", one_line(&self.file))?,
        }
        if !self.path.is_empty() {
            write!(f, "at `{}`: ", one_line(&self.path))?;
        }
        f.write_str(&one_line(&self.message))
    }
}

fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(['\n', '\r']) {
        text.replace('\n', "\\n").replace('\r', "\\r").into()
    } else {
        text.into()
    }
}

/// Every problem found in a set of spec files, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecErrors(pub Vec<SpecError>);

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecErrors {}

/// Errors of the generator's entry points.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A spec file or folder could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The spec has problems; each one is located.
    #[error("{0}")]
    Spec(#[from] SpecErrors),
}
