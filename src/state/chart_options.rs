//! How a release's chart is fetched and checked: `devel`, `verify` and
//! `keyring`, `skipSchemaValidation`, `insecureSkipTLSVerify` and
//! `plainHttp` and `enableDNS`, combined from the release, its repository and
//! `helmDefaults` exactly as helmfile 1.8 combines them (pkg/state
//! `isDevelopment`, `appendVerifyFlags`, `appendKeyringFlags`,
//! `shouldSkipSchemaValidation`, `needsPlainHttp`,
//! `needsInsecureSkipTLSVerify`, `appendEnableDNSFlags`).

use super::schema::{HelmDefaults, ReleaseSpec, RepositorySpec};

/// The chart settings of one release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ChartOptions {
    /// Development versions count when the release gives no `version`
    /// (helm's `--devel`: the constraint `>0.0.0-0`).
    pub devel: bool,
    /// The chart's provenance file must verify against `keyring`.
    pub verify: bool,
    /// The public keyring (empty: helm's default, `~/.gnupg/pubring.gpg`).
    pub keyring: String,
    /// Skip values.schema.json (the command line's flag is added later).
    pub skip_schema_validation: bool,
    /// Skip TLS verification when fetching the chart.
    pub insecure_skip_tls_verify: bool,
    /// Fetch the chart over plain HTTP.
    pub plain_http: bool,
    /// Templates may look up host names (`getHostByName`); helm's
    /// `--enable-dns`.
    pub enable_dns: bool,
}

impl ChartOptions {
    /// Combines `release`'s settings with its repository's (the state
    /// repository its `repo/chart` names, if any) and `defaults`.
    pub fn resolve(
        release: &ReleaseSpec,
        repository: Option<&RepositorySpec>,
        defaults: &HelmDefaults,
    ) -> ChartOptions {
        // The release decides when it says anything, else helmDefaults.
        let devel = release.devel.unwrap_or(defaults.devel);
        // The release's own verify (true or false) wins, then the
        // repository's `verify: true`, then helmDefaults'.
        let verify = release.verify.unwrap_or_else(|| repository.is_some_and(|r| r.verify) || defaults.verify);
        let keyring =
            [release.keyring.as_str(), repository.map_or("", |r| r.keyring.as_str()), defaults.keyring.as_str()]
                .into_iter()
                .find(|k| !k.is_empty())
                .unwrap_or_default()
                .to_string();
        // Any level saying true skips validation: a release's `false`
        // cannot undo helmDefaults' `true` (helmfile's switch).
        let skip_schema_validation =
            release.skip_schema_validation == Some(true) || defaults.skip_schema_validation == Some(true);
        let plain_http = release.plain_http || defaults.plain_http || repository.is_some_and(|r| r.plain_http);
        // helm ignores plain HTTP once TLS settings are given, so helmfile
        // gives only `--plain-http` when both are asked for.
        let insecure_skip_tls_verify = !plain_http
            && (release.insecure_skip_tls_verify
                || defaults.insecure_skip_tls_verify
                || repository.is_some_and(|r| r.skip_tls_verify));
        // helmfile's appendEnableDNSFlags: the release's own setting, true
        // or false, else helmDefaults'.
        let enable_dns = release.enable_dns.unwrap_or(defaults.enable_dns);
        ChartOptions {
            devel,
            verify,
            keyring,
            skip_schema_validation,
            insecure_skip_tls_verify,
            plain_http,
            enable_dns,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(yaml: &str) -> ReleaseSpec {
        crate::yaml::from_str(yaml).unwrap()
    }

    fn defaults(yaml: &str) -> HelmDefaults {
        crate::yaml::from_str(yaml).unwrap()
    }

    fn repository(yaml: &str) -> RepositorySpec {
        crate::yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn the_release_decides_then_the_repository_then_helm_defaults() {
        let defaults = defaults("verify: true\nkeyring: defaults.gpg\ndevel: true\n");
        let repo = repository("name: r\nkeyring: repo.gpg\n");
        let options = ChartOptions::resolve(&release("name: a\nverify: false\ndevel: false\n"), Some(&repo), &defaults);
        assert!(!options.verify && !options.devel);
        assert_eq!(options.keyring, "repo.gpg");
        let options = ChartOptions::resolve(&release("name: a\n"), Some(&repo), &defaults);
        assert!(options.verify && options.devel);
        let options = ChartOptions::resolve(&release("name: a\nkeyring: own.gpg\n"), None, &HelmDefaults::default());
        assert!(!options.verify);
        assert_eq!(options.keyring, "own.gpg");
    }

    #[test]
    fn schema_validation_is_skipped_when_any_level_says_so() {
        let defaults = defaults("skipSchemaValidation: true\n");
        let options = ChartOptions::resolve(&release("name: a\nskipSchemaValidation: false\n"), None, &defaults);
        assert!(options.skip_schema_validation);
    }

    #[test]
    fn plain_http_wins_over_skipping_tls_verification() {
        let repo = repository("name: r\nskipTLSVerify: true\n");
        let options = ChartOptions::resolve(&release("name: a\n"), Some(&repo), &HelmDefaults::default());
        assert!(options.insecure_skip_tls_verify && !options.plain_http);
        let options =
            ChartOptions::resolve(&release("name: a\nplainHttp: true\n"), Some(&repo), &HelmDefaults::default());
        assert!(options.plain_http && !options.insecure_skip_tls_verify);
    }

    #[test]
    fn enable_dns_is_the_release_s_choice_else_helm_defaults() {
        let on = defaults("enableDNS: true\n");
        assert!(ChartOptions::resolve(&release("name: a\n"), None, &on).enable_dns);
        assert!(!ChartOptions::resolve(&release("name: a\nenableDNS: false\n"), None, &on).enable_dns);
        let off = HelmDefaults::default();
        assert!(ChartOptions::resolve(&release("name: a\nenableDNS: true\n"), None, &off).enable_dns);
        assert!(!ChartOptions::resolve(&release("name: a\n"), None, &off).enable_dns);
    }
}
