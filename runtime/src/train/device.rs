//! Where a model trains and in which precision: the spec's `device` and `precision` settings (on
//! the pipeline or a model) and the CLI's `--device`, resolved in this one place before any work
//! starts, so a spec that asks for a GPU this build or machine cannot give fails up front with a
//! diagnostic rather than halfway through a run.

use crate::error::{RunError, RunResult};
use candle_core::{DType, Device};
use mlp_compiler::codes::Code;
use mlp_compiler::plan::{NodeConfig, Plan};
use mlp_compiler::program::{self, Pipeline, Precision};
use std::fmt;

/// A device as a spec or the command line names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceRequest {
    /// A GPU when this build has CUDA and one is present, else the CPU.
    Auto,
    Cpu,
    /// The CUDA device with this ordinal.
    Cuda(usize),
}

impl DeviceRequest {
    /// Parses the command line's spelling: `auto`, `cpu`, `cuda` or `cuda:N`.
    pub fn parse(text: &str) -> Option<DeviceRequest> {
        match text {
            "auto" => Some(DeviceRequest::Auto),
            "cpu" => Some(DeviceRequest::Cpu),
            "cuda" | "gpu" => Some(DeviceRequest::Cuda(0)),
            other => other.strip_prefix("cuda:").and_then(|n| n.parse().ok()).map(DeviceRequest::Cuda),
        }
    }

    /// Reads a spec's `device` setting: `auto`, `cpu`, `cuda` or `cuda(index: N)`.
    /// The request a typed `device` setting makes.
    pub fn of(device: program::Device) -> DeviceRequest {
        match device {
            program::Device::Auto => DeviceRequest::Auto,
            program::Device::Cpu => DeviceRequest::Cpu,
            program::Device::Cuda { index } => DeviceRequest::Cuda(index),
        }
    }
}

impl fmt::Display for DeviceRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceRequest::Auto => f.write_str("auto"),
            DeviceRequest::Cpu => f.write_str("cpu"),
            DeviceRequest::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

/// The numeric precision of a model's forward and backward passes. The weights and the optimizer
/// always stay in f32 (the master copy); `Bf16` and `F16` cast them for the computation.
/// The dtype the forward and backward passes compute in.
pub fn dtype(precision: Precision) -> DType {
    match precision {
        Precision::F32 => DType::F32,
        Precision::Bf16 => DType::BF16,
        Precision::F16 => DType::F16,
    }
}

/// The precision's name in the run record.
pub fn precision_name(precision: Precision) -> &'static str {
    match precision {
        Precision::F32 => "f32",
        Precision::Bf16 => "bf16",
        Precision::F16 => "f16",
    }
}

#[derive(Clone, Debug)]
pub struct Placement {
    pub device: Device,
    /// `cpu` or `cuda:N`, for the run record.
    pub name: String,
    pub precision: Precision,
}

/// The devices of a run, resolved once: each model's placement and any note for the user.
#[derive(Clone, Debug)]
pub struct Devices {
    models: Vec<(String, Placement)>,
    default: Placement,
    /// One line for the user when `auto` fell back to the CPU in a CUDA build.
    pub note: Option<String>,
}

impl Devices {
    pub fn cpu() -> Devices {
        Devices { models: Vec::new(), default: cpu_placement(Precision::F32), note: None }
    }

    /// Resolves every model's device: the command line's `--device` overrides the spec; a model's
    /// own `device` setting (other than `auto`) overrides the pipeline's.
    /// Opens every device the pipeline and the plan's training steps ask for (the command line's
    /// `--device` overrides them all), once each, before any work starts: a spec that asks for a
    /// GPU this build or machine lacks fails before it trains anything.
    pub fn resolve(pipeline: &Pipeline, plan: &Plan, command_line: Option<DeviceRequest>) -> RunResult<Devices> {
        let mut opened: Vec<(DeviceRequest, Placement)> = Vec::new();
        let mut note = None;
        let mut place = |request: DeviceRequest, precision: Precision, what: &str| -> RunResult<Placement> {
            if let Some((_, p)) = opened.iter().find(|(r, _)| *r == request) {
                return Ok(Placement { precision, ..p.clone() });
            }
            let (placement, fell_back) = open(request, precision, what)?;
            if let Some(reason) = fell_back {
                note.get_or_insert(format!("device auto: {reason}; training on the CPU"));
            }
            opened.push((request, placement.clone()));
            Ok(placement)
        };
        let settings = &pipeline.settings;
        let request = command_line.unwrap_or(DeviceRequest::of(settings.device));
        let default = place(request, settings.precision, &format!("pipeline `{}`", pipeline.name))?;
        let mut models = Vec::new();
        for node in plan.nodes() {
            let NodeConfig::TrainModel(step) = &node.config else { continue };
            let request = command_line.unwrap_or(DeviceRequest::of(step.device));
            let placement = place(request, step.precision, &format!("model `{}`", step.model.name))?;
            models.push((step.model.name.clone(), placement));
        }
        Ok(Devices { models, default, note })
    }

