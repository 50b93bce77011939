//! [`Net`] on specs from the compiler's [`NetworkSpec::of`] (and a few written by hand): gradients
//! through every layer kind against finite differences, an `mlp` as its dense blocks, seeds,
//! snapshots, mixed precision, and the migration of the former `mlp` tensor names.

use super::*;
use crate::loss::Loss;
use mlp_compiler::program::{Architecture, Init, ShapedLayer};

/// The network of a layer list, shaped by the compiler.
fn list(input: &[usize], layers: Vec<Layer>, outputs: usize) -> NetworkSpec {
    NetworkSpec::of(&Architecture::Cnn, Some(&layers), 0.0, false, input, outputs).unwrap()
}

/// `lstm(hidden, layers)` without a list.
fn lstm(input: &[usize], hidden: usize, layers: usize, outputs: usize) -> NetworkSpec {
    NetworkSpec::of(&Architecture::Lstm { hidden, layers }, None, 0.0, false, input, outputs).unwrap()
}

/// `mlp(hidden: [8, 4], activation)` on 5 features with 3 outputs.
fn mlp(activation: Activation, dropout: f64, batch_norm: bool) -> NetworkSpec {
    let architecture = Architecture::Mlp { hidden: vec![8, 4], activation, init: Init::Auto };
    NetworkSpec::of(&architecture, None, dropout, batch_norm, &[5], 3).unwrap()
}

fn lenet_layers() -> Vec<Layer> {
    vec![
        Layer::Conv2d { filters: 6, kernel: 3, stride: 1, padding: 1 },
        Layer::Batchnorm,
        Layer::Relu,
        Layer::Maxpool { size: 2, stride: 2 },
        Layer::Conv2d { filters: 8, kernel: 3, stride: 1, padding: 0 },
        Layer::Gelu,
        Layer::Dropout { rate: 0.2 },
        Layer::Flatten,
        Layer::Dense { units: 12 },
        Layer::Batchnorm,
        Layer::Tanh,
    ]
}

/// Specs covering every layer kind, each pooling path, both head rules and the mlp's blocks.
fn specs() -> Vec<(&'static str, NetworkSpec)> {
    vec![
        ("lenet", list(&[1, 8, 8], lenet_layers(), 3)),
        (
            "overlapping avgpool, odd maxpool, sigmoid, explicit output layer",
            list(
                &[2, 7, 7],
                vec![
                    Layer::Conv2d { filters: 4, kernel: 2, stride: 1, padding: 0 },
                    Layer::Avgpool { size: 3, stride: 1 },
                    Layer::Sigmoid,
                    Layer::Maxpool { size: 2, stride: 0 },
                    Layer::Flatten,
                    Layer::Dense { units: 3 },
                ],
                3,
            ),
        ),
        (
            "resblocks",
            list(
                &[3, 6, 6],
                vec![
                    Layer::Resblock { filters: 3, stride: 1 },
                    Layer::Resblock { filters: 5, stride: 2 },
                    Layer::Avgpool { size: 3, stride: 0 },
                    Layer::Flatten,
                ],
                3,
            ),
        ),
        (
            "conv1d and stacked lstm",
            list(
                &[9, 2],
                vec![
                    Layer::Conv1d { filters: 4, kernel: 3, stride: 1, padding: 1 },
                    Layer::Batchnorm,
                    Layer::Maxpool { size: 2, stride: 0 },
                    Layer::Avgpool { size: 2, stride: 1 },
                    Layer::LstmLayer { hidden: 5 },
                    Layer::Dropout { rate: 0.1 },
                    Layer::LstmLayer { hidden: 4 },
                ],
                3,
            ),
        ),
        (
            "embedding and lstm",
            list(&[6, 1], vec![Layer::Embedding { vocabulary: 10, dim: 4 }, Layer::LstmLayer { hidden: 6 }], 3),
        ),
        ("lstm model", lstm(&[5, 3], 4, 2, 3)),
        ("mlp", mlp(Activation::Relu, 0.0, false)),
        ("mlp with batch norm and dropout", mlp(Activation::Tanh, 0.3, true)),
    ]
}

