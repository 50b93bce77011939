/**
 * @file Tree-sitter grammar for `.mlp` ML pipeline specs.
 *
 * Mirrors grammar/mlp.pest (the reference grammar) for valid programs. Differences that matter
 * only for invalid input: the pest parser works chunk by chunk (one chunk per top-level
 * definition in column 0); this grammar parses the whole file and relies on tree-sitter's error
 * recovery instead. Expression precedence, which pest applies when lowering a flat operator
 * sequence, is encoded here directly (see docs/language.md, "Operators and precedence").
 *
 * Regenerate src/ with ./generate.sh after editing this file.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

const PREC = {
  or: 1,
  and: 2,
  not: 3,
  compare: 4,
  add: 5,
  mul: 6,
  unary: 7,
  postfix: 8,
};

const DEFINITION_KEYWORDS = [
  'pipeline', 'source', 'dataset', 'feature', 'metric', 'baseline', 'model',
  'search', 'gate', 'deploy', 'monitor',
];

const COMPARISON_OPERATORS = ['==', '!=', '<=', '>=', '<', '>'];

/**
 * Comma-separated list with an optional trailing comma, possibly empty.
 * @param {RuleOrLiteral} rule
 */
function commaSep(rule) {
  return optional(seq(rule, repeat(seq(',', rule)), optional(',')));
}

/**
 * One block definition kind: `KEYWORD name (= expr)? block?`.
 * @param {string} keyword
 */
function blockDefinition(keyword) {
  return $ => seq(
    field('keyword', keyword),
    field('name', $.identifier),
    optional(seq('=', field('value', $._expression))),
    optional(field('body', $.block)),
  );
}

const definitionRules = Object.fromEntries(
  DEFINITION_KEYWORDS.map(kw => [`${kw}_definition`, blockDefinition(kw)]),
);

