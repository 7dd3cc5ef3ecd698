//! Every environment variable helmfire reads, in one place.

/// Disables colour when set to anything (<https://no-color.org>).
pub const NO_COLOR: &str = "NO_COLOR";
/// helmfile's switch that turns `exec`, `readFile` and friends into errors.
pub const HELMFILE_DISABLE_INSECURE_FEATURES: &str = "HELMFILE_DISABLE_INSECURE_FEATURES";
/// helmfile's switch to render plain `.yaml` state files as templates too.
pub const HELMFILE_RENDER_YAML: &str = "HELMFILE_RENDER_YAML";
/// helmfile's default environment when `-e` is not given.
pub const HELMFILE_ENVIRONMENT: &str = "HELMFILE_ENVIRONMENT";
/// Where helmfire's chart cache lives (default: `$XDG_CACHE_HOME/helmfire`,
/// else `~/.cache/helmfire`).
pub const HELMFIRE_CACHE_HOME: &str = "HELMFIRE_CACHE_HOME";
/// The user's cache directory (XDG).
pub const XDG_CACHE_HOME: &str = "XDG_CACHE_HOME";