/// A batch for a spec: token ids for an embedding input, normal draws otherwise.
fn batch(spec: &NetworkSpec, rng: &mut Rng) -> (Tensor, Tensor) {
    let rows = 8;
    let width: usize = spec.input.iter().product();
    let tokens = matches!(spec.layers.first().map(|l| l.layer), Some(Layer::Embedding { .. }));
    let x: Vec<f32> =
        (0..rows * width).map(|_| if tokens { rng.below(12) as f32 - 1.0 } else { rng.normal() as f32 }).collect();
    let x = Tensor::from_vec(x, (rows, width), &Device::Cpu).unwrap();
    let y = Tensor::new(&[0u32, 1, 2, 0, 1, 2, 0, 1], &Device::Cpu).unwrap();
    (x, y)
}

fn values(t: &Tensor) -> Vec<f32> {
    t.to_dtype(DType::F32).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

/// After one training step every trainable variable of `net` has a finite, non-zero gradient: the
/// check that catches ops without a backward pass (which silently train nothing).
fn assert_every_variable_gets_a_gradient(what: &str, net: &mut Net, spec: &NetworkSpec, rng: &mut Rng) {
    let (x, y) = batch(spec, rng);
    let logits = net.forward_train(&x, rng).unwrap();
    assert_eq!(logits.dims(), &[8, 3], "{what}");
    assert_eq!(logits.dtype(), DType::F32, "{what}");
    let grads = Loss::CrossEntropy.compute(&logits, &y).unwrap().backward().unwrap();
    let names: Vec<String> = net.params().into_iter().filter(|p| p.role != Role::Buffer).map(|p| p.name).collect();
    let vars = net.vars();
    assert_eq!(names.len(), vars.len());
    for (name, var) in names.iter().zip(&vars) {
        let at = format!("{what}: `{name}`");
        let g = grads.get(var.as_tensor()).unwrap_or_else(|| panic!("{at}: no gradient"));
        assert_eq!(g.dtype(), DType::F32, "{at}: the gradient reaches the f32 variable");
        let g = values(g);
        assert!(!g.is_empty(), "{at}: empty gradient");
        assert!(g.iter().all(|v| v.is_finite()), "{at}: non-finite gradient");
        assert!(g.iter().any(|v| *v != 0.0), "{at}: all-zero gradient");
    }
}

#[test]
fn every_variable_of_every_layer_kind_gets_a_gradient() {
    for (what, spec) in specs() {
        for dtype in [DType::F32, DType::BF16] {
            let mut rng = Rng::new(3);
            let mut net = Net::new(&spec, &mut rng, &Device::Cpu).unwrap();
            net.set_compute_dtype(dtype);
            assert_every_variable_gets_a_gradient(&format!("{what} ({dtype:?})"), &mut net, &spec, &mut rng);
        }
    }
}

#[test]
fn every_variable_of_an_mlp_gets_a_gradient_for_every_block() {
    for activation in [Activation::Relu, Activation::Tanh, Activation::Sigmoid, Activation::Gelu] {
        for (batch_norm, rate) in [(false, 0.0), (true, 0.0), (false, 0.3), (true, 0.3)] {
            let spec = mlp(activation, rate, batch_norm);
            let mut rng = Rng::new(3);
            let mut net = Net::new(&spec, &mut rng, &Device::Cpu).unwrap();
            let what = format!("{activation:?} batch_norm={batch_norm} dropout={rate}");
            assert_every_variable_gets_a_gradient(&what, &mut net, &spec, &mut rng);
        }
    }
}

/// An mlp's dense blocks in the order the former `mlp` network ran them, its tensors named like
/// every other network's, and its weights drawn in the same order: the hidden layers, then the
/// head, He for ReLU and Glorot for the head.
#[test]
fn an_mlp_is_its_dense_blocks() {
    let spec = mlp(Activation::Relu, 0.5, true);
    let layers: Vec<Layer> = spec.layers.iter().map(|l| l.layer).collect();
    let block = |units| [Layer::Dense { units }, Layer::Batchnorm, Layer::Relu, Layer::Dropout { rate: 0.5 }];
    assert_eq!(layers, [block(8), block(4)].concat());
    assert!(spec.head);
    let net = Net::new(&spec, &mut Rng::new(11), &Device::Cpu).unwrap();
    let tensors = net.named_tensors();
    let names: Vec<&str> = tensors.iter().map(|(n, _)| n.as_str()).collect();
    let norm = |i: usize| ["gamma", "beta", "running_mean", "running_var"].map(|f| format!("layers.{i}.{f}"));
    let mut expected = vec!["layers.0.weight".to_string(), "layers.0.bias".to_string()];
    expected.extend(norm(1));
    expected.extend(["layers.4.weight".to_string(), "layers.4.bias".to_string()]);
    expected.extend(norm(5));
    expected.extend(["head.weight".to_string(), "head.bias".to_string()]);
    assert_eq!(names, expected);
    let mut rng = Rng::new(11);
    let first = init::sample(WeightInit::He, 5, 8, 40, &mut rng);
    let second = init::sample(WeightInit::He, 8, 4, 32, &mut rng);
    let head = init::sample(WeightInit::Glorot, 4, 3, 12, &mut rng);
    let weight = |name: &str| values(&tensors.iter().find(|(n, _)| n == name).unwrap().1);
    assert_eq!(weight("layers.0.weight"), first);
    assert_eq!(weight("layers.4.weight"), second);
    assert_eq!(weight("head.weight"), head);
    let ranks: Vec<usize> = net.weights().iter().map(|w| w.rank()).collect();
    assert_eq!(ranks, [2, 2, 2], "the dense weights and the head's, not the biases or norms");
}

/// Mixed precision: bf16 and f16 passes give logits close to f32's, and gradients in f32 reach
/// the master weights.
#[test]
fn reduced_precision_passes_of_an_mlp_track_f32() {
    for dtype in [DType::BF16, DType::F16] {
        let spec = mlp(Activation::Relu, 0.0, true);
        let mut rng = Rng::new(9);
        let mut net = Net::new(&spec, &mut rng, &Device::Cpu).unwrap();
        let (x, y) = batch(&spec, &mut rng);
        let exact = values(&net.forward(&x).unwrap());
        net.set_compute_dtype(dtype);
        let out = net.forward(&x).unwrap();
        assert_eq!(out.dtype(), DType::F32);
        for (a, b) in exact.iter().zip(&values(&out)) {
            assert!((a - b).abs() < 0.05 * (1.0 + a.abs()), "{dtype:?}: {a} vs {b}");
        }
        let loss = Loss::CrossEntropy.compute(&net.forward_train(&x, &mut rng).unwrap(), &y).unwrap();
        let grads = loss.backward().unwrap();
        for var in net.vars() {
            let g = grads.get(var.as_tensor()).expect("a gradient for every variable");
            assert_eq!(g.dtype(), DType::F32);
        }
    }
}

#[test]
fn the_head_is_added_unless_the_list_ends_with_the_output_layer() {
    let has_head = |spec: &NetworkSpec| {
        let net = Net::new(spec, &mut Rng::new(1), &Device::Cpu).unwrap();
        net.named_tensors().iter().any(|(n, _)| n == "head.weight")
    };
    assert!(!has_head(&list(&[4], vec![Layer::Dense { units: 8 }, Layer::Dense { units: 3 }], 3)));
    assert!(has_head(&list(&[4], vec![Layer::Dense { units: 3 }, Layer::Relu], 3)));
    assert!(has_head(&lstm(&[5, 2], 3, 1, 3)), "an LSTM's hidden state is never the logits");
    assert!(has_head(&mlp(Activation::Gelu, 0.0, false)));
}

#[test]
fn the_same_seed_builds_the_same_network() {
    for (what, spec) in specs() {
        let build = || {
            let mut rng = Rng::new(11);
            let net = Net::new(&spec, &mut rng, &Device::Cpu).unwrap();
            net.named_tensors().iter().map(|(n, t)| (n.clone(), values(t))).collect::<Vec<_>>()
        };
        assert_eq!(build(), build(), "{what}");
    }
}

#[test]
fn evaluation_is_deterministic_and_snapshots_restore() {
    for (what, spec) in specs() {
        let mut rng = Rng::new(5);
        let mut net = Net::new(&spec, &mut rng, &Device::Cpu).unwrap();
        let (x, _) = batch(&spec, &mut rng);
        let saved = net.snapshot().unwrap();
        let before = values(&net.forward(&x).unwrap());
        assert_eq!(before, values(&net.forward(&x).unwrap()), "{what}");
        net.forward_train(&x, &mut rng).unwrap();
        for var in net.vars() {
            var.set(&(var.as_tensor() * 2.0).unwrap()).unwrap();
        }
        assert_ne!(before, values(&net.forward(&x).unwrap()), "{what}: training changed nothing");
        net.load_from(&saved).unwrap();
        assert_eq!(before, values(&net.forward(&x).unwrap()), "{what}");
        // And into a fresh network of the same spec built from another seed.
        let mut other = Net::new(&spec, &mut Rng::new(99), &Device::Cpu).unwrap();
        other.load_from(&saved).unwrap();
        assert_eq!(before, values(&other.forward(&x).unwrap()), "{what}");
    }
}

#[test]
fn loading_converts_the_dtype() {
    let spec = mlp(Activation::Relu, 0.0, true);
    let mut rng = Rng::new(6);
    let net = Net::new(&spec, &mut rng, &Device::Cpu).unwrap();
    let (x, _) = batch(&spec, &mut rng);
    let saved: Vec<(String, Tensor)> =
        net.snapshot().unwrap().into_iter().map(|(n, t)| (n, t.to_dtype(DType::F64).unwrap())).collect();
    let mut other = Net::new(&spec, &mut Rng::new(7), &Device::Cpu).unwrap();
    other.load_from(&saved).unwrap();
    assert!(other.named_tensors().iter().all(|(_, t)| t.dtype() == DType::F32));
    assert_eq!(values(&net.forward(&x).unwrap()), values(&other.forward(&x).unwrap()));
    let missing = &saved[1..];
    let err = other.load_from(missing).unwrap_err().to_string();
    assert!(err.contains("no saved tensor `layers.0.weight`"), "{err}");
}

/// Weights saved by the former `mlp` network, under its own names, load into the network of the
/// same spec once migrated.
#[test]
fn saved_mlp_weights_load_after_migration() {
    let spec = mlp(Activation::Tanh, 0.2, true);
    let mut rng = Rng::new(12);
    let mut trained = Net::new(&spec, &mut rng, &Device::Cpu).unwrap();
    let (x, _) = batch(&spec, &mut rng);
    // Running statistics away from their initial values, so that they must travel too.
    trained.forward_train(&x, &mut rng).unwrap();
    let expected = values(&trained.forward(&x).unwrap());
    let current = trained.snapshot().unwrap();
    let tensor = |name: &str| current.iter().find(|(n, _)| n == name).unwrap().1.clone();
    let old_names = [
        ("hidden.0.weight", "layers.0.weight"),
        ("hidden.0.bias", "layers.0.bias"),
        ("hidden.1.weight", "layers.4.weight"),
        ("hidden.1.bias", "layers.4.bias"),
        ("norm.0.gamma", "layers.1.gamma"),
        ("norm.0.beta", "layers.1.beta"),
        ("norm.0.running_mean", "layers.1.running_mean"),
        ("norm.0.running_var", "layers.1.running_var"),
        ("norm.1.gamma", "layers.5.gamma"),
        ("norm.1.beta", "layers.5.beta"),
        ("norm.1.running_mean", "layers.5.running_mean"),
        ("norm.1.running_var", "layers.5.running_var"),
        ("head.weight", "head.weight"),
        ("head.bias", "head.bias"),
    ];
    let old: Vec<(String, Tensor)> = old_names.iter().map(|(old, new)| (old.to_string(), tensor(new))).collect();
    let mut fresh = Net::new(&spec, &mut Rng::new(13), &Device::Cpu).unwrap();
    assert!(fresh.load_from(&old).is_err(), "the old names are not the current ones");
    fresh.load_from(&migrate_mlp_tensors(&spec, old)).unwrap();
    assert_eq!(values(&fresh.forward(&x).unwrap()), expected);
    // Current names pass through untouched.
    let migrated = migrate_mlp_tensors(&spec, current.clone());
    let names = |tensors: &[(String, Tensor)]| tensors.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&migrated), names(&current));
}

