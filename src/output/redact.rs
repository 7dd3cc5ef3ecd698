//! Credentials never reach the terminal: a URL's userinfo
//! (`https://user:password@host`, `oci://token@host`) is replaced by `***`
//! in every line helmfire writes to stderr (progress, warnings, errors,
//! the SDK's log lines). Results on stdout are the user's data and stay
//! as they are. The shim applies the same rule to what it reports.

/// `text` with the userinfo of every URL in it replaced by `***`.
pub fn urls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        // The authority ends at the path, query, fragment or a delimiter.
        let end = after
            .find(|c: char| matches!(c, '/' | '?' | '#' | '"' | '\'' | '`' | '<' | '>') || c.is_whitespace())
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(userinfo_end) if userinfo_end > 0 => {
                out.push_str("***");
                out.push_str(&authority[userinfo_end..]);
            }
            _ => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::urls;

    #[test]
    fn userinfo_is_hidden_and_the_rest_kept() {
        assert_eq!(
            urls("Adding repo r https://bob:s3cret@charts.example/x"),
            "Adding repo r https://***@charts.example/x"
        );
        assert_eq!(urls("pulling oci://tok@reg:5000/a/b:1.0 failed"), "pulling oci://***@reg:5000/a/b:1.0 failed");
        assert_eq!(urls("\"https://u:p@h\" and https://plain.host/p"), "\"https://***@h\" and https://plain.host/p");
        assert_eq!(urls("no url here, mail me@example.com"), "no url here, mail me@example.com");
        assert_eq!(urls("https://host/path@v1"), "https://host/path@v1");
    }
}
