//! [`ShimBackend`]: the [`HelmBackend`] that calls the Go c-archive.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::chart_wire::{
    CacheCleanupOutput, CacheInfoOutput, CacheRequest, ChartPullOutput, ChartPullRequest, KustomizeHelmOutput,
    KustomizeHelmRequest, LockResolveOutput, LockResolveRequest,
};
use super::cluster_wire::{
    ClusterProbeOutput, ClusterProbeRequest, DiffOutput, DiffRequest, DriftOutput, DriftRequest, KubectlApplyOutput,
    KubectlApplyRequest, LeaseHandle, LeaseStartRequest, LeaseStatus, RecoverOutput, RecoverRequest, StatusOutput,
    StatusRequest, TestOutput, TestRequest, UninstallOutput, UninstallRequest, UpgradeOutput, UpgradeRequest,
};
use super::error::HelmError;
use super::wire::{
    ChartifyOutput, ChartifyRequest, DecryptOutput, DecryptRequest, DepsBuildOutput, DepsBuildRequest, Envelope,
    HclValuesOutput, HclValuesRequest, LintOutput, LintRequest, RemoteFetchOutput, RemoteFetchRequest,
    RenderTemplateOutput, RenderTemplateRequest, ReposOutput, ReposRequest, Request, SdkVersion, TemplateOutput,
    TemplateRequest, ValsOutput, ValsRequest,
};
use super::{CallId, HelmBackend, ffi};

/// The real backend: every call goes through the C ABI as JSON.
#[derive(Debug, Default)]
pub struct ShimBackend {
    next_call: AtomicU64,
}

impl ShimBackend {
    /// A backend; the shim itself needs no set-up.
    pub fn new() -> Self {
        ShimBackend { next_call: AtomicU64::new(1) }
    }

    fn invoke<P: Serialize, R: DeserializeOwned>(
        &self,
        call: CallId,
        method: &str,
        params: &P,
    ) -> Result<R, HelmError> {
        let request = serde_json::to_string(&Request { method, params })
            .map_err(|e| HelmError::internal(format!("encoding the {method} request: {e}")))?;
        let response = ffi::call(&request, call.0).map_err(|e| HelmError::internal(e.to_string()))?;
        let envelope: Envelope = serde_json::from_str(&response)
            .map_err(|e| HelmError::internal(format!("decoding the {method} response: {e}")))?;
        match (envelope.ok, envelope.result, envelope.error) {
            (true, Some(result), _) => serde_json::from_value(result)
                .map_err(|e| HelmError::internal(format!("decoding the {method} result: {e}"))),
            (false, _, Some(error)) => Err(HelmError::from_wire(error)),
            _ => Err(HelmError::internal(format!("the {method} response has neither a result nor an error"))),
        }
    }
}

impl HelmBackend for ShimBackend {
    fn new_call(&self) -> CallId {
        CallId(self.next_call.fetch_add(1, Ordering::Relaxed).max(1))
    }

    fn cancel(&self, call: CallId) {
        ffi::cancel(call.0);
    }

    fn cancel_all(&self) {
        // The shim reads the largest id as "every call, running or to come"
        // (go-shim/calls.go); it cannot be undone, as befits shutting down.
        ffi::cancel(u64::MAX);
    }

    fn stop_profile(&self) -> Result<(), HelmError> {
        self.invoke::<_, serde_json::Value>(CallId(0), "profile_stop", &serde_json::json!({})).map(|_| ())
    }

    fn tune_gc(&self, percent: i32) -> Result<i32, HelmError> {
        #[derive(serde::Deserialize)]
        struct Tuned {
            percent: i32,
        }
        let tuned: Tuned = self.invoke(CallId(0), "gc_tune", &serde_json::json!({ "percent": percent }))?;
        Ok(tuned.percent)
    }

    fn version(&self) -> Result<SdkVersion, HelmError> {
        self.invoke(CallId(0), "version", &serde_json::json!({}))
    }

    fn repos(&self, call: CallId, request: &ReposRequest) -> Result<ReposOutput, HelmError> {
        self.invoke(call, "repos", request)
    }

    fn deps_build(&self, call: CallId, request: &DepsBuildRequest) -> Result<DepsBuildOutput, HelmError> {
        self.invoke(call, "deps_build", request)
    }