module.exports = grammar({
  name: 'mlp',

  word: $ => $.identifier,

  extras: $ => [/\s/, $.comment, $.doc_comment],

  // Reserved everywhere (docs/language.md, "Names"): never a name. All other keywords are
  // contextual and stay names wherever the grammar does not expect them.
  reserved: {
    global: _ => ['and', 'or', 'not', 'if', 'then', 'else', 'in', 'true', 'false'],
  },

  supertypes: $ => [$._definition, $._expression, $._item],

  rules: {
    source_file: $ => repeat($._definition),

    _definition: $ => choice(
      $.import_definition,
      $.objective_definition,
      $.extern_definition,
      ...DEFINITION_KEYWORDS.map(kw => $[`${kw}_definition`]),
    ),

    // ---- top-level definitions ------------------------------------------------------------

    import_definition: $ => seq('import', field('path', $.string)),

    objective_definition: $ => seq(
      'objective',
      field('direction', $.direction),
      field('value', $._expression),
    ),

    direction: _ => choice('maximize', 'minimize'),

    ...definitionRules,

    // `extern model mlp(hidden: [count] = [64]) { input = tabular }`,
    // `extern function abs(x: float) -> float`
    extern_definition: $ => seq(
      'extern',
      field('kind', $.identifier),
      field('name', $.identifier),
      field('parameters', $.parameters),
      optional(seq('->', field('return_type', $._type))),
      optional(field('body', $.block)),
    ),

    parameters: $ => seq('(', commaSep($.parameter), ')'),

    parameter: $ => seq(
      field('name', $.identifier),
      ':',
      field('type', $._type),
      optional(seq('=', field('default', $._expression))),
    ),

    _type: $ => choice($.list_type, $.named_type),

    list_type: $ => seq('[', field('element', $._type), ']'),

    // Greedy, as in pest: `x: int\n(y)` in a block gives the type arguments.
    named_type: $ => prec.right(seq(
      field('name', $.identifier),
      optional(field('arguments', $.arguments)),
    )),

    // ---- blocks: one setting or statement per line ----------------------------------------

    block: $ => seq('{', repeat(seq($._item, optional(','))), '}'),

    _item: $ => choice(
      $.setting,
      $.nested_block,
      $.column_declaration,
      $.beats_check,
      $.drift_rule,
      $.rule,
    ),

    setting: $ => seq(field('key', $.identifier), '=', field('value', $._expression)),

    nested_block: $ => seq(field('name', $.identifier), field('body', $.block)),

    // `pixels: image(1, 8, 8)` in a `schema { ... }` block
    column_declaration: $ => seq(field('name', $.identifier), ':', field('type', $._type)),

    // `mlp beats size_rule on p_at_r by 0.02`
    beats_check: $ => seq(
      field('model', $.identifier),
      'beats',
      field('baseline', $.identifier),
      'on',
      field('metric', $.identifier),
      optional(seq('by', field('margin', $._expression))),
    ),

    // `drift psi > 0.2 -> warn`
    drift_rule: $ => seq(
      'drift',
      field('condition', $._expression),
      optional(field('window', $.over_window)),
      optional(field('action', $.action)),
    ),

    // `mlp.auc on test >= 0.9`, `p_at_r < 0.85 over 500 labelled -> alert`, `dense(120)`
    rule: $ => prec(-1, seq(
      field('expression', $._expression),
      optional(field('split', $.on_split)),
      optional(field('window', $.over_window)),
      optional(field('action', $.action)),
    )),

    on_split: $ => seq(
      'on',
      field('split', $.identifier),
      field('operator', choice(...COMPARISON_OPERATORS)),
      field('threshold', $._expression),
    ),

    over_window: $ => seq('over', field('size', $._expression), field('unit', $.identifier)),

    action: $ => seq('->', field('value', $._expression)),

    // ---- expressions ----------------------------------------------------------------------

    _expression: $ => choice(
      $.binary_expression,
      $.comparison_expression,
      $.unary_expression,
      $._operand,
    ),

    // Operands of comparisons and arithmetic: everything that binds tighter than a comparison.
    // The precedence 1 of these choices makes the `else` branch of an `if` greedy, as in the
    // pest grammar: `if c then a else b + 2` is `if c then a else (b + 2)`.
    _arithmetic: $ => choice(
      prec(1, alias($._arithmetic_binary, $.binary_expression)),
      prec(1, alias($._negation, $.unary_expression)),
      prec(1, $._operand),
    ),

    binary_expression: $ => choice(
      prec.left(PREC.or, seq(
        field('left', $._expression), field('operator', 'or'), field('right', $._expression))),
      prec.left(PREC.and, seq(
        field('left', $._expression), field('operator', 'and'), field('right', $._expression))),
      $._arithmetic_binary,
    ),

    _arithmetic_binary: $ => choice(
      ...[['+', PREC.add], ['-', PREC.add], ['*', PREC.mul], ['/', PREC.mul]].map(
        ([op, p]) => prec.left(/** @type {number} */ (p), seq(
          field('left', $._arithmetic),
          field('operator', /** @type {string} */ (op)),
          field('right', $._arithmetic),
        )),
      ),
    ),

    // Comparisons do not chain: both sides bind tighter than any comparison.
    comparison_expression: $ => prec(PREC.compare, seq(
      field('left', $._arithmetic),
      field('operator', choice(...COMPARISON_OPERATORS, 'in')),
      field('right', $._arithmetic),
    )),

    unary_expression: $ => choice(
      prec(PREC.not, seq(field('operator', 'not'), field('operand', $._expression))),
      $._negation,
    ),

    _negation: $ => prec(PREC.unary, seq(field('operator', '-'), field('operand', $._arithmetic))),

    _operand: $ => choice(
      $.call_expression,
      $.field_expression,
      $.if_expression,
      $.number,
      $.string,
      $.boolean,
      $.list,
      $.parenthesized_expression,
      $.identifier,
    ),

    call_expression: $ => prec(PREC.postfix, seq(
      field('function', $._operand),
      field('arguments', $.arguments),
    )),

    field_expression: $ => prec(PREC.postfix, seq(
      field('value', $._operand),
      '.',
      field('field', $.identifier),
    )),

    arguments: $ => seq('(', commaSep($.argument), ')'),

    argument: $ => seq(
      optional(seq(field('name', $.identifier), ':')),
      field('value', $._expression),
    ),

    // The `else` branch extends as far as possible (it is a full expression in the pest grammar).
    if_expression: $ => prec.right(seq(
      'if', field('condition', $._expression),
      'then', field('consequence', $._expression),
      'else', field('alternative', $._expression),
    )),

    list: $ => seq('[', commaSep($._expression), ']'),

    parenthesized_expression: $ => seq('(', $._expression, ')'),

    // ---- tokens ---------------------------------------------------------------------------

    number: _ => /\d+(\.\d+)?([eE][+-]?\d+)?%?/,

    string: _ => token(seq('"', repeat(choice(/\\./, /[^"\\\n]/)), '"')),

    boolean: _ => choice('true', 'false'),

    identifier: _ => /[A-Za-z_][A-Za-z0-9_]*/,

    doc_comment: _ => token(prec(1, seq('///', /[^\n]*/))),

    comment: _ => token(seq('//', /[^\n]*/)),
  },
});
