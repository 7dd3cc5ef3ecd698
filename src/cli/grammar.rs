//! The values flags take, beyond strings and numbers: output formats and
//! ages. Parsing them is part of the command line's grammar, so clap rejects
//! a bad one before anything runs.

/// Output formats of commands that print data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// For people.
    Text,
    /// For programs.
    Json,
}

/// `print-env --output`: helmfile's names, `text` kept as another name
/// for YAML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PrintEnvFormat {
    /// YAML documents, one per state file (helmfile's default).
    #[value(alias = "text")]
    Yaml,
    /// JSON.
    Json,
}

impl From<PrintEnvFormat> for OutputFormat {
    fn from(format: PrintEnvFormat) -> OutputFormat {
        match format {
            PrintEnvFormat::Yaml => OutputFormat::Text,
            PrintEnvFormat::Json => OutputFormat::Json,
        }
    }
}

/// How `diff` (and the diff `apply` shows) prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum DiffFormat {
    /// helm-diff's unified diff.
    #[default]
    Diff,
    /// One line per changed object.
    Simple,
    /// JSON.
    Json,
}

/// Parses an age or interval (`--older-than`, `--sync-interval`...): a
/// number with a unit, `s`, `m`, `h` or `d`, into seconds.
pub fn parse_age(text: &str) -> Result<u64, String> {
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 =
        number.parse().map_err(|_| format!("`{text}` is not an age: write a number and a unit, like 30d or 12h"))?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(format!("`{text}` has no unit: write s, m, h or d after the number, like 30d")),
    };
    n.checked_mul(scale).ok_or_else(|| format!("`{text}` is longer than helmfire can count"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_need_a_number_and_a_unit() {
        assert_eq!(parse_age("30d"), Ok(30 * 86400));
        assert_eq!(parse_age("90s"), Ok(90));
        assert!(parse_age("30").unwrap_err().contains("no unit"));
        assert!(parse_age("d").unwrap_err().contains("not an age"));
        assert!(parse_age("99999999999999999999d").is_err());
    }
}