    fn chartify(&self, call: CallId, request: &ChartifyRequest) -> Result<ChartifyOutput, HelmError> {
        self.invoke(call, "chartify", request)
    }

    fn chart_pull(&self, call: CallId, request: &ChartPullRequest) -> Result<ChartPullOutput, HelmError> {
        self.invoke(call, "chart_pull", request)
    }

    fn lock_resolve(&self, call: CallId, request: &LockResolveRequest) -> Result<LockResolveOutput, HelmError> {
        self.invoke(call, "lock_resolve", request)
    }

    fn cache_info(&self, request: &CacheRequest) -> Result<CacheInfoOutput, HelmError> {
        self.invoke(CallId(0), "cache_info", request)
    }

    fn cache_cleanup(&self, request: &CacheRequest) -> Result<CacheCleanupOutput, HelmError> {
        self.invoke(CallId(0), "cache_cleanup", request)
    }

    fn kustomize_helm(&self, request: &KustomizeHelmRequest) -> Result<KustomizeHelmOutput, HelmError> {
        self.invoke(CallId(0), "kustomize_helm", request)
    }

    fn upgrade(&self, call: CallId, request: &UpgradeRequest) -> Result<UpgradeOutput, HelmError> {
        self.invoke(call, "upgrade", request)
    }

    fn uninstall(&self, call: CallId, request: &UninstallRequest) -> Result<UninstallOutput, HelmError> {
        self.invoke(call, "uninstall", request)
    }

    fn status(&self, call: CallId, request: &StatusRequest) -> Result<StatusOutput, HelmError> {
        self.invoke(call, "status", request)
    }

    fn diff(&self, call: CallId, request: &DiffRequest) -> Result<DiffOutput, HelmError> {
        self.invoke(call, "diff", request)
    }

    fn recover(&self, call: CallId, request: &RecoverRequest) -> Result<RecoverOutput, HelmError> {
        self.invoke(call, "recover", request)
    }

    fn drift(&self, call: CallId, request: &DriftRequest) -> Result<DriftOutput, HelmError> {
        self.invoke(call, "drift", request)
    }

    fn cluster_probe(&self, call: CallId, request: &ClusterProbeRequest) -> Result<ClusterProbeOutput, HelmError> {
        self.invoke(call, "cluster_probe", request)
    }

    fn lease_start(&self, call: CallId, request: &LeaseStartRequest) -> Result<LeaseHandle, HelmError> {
        self.invoke(call, "lease_start", request)
    }

    fn lease_status(&self, handle: &LeaseHandle) -> Result<LeaseStatus, HelmError> {
        self.invoke(CallId(0), "lease_status", handle)
    }

    fn lease_release(&self, handle: &LeaseHandle) -> Result<LeaseStatus, HelmError> {
        self.invoke(CallId(0), "lease_release", handle)
    }

    fn kubectl_apply(&self, call: CallId, request: &KubectlApplyRequest) -> Result<KubectlApplyOutput, HelmError> {
        self.invoke(call, "kubectl_apply", request)
    }

    fn test(&self, call: CallId, request: &TestRequest) -> Result<TestOutput, HelmError> {
        self.invoke(call, "test", request)
    }

    fn lint(&self, call: CallId, request: &LintRequest) -> Result<LintOutput, HelmError> {
        self.invoke(call, "lint", request)
    }

    fn hcl_values(&self, request: &HclValuesRequest) -> Result<HclValuesOutput, HelmError> {
        self.invoke(self.new_call(), "hcl_values", request)
    }

    fn decrypt(&self, request: &DecryptRequest) -> Result<DecryptOutput, HelmError> {
        self.invoke(self.new_call(), "decrypt", request)
    }

    fn vals(&self, request: &ValsRequest) -> Result<ValsOutput, HelmError> {
        self.invoke(self.new_call(), "vals", request)
    }

    fn remote_fetch(&self, request: &RemoteFetchRequest) -> Result<RemoteFetchOutput, HelmError> {
        self.invoke(self.new_call(), "remote_fetch", request)
    }

    fn render_template(&self, request: &RenderTemplateRequest) -> Result<RenderTemplateOutput, HelmError> {
        self.invoke(self.new_call(), "render", request)
    }

    fn template(&self, call: CallId, request: &TemplateRequest) -> Result<TemplateOutput, HelmError> {
        self.invoke(call, "template", request)
    }
}
