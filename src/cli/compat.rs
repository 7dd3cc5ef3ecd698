//! helmfile (cobra) accepts some command flags before the command name,
//! as in `helmfile --concurrency=1 template`; clap only takes them after
//! it. Such flags are moved behind the command name before parsing, so
//! helmfile command lines work unchanged.

use std::ffi::OsString;

/// Command flags helmfile users put before the command, with whether they
/// take a separate value (`--flag VALUE`).
const COMMAND_FLAGS: &[(&str, bool)] = &[("--concurrency", true)];

/// Moves [`COMMAND_FLAGS`] found before the first command name to just
/// after it. `commands` are the names of the subcommands.
pub fn move_command_flags(args: Vec<OsString>, commands: &[&str]) -> Vec<OsString> {
    let Some(command_at) = args.iter().skip(1).position(|a| commands.iter().any(|c| a == c)).map(|i| i + 1) else {
        return args;
    };
    let mut moved = Vec::new();
    let mut kept = Vec::with_capacity(args.len());
    let mut i = 0;
    while i < command_at {
        let arg = args[i].to_string_lossy();
        let flag = COMMAND_FLAGS.iter().find(|(name, _)| arg == *name || arg.starts_with(&format!("{name}=")));
        match flag {
            Some((name, takes_value)) if i > 0 => {
                moved.push(args[i].clone());
                if *takes_value && arg == *name && i + 1 < command_at {
                    moved.push(args[i + 1].clone());
                    i += 1;
                }
            }
            _ => kept.push(args[i].clone()),
        }
        i += 1;
    }
    kept.push(args[command_at].clone());
    kept.extend(moved);
    kept.extend(args[command_at + 1..].iter().cloned());
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Vec<String> {
        let args = args.iter().map(OsString::from).collect();
        move_command_flags(args, &["template", "sync"]).into_iter().map(|a| a.into_string().unwrap()).collect()
    }

    #[test]
    fn flags_before_the_command_move_behind_it() {
        assert_eq!(run(&["hf", "--concurrency=1", "template", "-q"]), ["hf", "template", "--concurrency=1", "-q"]);
        assert_eq!(
            run(&["hf", "-f", "x", "--concurrency", "2", "sync"]),
            ["hf", "-f", "x", "sync", "--concurrency", "2"]
        );
    }

    #[test]
    fn other_command_lines_are_untouched() {
        assert_eq!(run(&["hf", "template", "--concurrency", "1"]), ["hf", "template", "--concurrency", "1"]);
        assert_eq!(run(&["hf", "--concurrency=1"]), ["hf", "--concurrency=1"]);
    }
}
