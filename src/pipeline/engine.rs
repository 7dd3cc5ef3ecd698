//! The Go shim as the state layer's [`TemplateEngine`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::env_vars;
use crate::helm::{
    DecryptRequest, HclValuesRequest, HelmBackend, RemoteFetchRequest, RenderTemplateRequest, ValsRequest,
};
use crate::state::{Fetched, RenderRequest, SourceKind, TemplateEngine, TextSource};

/// Renders helmfile's Go templates in the shim.
pub struct ShimEngine {
    backend: Arc<dyn HelmBackend>,
    disable_insecure: bool,
    run: RunId,
    /// helmfire's cache (remote sources go under it); None for an engine
    /// that only renders.
    cache_dir: Option<std::path::PathBuf>,
}

/// One run of a command (or one watch or daemon cycle): vals references
/// are fetched once per run, as in a helmfile run, and afresh in the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunId(u64);

impl RunId {
    /// A run no other has been given in this process.
    pub fn next() -> RunId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        RunId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl ShimEngine {
    /// An engine rendering through `backend` for a run of its own.
    pub fn new(backend: Arc<dyn HelmBackend>) -> Self {
        Self::for_run(backend, RunId::next())
    }

    /// An engine rendering through `backend` for `run`.
    pub fn for_run(backend: Arc<dyn HelmBackend>, run: RunId) -> Self {
        let disable_insecure = std::env::var(env_vars::HELMFILE_DISABLE_INSECURE_FEATURES).is_ok_and(|v| v == "true");
        ShimEngine { backend, disable_insecure, run, cache_dir: None }
    }

    /// The engine, fetching remote sources into `cache_dir`.
    pub fn with_cache(mut self, cache_dir: &std::path::Path) -> Self {
        self.cache_dir = Some(cache_dir.to_path_buf());
        self
    }
}

impl TemplateEngine for ShimEngine {
    fn render(&self, request: RenderRequest<'_>) -> Result<String, String> {
        let wire = RenderTemplateRequest {
            name: request.name.display().to_string(),
            text: request.text.to_string(),
            data: crate::yaml::to_json(request.data),
            base_dir: request.base_dir.display().to_string(),
            disable_insecure: self.disable_insecure,
            run: self.run.0,
            file_content: request.source == TextSource::File,
        };
        self.backend.render_template(&wire).map(|out| out.text).map_err(|e| e.to_string())
    }

    fn decrypt(&self, file: &std::path::Path) -> Result<String, String> {
        let request = DecryptRequest { file: absolute(file).display().to_string(), inline: None };
        self.backend.decrypt(&request).map(|out| out.text).map_err(|e| e.to_string())
    }

    fn decrypt_inline(&self, origin: &std::path::Path, document: &str) -> Result<String, String> {
        let request =
            DecryptRequest { file: absolute(origin).display().to_string(), inline: Some(document.to_string()) };
        self.backend.decrypt(&request).map(|out| out.text).map_err(|e| e.to_string())
    }

    fn resolve_refs(
        &self,
        values: &serde_json::Value,
        base_dir: &std::path::Path,
    ) -> Result<serde_json::Value, String> {
        let request =
            ValsRequest { values: values.clone(), base_dir: absolute(base_dir).display().to_string(), run: self.run.0 };
        self.backend.vals(&request).map(|out| out.values).map_err(|e| e.to_string())
    }

    fn fetch_source(&self, source: &str, kind: SourceKind, ignore_missing_git_branch: bool) -> Result<Fetched, String> {
        let Some(cache_dir) = &self.cache_dir else {
            return Err(format!("{source}: remote sources are not fetched here (a helmfire bug)"));
        };
        let request = RemoteFetchRequest {
            source: source.to_string(),
            cache_dir: absolute(cache_dir).display().to_string(),
            kind: kind.as_str().to_string(),
            run: self.run.0,
            ignore_missing_git_branch,
            disable_insecure: self.disable_insecure,
        };
        let out = self.backend.remote_fetch(&request).map_err(|e| e.to_string())?;
        Ok(if out.missing { Fetched::MissingRef } else { Fetched::Path(out.path.into()) })
    }

    fn evaluate_hcl(
        &self,
        files: &[&std::path::Path],
        secrets: &[&std::path::Path],
        base_dir: &std::path::Path,
    ) -> Result<String, String> {
        let request = HclValuesRequest {
            files: files.iter().map(|f| f.display().to_string()).collect(),
            base_dir: base_dir.display().to_string(),
            secrets: secrets.iter().map(|f| absolute(f).display().to_string()).collect(),
        };
        self.backend.hcl_values(&request).map(|out| out.values_yaml).map_err(|e| e.to_string())
    }
}

fn absolute(path: &std::path::Path) -> std::path::PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
