//! Memory budgets for the minidump reader: per dump, and in total across the parallel readers.
//!
//! The `minidump` parser allocates per structure, not per byte of the file: every module entry
//! gets its own copy of its name and CodeView record, even when ten thousand entries point at
//! the same 400 KB string. A 1.4 MB dump can therefore ask for gigabytes, and a sparse 4 GiB
//! dump whose CodeView sizes are `0xffffffff` for 4 GiB per module. So before the parser runs,
//! [`estimate`] adds up what the dump's structure *declares* it needs (the values stored in the
//! file, not the large-file reader's clamped copy): the directory entries the parser is shown,
//! every list entry it turns into a struct, and every name and CodeView record, once per
//! reference. Bytes the
//! reader holds (the whole small file, or the pages filled of a large one) are charged as they
//! are read.
//!
//! A dump whose charge passes [`DUMP_BUDGET`] is not parsed: `over_budget`, and the scan goes
//! on. The check depends only on the file, never on what else is running, so a scan gives the
//! same verdicts on one thread as on sixty-four. What the other readers hold only makes a
//! reader *wait*: every charge is taken from one [`Pool`] of [`TOTAL_BUDGET`] bytes, and a
//! reader that would overdraw it waits until others finish, unless it is the oldest reader
//! still running, which never waits (so two readers can never wait on each other). The memory
//! in use by dump readers is therefore at most the pool plus one dump's budget.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// What one dump may cost: the bytes held plus what the parser is asked to allocate. Real
/// dumps, even full-memory ones of big servers, declare a few MB.
pub const DUMP_BUDGET: u64 = 256 * 1024 * 1024;
/// What all dump readers together may hold (see the module docs for the one exception).
pub const TOTAL_BUDGET: u64 = 1024 * 1024 * 1024;
/// Charged for every dump on top of its structures: exception context, unwinder frames over
/// the capped stack window, comment text (capped in `extract`), the facts themselves.
pub const BASE_COST: u64 = 2 * 1024 * 1024;

// What the parser allocates per entry (measured from the `minidump` 0.27 structs, rounded up:
// the raw struct, the parsed one and the by-address index built over them).
const PER_DIRECTORY_ENTRY: u64 = 64;
const PER_MODULE: u64 = 512;
const PER_UNLOADED_MODULE: u64 = 256;
const PER_THREAD: u64 = 256;
const PER_MEMORY_RANGE: u64 = 128;
/// Per string: UTF-16 decoded to UTF-8 (up to 1.5 times the bytes) in a buffer sized for the
/// worst case, plus the allocation itself.
fn string_cost(utf16_bytes: u32) -> u64 {
    2 * u64::from(utf16_bytes) + 32
}

const THREAD_LIST: u32 = 3;
const MODULE_LIST: u32 = 4;
const MEMORY_LIST: u32 = 5;
const SYSTEM_INFO: u32 = 7;
const MEMORY64_LIST: u32 = 9;
const UNLOADED_MODULE_LIST: u32 = 14;
/// The stream types the parser is asked to parse (the others are read raw or not at all).
const PARSED: [u32; 6] = [THREAD_LIST, MODULE_LIST, MEMORY_LIST, SYSTEM_INFO, MEMORY64_LIST, UNLOADED_MODULE_LIST];

/// Random access to a dump's bytes as the file stores them.
pub(super) trait Image {
    fn len(&self) -> u64;
    /// Four bytes at `pos` in the file's byte order (`None` past the end).
    fn u32_at(&self, pos: u64) -> Option<u32>;
    fn u64_at(&self, pos: u64) -> Option<u64> {
        let (a, b) = (self.u32_at(pos)?, self.u32_at(pos.checked_add(4)?)?);
        Some(if self.big_endian() { (u64::from(a) << 32) | u64::from(b) } else { (u64::from(b) << 32) | u64::from(a) })
    }
    fn big_endian(&self) -> bool;
}

/// A dump image in memory: the whole small file, or a large-file buffer with its clamps undone.
pub(super) struct Plain<'a> {
    data: &'a [u8],
    big_endian: bool,
}

impl<'a> Plain<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        // `PMDM` as read little-endian is a big-endian dump's signature.
        let big_endian = data.get(..4) == Some(b"PMDM".as_slice());
        Plain { data, big_endian }
    }
}

impl Image for Plain<'_> {
    fn len(&self) -> u64 {
        self.data.len() as u64
    }

    fn u32_at(&self, pos: u64) -> Option<u32> {
        let p = usize::try_from(pos).ok()?;
        let b: [u8; 4] = self.data.get(p..p.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    }

    fn big_endian(&self) -> bool {
        self.big_endian
    }
}