    pub fn of(&self, model: &str) -> &Placement {
        self.models.iter().find(|(n, _)| n == model).map_or(&self.default, |(_, p)| p)
    }
}

fn cpu_placement(precision: Precision) -> Placement {
    Placement { device: Device::Cpu, name: "cpu".into(), precision }
}

/// Opens a device; for `auto`, also why it fell back to the CPU (only a CUDA build says why: a
/// CPU-only build has nothing else to offer).
fn open(request: DeviceRequest, precision: Precision, what: &str) -> RunResult<(Placement, Option<String>)> {
    match request {
        DeviceRequest::Cpu => Ok((cpu_placement(precision), None)),
        DeviceRequest::Auto => match open_cuda(0) {
            Ok(device) => Ok((Placement { device, name: "cuda:0".into(), precision }, None)),
            Err(CudaUnavailable::NotBuilt) => Ok((cpu_placement(precision), None)),
            Err(CudaUnavailable::NoDevice(reason)) => Ok((cpu_placement(precision), Some(reason))),
        },
        DeviceRequest::Cuda(index) => match open_cuda(index) {
            Ok(device) => Ok((Placement { device, name: format!("cuda:{index}"), precision }, None)),
            Err(CudaUnavailable::NotBuilt) => Err(RunError::new(
                Code::E0810,
                format!("{what} asks for device `cuda:{index}`, but this mlpc was built without CUDA support"),
            )
            .with_help(
                "build the GPU binary with scripts/build-cuda.sh (docs/gpu.md), or use `device = auto` to train on a \
                 GPU only when one is available",
            )),
            Err(CudaUnavailable::NoDevice(reason)) => Err(RunError::new(
                Code::E0811,
                format!("{what} asks for device `cuda:{index}`, but it cannot be opened: {reason}"),
            )
            .with_help(
                "check `nvidia-smi` and the device index (`cuda(index: N)`, `--device cuda:N`), or use `device = auto` \
                 to fall back to the CPU",
            )),
        },
    }
}

enum CudaUnavailable {
    #[cfg_attr(feature = "cuda", allow(dead_code))]
    NotBuilt,
    #[cfg_attr(not(feature = "cuda"), allow(dead_code))]
    NoDevice(String),
}

#[cfg(feature = "cuda")]
fn open_cuda(index: usize) -> Result<Device, CudaUnavailable> {
    // A failing driver call can panic deep inside cudarc rather than return an error; a missing
    // GPU must be a diagnostic, never a crash.
    match std::panic::catch_unwind(|| Device::new_cuda(index)) {
        Ok(Ok(device)) => Ok(device),
        Ok(Err(e)) => Err(CudaUnavailable::NoDevice(first_line(&e.to_string()))),
        Err(_) => Err(CudaUnavailable::NoDevice("the CUDA driver failed to initialise".into())),
    }
}

#[cfg(not(feature = "cuda"))]
fn open_cuda(_index: usize) -> Result<Device, CudaUnavailable> {
    Err(CudaUnavailable::NotBuilt)
}

#[cfg(feature = "cuda")]
fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("unknown error").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_spellings_parse() {
        assert_eq!(DeviceRequest::parse("auto"), Some(DeviceRequest::Auto));
        assert_eq!(DeviceRequest::parse("cpu"), Some(DeviceRequest::Cpu));
        assert_eq!(DeviceRequest::parse("cuda"), Some(DeviceRequest::Cuda(0)));
        assert_eq!(DeviceRequest::parse("cuda:3"), Some(DeviceRequest::Cuda(3)));
        assert_eq!(DeviceRequest::parse("cuda:x"), None);
        assert_eq!(DeviceRequest::parse("tpu"), None);
    }

    #[test]
    fn spec_settings_are_requests() {
        assert_eq!(DeviceRequest::of(program::Device::Cuda { index: 2 }), DeviceRequest::Cuda(2));
        assert_eq!(DeviceRequest::of(program::Device::Cpu), DeviceRequest::Cpu);
        assert_eq!(DeviceRequest::of(program::Device::Auto), DeviceRequest::Auto);
        assert_eq!(dtype(Precision::Bf16), DType::BF16);
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_without_the_feature_is_a_diagnostic_and_auto_is_the_cpu() {
        let Err(error) = open(DeviceRequest::Cuda(0), Precision::F32, "model `m`") else {
            panic!("a CPU build opened CUDA")
        };
        assert_eq!(error.code, Code::E0810);
        let (placement, note) = open(DeviceRequest::Auto, Precision::F32, "pipeline").unwrap();
        assert!(placement.device.is_cpu() && note.is_none());
    }
}
