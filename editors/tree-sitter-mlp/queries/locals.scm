; Every top-level definition lives in one file-wide scope; blocks and extern parameter lists
; open nested scopes.

(source_file) @local.scope
(block) @local.scope
(parameters) @local.scope

(pipeline_definition name: (identifier) @local.definition)
(source_definition name: (identifier) @local.definition)
(dataset_definition name: (identifier) @local.definition)
(feature_definition name: (identifier) @local.definition)
(metric_definition name: (identifier) @local.definition)
(baseline_definition name: (identifier) @local.definition)
(model_definition name: (identifier) @local.definition)
(deploy_definition name: (identifier) @local.definition)
(extern_definition name: (identifier) @local.definition)
(parameter name: (identifier) @local.definition)

(identifier) @local.reference