/// What a dump's structure asks the parser to allocate, by kind, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cost {
    pub directory: u64,
    /// List entries turned into structs (modules, unloaded modules, threads, memory ranges).
    pub entries: u64,
    /// Module and unloaded-module names, the CSD version string, and the copies the facts keep.
    pub names: u64,
    pub records: u64,
    /// Module entries, for the message.
    pub modules: u64,
}

impl Cost {
    pub fn total(&self) -> u64 {
        self.directory.saturating_add(self.entries).saturating_add(self.names).saturating_add(self.records)
    }
}

impl fmt::Display for Cost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} modules; names {}, CodeView records {}, list entries {}, directory {}",
            self.modules,
            mib(self.names),
            mib(self.records),
            mib(self.entries),
            mib(self.directory)
        )
    }
}

/// The message of an `over_budget` failure.
pub fn over_budget_message(wanted: u64, declared: &Cost) -> String {
    format!(
        "reading it would take about {} ({declared}), more than the {} one dump may use",
        mib(wanted),
        mib(DUMP_BUDGET)
    )
}

/// Bytes as MiB with one decimal, for messages.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// The parser's allocations for `img`, as its stored structures declare them: the first
/// `max_streams` directory entries (what the parser will be shown), and for each list entry the
/// name and record lengths as the file stores them. Mirrors the parser's choices where they
/// change the amount (the last directory entry of a type wins; a record or string past the end
/// of the file is never copied); elsewhere it errs high.
pub(super) fn estimate(img: &impl Image, max_streams: u32) -> Cost {
    let mut cost = Cost::default();
    if img.u32_at(0) != Some(0x504D_444D) {
        return cost; // not a minidump: the parser stops at the header
    }
    let (Some(count), Some(dir)) = (img.u32_at(8), img.u32_at(12)) else { return cost };
    let dir = u64::from(dir);
    // The parser reads entries until one is missing, keeping each type's last one.
    let readable = img.len().saturating_sub(dir) / 12;
    let n = u64::from(count.min(max_streams)).min(readable);
    cost.directory = n * PER_DIRECTORY_ENTRY;
    let mut last: [Option<(u64, u64)>; PARSED.len()] = [None; PARSED.len()];
    for i in 0..n {
        let pos = dir + i * 12;
        let (Some(kind), Some(size), Some(rva)) = (img.u32_at(pos), img.u32_at(pos + 4), img.u32_at(pos + 8)) else {
            break;
        };
        if let Some(slot) = PARSED.iter().position(|&k| k == kind) {
            last[slot] = Some((u64::from(rva), u64::from(size)));
        }
    }
    let mut longest_name = 0u32;
    for (kind, found) in PARSED.iter().zip(last) {
        let Some((body, size)) = found else { continue };
        let end = body + size;
        if end > img.len() {
            continue; // the parser cannot slice the stream
        }
        match *kind {
            MODULE_LIST => {
                for m in list_entries(img, body, end, 108) {
                    cost.modules += 1;
                    cost.entries += PER_MODULE;
                    if let Some(n) = name_len(img, m + 20) {
                        cost.names += string_cost(n);
                        longest_name = longest_name.max(n);
                    }
                    if let (Some(cv_size), Some(cv_rva)) = (img.u32_at(m + 76), img.u32_at(m + 80))
                        && cv_size > 0
                        && u64::from(cv_rva) + u64::from(cv_size) <= img.len()
                    {
                        cost.records += u64::from(cv_size) + 64;
                    }
                }
            }
            UNLOADED_MODULE_LIST => {
                for m in ex_list_entries(img, body, end, 24) {
                    cost.entries += PER_UNLOADED_MODULE;
                    if let Some(n) = name_len(img, m + 20) {
                        cost.names += string_cost(n);
                        longest_name = longest_name.max(n);
                    }
                }
            }
            THREAD_LIST => cost.entries += list_entries(img, body, end, 48).len() as u64 * PER_THREAD,
            MEMORY_LIST => cost.entries += list_entries(img, body, end, 16).len() as u64 * PER_MEMORY_RANGE,
            MEMORY64_LIST => {
                // {u64 count, u64 base rva} then 16-byte descriptors.
                if let Some(c) = img.u64_at(body)
                    && c.checked_mul(16).and_then(|b| b.checked_add(16)).is_some_and(|b| b <= size)
                {
                    cost.entries += c * PER_MEMORY_RANGE;
                }
            }
            SYSTEM_INFO => {
                // The CSD version string is parsed by every `Minidump::read` and again by each
                // SystemInfo request: charge it three times.
                if size >= 28
                    && let Some(n) = name_len(img, body + 24)
                {
                    cost.names += 3 * string_cost(n);
                }
            }
            _ => {}
        }
    }
    // The facts copy the main and the faulting module's name and path.
    cost.names += 4 * string_cost(longest_name);
    cost
}