#[test]
fn training_updates_the_running_statistics_and_eval_uses_them() {
    let spec = list(&[1, 8, 8], lenet_layers(), 3);
    let mut rng = Rng::new(2);
    let mut net = Net::new(&spec, &mut rng, &Device::Cpu).unwrap();
    let (x, _) = batch(&spec, &mut rng);
    let mean_before = values(&net.named_tensors().into_iter().find(|(n, _)| n == "layers.1.running_mean").unwrap().1);
    net.forward_train(&x, &mut rng).unwrap();
    let mean_after = values(&net.named_tensors().into_iter().find(|(n, _)| n == "layers.1.running_mean").unwrap().1);
    assert_eq!(mean_before, vec![0.0; 6]);
    assert!(mean_after.iter().any(|v| *v != 0.0));
    assert_eq!(net.vars().len(), net.named_tensors().len() - 4, "running statistics are not trainable");
}

#[test]
fn weights_are_the_matrices_and_kernels() {
    let spec = list(&[1, 8, 8], lenet_layers(), 3);
    let net = Net::new(&spec, &mut Rng::new(2), &Device::Cpu).unwrap();
    let ranks: Vec<usize> = net.weights().iter().map(|w| w.rank()).collect();
    // conv, conv, dense, head.
    assert_eq!(ranks, vec![4, 4, 2, 2]);
}

