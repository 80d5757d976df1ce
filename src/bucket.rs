//! Buckets: group dumps by process, faulting module (or signature), exception code and chance.
//!
//! A bucket id is the first 12 hex digits of the SHA-256 of the key's canonical text
//! (`process|module|code|chance`, e.g. `inetinfo.exe|infoctrs.dll|0xc0000005|first`), so the same
//! dumps give the same id on every run, machine and version, and a ticket can refer to it.
//! (Never `std`'s `DefaultHasher`: it is randomly seeded and allowed to change between releases.)
//!
//! `--group-by signature` puts the crash signature where the module was
//! (`signature|process|signature|code|chance`) and prefixes the id with `sig-`;
//! `--group-by offset` puts `module+0xoffset` there (WER-style offset buckets,
//! `offset|process|infoctrs.dll+0x1a2b|code|chance`, id prefix `off-`). So an id always says
//! which key made it and ids of two groupings can never be mistaken for one another. A new
//! grouping is a new [`GroupBy`] variant with its own prefix.
//!
//! The title names process, site and exception; the chance has its own column, so the title
//! does not repeat it. Exception names come from the one naming table
//! ([`crate::model::exception`]) through the dump facts, so a title, the details and the JSON
//! name a code the same way.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::model::{Chance, Triaged};
// The grouping lives in the model (flags and reports name it too); re-exported here.
pub use crate::model::GroupBy;
use crate::text::{hex_bytes, hex32};

/// The grouping key of a bucket.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BucketKey {
    pub group_by: GroupBy,
    /// Lower-case process file name, or `?`.
    pub process: String,
    /// What [`GroupBy`] groups on. Module: the lower-case faulting module file name (`?` when
    /// unknown, `<none>` when there is no exception). Signature: the signature (`<none>` when
    /// there is no exception).
    pub site: String,
    pub exception_code: Option<u32>,
    pub chance: Chance,
}

impl BucketKey {
    /// The canonical text the id is hashed from. Changing it changes every bucket id.
    pub fn canonical(&self) -> String {
        let code = self.exception_code.map(hex32).unwrap_or_else(|| "none".into());
        let text = format!("{}|{}|{}|{}", self.process, self.site, code, self.chance.as_str());
        match self.group_by {
            GroupBy::Module => text,
            other => format!("{}|{text}", other.as_str()),
        }
    }

    /// The stable id: 12 lower-case hex digits (48 bits) of SHA-256 of [`Self::canonical`],
    /// after the grouping's prefix (none for module buckets, `sig-` for signature buckets).
    pub fn id(&self) -> String {
        let digest = Sha256::digest(self.canonical().as_bytes());
        format!("{}{}", self.group_by.id_prefix(), hex_bytes(&digest[..6]))
    }

