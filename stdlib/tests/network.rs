//! Networks from layer lists (mlp_stdlib::network) against the checker's shape inference, and
//! two small real trainings: a LeNet-like CNN on scikit-learn's 8×8 digits and an LSTM on a
//! generated sequence task.

use candle_core::{DType, Device, Tensor};
use mlp_compiler::check::compile_text;
use mlp_compiler::world::{Sample, SampleError, World};
use mlp_stdlib::loss::Loss;
use mlp_stdlib::mlp::Activation;
use mlp_stdlib::network::{LayerSpec, Net, NetSpec};
use mlp_stdlib::optim::{Optimizer, OptimizerKind};
use mlp_stdlib::rng::Rng;
use std::path::Path;

/// Sources declare their full schema, so the checker needs no data.
struct NoData;

impl World for NoData {
    fn read_source(&self, path: &Path) -> Result<String, String> {
        Err(format!("no file `{}`", path.display()))
    }

    fn sample(&self, _: &str, _: &Path, _: u8, _: usize) -> Result<Sample, SampleError> {
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

dataset images = scans
dataset sensors = readings

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

#[test]
fn output_shapes_are_the_checkers() {
    let compilation = compile_text(&NoData, Path::new("shapes.mlp"), SPEC);
    let errors: Vec<_> = compilation.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let program = compilation.program.expect("a program");
    assert_eq!(program.models.len(), 4);
    let plain = program.models.iter().find(|m| m.name == "plain").expect("the plain lstm");
    assert_eq!(NetSpec::from_model(plain), Some(NetSpec::lstm(vec![12, 1], 7, 2, 1)));
    for model in program.models.iter().filter(|m| m.name != "plain") {
        let layers: Vec<LayerSpec> =
            model.layers.iter().map(|l| LayerSpec::from_value(&l.layer).expect("a known layer")).collect();
        let spec = NetSpec::from_layers(model.input_shape.clone(), layers, model.outputs);
        assert_eq!(NetSpec::from_model(model).as_ref(), Some(&spec), "model `{}`", model.name);
        let net = Net::new(spec, &mut Rng::new(1), &Device::Cpu).unwrap();
        let checked: Vec<Vec<usize>> = model.layers.iter().map(|l| l.output_shape.clone()).collect();
        assert_eq!(net.layer_shapes(), checked.as_slice(), "model `{}`", model.name);
        let width: usize = model.input_shape.iter().product();
        let x = Tensor::zeros((2, width), DType::F32, &Device::Cpu).unwrap();
        assert_eq!(net.forward(&x).unwrap().dims(), &[2, model.outputs], "model `{}`", model.name);
    }
    let shapes = |name: &str| {
        let model = program.models.iter().find(|m| m.name == name).unwrap();
        model.layers.iter().map(|l| l.output_shape.clone()).collect::<Vec<_>>()
    };
    assert_eq!(shapes("residual")[..3], [vec![8, 8, 8], vec![16, 4, 4], vec![16, 2, 2]]);
    // The first LSTM hands the second its whole (pooled) sequence.
    assert_eq!(shapes("recurrent")[3..6], [vec![6, 8], vec![6, 8], vec![5]]);
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
    let relu = LayerSpec::Activation(Activation::Relu);
    let layers = vec![
        LayerSpec::Conv2d { filters: 6, kernel: 3, stride: 1, padding: 1 },
        relu.clone(),
        LayerSpec::MaxPool { size: 2, stride: 2 },
        LayerSpec::Conv2d { filters: 16, kernel: 3, stride: 1, padding: 0 },
        relu.clone(),
        LayerSpec::Flatten,
        LayerSpec::Dense { units: 32 },
        relu,
    ];
    let mut net = Net::new(NetSpec::from_layers(vec![1, 8, 8], layers, 10), &mut rng, &Device::Cpu).unwrap();
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
    let mut net = Net::new(NetSpec::lstm(vec![12, 1], 12, 1, 2), &mut rng, &Device::Cpu).unwrap();
    let accuracy = train_and_score(&mut net, (&train_x, &train_y), (&test_x, &test_y), 8, 0.02, &mut rng);
    eprintln!("sign-of-sum test accuracy {accuracy}");
    assert!(accuracy >= 0.85, "test accuracy {accuracy} (chance is 0.5)");
}
