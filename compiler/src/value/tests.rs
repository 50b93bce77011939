use super::*;
use crate::program::{Architecture, Distribution, Format, Layer, Missing, Optimizer, Split};
use std::collections::BTreeMap;

fn call(name: &str, args: &[(&str, Value)]) -> Value {
    Value::Call { call: name.into(), args: args.iter().map(|(k, v)| (k.to_string(), v.clone())).collect() }
}

#[test]
fn calls_become_enum_variants_and_back() {
    let adam =
        call("adam", &[("lr", Value::Float(1e-3)), ("beta1", Value::Float(0.9)), ("beta2", Value::Float(0.999))]);
    let typed: Optimizer = adam.to_typed().unwrap();
    assert_eq!(typed, Optimizer::Adam { lr: 1e-3, beta1: 0.9, beta2: 0.999 });
    assert_eq!(Value::from_typed(&typed).unwrap(), adam);
}

#[test]
fn unit_variants_read_from_names_and_empty_calls() {
    assert_eq!(Value::Name("drop".into()).to_typed::<Missing>().unwrap(), Missing::Drop);
    assert_eq!(call("drop", &[]).to_typed::<Missing>().unwrap(), Missing::Drop);
    assert_eq!(Value::from_typed(&Missing::FillMean).unwrap(), Value::Name("fill_mean".into()));
    assert!(call("drop", &[("value", Value::Int(1))]).to_typed::<Missing>().is_err(), "a unit variant takes no args");
}

#[test]
fn integers_widen_to_floats_but_floats_do_not_narrow() {
    let fill = call("fill", &[("value", Value::Int(0))]);
    assert_eq!(fill.to_typed::<Missing>().unwrap(), Missing::Fill { value: 0.0 });
    let dense = call("dense", &[("units", Value::Float(3.5))]);
    assert!(dense.to_typed::<Layer>().is_err());
    let negative = call("dense", &[("units", Value::Int(-1))]);
    assert!(negative.to_typed::<Layer>().is_err());
}

#[test]
fn missing_fields_are_errors_and_optional_ones_none() {
    assert!(call("by_column", &[]).to_typed::<Split>().is_err());
    let settings = call("settings", &[("exclude", Value::List(vec![]))]);
    let source: crate::program::SourceSettings = settings.to_typed().unwrap();
    assert_eq!(source.label, None);
    assert_eq!(Value::config_of(&source).unwrap(), BTreeMap::from([("exclude".to_string(), Value::List(vec![]))]));
}

#[test]
fn a_delimiter_is_one_character() {
    let csv = |d: &str| call("csv", &[("path", Value::String("a.csv".into())), ("delimiter", Value::String(d.into()))]);
    assert!(
        matches!(csv(";").to_typed::<Format>().unwrap(), Format::Csv { delimiter, .. } if delimiter.byte() == b';')
    );
    assert!(csv("").to_typed::<Format>().is_err());
    assert!(csv(";;").to_typed::<Format>().is_err());
}

#[test]
fn lists_and_nested_calls_round_trip() {
    let mlp = call(
        "mlp",
        &[
            ("hidden", Value::List(vec![Value::Int(64), Value::Int(32)])),
            ("activation", Value::Name("tanh".into())),
            ("init", Value::Name("auto".into())),
        ],
    );
    let typed: Architecture = mlp.to_typed().unwrap();
    assert_eq!(Value::from_typed(&typed).unwrap(), mlp);
    let choice = call("choice", &[("values", Value::List(vec![Value::List(vec![Value::Int(32)]), Value::Int(7)]))]);
    let dist: Distribution = choice.to_typed().unwrap();
    assert_eq!(dist.grid_size(), Some(2));
}

#[test]
fn shapes_list_variants_and_fields() {
    let missing = shape_of::<Missing>();
    assert_eq!(missing.variants, ["drop", "fill_mean", "fill_median", "fill_mode", "fill"]);
    assert_eq!(missing.fields["fill"], ["value"]);
    assert!(missing.fields["drop"].is_empty());
    let settings = shape_of::<crate::program::SourceSettings>();
    assert!(settings.variants.is_empty());
    assert_eq!(settings.fields[""], ["label", "positive", "exclude"]);
}
