//! Buckets: group dumps by process, faulting module, exception code and chance.
//!
//! A bucket id is a hash of its key, so the same dumps give the same id on every run and
//! machine and a ticket can refer to it.

use crate::chance::Chance;

/// The grouping key of a bucket.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BucketKey {
    /// Lower-case process file name, or `?`.
    pub process: String,
    /// Lower-case faulting module file name, or `?` / `<none>`.
    pub module: String,
    pub exception_code: Option<u32>,
    pub chance: Chance,
}

/// One bucket, referring to dumps by index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub id: String,
    pub title: String,
    pub key: BucketKey,
    /// Indices of member dumps, sorted.
    pub members: Vec<usize>,
}

use crate::pipeline::Triaged;

/// Group dumps into buckets, sorted by key; bucket ids are stable hashes of the key.
pub fn group(dumps: &[Triaged]) -> Vec<Bucket> {
    let mut map: std::collections::BTreeMap<BucketKey, Vec<usize>> = Default::default();
    for (i, d) in dumps.iter().enumerate() {
        map.entry(key_of(d)).or_default().push(i);
    }
    map.into_iter()
        .map(|(key, members)| Bucket {
            id: format!("{}|{}", key.process, key.module),
            title: format!("{} | {}", key.process, key.module),
            key,
            members,
        })
        .collect()
}

/// The bucket key of one dump.
pub fn key_of(d: &Triaged) -> BucketKey {
    let lower = |s: Option<&str>| s.map(str::to_ascii_lowercase).unwrap_or_else(|| "?".into());
    BucketKey {
        process: lower(d.facts.process.name.as_deref()),
        module: lower(d.facts.faulting_module.as_ref().map(|m| m.name.as_str())),
        exception_code: d.facts.exception.as_ref().map(|e| e.code),
        chance: d.chance.value,
    }
}
