" Vim filetype plugin
" Language:    mlp (mlpc pipeline specs, *.mlp)

if exists('b:did_ftplugin')
  finish
endif
let b:did_ftplugin = 1

let s:cpo_save = &cpo
set cpo&vim

" Comments: `// text`, and `/// text` for documentation (`///` first, so that it is continued as
" such by `o` and gq).
setlocal commentstring=//\ %s
setlocal comments=:///,://
setlocal formatoptions-=t formatoptions+=croql

" The house style of `mlpc fmt` (docs/language.md, "Formatting"): two-space indentation, no tabs.
setlocal expandtab shiftwidth=2 softtabstop=2

" `gf` on an import path.
setlocal suffixesadd=.mlp

let b:undo_ftplugin = 'setlocal commentstring< comments< formatoptions< expandtab< shiftwidth<'
      \ . ' softtabstop< suffixesadd<'

" Fold on `{ ... }` blocks (syntax/mlp.vim marks them `fold`), all open at first.
" Set g:mlp_folding = 0 to leave folding alone.
if get(g:, 'mlp_folding', 1)
  setlocal foldmethod=syntax foldlevel=99
  let b:undo_ftplugin .= ' | setlocal foldmethod< foldlevel<'
endif

let &cpo = s:cpo_save
unlet s:cpo_save
