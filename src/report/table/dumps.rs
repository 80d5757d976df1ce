//! The per-dump parts of the table: the delete list (plain lines, path last, cut at the list
//! limit) and `--details`, as a table or, when narrow, one block of lines per dump.

use comfy_table::{Cell, Table};

use super::{CellExt, TableOptions, action_color, dump_time, header, new_table, plural, protect_tokens, push_wrapped};
use crate::chance::Strength;
use crate::report::{DumpRow, Report, human_bytes};
use crate::text::{terminal, terminal_path};

pub(super) fn delete_list(out: &mut String, report: &Report, opts: &TableOptions) {
    let delete: Vec<&DumpRow> = report.delete_rows().collect();
    if delete.is_empty() {
        return;
    }
    let bytes: u64 = delete.iter().map(|d| d.size).sum();
    out.push_str(&format!(
        "\nFlagged delete: {} dump{}, {} ({} bytes) would be freed\n",
        delete.len(),
        plural(delete.len()),
        human_bytes(bytes),
        bytes
    ));
    let shown = opts.shown(delete.len());
    let rows: Vec<(String, String, String)> = delete
        .iter()
        .take(shown)
        .map(|d| (human_bytes(d.size), terminal(&d.verdict.rule).into_owned(), terminal_path(&d.path).into_owned()))
        .collect();
    let size_w = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0).max(4);
    let rule_w = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0).max(4);
    // Plain lines, path last: a long path runs past the edge instead of breaking mid-name.
    out.push_str(&format!("  {:>size_w$}  {:<rule_w$}  dump\n", "size", "rule"));
    for (size, rule, path) in &rows {
        out.push_str(&format!("  {size:>size_w$}  {rule:<rule_w$}  {path}\n"));
    }
    if shown < delete.len() {
        out.push_str(&format!(
            "  … and {} more not shown (--list-limit 0 lists all; --delete-list FILE writes every path)\n",
            delete.len() - shown
        ));
    }
    let archived = delete.iter().filter(|d| d.archive.is_some()).count();
    if archived > 0 {
        // Their bytes are counted above, but `clean` never rewrites an archive.
        out.push_str(&format!(
            "  {archived} of them inside archives (`ARCHIVE!/member`): triage clean leaves archives alone and lists them\n"
        ));
    }
}

/// The cells of one dump's details: path and time, exception, module, chance and evidence,
/// verdict, events.
fn dump_cells(d: &DumpRow) -> [String; 6] {
    let mut dump = terminal_path(&d.path).into_owned();
    dump.push('\n');
    dump.push_str(&dump_time(d));
    let exception = d.exception.as_ref().map_or_else(
        || "-".to_owned(),
        |e| {
            // Hex values are digits only: the sanitizer is for the strings.
            let mut s = format!("{} {}", e.code, terminal(&e.name));
            if let Some(access) = e.access {
                let access = match access {
                    crate::dump::Access::Read => "read",
                    crate::dump::Access::Write => "write",
                    crate::dump::Access::Execute => "execute",
                };
                match &e.target {
                    Some(t) => s.push_str(&format!("\n{access} {t}")),
                    None => s.push_str(&format!("\n{access}")),
                }
            }
            s
        },
    );
    let module = d.faulting_module.as_ref().map_or_else(
        || "-".to_owned(),
        |m| {
            let (name, offset) = (terminal(&m.name), m.offset);
            match &m.version {
                Some(v) => format!("{name}+{offset}\n{}", terminal(v)),
                None => format!("{name}+{offset}"),
            }
        },
    );
    let mut module = module;
    if let Some(sig) = &d.signature {
        module.push_str(&format!("\n{}", terminal(&crate::symbols::signature::bugzilla_form(sig))));
    }
    if let Some(thread) = &d.crashing_thread {
        for line in thread.frames.iter().flat_map(crate::report::frame_lines).take(crate::report::TOP_FRAMES) {
            module.push('\n');
            module.push_str(&terminal(&line));
        }
    }
    let mut chance = d.chance.value.as_str().to_owned();
    if d.chance.conflict {
        chance.push_str(" (conflict)");
    }
    for e in &d.chance.evidence {
        let strength = match e.strength {
            Strength::Strong => "strong",
            Strength::Weak => "weak",
        };
        chance.push_str(&format!("\n- {strength} {}: {}", e.indicates, terminal(&e.detail)));
    }
    let verdict =
        format!("{}: {}\n{}", d.verdict.action.as_str(), terminal(&d.verdict.rule), terminal(&d.verdict.reason));
    let events = if d.events.is_empty() {
        "-".to_owned()
    } else {
        d.events
            .iter()
            .map(|e| format!("{} {} #{}", terminal(&e.provider), e.event_id, e.record_id))
            .collect::<Vec<_>>()
            .join("\n")
    };
    [dump, exception, module, chance, verdict, events]
}

pub(super) fn details_table(report: &Report, opts: &TableOptions) -> Table {
    let mut t = new_table(opts);
    t.set_header(header(opts, &["dump", "exception", "module", "chance / evidence", "action / rule", "events"]));
    let names = ["dump", "exception", "module", "chance / evidence", "action / rule", "events"];
    let rows: Vec<Vec<String>> = std::iter::once(names.iter().map(|n| (*n).to_owned()).collect())
        .chain(report.dumps.iter().map(|d| dump_cells(d).to_vec()))
        .collect();
    for (d, row) in report.dumps.iter().zip(rows.iter().skip(1)) {
        t.add_row(vec![
            Cell::new(&row[0]),
            Cell::new(&row[1]),
            Cell::new(&row[2]),
            Cell::new(&row[3]),
            Cell::new(&row[4]).fg_if(opts, action_color(d.verdict.action)),
            Cell::new(&row[5]),
        ]);
    }
    protect_tokens(&mut t, &rows);
    t
}

/// One dump's details as a block of lines, for narrow terminals.
pub(super) fn dump_block(out: &mut String, d: &DumpRow, opts: &TableOptions) {
    let width = usize::from(opts.width);
    let [_, exception, module, chance, verdict, events] = dump_cells(d);
    // The path on a line of its own, never wrapped.
    out.push_str(&format!("{}  ({})\n", terminal_path(&d.path), dump_time(d)));
    let joined = |s: &str| s.replace('\n', " ");
    push_wrapped(out, &format!("exception: {} in {}", joined(&exception), joined(&module)), width, "  ");
    for (i, line) in chance.lines().enumerate() {
        let line = if i == 0 { format!("chance: {line}") } else { line.to_owned() };
        push_wrapped(out, &line, width, "  ");
    }
    push_wrapped(out, &format!("verdict: {}", joined(&verdict)), width, "  ");
    push_wrapped(out, &format!("events: {}", events.replace('\n', ", ")), width, "  ");
}