/// [`estimate`] of a dump the parser gets whole (every directory entry).
pub(super) fn estimate_all(img: &impl Image) -> Cost {
    estimate(img, u32::MAX)
}

/// The byte length of the `MINIDUMP_STRING` whose RVA is stored at `field`, when the parser
/// would read it (inside the file, an even length).
fn name_len(img: &impl Image, field: u64) -> Option<u32> {
    let rva = u64::from(img.u32_at(field)?);
    let n = img.u32_at(rva)?;
    (n % 2 == 0 && rva + 4 + u64::from(n) <= img.len()).then_some(n)
}

/// Entry positions of a `u32 count` list stream, as the parser accepts it (the count's entries
/// fill the stream, optionally after 4 bytes of padding).
pub(super) fn list_entries(img: &impl Image, body: u64, end: u64, size: u64) -> Vec<u64> {
    let Some(count) = img.u32_at(body) else { return Vec::new() };
    let counted = 4 + u64::from(count) * size;
    let first = match (end - body).checked_sub(counted) {
        Some(0) => body + 4,
        Some(4) => body + 8,
        _ => return Vec::new(),
    };
    (0..u64::from(count)).map(|i| first + i * size).collect()
}

/// Entry positions of a list stream with the extended header {SizeOfHeader, SizeOfEntry, Count}.
pub(super) fn ex_list_entries(img: &impl Image, body: u64, end: u64, size: u64) -> Vec<u64> {
    let (Some(header), Some(entry), Some(count)) = (img.u32_at(body), img.u32_at(body + 4), img.u32_at(body + 8))
    else {
        return Vec::new();
    };
    let first = body + u64::from(header);
    if u64::from(entry) != size || header < 12 || first + u64::from(count) * size > end {
        return Vec::new();
    }
    (0..u64::from(count)).map(|i| first + i * size).collect()
}

/// A charge that would take one dump past [`DUMP_BUDGET`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverBudget {
    /// What the dump would hold with this charge.
    pub wanted: u64,
    pub limit: u64,
}

/// The memory all dump readers share. See the module docs for the waiting rule.
pub struct Pool {
    limit: u64,
    state: Mutex<PoolState>,
    freed: Condvar,
}

struct PoolState {
    used: u64,
    next_ticket: u64,
    /// Tickets of the leases alive, oldest first.
    live: BTreeSet<u64>,
    /// Readers waiting for room. A lease given back wakes them only when there are any:
    /// `notify_all` is a `futex` system call even with nobody waiting, once per dump.
    waiting: usize,
}

/// The pool every dump reader draws from.
pub static POOL: Pool = Pool::new(TOTAL_BUDGET);

impl Pool {
    pub const fn new(limit: u64) -> Self {
        Pool {
            limit,
            state: Mutex::new(PoolState { used: 0, next_ticket: 0, live: BTreeSet::new(), waiting: 0 }),
            freed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // A reader that panicked mid-update cannot leave the counters half-changed (each update
        // is one statement), so a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One dump's account, holding nothing yet, limited to `per_dump` bytes.
    pub fn lease(&self, per_dump: u64) -> Lease<'_> {
        let mut st = self.lock();
        let ticket = st.next_ticket;
        st.next_ticket += 1;
        st.live.insert(ticket);
        Lease { pool: self, ticket, held: 0, limit: per_dump }
    }

    /// Bytes currently charged by all leases.
    pub fn used(&self) -> u64 {
        self.lock().used
    }
}

/// What one dump reader holds; given back when dropped.
pub struct Lease<'p> {
    pool: &'p Pool,
    ticket: u64,
    held: u64,
    limit: u64,
}

