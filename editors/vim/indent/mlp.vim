" Vim indent file
" Language:    mlp (mlpc pipeline specs, *.mlp)
"
" One `shiftwidth` more after a line that leaves a `{` (or `(` / `[`) open, one less on a line that
" starts with `}` (or `)` / `]`). This is what `mlpc fmt` produces, so `gg=G` leaves a formatted
" file unchanged.

if exists('b:did_indent')
  finish
endif
let b:did_indent = 1

setlocal autoindent nosmartindent nocindent
setlocal indentexpr=GetMlpIndent(v:lnum)
setlocal indentkeys=0},0),0],!^F,o,O,e

let b:undo_indent = 'setlocal autoindent< smartindent< cindent< indentexpr< indentkeys<'

if exists('*GetMlpIndent')
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

" The code of a line without strings and comments.
function! s:Code(lnum) abort
  let line = getline(a:lnum)
  let line = substitute(line, '"\%([^"\\]\|\\.\)*"\=', '""', 'g')
  return substitute(line, '//.*', '', '')
endfunction

function! GetMlpIndent(lnum) abort
  let prev = prevnonblank(a:lnum - 1)
  if prev == 0
    return 0
  endif
  let ind = indent(prev)

  " Brackets the previous line opens and leaves open (closers at its start are already accounted
  " for by that line's own indent).
  let code = substitute(s:Code(prev), '^\s*[})\]]*', '', '')
  let open = len(substitute(code, '[^{(\[]', '', 'g'))
  let close = len(substitute(code, '[^})\]]', '', 'g'))
  if open > close
    let ind += shiftwidth()
  elseif open < close
    let ind -= shiftwidth()
  endif

  if getline(a:lnum) =~# '^\s*[})\]]'
    let ind -= shiftwidth()
  endif
  return max([ind, 0])
endfunction

let &cpo = s:cpo_save
unlet s:cpo_save
