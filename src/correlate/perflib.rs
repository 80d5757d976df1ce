//! Links by Perflib ([`Relation::PerflibModule`]): a Perflib 1008/1010 within the window naming
//! the dump's faulting DLL, and the first-chance evidence it gives (Perflib caught the
//! exception: KB Q275494's counter-DLL access violations).

use super::hosting::{Hosting, service_hosting};
use super::key::DumpKey;
use super::{Collector, basename, event_label};
use crate::model::{Chance, DumpFacts, Event, EventKind, Evidence, EvidenceSource, Relation, Strength};
use crate::text::hex32;

/// Join key 5: link a Perflib event in the window when the DLL it names is the faulting module.
pub(super) fn link(c: &mut Collector<'_>, key: &DumpKey<'_>, i: usize, e: &Event) {
    let EventKind::PerflibHandled { library, service, code } = &e.kind else { return };
    if let (Some(lib), Some(m)) = (library.as_deref(), key.module)
        && basename(lib).eq_ignore_ascii_case(m)
    {
        let svc = service.as_deref().unwrap_or("?");
        let code = code.map(hex32).unwrap_or_else(|| "no code".into());
        c.link(i, Relation::PerflibModule, format!("Perflib names {} for service {svc} ({code})", basename(lib)));
    }
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
