//! The folders clean may touch: only those the user names (`--root DIR`) or explicitly accepts
//! from the report (`--report-roots`, and they are printed). A report is data anyone could have
//! edited, so the roots it lists are never trusted on their own.
//!
//! A report path is matched to a root by its components, after making both absolute from the
//! current folder (whose path `getcwd` gives without links, so a leading `..` is exact). A `..`
//! anywhere else is refused: clean does not guess where it leads. The remainder below the root
//! is then walked from the root's handle, one component at a time, never through a link.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use super::CleanError;
use super::fsx::Dir;
use crate::report::Report;

/// Which roots the user allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootChoice {
    /// `--root DIR`, repeatable.
    Named(Vec<PathBuf>),
    /// `--report-roots`: the report's `inputs.paths`, confirmed by the user.
    FromReport,
}

/// One root, opened.
#[derive(Debug)]
pub struct Root {
    /// As typed on the command line (or in the report, with `--report-roots`).
    pub typed: PathBuf,
    /// Absolute and normalised forms a report path may start with.
    forms: Vec<PathBuf>,
    /// The folder walked from: the root itself, or the parent of a root that is a file.
    pub dir: Dir,
    /// Absolute path of `dir` (recorded in the journal; undo restores below it).
    pub dir_path: PathBuf,
    /// For a root that is a file: its name, the only entry it admits.
    pub only: Option<OsString>,
    /// Folder name of this root inside a run's quarantine folder.
    pub label: String,
}

/// Why a report path is not one clean may touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub reason: String,
}

/// Make `p` absolute from the current folder and drop `.`; `None` if it has a `..` after its
/// first ordinary component (leading `..` of a relative path pop the physical current folder).
pub fn normalize(p: &Path) -> Option<PathBuf> {
    let mut out = if p.is_absolute() { PathBuf::new() } else { std::env::current_dir().ok()? };
    let mut seen_normal = false;
    for c in p.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => out.push(c.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir if !seen_normal && !p.is_absolute() => {
                out.pop();
            }
            Component::ParentDir => return None,
            Component::Normal(part) => {
                seen_normal = true;
                out.push(part);
            }
        }
    }
    Some(out)
}

/// Open the allowed roots. Errors are fatal: with no root there is nothing clean may touch.
pub fn resolve(choice: &RootChoice, report: &Report) -> Result<Vec<Root>, CleanError> {
    let typed: Vec<PathBuf> = match choice {
        RootChoice::Named(v) if !v.is_empty() => v.clone(),
        RootChoice::Named(_) => return Err(CleanError::NoRootsNamed { report_roots: report.inputs.paths.clone() }),
        RootChoice::FromReport if report.inputs.paths.is_empty() => return Err(CleanError::NoRoots),
        RootChoice::FromReport => report.inputs.paths.clone(),
    };
    let mut roots: Vec<Root> = Vec::new();
    for t in typed {
        let bad = |why: String| CleanError::BadRoot { path: t.clone(), why };
        let abs = normalize(&t).ok_or_else(|| bad("name it without `..`".into()))?;
        let meta = std::fs::metadata(&abs).map_err(|e| bad(e.to_string()))?;
        let (dir_path, only) = if meta.is_dir() {
            (abs.clone(), None)
        } else if meta.is_file() {
            let parent = abs.parent().ok_or_else(|| bad("has no parent folder".into()))?.to_path_buf();
            (parent, abs.file_name().map(|n| n.to_os_string()))
        } else {
            return Err(bad("is neither a folder nor a file".into()));
        };
        // Record where the folder really is: undo must come back to the same place even if
        // it is run from elsewhere or a link in the typed path changes.
        let dir_path = std::fs::canonicalize(&dir_path).unwrap_or(dir_path);
        let dir = Dir::open_path(&dir_path).map_err(|e| bad(e.to_string()))?;
        let mut forms = vec![abs.clone()];
        if let Ok(c) = std::fs::canonicalize(&abs)
            && c != abs
        {
            forms.push(c);
        }
        let base = dir_path.file_name().and_then(|n| n.to_str()).unwrap_or("root");
        let base = if base.is_empty() || base.starts_with('.') { "root" } else { base };
        let label = match roots.iter().find(|r| r.dir_path == dir_path) {
            Some(r) => r.label.clone(),
            None => unique_label(base, &roots),
        };
        roots.push(Root { typed: t, forms, dir, dir_path, only, label });
    }
    Ok(roots)
}

fn unique_label(base: &str, roots: &[Root]) -> String {
    let taken = |l: &str| roots.iter().any(|r| r.label == l);
    if !taken(base) {
        return base.to_owned();
    }
    (2..).map(|n| format!("{base}-{n}")).find(|l| !taken(l)).unwrap_or_else(|| base.to_owned())
}

/// The root a report path lies in, and the components from that root's folder to the file.
pub fn locate(roots: &[Root], path: &Path) -> Result<(usize, Vec<OsString>), Refusal> {
    let Some(abs) = normalize(path) else {
        return Err(Refusal {
            code: "bad_path",
            reason: "has a `..` inside it; clean does not guess where it leads".into(),
        });
    };
    for (i, root) in roots.iter().enumerate() {
        for form in &root.forms {
            let Ok(rest) = abs.strip_prefix(form) else { continue };
            let mut rel: Vec<OsString> = rest.components().map(|c| c.as_os_str().to_os_string()).collect();
            match &root.only {
                Some(name) if rel.is_empty() => return Ok((i, vec![name.clone()])),
                Some(_) => continue,
                None if rel.is_empty() => continue,
                None => {
                    rel.shrink_to_fit();
                    return Ok((i, rel));
                }
            }
        }
    }
    Err(Refusal { code: "outside_roots", reason: format!("{} is not under a root you named (--root)", abs.display()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_refuses_inner_dotdot_and_keeps_leading() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(normalize(Path::new("a/./b")).unwrap(), cwd.join("a/b"));
        assert_eq!(normalize(Path::new("../x")).unwrap(), cwd.parent().unwrap().join("x"));
        assert_eq!(normalize(Path::new("a/../b")), None);
        assert_eq!(normalize(Path::new("/a/../b")), None);
        assert_eq!(normalize(Path::new("/a/b")).unwrap(), PathBuf::from("/a/b"));
    }
}