#[test]
fn bf16_logits_are_close_to_f32() {
    for (what, spec) in specs() {
        let mut rng = Rng::new(8);
        let mut net = Net::new(&spec, &mut rng, &Device::Cpu).unwrap();
        let (x, _) = batch(&spec, &mut rng);
        // Batch statistics from one training pass, so eval batch norm is not the identity.
        net.forward_train(&x, &mut rng).unwrap();
        let full = values(&net.forward(&x).unwrap());
        net.set_compute_dtype(DType::BF16);
        let half = values(&net.forward(&x).unwrap());
        let scale = full.iter().fold(1f32, |m, v| m.max(v.abs()));
        for (a, b) in full.iter().zip(&half) {
            assert!((a - b).abs() <= 0.05 * scale, "{what}: f32 {a} vs bf16 {b}");
        }
    }
}

#[test]
fn embedding_ids_outside_the_vocabulary_read_as_unknown() {
    let spec = list(&[4, 1], vec![Layer::Embedding { vocabulary: 5, dim: 3 }, Layer::Flatten], 2);
    let net = Net::new(&spec, &mut Rng::new(4), &Device::Cpu).unwrap();
    let Node::Embedding(embedding) = &net.nodes[0] else { panic!("an embedding") };
    let x = Tensor::new(&[[0f32, 7.0, -2.0, f32::NAN], [3.0, 2.6, 4.0, 5.0]], &Device::Cpu).unwrap();
    let vectors = embedding.forward(&x.reshape((2, 4, 1)).unwrap(), DType::F32).unwrap();
    let table = values(&net.named_tensors()[0].1);
    let row = |id: usize| table[id * 3..id * 3 + 3].to_vec();
    let got = values(&vectors);
    let expected: Vec<f32> = [0, 0, 0, 0, 3, 3, 4, 0].iter().flat_map(|&id| row(id)).collect();
    assert_eq!(got, expected);
}

