//! The Go shim as the state layer's [`TemplateEngine`].

use std::sync::Arc;

use crate::env_vars;
use crate::helm::{HclValuesRequest, HelmBackend, RenderTemplateRequest};
use crate::state::{RenderRequest, TemplateEngine};

/// Renders helmfile's Go templates in the shim.
pub struct ShimEngine {
    backend: Arc<dyn HelmBackend>,
    disable_insecure: bool,
}

impl ShimEngine {
    /// An engine rendering through `backend`.
    pub fn new(backend: Arc<dyn HelmBackend>) -> Self {
        let disable_insecure = std::env::var(env_vars::HELMFILE_DISABLE_INSECURE_FEATURES).is_ok_and(|v| v == "true");
        ShimEngine { backend, disable_insecure }
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
        };
        self.backend.render_template(&wire).map(|out| out.text).map_err(|e| e.to_string())
    }

    fn evaluate_hcl(&self, files: &[&std::path::Path], base_dir: &std::path::Path) -> Result<String, String> {
        let request = HclValuesRequest {
            files: files.iter().map(|f| f.display().to_string()).collect(),
            base_dir: base_dir.display().to_string(),
        };
        self.backend.hcl_values(&request).map(|out| out.values_yaml).map_err(|e| e.to_string())
    }
}
