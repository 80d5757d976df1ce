//! Links by Perflib ([`Relation::PerflibModule`]): a Perflib 1008/1010 within the window naming
//! the dump's faulting DLL, and the first-chance evidence it gives (Perflib caught the
//! exception: KB Q275494's counter-DLL access violations).

use super::hosting::{Hosting, service_hosting};
use super::key::DumpKey;
use super::{Collector, basename, event_label};
use crate::model::{Chance, DumpFacts, Event, EventKind, Evidence, EvidenceSource, Relation, Strength};
use crate::text::hex32;

/// Join key 5: the link detail for a Perflib event in the window when the DLL it names is the
/// faulting module, with its fit for the window's bound: 0 when it logs the dump's exception
/// code, 1 otherwise.
pub(super) fn link(key: &DumpKey<'_>, e: &Event) -> Option<(String, u8)> {
    let EventKind::PerflibHandled { library, service, code } = &e.kind else { return None };
    let (lib, m) = (library.as_deref()?, key.module?);
    if !basename(lib).eq_ignore_ascii_case(m) {
        return None;
    }
    let svc = service.as_deref().unwrap_or("?");
    let fit = u8::from(key.code.is_none() || *code != key.code);
    let code = code.map(hex32).unwrap_or_else(|| "no code".into());
    Some((format!("Perflib names {} for service {svc} ({code})", basename(lib)), fit))
}

/// Perflib 1010 naming the faulting DLL: Perflib caught the exception, so it was first chance.
/// Strong when the code matches and the service is not known to live in another process.
pub(super) fn evidence(c: &mut Collector<'_>, key: &DumpKey<'_>, d: &DumpFacts) {
    let mut found = Vec::new();
    for (&i, (relation, _)) in &c.links {
        let Some(e) = c.index.events.get(i) else { continue };
        let EventKind::PerflibHandled { service, code, .. } = &e.kind else { continue };
        if *relation != Relation::PerflibModule || e.event_id != 1010 {
            continue;
        }
        let code_match = key.code.is_some() && *code == key.code;
        let hosting = service_hosting(service.as_deref(), d.process.name.as_deref());
        let strength = if code_match && hosting != Hosting::DoesNotHost { Strength::Strong } else { Strength::Weak };
        let code_text = if code_match {
            "same exception code".to_owned()
        } else {
            format!("code {}", code.map(hex32).unwrap_or_else(|| "not logged".into()))
        };
        let hosting_text = match hosting {
            Hosting::Hosts => ", service hosted by this process",
            Hosting::DoesNotHost => ", service not hosted by this process",
            Hosting::Unknown => "",
        };
        found.push(Evidence::new(
            EvidenceSource::Event,
            Chance::First,
            strength,
            format!("{}: Perflib handled an exception in the faulting DLL ({code_text}{hosting_text})", event_label(e)),
        ));
    }
    c.evidence.extend(found);
}