/// A spec written out by hand, with the shapes as given.
fn by_hand(input: &[usize], layers: &[(Layer, &[usize], &[usize])], outputs: usize, head: bool) -> NetworkSpec {
    NetworkSpec {
        input: input.to_vec(),
        layers: layers
            .iter()
            .map(|(layer, input, output)| ShapedLayer { layer: *layer, input: input.to_vec(), output: output.to_vec() })
            .collect(),
        outputs,
        init: WeightInit::He,
        head,
    }
}

/// Whether an LSTM returns its sequence is read from its output shape, not worked out again.
#[test]
fn an_lstm_returns_its_sequence_when_its_output_shape_is_one() {
    let lstm = Layer::LstmLayer { hidden: 3 };
    let sequence = by_hand(&[5, 2], &[(lstm, &[5, 2], &[5, 3]), (Layer::Flatten, &[5, 3], &[15])], 2, true);
    let last = by_hand(&[5, 2], &[(lstm, &[5, 2], &[3])], 2, true);
    for (spec, head_inputs) in [(sequence, 15), (last, 3)] {
        let net = Net::new(&spec, &mut Rng::new(1), &Device::Cpu).unwrap();
        let head = net.named_tensors().into_iter().find(|(n, _)| n == "head.weight").unwrap().1;
        assert_eq!(head.dims(), &[head_inputs, 2]);
        let x = Tensor::zeros((4, 10), DType::F32, &Device::Cpu).unwrap();
        assert_eq!(net.forward(&x).unwrap().dims(), &[4, 2]);
    }
}

