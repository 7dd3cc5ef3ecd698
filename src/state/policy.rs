//! helmfile's policy checks on a state file's text, before it is rendered
//! (helmfile pkg/policy): they catch layouts whose meaning changed in
//! helmfile v1.

/// Why a state file breaks a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyViolation {
    /// No `key:` at the start of any line.
    NoTopLevelKeys,
    /// `bases` or `environments` written after `releases`.
    OutOfOrder {
        /// The key that came too late.
        key: String,
        /// The key it must precede.
        before: String,
    },
    /// `environments` and `releases` in one `---` part.
    EnvironmentsWithReleases,
}

impl std::fmt::Display for PolicyViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PolicyViolation::NoTopLevelKeys => f.write_str("no top-level keys are found"),
            PolicyViolation::OutOfOrder { key, before } => {
                write!(f, "top-level key `{key}` must be defined before `{before}`")
            }
            PolicyViolation::EnvironmentsWithReleases => f.write_str(
                "`environments` and `releases` cannot be defined within the same YAML part; \
                 use `---` to put the environments in a part of their own",
            ),
        }
    }
}

/// Runs helmfile's checks in its order.
pub fn check(text: &str) -> Result<(), PolicyViolation> {
    check_key_order(text)?;
    check_environments_with_releases(text)
}

/// Top-level keys (`^[a-zA-Z]+:`), and `---` separators when asked.
fn top_keys(text: &str, with_separators: bool) -> Vec<&str> {
    let mut keys = Vec::new();
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() {
            continue;
        }
        if with_separators && line.starts_with("---") && line[3..].chars().all(|c| c == ' ') {
            keys.push("---");
        }
        if let Some((key, _)) = line.split_once(':')
            && !key.is_empty()
            && key.chars().all(|c| c.is_ascii_alphabetic())
        {
            keys.push(key);
        }
    }
    keys
}

fn priority(key: &str) -> Option<u8> {
    match key {
        "bases" | "environments" => Some(0),
        "releases" => Some(1),
        _ => None,
    }
}

fn check_key_order(text: &str) -> Result<(), PolicyViolation> {
    let keys = top_keys(text, false);
    if keys.is_empty() {
        return Err(PolicyViolation::NoTopLevelKeys);
    }
    let ordered: Vec<&str> = keys.into_iter().filter(|k| priority(k).is_some()).collect();
    for pair in ordered.windows(2) {
        if priority(pair[0]) > priority(pair[1]) {
            return Err(PolicyViolation::OutOfOrder { key: pair[1].to_string(), before: pair[0].to_string() });
        }
    }
    Ok(())
}

fn check_environments_with_releases(text: &str) -> Result<(), PolicyViolation> {
    let mut sequence: Vec<&str> = Vec::new();
    for key in top_keys(text, true) {
        if matches!(key, "environments" | "releases" | "---") && (key == "---" || !sequence.contains(&key)) {
            sequence.push(key);
        }
    }
    if sequence.windows(2).any(|w| w[0] != "---" && w[1] != "---") {
        return Err(PolicyViolation::EnvironmentsWithReleases);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_after_releases_are_out_of_order() {
        let err = check("releases: []\n---\nenvironments: {}\n").unwrap_err();
        assert_eq!(err, PolicyViolation::OutOfOrder { key: "environments".into(), before: "releases".into() });
    }

    #[test]
    fn environments_and_releases_need_separate_parts() {
        assert_eq!(check("environments: {}\nreleases: []\n"), Err(PolicyViolation::EnvironmentsWithReleases));
        assert_eq!(check("environments: {}\n---\nreleases: []\n"), Ok(()));
    }

    #[test]
    fn a_file_without_keys_is_refused() {
        assert_eq!(check("# nothing\n"), Err(PolicyViolation::NoTopLevelKeys));
    }
}
