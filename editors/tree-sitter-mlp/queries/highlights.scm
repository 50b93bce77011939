; Highlights for .mlp pipeline specs. Where patterns overlap the LAST match wins (Neovim, Helix
; since 24.03): the catch-all `(identifier) @variable` comes first, specific patterns after it.
; (`tree-sitter highlight` lets the first match win instead; see README.md.)

(identifier) @variable

(comment) @comment
(doc_comment) @comment.documentation

; ---- definitions --------------------------------------------------------------------------

[
  "pipeline" "source" "dataset" "feature" "metric" "baseline" "model"
  "search" "gate" "deploy" "monitor" "extern"
] @keyword

"import" @keyword.import

[
  "objective" "beats" "on" "by" "over" "drift"
] @keyword

(direction) @keyword.modifier

[ "if" "then" "else" ] @keyword.conditional

[ "and" "or" "not" "in" ] @keyword.operator

(pipeline_definition name: (identifier) @module)
(source_definition name: (identifier) @variable)
(dataset_definition name: (identifier) @variable)
(feature_definition name: (identifier) @variable)
(metric_definition name: (identifier) @function)
(baseline_definition name: (identifier) @variable)
(model_definition name: (identifier) @variable)
(search_definition name: (identifier) @variable)
(gate_definition name: (identifier) @label)
(deploy_definition name: (identifier) @variable)
(monitor_definition name: (identifier) @variable)

(extern_definition kind: (identifier) @type)
(extern_definition name: (identifier) @function)
(parameter name: (identifier) @variable.parameter)

; ---- types --------------------------------------------------------------------------------

(named_type name: (identifier) @type)
(column_declaration name: (identifier) @property)

; ---- blocks -------------------------------------------------------------------------------

(setting key: (identifier) @property)
(nested_block name: (identifier) @property)
(beats_check model: (identifier) @variable)
(beats_check baseline: (identifier) @variable)
(beats_check metric: (identifier) @function)
(on_split split: (identifier) @constant)
(over_window unit: (identifier) @keyword)
(action value: (identifier) @function.builtin)

; ---- expressions --------------------------------------------------------------------------

(field_expression field: (identifier) @property)
(call_expression function: (identifier) @function.call)
(call_expression function: (field_expression field: (identifier) @function.method.call))
(argument name: (identifier) @variable.parameter)

(number) @number
(string) @string
(boolean) @boolean

; ---- punctuation and operators --------------------------------------------------------------

[ "=" "==" "!=" "<" "<=" ">" ">=" "+" "-" "*" "/" "->" ] @operator

[ "(" ")" "[" "]" "{" "}" ] @punctuation.bracket

[ "," "." ":" ] @punctuation.delimiter
