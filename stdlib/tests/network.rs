//! Networks (mlp_stdlib::network) built from the checker's network specs, and two small real
//! trainings: a LeNet-like CNN on scikit-learn's 8×8 digits and an LSTM on a generated sequence
//! task.

use candle_core::{DType, Device, Tensor};
use mlp_compiler::check::compile_text;
use mlp_compiler::program::Optimizer as OptimizerKind;
use mlp_compiler::program::{Activation, Architecture, Format, Init, Layer, NetworkSpec};
use mlp_compiler::world::{Sample, SampleError, World};
use mlp_stdlib::loss::Loss;
use mlp_stdlib::network::Net;
use mlp_stdlib::optim::Optimizer;
use mlp_stdlib::rng::Rng;
use std::path::Path;

/// Sources declare their full schema, so the checker needs no data.
struct NoData;

impl World for NoData {
    fn read_source(&self, path: &Path) -> Result<String, String> {
        Err(format!("no file `{}`", path.display()))
    }

    fn sample(&self, _: &Format, _: &Path, _: usize) -> Result<Sample, SampleError> {
        Err(SampleError::Unsupported("no data in this test".into()))
    }
}

const SPEC: &str = r#"
source scans = parquet("scans.parquet") {
  label = digit
  schema {
    pixels: image(1, 8, 8)
    digit: category(zero, one, two)
  }
}

source readings = parquet("readings.parquet") {
  label = failure
  positive = yes
  schema {
    window: sequence(12, 1)
    failure: category(no, yes)
  }
}

source patients = parquet("patients.parquet") {
  label = outcome
  schema {
    age: float
    weight: float
    visits: int
    outcome: category(home, ward, icu)
  }
}

dataset images = scans
dataset sensors = readings
dataset records = patients

objective maximize accuracy

model lenet = cnn() {
  data = images
  layers {
    conv2d(filters: 6, kernel: 3, padding: 1)
    relu
    maxpool(2)
    conv2d(filters: 16, kernel: 3)
    batchnorm
    relu
    flatten
    dropout(0.25)
    dense(32)
    relu
  }
}

model residual = cnn() {
  data = images
  layers {
    resblock(filters: 8)
    resblock(filters: 16, stride: 2)
    resblock(filters: 16, stride: 3)
    avgpool(size: 2, stride: 1)
    flatten
    dense(3)
  }
}

model plain = lstm(hidden: 7, layers: 2) {
  data = sensors
}

model tabular = mlp(hidden: [16, 8], activation: tanh) {
  data = records
  dropout = 0.2
  batch_norm = true
}

model recurrent = lstm() {
  data = sensors
  layers {
    embedding(vocabulary: 50, dim: 6)
    conv1d(filters: 4, kernel: 3, padding: 1)
    maxpool(2)
    lstm_layer(hidden: 8)
    dropout(0.1)
    lstm_layer(hidden: 5)
    dense(4)
    tanh
  }
}
"#;

/// Every checked model's network builds and gives the checker's shapes, layer by layer (the
/// forward pass asserts each layer's output against the spec in debug builds) and at the end.
#[test]
fn every_checked_network_builds() {
    let compilation = compile_text(&NoData, Path::new("shapes.mlp"), SPEC);
    let errors: Vec<_> = compilation.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let program = compilation.program.expect("a program");
    assert_eq!(program.models.len(), 5);
    for model in &program.models {
        let spec = &model.network;
        let mut net = Net::new(spec, &mut Rng::new(1), &Device::Cpu).unwrap();
        assert_eq!(net.spec(), spec, "model `{}`", model.name);
        let width: usize = spec.input.iter().product();
        let x = Tensor::zeros((2, width), DType::F32, &Device::Cpu).unwrap();
        assert_eq!(net.forward(&x).unwrap().dims(), &[2, spec.outputs], "model `{}`", model.name);
        assert_eq!(net.forward_train(&x, &mut Rng::new(2)).unwrap().dims(), &[2, spec.outputs]);
    }
    let network = |name: &str| &program.models.iter().find(|m| m.name == name).unwrap().network;
    let shapes = |name: &str| network(name).layers.iter().map(|l| l.output.clone()).collect::<Vec<_>>();
    assert_eq!(shapes("residual")[..3], [vec![8, 8, 8], vec![16, 4, 4], vec![16, 2, 2]]);
    // The first LSTM hands the second its whole (pooled) sequence.
    assert_eq!(shapes("recurrent")[3..6], [vec![6, 8], vec![6, 8], vec![5]]);
    let lstm = Architecture::Lstm { hidden: 7, layers: 2 };
    assert_eq!(network("plain"), &NetworkSpec::of(&lstm, None, 0.0, false, &[12, 1], 1).unwrap());
    // An mlp is its dense blocks.
    let mlp = Architecture::Mlp { hidden: vec![16, 8], activation: Activation::Tanh, init: Init::Auto };
    assert_eq!(network("tabular"), &NetworkSpec::of(&mlp, None, 0.2, true, &[3], 3).unwrap());
    assert_eq!(
        network("tabular").layers[..4].iter().map(|l| l.layer).collect::<Vec<_>>(),
        [Layer::Dense { units: 16 }, Layer::Batchnorm, Layer::Tanh, Layer::Dropout { rate: 0.2 }]
    );
}

