//! `triage completions SHELL` and `triage man`: generated from the clap definition in
//! [`crate::cli`], so they can never disagree with the flags.

use anyhow::Context;
use clap::CommandFactory;

use super::write_stdout;
use crate::cli::Cli;
use crate::model::Exit;

/// Print the completion script for `shell`.
pub(super) fn completions_command(shell: clap_complete::Shell) -> anyhow::Result<Exit> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "triage", &mut out);
    write_stdout(&out)?;
    Ok(Exit::Ok)
}

/// Print the manual page (roff) for `triage` and its subcommands.
pub(super) fn man_command() -> anyhow::Result<Exit> {
    write_stdout(&man_page()?)?;
    Ok(Exit::Ok)
}

/// The manual page: the top-level page, then one section per subcommand with its flags.
pub fn man_page() -> anyhow::Result<Vec<u8>> {
    let cmd = Cli::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut out).context("cannot render the manual page")?;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let sub = sub.clone().display_name(format!("triage-{}", sub.get_name()));
        let man = clap_mangen::Man::new(sub);
        out.extend_from_slice(b".bp\n");
        man.render_title(&mut out).context("cannot render the manual page")?;
        man.render_name_section(&mut out).context("cannot render the manual page")?;
        man.render_synopsis_section(&mut out).context("cannot render the manual page")?;
        man.render_description_section(&mut out).context("cannot render the manual page")?;
        man.render_options_section(&mut out).context("cannot render the manual page")?;
    }
    Ok(out)
}
