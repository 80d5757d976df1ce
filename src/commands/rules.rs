//! `triage rules list|lint`.

use super::write_stdout;
use crate::cli::RulesCommand;
use crate::model::Exit;
use crate::rules;

/// `triage rules list|lint`: lint exits 2 when the file has problems.
pub(super) fn rules_command(cmd: &RulesCommand) -> anyhow::Result<Exit> {
    let (text, ok) = match cmd {
        RulesCommand::List { rules } => (rules::list_text(rules.as_deref())?, true),
        RulesCommand::Lint { file } => rules::lint_text(file),
    };
    write_stdout(text.as_bytes())?;
    Ok(if ok { Exit::Ok } else { Exit::Fatal })
}
