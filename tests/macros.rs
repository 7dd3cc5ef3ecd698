//! Assertion helpers with readable failures.

/// Asserts that a command failed cleanly: a non-zero exit, an `error:` line
/// on stderr, no panic or backtrace, and each expected fragment present.
macro_rules! assert_clean_failure {
    ($output:expr, $($fragment:expr),+ $(,)?) => {{
        let output = &$output;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "expected failure, got success; stderr:\n{stderr}");
        assert!(stderr.lines().any(|l| l.starts_with("error:")), "stderr has no `error:` line:\n{stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE") && !stderr.contains("goroutine "),
            "stderr shows a panic or backtrace:\n{stderr}");
        $( assert!(stderr.contains($fragment), "stderr lacks {:?}:\n{stderr}", $fragment); )+
    }};
}

/// Asserts success and returns stdout as a String.
macro_rules! assert_success {
    ($output:expr) => {{
        let output = &$output;
        assert!(
            output.status.success(),
            "expected success ({}); stderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
    }};
}
