//! Buckets: group dumps by process, faulting module (or signature), exception code and chance.
//!
//! A bucket id is the first 12 hex digits of the SHA-256 of the key's canonical text
//! (`process|module|code|chance`, e.g. `inetinfo.exe|infoctrs.dll|0xc0000005|first`), so the same
//! dumps give the same id on every run, machine and version, and a ticket can refer to it.
//! (Never `std`'s `DefaultHasher`: it is randomly seeded and allowed to change between releases.)
//!
//! `--group-by signature` puts the crash signature where the module was
//! (`signature|process|signature|code|chance`) and prefixes the id with `sig-`, so an id
//! always says which key made it and ids of the two groupings can never be mistaken for one
//! another. A new grouping is a new [`GroupBy`] variant with its own prefix.

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

    /// `inetinfo.exe | infoctrs.dll | 0xc0000005 ACCESS_VIOLATION | first chance`, or with the
    /// signature in `[@ … ]` form in place of the module.
    pub fn title(&self) -> String {
        let code = match self.exception_code {
            Some(c) => match exception_short_name(c) {
                Some(name) => format!("{} {name}", hex32(c)),
                None => hex32(c),
            },
            None => "no exception".into(),
        };
        let chance = match self.chance {
            Chance::First => "first chance",
            Chance::Second => "second chance",
            Chance::None => "no exception",
            Chance::Unknown => "unknown chance",
        };
        let site = match self.group_by {
            GroupBy::Signature if self.exception_code.is_some() => crate::symbols::signature::bugzilla_form(&self.site),
            _ => self.site.clone(),
        };
        format!("{} | {site} | {code} | {chance}", self.process)
    }
}

/// Short names for the exception codes seen in practice, for bucket titles. Titles must not
/// depend on which member happens to be first, so they come from the code alone.
pub fn exception_short_name(code: u32) -> Option<&'static str> {
    Some(match code {
        0x8000_0003 => "BREAKPOINT",
        0x8000_0004 => "SINGLE_STEP",
        0xC000_0005 => "ACCESS_VIOLATION",
        0xC000_0006 => "IN_PAGE_ERROR",
        0xC000_0008 => "INVALID_HANDLE",
        0xC000_001D => "ILLEGAL_INSTRUCTION",
        0xC000_0025 => "NONCONTINUABLE_EXCEPTION",
        0xC000_008C => "ARRAY_BOUNDS_EXCEEDED",
        0xC000_0094 => "INT_DIVIDE_BY_ZERO",
        0xC000_0095 => "INT_OVERFLOW",
        0xC000_00FD => "STACK_OVERFLOW",
        0xC000_0374 => "HEAP_CORRUPTION",
        0xC000_0409 => "STACK_BUFFER_OVERRUN",
        0xC000_0420 => "ASSERTION_FAILURE",
        0xE06D_7363 => "CPP_EH_EXCEPTION",
        0xE043_4352 => "CLR_EXCEPTION",
        0xE043_4F4D => "CLR_EXCEPTION_COM",
        0x406D_1388 => "SET_THREAD_NAME",
        0x4001_0006 => "DBG_PRINTEXCEPTION_C",
        0x4001_000A => "DBG_PRINTEXCEPTION_WIDE_C",
        0x4001_0005 => "DBG_CONTROL_C",
        0x0000_06BA => "RPC_S_SERVER_UNAVAILABLE",
        0x0000_06BE => "RPC_S_CALL_FAILED",
        0x0000_06D9 => "EPT_S_NOT_REGISTERED",
        _ => return None,
    })
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
    map.into_iter().map(|(key, members)| Bucket { id: key.id(), title: key.title(), key, members }).collect()
}

/// The module bucket key of one dump.
pub fn key_of(d: &Triaged) -> BucketKey {
    key_by(d, GroupBy::Module)
}

/// The bucket key of one dump under a grouping.
pub fn key_by(d: &Triaged, by: GroupBy) -> BucketKey {
    let f = &d.facts;
    let process = f.process.name.as_deref().map(str::to_ascii_lowercase).unwrap_or_else(|| "?".into());
    let site = match by {
        GroupBy::Module => match (&f.exception, &f.faulting_module) {
            (_, Some(m)) => m.name.to_ascii_lowercase(),
            (None, None) => "<none>".into(),
            (Some(_), None) => "?".into(),
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
            key(Chance::First).title(),
            "inetinfo.exe | infoctrs.dll | 0xc0000005 ACCESS_VIOLATION | first chance"
        );
        let none = BucketKey {
            group_by: GroupBy::Module,
            process: "w3wp.exe".into(),
            site: "<none>".into(),
            exception_code: None,
            chance: Chance::None,
        };
        assert_eq!(none.title(), "w3wp.exe | <none> | no exception | no exception");
    }

    #[test]
    fn scenario_groups_by_chance_and_module() {
        let (t, _) = triage(scenario_dumps(), &[scenario_log()]);
        let buckets = group(&t);
        let summary: Vec<(String, Vec<usize>)> = buckets.iter().map(|b| (b.title.clone(), b.members.clone())).collect();
        assert_eq!(
            summary,
            vec![
                ("inetinfo.exe | infoctrs.dll | 0xc0000005 ACCESS_VIOLATION | first chance".into(), vec![0, 1, 2, 3]),
                ("inetinfo.exe | infoctrs.dll | 0xc0000005 ACCESS_VIOLATION | unknown chance".into(), vec![5]),
                ("inetinfo.exe | w3svc.dll | 0xc0000005 ACCESS_VIOLATION | second chance".into(), vec![4]),
            ]
        );
        assert_eq!(buckets[0].id, "5d02f1f0a615");
        // Same input, same ids.
        let again: Vec<String> = group(&t).into_iter().map(|b| b.id).collect();
        assert_eq!(again, buckets.iter().map(|b| b.id.clone()).collect::<Vec<_>>());
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
            sig.title(),
            "inetinfo.exe | [@ CollectW3Data | main ] | 0xc0000005 ACCESS_VIOLATION | first chance"
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