#[test]
fn an_inconsistent_spec_is_an_error_not_a_panic() {
    let dense = Layer::Dense { units: 3 };
    let bad = [
        ("dense on an image", by_hand(&[1, 4, 4], &[(dense, &[1, 4, 4], &[3])], 3, false)),
        (
            "conv2d on a sequence",
            by_hand(
                &[6, 2],
                &[(Layer::Conv2d { filters: 2, kernel: 1, stride: 1, padding: 0 }, &[6, 2], &[2, 6, 2])],
                2,
                true,
            ),
        ),
        (
            "embedding of two features",
            by_hand(&[6, 2], &[(Layer::Embedding { vocabulary: 4, dim: 2 }, &[6, 2], &[6, 2])], 2, true),
        ),
        (
            "resblock on a sequence",
            by_hand(&[6, 2], &[(Layer::Resblock { filters: 2, stride: 1 }, &[6, 2], &[2, 6, 2])], 2, true),
        ),
        ("lstm on an image", by_hand(&[1, 4, 4], &[(Layer::LstmLayer { hidden: 2 }, &[1, 4, 4], &[2])], 2, true)),
        ("pool on a vector", by_hand(&[4], &[(Layer::Maxpool { size: 2, stride: 2 }, &[4], &[2])], 2, true)),
        ("a pool of size 0", by_hand(&[4, 2], &[(Layer::Avgpool { size: 0, stride: 1 }, &[4, 2], &[4, 2])], 2, true)),
        (
            "a kernel of size 0",
            by_hand(
                &[4, 2],
                &[(Layer::Conv1d { filters: 2, kernel: 0, stride: 1, padding: 0 }, &[4, 2], &[5, 2])],
                2,
                true,
            ),
        ),
        ("an empty output", by_hand(&[4], &[(Layer::Dense { units: 0 }, &[4], &[0])], 2, true)),
        ("a broken chain", by_hand(&[5], &[(dense, &[4], &[3])], 3, false)),
        ("a dropout rate of 1", by_hand(&[4], &[(Layer::Dropout { rate: 1.0 }, &[4], &[4])], 2, true)),
        ("a negative dropout rate", by_hand(&[4], &[(Layer::Dropout { rate: -0.1 }, &[4], &[4])], 2, true)),
        ("not flat at the end", by_hand(&[4, 2], &[(Layer::Relu, &[4, 2], &[4, 2])], 2, true)),
        ("no head and the wrong width", by_hand(&[4], &[(dense, &[4], &[3])], 2, false)),
        ("an empty input", by_hand(&[0], &[], 2, true)),
    ];
    for (what, spec) in bad {
        assert!(Net::new(&spec, &mut Rng::new(1), &Device::Cpu).is_err(), "{what}");
    }
    let rate = by_hand(&[4], &[(Layer::Dropout { rate: 1.0 }, &[4], &[4])], 2, true);
    let err = Net::new(&rate, &mut Rng::new(1), &Device::Cpu).err().unwrap().to_string();
    assert!(err.contains("layer 0 (`dropout`): a dropout rate of 1, outside [0, 1)"), "{err}");
}

