//! `triage merge REPORT.json...`: join hosts' reports into one (see [`crate::history::merge`]).

use super::{write_format, write_json_report};
use crate::cli::MergeArgs;
use crate::history::merge;
use crate::model::Exit;

/// `triage merge REPORT.json...`.
pub(super) fn merge_command(args: &MergeArgs) -> anyhow::Result<Exit> {
    let inputs: Vec<merge::Input> = args
        .reports
        .iter()
        .map(|p| Ok(merge::Input { path: p.clone(), report: crate::clean::read_report(p)? }))
        .collect::<anyhow::Result<_>>()?;
    if let Err((a, b)) = merge::common_grouping(&inputs) {
        anyhow::bail!(
            "the reports group buckets differently (--group-by {} and {}), so their bucket ids do not match; \
             scan every host with the same --group-by",
            a.as_str(),
            b.as_str()
        );
    }
    let report = merge::merge(&inputs);
    if let Some(path) = &args.json {
        write_json_report(path, &report)?;
    }
    if args.json.as_deref().is_none_or(|p| p.as_os_str() != "-") {
        write_format(&report, args.format, false)?;
    }
    Ok(Exit::Ok)
}
