//! `--config atlas.toml`: every flag of a command settable in a TOML file, for operators
//! running a fleet. Keys are the flags' long names (`bind = "0.0.0.0:8080"`,
//! `max-exports = 4`); a table named after a command (`[serve]`, `[import]`) holds keys for
//! that command alone. Flags win over the environment, the environment over the file, the file
//! over defaults. The file is read into the same clap parser as the command line, so every
//! value is checked, and every error worded, as a flag's would be.

use std::ffi::OsString;
use std::path::Path;

use anyhow::{bail, Context};
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};

use crate::cli::Cli;

/// The command line, completed from `--config` (or ATLAS_CONFIG) when one is named.
pub fn parse_cli() -> Cli {
    let args: Vec<OsString> = std::env::args_os().collect();
    let mut command = Cli::command();
    let first = command.clone().get_matches_from(args.clone());
    let Some(path) = first.get_one::<std::path::PathBuf>("config").cloned() else {
        return from_matches(&first);
    };
    match settings(&path, &command, &first) {
        Ok(extra) if extra.is_empty() => from_matches(&first),
        Ok(extra) => {
            let mut full = args;
            full.extend(extra);
            let matches = command.try_get_matches_from_mut(full).unwrap_or_else(|e| {
                // The command line parsed alone: the fault is in the file's settings.
                eprintln!("in the settings of {}:", path.display());
                e.exit()
            });
            from_matches(&matches)
        }
        Err(e) => command
            .error(
                clap::error::ErrorKind::InvalidValue,
                format!("--config: {e:#}"),
            )
            .exit(),
    }
}

fn from_matches(m: &ArgMatches) -> Cli {
    Cli::from_arg_matches(m).unwrap_or_else(|e| e.exit())
}

/// The flags `path` adds: one per setting the command line and environment left at its
/// default, for the command `given` runs.
fn settings(path: &Path, cli: &clap::Command, given: &ArgMatches) -> anyhow::Result<Vec<OsString>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not valid TOML", path.display()))?;
    let (name, command, matches) = match given.subcommand() {
        Some((name, sub)) => (
            name,
            cli.find_subcommand(name).context("an unknown command")?,
            sub,
        ),
        // No command runs `serve` with the top-level flags.
        None => ("serve", cli, given),
    };
    let commands: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
    let mut out = Vec::new();
    let mut apply = |key: &str, value: &toml::Value, own: bool| -> anyhow::Result<()> {
        let Some(arg) = command
            .get_arguments()
            .find(|a| a.get_long() == Some(key) && a.get_id() != "config")
        else {
            // A key for other commands is theirs; one no command takes is a mistake.
            let anywhere = cli
                .get_subcommands()
                .chain([cli])
                .any(|c| c.get_arguments().any(|a| a.get_long() == Some(key)));
            if own || !anywhere {
                bail!("{}: '{key}' is not a setting of `{name}`", path.display());
            }
            return Ok(());
        };
        let id = arg.get_id().as_str();
        // Set on the command line or in the environment: those win.
        if matches!(
            matches.value_source(id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        ) {
            return Ok(());
        }
        match value {
            toml::Value::Boolean(true) => out.push(format!("--{key}").into()),
            toml::Value::Boolean(false) => {}
            toml::Value::String(s) => out.push(format!("--{key}={s}").into()),
            toml::Value::Integer(n) => out.push(format!("--{key}={n}").into()),
            toml::Value::Float(x) => out.push(format!("--{key}={x}").into()),
            other => bail!(
                "{}: '{key}' takes a string, number or boolean, not {}",
                path.display(),
                other.type_str()
            ),
        }
        Ok(())
    };
    for (key, value) in &table {
        match value {
            toml::Value::Table(section) if commands.contains(&key.as_str()) => {
                if key == name {
                    for (k, v) in section {
                        apply(k, v, true)?;
                    }
                }
            }
            _ => apply(key, value, false)?,
        }
    }
    Ok(out)
}
