use super::*;
use crate::loss::Loss;

fn lenet_layers() -> Vec<LayerSpec> {
    vec![
        LayerSpec::Conv2d { filters: 6, kernel: 3, stride: 1, padding: 1 },
        LayerSpec::BatchNorm,
        LayerSpec::Activation(Activation::Relu),
        LayerSpec::MaxPool { size: 2, stride: 2 },
        LayerSpec::Conv2d { filters: 8, kernel: 3, stride: 1, padding: 0 },
        LayerSpec::Activation(Activation::Gelu),
        LayerSpec::Dropout { rate: 0.2 },
        LayerSpec::Flatten,
        LayerSpec::Dense { units: 12 },
        LayerSpec::BatchNorm,
        LayerSpec::Activation(Activation::Tanh),
    ]
}

/// Specs covering every layer kind, each pooling path and both head rules.
fn specs() -> Vec<(&'static str, NetSpec)> {
    vec![
        ("lenet", NetSpec::from_layers(vec![1, 8, 8], lenet_layers(), 3)),
        (
            "overlapping avgpool, odd maxpool, sigmoid, explicit output layer",
            NetSpec::from_layers(
                vec![2, 7, 7],
                vec![
                    LayerSpec::Conv2d { filters: 4, kernel: 2, stride: 1, padding: 0 },
                    LayerSpec::AvgPool { size: 3, stride: 1 },
                    LayerSpec::Activation(Activation::Sigmoid),
                    LayerSpec::MaxPool { size: 2, stride: 0 },
                    LayerSpec::Flatten,
                    LayerSpec::Dense { units: 3 },
                ],
                3,
            ),
        ),
        (
            "resblocks",
            NetSpec::from_layers(
                vec![3, 6, 6],
                vec![
                    LayerSpec::ResBlock { filters: 3, stride: 1 },
                    LayerSpec::ResBlock { filters: 5, stride: 2 },
                    LayerSpec::AvgPool { size: 3, stride: 0 },
                    LayerSpec::Flatten,
                ],
                3,
            ),
        ),
        (
            "conv1d and stacked lstm",
            NetSpec::from_layers(
                vec![9, 2],
                vec![
                    LayerSpec::Conv1d { filters: 4, kernel: 3, stride: 1, padding: 1 },
                    LayerSpec::BatchNorm,
                    LayerSpec::MaxPool { size: 2, stride: 0 },
                    LayerSpec::AvgPool { size: 2, stride: 1 },
                    LayerSpec::Lstm { hidden: 5 },
                    LayerSpec::Dropout { rate: 0.1 },
                    LayerSpec::Lstm { hidden: 4 },
                ],
                3,
            ),
        ),
        (
            "embedding and lstm",
            NetSpec::from_layers(
                vec![6, 1],
                vec![LayerSpec::Embedding { vocabulary: 10, dim: 4 }, LayerSpec::Lstm { hidden: 6 }],
                3,
            ),
        ),
        ("lstm model", NetSpec::lstm(vec![5, 3], 4, 2, 3)),
    ]
}

/// A batch for a spec: token ids for an embedding input, normal draws otherwise.
fn batch(spec: &NetSpec, rng: &mut Rng) -> (Tensor, Tensor) {
    let rows = 8;
    let width: usize = spec.input.iter().product();
    let tokens = matches!(spec.layers.first(), Some(LayerSpec::Embedding { .. }));
    let x: Vec<f32> =
        (0..rows * width).map(|_| if tokens { rng.below(12) as f32 - 1.0 } else { rng.normal() as f32 }).collect();
    let x = Tensor::from_vec(x, (rows, width), &Device::Cpu).unwrap();
    let y = Tensor::new(&[0u32, 1, 2, 0, 1, 2, 0, 1], &Device::Cpu).unwrap();
    (x, y)
}