/// Mini-batch training with Adam and cross-entropy; returns accuracy on the test rows.
fn train_and_score(
    net: &mut Net,
    (x, y): (&[f32], &[u32]),
    (test_x, test_y): (&[f32], &[u32]),
    epochs: usize,
    lr: f64,
    rng: &mut Rng,
) -> f64 {
    let width = x.len() / y.len();
    let mut optimizer = Optimizer::new(OptimizerKind::Adam { lr, beta1: 0.9, beta2: 0.999 }, net.vars()).unwrap();
    let mut order: Vec<usize> = (0..y.len()).collect();
    for _ in 0..epochs {
        rng.shuffle(&mut order);
        for chunk in order.chunks(32) {
            let bx: Vec<f32> = chunk.iter().flat_map(|&i| x[i * width..(i + 1) * width].iter().copied()).collect();
            let by: Vec<u32> = chunk.iter().map(|&i| y[i]).collect();
            let bx = Tensor::from_vec(bx, (chunk.len(), width), &Device::Cpu).unwrap();
            let by = Tensor::from_vec(by, chunk.len(), &Device::Cpu).unwrap();
            let loss = Loss::CrossEntropy.compute(&net.forward_train(&bx, rng).unwrap(), &by).unwrap();
            optimizer.step(&loss.backward().unwrap()).unwrap();
        }
    }
    let tx = Tensor::from_vec(test_x.to_vec(), (test_y.len(), width), &Device::Cpu).unwrap();
    let predicted = net.forward(&tx).unwrap().argmax(1).unwrap().to_vec1::<u32>().unwrap();
    predicted.iter().zip(test_y).filter(|(p, y)| p == y).count() as f64 / test_y.len() as f64
}

/// Rows `(pixels / 16, digit)` of examples/digits/digits.csv (scikit-learn's `load_digits`).
fn digits() -> Vec<(Vec<f32>, u32)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/digits/digits.csv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .map(|line| {
            let cells: Vec<f32> = line.split(',').map(|c| c.parse().expect("a number")).collect();
            (cells[..64].iter().map(|v| v / 16.0).collect(), cells[64] as u32)
        })
        .collect()
}

#[test]
fn a_lenet_learns_the_digits() {
    let mut rows = digits();
    assert_eq!(rows.len(), 1797);
    let mut rng = Rng::new(7);
    rng.shuffle(&mut rows);
    let (test, train) = rows.split_at(360);
    let flat = |rows: &[(Vec<f32>, u32)]| -> (Vec<f32>, Vec<u32>) {
        (rows.iter().flat_map(|r| r.0.iter().copied()).collect(), rows.iter().map(|r| r.1).collect())
    };
    let (train_x, train_y) = flat(train);
    let (test_x, test_y) = flat(test);
    let layers = [
        Layer::Conv2d { filters: 6, kernel: 3, stride: 1, padding: 1 },
        Layer::Relu,
        Layer::Maxpool { size: 2, stride: 2 },
        Layer::Conv2d { filters: 16, kernel: 3, stride: 1, padding: 0 },
        Layer::Relu,
        Layer::Flatten,
        Layer::Dense { units: 32 },
        Layer::Relu,
    ];
    let spec = NetworkSpec::of(&Architecture::Cnn, Some(&layers), 0.0, false, &[1, 8, 8], 10).unwrap();
    let mut net = Net::new(&spec, &mut rng, &Device::Cpu).unwrap();
    let accuracy = train_and_score(&mut net, (&train_x, &train_y), (&test_x, &test_y), 12, 0.005, &mut rng);
    eprintln!("digits test accuracy {accuracy}");
    assert!(accuracy >= 0.95, "test accuracy {accuracy}");
}

/// Sequences of 12 noisy steps; the label is whether their sum is positive.
fn signed_sums(count: usize, rng: &mut Rng) -> (Vec<f32>, Vec<u32>) {
    let mut x = Vec::with_capacity(count * 12);
    let mut y = Vec::with_capacity(count);
    for _ in 0..count {
        let steps: Vec<f32> = (0..12).map(|_| rng.normal() as f32).collect();
        y.push(u32::from(steps.iter().sum::<f32>() > 0.0));
        x.extend(steps);
    }
    (x, y)
}

#[test]
fn an_lstm_learns_the_sign_of_a_sum() {
    let mut rng = Rng::new(3);
    let (train_x, train_y) = signed_sums(768, &mut rng);
    let (test_x, test_y) = signed_sums(256, &mut rng);
    let lstm = Architecture::Lstm { hidden: 12, layers: 1 };
    let spec = NetworkSpec::of(&lstm, None, 0.0, false, &[12, 1], 2).unwrap();
    let mut net = Net::new(&spec, &mut rng, &Device::Cpu).unwrap();
    let accuracy = train_and_score(&mut net, (&train_x, &train_y), (&test_x, &test_y), 8, 0.02, &mut rng);
    eprintln!("sign-of-sum test accuracy {accuracy}");
    assert!(accuracy >= 0.85, "test accuracy {accuracy} (chance is 0.5)");
}