impl Lease<'_> {
    /// Charge `n` more bytes: refused when the dump would pass its own limit (whatever else is
    /// running), else granted at once, or after waiting for other readers to give memory back.
    pub fn grow(&mut self, n: u64) -> Result<(), OverBudget> {
        let wanted = self.held.saturating_add(n);
        if wanted > self.limit {
            return Err(OverBudget { wanted, limit: self.limit });
        }
        let mut st = self.pool.lock();
        while st.used.saturating_add(n) > self.pool.limit && st.live.first() != Some(&self.ticket) {
            st.waiting += 1;
            st = self.pool.freed.wait(st).unwrap_or_else(PoisonError::into_inner);
            st.waiting -= 1;
        }
        st.used += n;
        self.held = wanted;
        Ok(())
    }

    /// Bytes this dump holds.
    pub fn held(&self) -> u64 {
        self.held
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let mut st = self.pool.lock();
        st.used = st.used.saturating_sub(self.held);
        st.live.remove(&self.ticket);
        let waiting = st.waiting > 0;
        drop(st);
        if waiting {
            self.pool.freed.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    #[test]
    fn a_dump_past_its_own_limit_is_refused_without_waiting() {
        let pool = Pool::new(100);
        let mut a = pool.lease(60);
        a.grow(50).unwrap();
        assert_eq!(a.grow(11), Err(OverBudget { wanted: 61, limit: 60 }));
        assert_eq!(a.held(), 50);
        drop(a);
        assert_eq!(pool.used(), 0);
    }

    #[test]
    fn the_oldest_reader_never_waits_and_others_wait_for_room() {
        let pool = Arc::new(Pool::new(100));
        let mut oldest = pool.lease(100);
        let mut young = pool.lease(100);
        young.grow(80).unwrap();
        // Over the pool, but the oldest lease may always proceed.
        oldest.grow(60).unwrap();
        assert_eq!(pool.used(), 140);
        // A third reader must wait until the others give memory back.
        let done = Arc::new(AtomicU64::new(0));
        let (p, d) = (Arc::clone(&pool), Arc::clone(&done));
        let waiter = std::thread::spawn(move || {
            let mut third = p.lease(100);
            third.grow(50).unwrap();
            d.store(1, Ordering::SeqCst);
        });
        // Without a clock: the waiter cannot get through while 140 of 100 are in use and it is
        // not the oldest, so only dropping both holders lets it finish.
        assert_eq!(done.load(Ordering::SeqCst), 0);
        drop(young);
        drop(oldest);
        waiter.join().unwrap();
        assert_eq!(done.load(Ordering::SeqCst), 1);
        assert_eq!(pool.used(), 0);
    }

    /// A little-endian minidump image: header, directory, one ModuleList of `modules` entries
    /// all naming one string of `name_bytes`, each with a CodeView record of `cv` bytes.
    fn image(modules: u32, name_bytes: u32, cv: u32) -> Vec<u8> {
        let mut b = vec![0u8; 32];
        b[..4].copy_from_slice(b"MDMP");
        b[4..8].copy_from_slice(&0xa793u32.to_le_bytes());
        b[8..12].copy_from_slice(&1u32.to_le_bytes());
        b[12..16].copy_from_slice(&32u32.to_le_bytes());
        let list = 44u32;
        let list_size = 4 + modules * 108;
        let name = list + list_size;
        b.extend_from_slice(&MODULE_LIST.to_le_bytes());
        b.extend_from_slice(&list_size.to_le_bytes());
        b.extend_from_slice(&list.to_le_bytes());
        b.extend_from_slice(&modules.to_le_bytes());
        for _ in 0..modules {
            let mut m = [0u8; 108];
            m[20..24].copy_from_slice(&name.to_le_bytes());
            m[76..80].copy_from_slice(&cv.to_le_bytes());
            m[80..84].copy_from_slice(&name.to_le_bytes());
            b.extend_from_slice(&m);
        }
        b.extend_from_slice(&name_bytes.to_le_bytes());
        b.resize(b.len() + name_bytes as usize, b'a');
        b
    }

    #[test]
    fn every_reference_to_a_shared_name_is_charged() {
        let one = estimate_all(&Plain::new(&image(1, 400_000, 0)));
        let many = estimate_all(&Plain::new(&image(1000, 400_000, 0)));
        assert_eq!(one.modules, 1);
        assert_eq!(many.modules, 1000);
        assert_eq!(many.names, 1000 * string_cost(400_000) + 4 * string_cost(400_000));
        assert!(many.total() > DUMP_BUDGET, "{many}");
        assert!(one.total() < DUMP_BUDGET / 64, "{one}");
    }

    #[test]
    fn records_are_charged_only_when_they_lie_inside_the_file() {
        let inside = estimate_all(&Plain::new(&image(2, 256, 100)));
        assert_eq!(inside.records, 2 * (100 + 64));
        let outside = estimate_all(&Plain::new(&image(2, 256, u32::MAX)));
        assert_eq!(outside.records, 0);
    }

    #[test]
    fn not_a_minidump_costs_nothing() {
        assert_eq!(estimate_all(&Plain::new(b"USERDUMP and more bytes than a header")), Cost::default());
        assert_eq!(estimate_all(&Plain::new(&[])), Cost::default());
    }
}