    /// `inetinfo.exe | infoctrs.dll | 0xc0000005 ACCESS_VIOLATION`, naming the code with `name`
    /// (the members' exception name) when given, or with the signature in `[@ … ]` form in
    /// place of the module.
    pub fn title(&self, name: Option<&str>) -> String {
        let code = match (self.exception_code, name) {
            (Some(c), Some(name)) if !name.is_empty() => format!("{} {name}", hex32(c)),
            (Some(c), _) => hex32(c),
            (None, _) => "no exception".into(),
        };
        let site = match self.group_by {
            GroupBy::Signature if self.exception_code.is_some() => crate::symbols::signature::bugzilla_form(&self.site),
            _ => self.site.clone(),
        };
        format!("{} | {site} | {code}", self.process)
    }
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

/// Group dumps into buckets by module, sorted by key; bucket ids are stable hashes of the key.
pub fn group(dumps: &[Triaged]) -> Vec<Bucket> {
    group_by(dumps, GroupBy::Module)
}

/// Group dumps into buckets by the given key, sorted by key.
pub fn group_by(dumps: &[Triaged], by: GroupBy) -> Vec<Bucket> {
    let mut map: BTreeMap<BucketKey, Vec<usize>> = BTreeMap::new();
    for (i, d) in dumps.iter().enumerate() {
        map.entry(key_by(d, by)).or_default().push(i);
    }
    map.into_iter()
        .map(|(key, members)| {
            // Every member has the same code; the name is the first member's (members are in
            // path order, so the title is the same on every run).
            let name = members
                .first()
                .and_then(|&i| dumps.get(i))
                .and_then(|d| d.facts.exception.as_ref())
                .map(|e| e.name.as_str());
            Bucket { id: key.id(), title: key.title(name), key, members }
        })
        .collect()
}

/// The module bucket key of one dump.
pub fn key_of(d: &Triaged) -> BucketKey {
    key_by(d, GroupBy::Module)
}

/// The bucket key of one dump under a grouping.
pub fn key_by(d: &Triaged, by: GroupBy) -> BucketKey {
    let f = &d.facts;
    let process = f.process.name.as_deref().map(str::to_ascii_lowercase).unwrap_or_else(|| "?".into());
    let module = || match (&f.exception, &f.faulting_module) {
        (_, Some(m)) => m.name.to_ascii_lowercase(),
        (None, None) => "<none>".into(),
        (Some(_), None) => "?".into(),
    };
    let site = match by {
        GroupBy::Module => module(),
        GroupBy::Offset => match &f.faulting_module {
            Some(m) => format!("{}+{}", m.name.to_ascii_lowercase(), crate::text::hex64(m.offset)),
            None => module(),
        },
        GroupBy::Signature => f.signature_or_fallback().unwrap_or_else(|| "<none>".into()),
    };
    BucketKey {
        group_by: by,
        process,
        site,
        exception_code: f.exception.as_ref().map(|e| e.code),
        chance: d.chance.value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    fn key(chance: Chance) -> BucketKey {
        BucketKey {
            group_by: GroupBy::Module,
            process: "inetinfo.exe".into(),
            site: "infoctrs.dll".into(),
            exception_code: Some(0xc000_0005),
            chance,
        }
    }

    #[test]
    fn id_is_stable() {
        // Pinned: a change here breaks every ticket that refers to a bucket.
        let k = key(Chance::First);
        assert_eq!(k.canonical(), "inetinfo.exe|infoctrs.dll|0xc0000005|first");
        assert_eq!(k.id(), "5d02f1f0a615");
        assert_ne!(key(Chance::Second).id(), k.id());
    }

    #[test]
    fn title_is_readable() {
        assert_eq!(
            key(Chance::First).title(Some("ACCESS_VIOLATION")),
            "inetinfo.exe | infoctrs.dll | 0xc0000005 ACCESS_VIOLATION"
        );
        assert_eq!(key(Chance::First).title(None), "inetinfo.exe | infoctrs.dll | 0xc0000005");
        let none = BucketKey {
            group_by: GroupBy::Module,
            process: "w3wp.exe".into(),
            site: "<none>".into(),
            exception_code: None,
            chance: Chance::None,
        };
        assert_eq!(none.title(None), "w3wp.exe | <none> | no exception");
    }

    #[test]
    fn scenario_groups_by_chance_and_module() {
        let (t, _) = triage(scenario_dumps(), &[scenario_log()]);
        let buckets = group(&t);
        let summary: Vec<(String, Vec<usize>)> = buckets.iter().map(|b| (b.title.clone(), b.members.clone())).collect();
        assert_eq!(
            summary,
            vec![
                ("inetinfo.exe | infoctrs.dll | 0xc0000005 ACCESS_VIOLATION".into(), vec![0, 1, 2, 3]),
                ("inetinfo.exe | infoctrs.dll | 0xc0000005 ACCESS_VIOLATION".into(), vec![5]),
                ("inetinfo.exe | w3svc.dll | 0xc0000005 ACCESS_VIOLATION".into(), vec![4]),
            ]
        );
        assert_eq!(buckets[0].id, "5d02f1f0a615");
        // Same input, same ids.
        let again: Vec<String> = group(&t).into_iter().map(|b| b.id).collect();
        assert_eq!(again, buckets.iter().map(|b| b.id.clone()).collect::<Vec<_>>());
    }

    #[test]
    fn offset_grouping_splits_crash_sites_and_keeps_module_ids() {
        let mut a = dump("a.dmp", "2001-03-12T09:00:00Z", Some("infoctrs.dll"), Some(0xc000_0005));
        let mut b = a.clone();
        b.path = std::path::Path::new("dumps/b.dmp").into();
        if let Some(m) = b.faulting_module.as_mut() {
            m.offset = 0x2000;
        }
        a.path = std::path::Path::new("dumps/a.dmp").into();
        let (t, _) = triage(vec![a, b], &[]);
        let by_module = group_by(&t, GroupBy::Module);
        assert_eq!(by_module.len(), 1);
        assert_eq!(by_module[0].id, key_of(&t[0]).id());
        let by_offset = group_by(&t, GroupBy::Offset);
        let titles: Vec<&str> = by_offset.iter().map(|b| b.title.as_str()).collect();
        assert_eq!(
            titles,
            vec![
                "inetinfo.exe | infoctrs.dll+0x1234 | 0xc0000005 ACCESS_VIOLATION",
                "inetinfo.exe | infoctrs.dll+0x2000 | 0xc0000005 ACCESS_VIOLATION"
            ]
        );
        assert_eq!(by_offset[0].key.canonical(), "offset|inetinfo.exe|infoctrs.dll+0x1234|0xc0000005|unknown");
        assert!(by_offset[0].id.starts_with("off-"));
    }

    #[test]
    fn no_exception_and_unknown_module_are_distinct() {
        let (t, _) = triage(
            vec![
                dump("hang.dmp", "2001-03-12T09:00:00Z", None, None),
                dump("x.dmp", "2001-03-12T09:00:00Z", None, Some(5)),
            ],
            &[],
        );
        let keys: Vec<BucketKey> = t.iter().map(key_of).collect();
        assert_eq!(keys[0].site, "<none>");
        assert_eq!(keys[0].chance, Chance::None);
        assert_eq!(keys[1].site, "?");
    }

    #[test]
    fn signature_buckets_say_so_in_id_and_title() {
        let module = key(Chance::First);
        let sig = BucketKey { group_by: GroupBy::Signature, site: "CollectW3Data | main".into(), ..module.clone() };
        assert_eq!(sig.canonical(), "signature|inetinfo.exe|CollectW3Data | main|0xc0000005|first");
        assert!(sig.id().starts_with("sig-"), "{}", sig.id());
        assert_eq!(sig.id().len(), 16);
        assert_eq!(
            sig.title(Some("ACCESS_VIOLATION")),
            "inetinfo.exe | [@ CollectW3Data | main ] | 0xc0000005 ACCESS_VIOLATION"
        );
        // Module ids are untouched by the grouping machinery.
        assert_eq!(module.id(), "5d02f1f0a615");
    }

    #[test]
    fn without_symbols_the_signature_is_module_plus_offset() {
        let (t, _) = triage(vec![av_dump("09:00"), dump("hang.dmp", "2001-03-12T09:00:00Z", None, None)], &[]);
        let keys: Vec<BucketKey> = t.iter().map(|d| key_by(d, GroupBy::Signature)).collect();
        assert_eq!(keys[0].site, "infoctrs.dll+0x1234");
        assert_eq!(keys[1].site, "<none>");
    }
}
