//! Symbol paths: what `--symbols` and `TRIAGE_SYMBOLS` may say (validated here, with the
//! other flags; [`crate::symbols`] searches the sources).
//!
//! Each value is a list separated by `;`, in the syntax of `_NT_SYMBOL_PATH` (what WinDbg,
//! cdb and symstore users already have), searched in order:
//!
//! * a folder: a Breakpad store (`name.pdb/ID/name.sym`), a symstore tree
//!   (`name.pdb/ID/name.pdb` or the CAB-packed `name.pd_`) or a flat folder of `.pdb` files;
//! * `http://…` or `https://…`: a symbol server (Microsoft or Breakpad layout, tried as
//!   `.sym`, then `.pdb`, then `.pd_`), downloads kept in the current cache folder;
//! * `srv*CACHE*URL` (also `symsrv*symsrv.dll*CACHE*URL`): a server with its cache; more
//!   `*`-separated folders between them are searched as local stores; `srv*URL` uses the
//!   current cache;
//! * `cache*DIR`: the cache folder for the servers that follow.
//!
//! The cache folder defaults to `triage-symbols` in the system temporary folder.

use std::path::{Path, PathBuf};

pub use crate::model::Source;

/// The default download cache: `triage-symbols` in the system temporary folder.
pub fn default_cache() -> PathBuf {
    std::env::temp_dir().join("triage-symbols")
}

fn is_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Parse one symbol-path value into sources, in search order. `cache` is the cache folder for
/// servers that name none; a `cache*DIR` element changes it for the rest of the value.
pub fn parse(text: &str, default: &Path) -> Result<Vec<Source>, String> {
    let mut cache = default.to_path_buf();
    let mut out = Vec::new();
    for element in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let parts: Vec<&str> = element.split('*').map(str::trim).collect();
        let head = parts[0].to_ascii_lowercase();
        match head.as_str() {
            "srv" | "symsrv" => {
                // `symsrv*symsrv.dll*…` names the DLL that implements the store; skip it.
                let rest: Vec<&str> = if head == "symsrv" { parts.iter().skip(2) } else { parts.iter().skip(1) }
                    .copied()
                    .filter(|p| !p.is_empty())
                    .collect();
                let Some((last, stores)) = rest.split_last() else {
                    return Err(format!("{element:?}: expected srv*CACHE*URL or srv*URL"));
                };
                if is_url(last) {
                    let server_cache = stores.first().map_or_else(|| cache.clone(), PathBuf::from);
                    out.extend(stores.iter().skip(1).map(|s| Source::Local(PathBuf::from(s))));
                    out.push(Source::Server { url: last.trim_end_matches('/').to_owned(), cache: server_cache });
                } else {
                    // `srv*DIR` without a server: a local store.
                    out.extend(rest.iter().map(|s| Source::Local(PathBuf::from(s))));
                }
            }
            "cache" => match parts.get(1).filter(|p| !p.is_empty()) {
                Some(dir) => cache = PathBuf::from(dir),
                None => return Err(format!("{element:?}: expected cache*DIR")),
            },
            _ if parts.len() > 1 && !is_url(element) => {
                return Err(format!(
                    "{element:?}: unknown symbol path element (expected a folder, a URL, srv*… or cache*…)"
                ));
            }
            _ if is_url(element) => {
                out.push(Source::Server { url: element.trim_end_matches('/').to_owned(), cache: cache.clone() })
            }
            _ => out.push(Source::Local(PathBuf::from(element))),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(url: &str, cache: &str) -> Source {
        Source::Server { url: url.into(), cache: cache.into() }
    }

    #[test]
    fn folders_and_urls() {
        let d = Path::new("/tmp/c");
        assert_eq!(
            parse("../shared/corpus/symbols", d).unwrap(),
            vec![Source::Local("../shared/corpus/symbols".into())]
        );
        assert_eq!(
            parse("https://symbols.example/ ; /syms", d).unwrap(),
            vec![server("https://symbols.example", "/tmp/c"), Source::Local("/syms".into())]
        );
    }

    #[test]
    fn nt_symbol_path_syntax() {
        let d = Path::new("/tmp/c");
        assert_eq!(
            parse("srv*/var/cache/sym*https://msdl.microsoft.com/download/symbols", d).unwrap(),
            vec![server("https://msdl.microsoft.com/download/symbols", "/var/cache/sym")]
        );
        assert_eq!(
            parse("SRV*c1*c2*http://127.0.0.1:1/", d).unwrap(),
            vec![Source::Local("c2".into()), server("http://127.0.0.1:1", "c1")]
        );
        assert_eq!(parse("srv*http://h/s", d).unwrap(), vec![server("http://h/s", "/tmp/c")]);
        assert_eq!(parse("symsrv*symsrv.dll*/c*http://h", d).unwrap(), vec![server("http://h", "/c")]);
        assert_eq!(
            parse("cache*/mine;http://a;srv*/store", d).unwrap(),
            vec![server("http://a", "/mine"), Source::Local("/store".into())]
        );
    }

    #[test]
    fn bad_elements_are_errors() {
        let d = Path::new("/tmp/c");
        assert!(parse("srv*", d).unwrap_err().contains("srv*CACHE*URL"));
        assert!(parse("cache*", d).unwrap_err().contains("cache*DIR"));
        assert!(parse("bogus*x", d).unwrap_err().contains("unknown symbol path element"));
        assert_eq!(parse(" ; ;", d).unwrap(), vec![]);
    }
}