fn values(t: &Tensor) -> Vec<f32> {
    t.to_dtype(DType::F32).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

/// After one training step every trainable variable has a finite, non-zero gradient: the check
/// that catches ops without a backward pass (which silently train nothing).
#[test]
fn every_variable_of_every_layer_kind_gets_a_gradient() {
    for (what, spec) in specs() {
        for dtype in [DType::F32, DType::BF16] {
            let mut rng = Rng::new(3);
            let mut net = Net::new(spec.clone(), &mut rng, &Device::Cpu).unwrap();
            net.set_compute_dtype(dtype);
            let (x, y) = batch(&spec, &mut rng);
            let logits = net.forward_train(&x, &mut rng).unwrap();
            assert_eq!(logits.dims(), &[8, 3], "{what}");
            assert_eq!(logits.dtype(), DType::F32, "{what}");
            let loss = Loss::CrossEntropy.compute(&logits, &y).unwrap();
            let grads = loss.backward().unwrap();
            let names: Vec<String> =
                net.params().into_iter().filter(|p| p.role != Role::Buffer).map(|p| p.name).collect();
            let vars = net.vars();
            assert_eq!(names.len(), vars.len());
            for (name, var) in names.iter().zip(&vars) {
                let at = format!("{what} ({dtype:?}): `{name}`");
                let g = grads.get(var.as_tensor()).unwrap_or_else(|| panic!("{at}: no gradient"));
                let g = values(g);
                assert!(!g.is_empty(), "{at}: empty gradient");
                assert!(g.iter().all(|v| v.is_finite()), "{at}: non-finite gradient");
                assert!(g.iter().any(|v| *v != 0.0), "{at}: all-zero gradient");
            }
        }
    }
}

#[test]
fn the_head_is_added_unless_the_list_ends_with_the_output_layer() {
    let build = |layers: Vec<LayerSpec>, outputs| {
        Net::new(NetSpec::from_layers(vec![4], layers, outputs), &mut Rng::new(1), &Device::Cpu).unwrap()
    };
    assert!(!build(vec![LayerSpec::Dense { units: 8 }, LayerSpec::Dense { units: 3 }], 3).has_head());
    assert!(build(vec![LayerSpec::Dense { units: 3 }, LayerSpec::Activation(Activation::Relu)], 3).has_head());
    assert!(build(vec![LayerSpec::Dense { units: 8 }], 3).has_head());
    let lstm = Net::new(NetSpec::lstm(vec![5, 2], 3, 1, 3), &mut Rng::new(1), &Device::Cpu).unwrap();
    assert!(lstm.has_head(), "an LSTM's hidden state is never the logits");
}

#[test]
fn the_same_seed_builds_the_same_network() {
    for (what, spec) in specs() {
        let build = || {
            let mut rng = Rng::new(11);
            let net = Net::new(spec.clone(), &mut rng, &Device::Cpu).unwrap();
            net.named_tensors().iter().map(|(n, t)| (n.clone(), values(t))).collect::<Vec<_>>()
        };
        assert_eq!(build(), build(), "{what}");
    }
}

#[test]
fn evaluation_is_deterministic_and_snapshots_restore() {
    for (what, spec) in specs() {
        let mut rng = Rng::new(5);
        let mut net = Net::new(spec.clone(), &mut rng, &Device::Cpu).unwrap();
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
        let mut other = Net::new(spec.clone(), &mut Rng::new(99), &Device::Cpu).unwrap();
        other.load_from(&saved).unwrap();
        assert_eq!(before, values(&other.forward(&x).unwrap()), "{what}");
    }
}

#[test]
fn training_updates_the_running_statistics_and_eval_uses_them() {
    let spec = NetSpec::from_layers(vec![1, 8, 8], lenet_layers(), 3);
    let mut rng = Rng::new(2);
    let mut net = Net::new(spec.clone(), &mut rng, &Device::Cpu).unwrap();
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
    let spec = NetSpec::from_layers(vec![1, 8, 8], lenet_layers(), 3);
    let net = Net::new(spec, &mut Rng::new(2), &Device::Cpu).unwrap();
    let ranks: Vec<usize> = net.weights().iter().map(|w| w.rank()).collect();
    // conv, conv, dense, head.
    assert_eq!(ranks, vec![4, 4, 2, 2]);
}

#[test]
fn bf16_logits_are_close_to_f32() {
    for (what, spec) in specs() {
        let mut rng = Rng::new(8);
        let mut net = Net::new(spec.clone(), &mut rng, &Device::Cpu).unwrap();
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
    let spec =
        NetSpec::from_layers(vec![4, 1], vec![LayerSpec::Embedding { vocabulary: 5, dim: 3 }, LayerSpec::Flatten], 2);
    let net = Net::new(spec, &mut Rng::new(4), &Device::Cpu).unwrap();
    let Node::Embedding(embedding) = &net.nodes[0] else { panic!("an embedding") };
    let x = Tensor::new(&[[0f32, 7.0, -2.0, f32::NAN], [3.0, 2.6, 4.0, 5.0]], &Device::Cpu).unwrap();
    let vectors = embedding.forward(&x.reshape((2, 4, 1)).unwrap(), DType::F32).unwrap();
    let table = values(&net.named_tensors()[0].1);
    let row = |id: usize| table[id * 3..id * 3 + 3].to_vec();
    let got = values(&vectors);
    let expected: Vec<f32> = [0, 0, 0, 0, 3, 3, 4, 0].iter().flat_map(|&id| row(id)).collect();
    assert_eq!(got, expected);
}

#[test]
fn layers_from_checked_values() {
    use std::collections::BTreeMap;
    let call = |name: &str, args: &[(&str, Value)]| Value::Call {
        call: name.to_string(),
        args: args.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<BTreeMap<_, _>>(),
    };
    let int = Value::Int;
    assert_eq!(
        LayerSpec::from_value(&call(
            "conv2d",
            &[("filters", int(6)), ("kernel", int(3)), ("stride", int(1)), ("padding", int(1))]
        )),
        Some(LayerSpec::Conv2d { filters: 6, kernel: 3, stride: 1, padding: 1 })
    );
    assert_eq!(
        LayerSpec::from_value(&call("maxpool", &[("size", int(2)), ("stride", int(0))])),
        Some(LayerSpec::MaxPool { size: 2, stride: 2 })
    );
    assert_eq!(
        LayerSpec::from_value(&call("dropout", &[("rate", Value::Float(0.25))])),
        Some(LayerSpec::Dropout { rate: 0.25 })
    );
    assert_eq!(LayerSpec::from_value(&call("gelu", &[])), Some(LayerSpec::Activation(Activation::Gelu)));
    assert_eq!(
        LayerSpec::from_value(&call("resblock", &[("filters", int(16)), ("stride", int(2))])),
        Some(LayerSpec::ResBlock { filters: 16, stride: 2 })
    );
    assert_eq!(
        LayerSpec::from_value(&call("embedding", &[("vocabulary", int(100)), ("dim", int(8))])),
        Some(LayerSpec::Embedding { vocabulary: 100, dim: 8 })
    );
    assert_eq!(LayerSpec::from_value(&call("nonsense", &[])), None);
    assert_eq!(LayerSpec::from_value(&Value::Name("relu".into())), Some(LayerSpec::Activation(Activation::Relu)));
    assert_eq!(LayerSpec::from_value(&Value::Name("flatten".into())), Some(LayerSpec::Flatten));
    assert_eq!(LayerSpec::from_value(&Value::Name("dense".into())), None, "dense needs its units");
}

#[test]
fn a_misfitting_layer_is_an_error_not_a_panic() {
    let bad = [
        NetSpec::from_layers(vec![1, 4, 4], vec![LayerSpec::Dense { units: 3 }], 2),
        NetSpec::from_layers(
            vec![1, 4, 4],
            vec![LayerSpec::Conv2d { filters: 2, kernel: 5, stride: 1, padding: 0 }],
            2,
        ),
        NetSpec::from_layers(vec![6, 2], vec![LayerSpec::Embedding { vocabulary: 4, dim: 2 }], 2),
        NetSpec::from_layers(vec![6, 2], vec![LayerSpec::ResBlock { filters: 2, stride: 1 }], 2),
        NetSpec::from_layers(vec![1, 4, 4], vec![LayerSpec::Lstm { hidden: 2 }], 2),
        NetSpec::from_layers(vec![1, 4, 4], vec![LayerSpec::MaxPool { size: 2, stride: 2 }], 2),
    ];
    for spec in bad {
        assert!(Net::new(spec.clone(), &mut Rng::new(1), &Device::Cpu).is_err(), "{spec:?}");
    }
}

/// The gradients Candle computes through every layer kind (including both pooling paths, the
/// cropped one and the gathered one) match central finite differences of the loss.
#[test]
fn gradients_match_finite_differences() {
    let tanh = LayerSpec::Activation(Activation::Tanh);
    let specs = [
        NetSpec::from_layers(
            vec![2, 7, 7],
            vec![
                LayerSpec::Conv2d { filters: 3, kernel: 3, stride: 1, padding: 1 },
                LayerSpec::BatchNorm,
                tanh.clone(),
                LayerSpec::MaxPool { size: 2, stride: 2 },
                LayerSpec::AvgPool { size: 2, stride: 1 },
                LayerSpec::Flatten,
            ],
            3,
        ),
        NetSpec::from_layers(
            vec![1, 6, 6],
            vec![
                LayerSpec::Conv2d { filters: 2, kernel: 2, stride: 2, padding: 0 },
                LayerSpec::MaxPool { size: 2, stride: 1 },
                LayerSpec::AvgPool { size: 2, stride: 2 },
                LayerSpec::Flatten,
                LayerSpec::Dense { units: 3 },
            ],
            3,
        ),
        NetSpec::from_layers(
            vec![8, 2],
            vec![
                LayerSpec::Conv1d { filters: 3, kernel: 3, stride: 2, padding: 1 },
                LayerSpec::BatchNorm,
                LayerSpec::AvgPool { size: 2, stride: 1 },
                LayerSpec::Lstm { hidden: 3 },
                LayerSpec::Lstm { hidden: 2 },
            ],
            3,
        ),
        NetSpec::from_layers(vec![2, 5, 5], vec![LayerSpec::ResBlock { filters: 3, stride: 2 }, LayerSpec::Flatten], 3),
        // Height and width leave different remainders under the stride (see conv2d_exact).
        NetSpec::from_layers(
            vec![1, 5, 8],
            vec![LayerSpec::Conv2d { filters: 2, kernel: 3, stride: 2, padding: 1 }, LayerSpec::Flatten],
            3,
        ),
        NetSpec::from_layers(
            vec![5, 1],
            vec![LayerSpec::Embedding { vocabulary: 12, dim: 3 }, LayerSpec::Lstm { hidden: 3 }],
            3,
        ),
    ];
    let eps = 1e-3;
    for spec in specs {
        let mut rng = Rng::new(21);
        let mut net = Net::new(spec.clone(), &mut rng, &Device::Cpu).unwrap();
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
