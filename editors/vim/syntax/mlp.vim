" Vim syntax file
" Language:    mlp (mlpc pipeline specs, *.mlp)
" Grammar:     grammar/mlp.pest; language reference: docs/language.md
"
" Definitions start with a keyword in column 0 followed by a name; elsewhere the definition
" keywords are ordinary words (a setting may be called `model`), so they are matched only there.

if exists('b:current_syntax')
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

syn case match
syn iskeyword @,48-57,_

" ---- keywords --------------------------------------------------------------------------------

" Reserved words.
syn keyword mlpConditional  if then else
syn keyword mlpOperatorWord and or not in
syn keyword mlpBoolean      true false
" Contextual keywords of objectives, gates and monitors. They are ordinary names elsewhere, so
" they are matches (not `syn keyword`): a setting key or argument name defined below wins.
syn match mlpKeyword "\<\%(maximize\|minimize\|beats\|on\|by\|over\|drift\)\>"

" ---- definitions -----------------------------------------------------------------------------

" `model mlp = ...`, `search mlp {`: the keyword in column 0, then the name it defines.
syn match mlpDefKeyword "^\%(pipeline\|source\|dataset\|feature\|metric\|baseline\|model\|search\|gate\|deploy\|monitor\)\>\ze\s\+\h"
      \ nextgroup=mlpDefName skipwhite
syn match mlpDefName    "\h\w*" contained
" `objective maximize auc`
syn match mlpDefKeyword "^objective\>"
" `import "shared/data.mlp"`
syn match mlpInclude    "^import\>"
" `extern baseline linear(l2: float = 0.0) { ... }` (standard library only)
syn match mlpDefKeyword "^extern\>" nextgroup=mlpExternKind skipwhite
syn match mlpExternKind "\h\w*" contained nextgroup=mlpDefName skipwhite

" ---- names in blocks and calls ---------------------------------------------------------------

" `key = value` (a setting): at the start of a line or after `{` / `,`; not `==`.
syn match mlpSettingKey "\%(\%(^\|[{,]\)\s*\)\@<=\h\w*\ze\s*=\%(=\)\@!"
" `name: value` (a named argument) ...
syn match mlpArgName    "\<\h\w*\ze\s*:"
" ... and `name: type` at the start of a line (a column of a schema block).
syn match mlpColumnName "^\s*\zs\h\w*\ze\s*:"
" `name(` (a call).
syn match mlpCall       "\<\h\w*\ze\s*("

" ---- literals --------------------------------------------------------------------------------

" 42, 0.15, 3e-4, 1E+2, 2.5e3, 5%
syn match mlpNumber "\<\d\+\%(\.\d\+\)\=\%([eE][+-]\=\d\+\)\=\%(%\|\>\)"
syn region mlpString start=+"+ skip=+\\\\\|\\"+ end=+"+ end=+$+ oneline contains=mlpEscape
syn match mlpEscape +\\.+ contained

" ---- operators and punctuation ---------------------------------------------------------------

" Longest first: `->` before `-`, `==` before `=`. (`//` starts a comment, defined below, which
" wins over `/` at the same position.)
syn match mlpOperator "->\|[=!<>]=\|[-+*/<>=]"
syn match mlpDelimiter "[,.:()\[\]]"

" ---- blocks (folded) -------------------------------------------------------------------------

syn region mlpBlock matchgroup=mlpBrace start="{" end="}" transparent fold

" ---- comments (last: they win over everything at the same position) --------------------------

syn keyword mlpTodo contained TODO FIXME XXX NOTE
syn match mlpComment    "//.*" contains=mlpTodo,@Spell
" `///` at the start of a line documents the definition below it (after code it is a comment).
syn match mlpDocComment "^\s*\zs///.*" contains=mlpTodo,@Spell

syn sync fromstart

" ---- highlight links -------------------------------------------------------------------------

hi def link mlpDefKeyword   Keyword
hi def link mlpInclude      Include
hi def link mlpKeyword      Keyword
hi def link mlpConditional  Conditional
hi def link mlpOperatorWord Operator
hi def link mlpDefName      Function
hi def link mlpExternKind   Type
hi def link mlpSettingKey   Identifier
hi def link mlpArgName      Special
hi def link mlpColumnName   Identifier
hi def link mlpCall         Function
hi def link mlpBoolean      Boolean
hi def link mlpNumber       Number
hi def link mlpString       String
hi def link mlpEscape       SpecialChar
hi def link mlpOperator     Operator
hi def link mlpDelimiter    Delimiter
hi def link mlpBrace        Delimiter
hi def link mlpTodo         Todo
hi def link mlpComment      Comment
hi def link mlpDocComment   SpecialComment

let b:current_syntax = 'mlp'

let &cpo = s:cpo_save
unlet s:cpo_save