/// The gradients Candle computes through every layer kind (including both pooling paths, the
/// cropped one and the gathered one) match central finite differences of the loss.
#[test]
fn gradients_match_finite_differences() {
    let specs = [
        list(
            &[2, 7, 7],
            vec![
                Layer::Conv2d { filters: 3, kernel: 3, stride: 1, padding: 1 },
                Layer::Batchnorm,
                Layer::Tanh,
                Layer::Maxpool { size: 2, stride: 2 },
                Layer::Avgpool { size: 2, stride: 1 },
                Layer::Flatten,
            ],
            3,
        ),
        list(
            &[1, 6, 6],
            vec![
                Layer::Conv2d { filters: 2, kernel: 2, stride: 2, padding: 0 },
                Layer::Maxpool { size: 2, stride: 1 },
                Layer::Avgpool { size: 2, stride: 2 },
                Layer::Flatten,
                Layer::Dense { units: 3 },
            ],
            3,
        ),
        list(
            &[8, 2],
            vec![
                Layer::Conv1d { filters: 3, kernel: 3, stride: 2, padding: 1 },
                Layer::Batchnorm,
                Layer::Avgpool { size: 2, stride: 1 },
                Layer::LstmLayer { hidden: 3 },
                Layer::LstmLayer { hidden: 2 },
            ],
            3,
        ),
        list(&[2, 5, 5], vec![Layer::Resblock { filters: 3, stride: 2 }, Layer::Flatten], 3),
        // Height and width leave different remainders under the stride (see conv2d_exact).
        list(&[1, 5, 8], vec![Layer::Conv2d { filters: 2, kernel: 3, stride: 2, padding: 1 }, Layer::Flatten], 3),
        list(&[5, 1], vec![Layer::Embedding { vocabulary: 12, dim: 3 }, Layer::LstmLayer { hidden: 3 }], 3),
        mlp(Activation::Sigmoid, 0.0, true),
    ];
    let eps = 1e-3;
    for spec in specs {
        let mut rng = Rng::new(21);
        let mut net = Net::new(&spec, &mut rng, &Device::Cpu).unwrap();
        let (x, y) = batch(&spec, &mut rng);
        let loss_of = |net: &mut Net| -> f64 {
            let logits = net.forward_train(&x, &mut Rng::new(0)).unwrap();
            Loss::CrossEntropy.compute(&logits, &y).unwrap().to_scalar::<f32>().unwrap() as f64
        };
        let logits = net.forward_train(&x, &mut Rng::new(0)).unwrap();
        let grads = Loss::CrossEntropy.compute(&logits, &y).unwrap().backward().unwrap();
        for p in net.params().into_iter().filter(|p| p.role != Role::Buffer) {
            let analytic = values(grads.get(p.var.as_tensor()).unwrap());
            let original = values(p.var.as_tensor());
            for _ in 0..3 {
                let i = rng.below(original.len() as u64) as usize;
                let mut at = |delta: f32| {
                    let mut moved = original.clone();
                    moved[i] += delta;
                    p.var.set(&Tensor::from_vec(moved, p.var.shape(), &Device::Cpu).unwrap()).unwrap();
                    loss_of(&mut net)
                };
                let numeric = (at(eps) - at(-eps)) / (2.0 * eps as f64);
                p.var.set(&Tensor::from_vec(original.clone(), p.var.shape(), &Device::Cpu).unwrap()).unwrap();
                let exact = analytic[i] as f64;
                assert!(
                    (numeric - exact).abs() <= 2e-3 + 0.05 * exact.abs(),
                    "{spec:?}\n`{}`[{i}]: finite difference {numeric}, backward {exact}",
                    p.name
                );
            }
        }
    }
}
