#!/usr/bin/env bash
# Tests the Vim support in editors/vim headlessly:
#   - every examples/*/*.mlp gets filetype `mlp`, the mlp syntax, the ftplugin's options and folds;
#   - syntax groups land where they should (in the examples and in a fixture with every construct);
#   - `gg=G` leaves an `mlpc fmt`-formatted example unchanged, and rebuilds it from a copy with all
#     indentation stripped.
# Skips (exit 0, with a message) when vim is not installed. Exits 1 on any failure.
# Usage: editors/vim/test.sh [FILE.mlp...]   (default: examples/*/*.mlp)
#        VIM_BIN=nvim editors/vim/test.sh    (runs the same checks in Neovim)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

vim_bin="${VIM_BIN:-$(command -v vim || true)}"
if [[ -z "$vim_bin" ]]; then
  echo "editors/vim/test.sh: skipped: vim is not installed (apt-get install vim-nox)"
  exit 0
fi
version="$("$vim_bin" --version 2>/dev/null || true)"
if [[ "$version" != NVIM* ]] && ! { grep -q '+eval' <<<"$version" && grep -q '+syntax' <<<"$version"; }; then
  echo "editors/vim/test.sh: skipped: $vim_bin has no +eval/+syntax (vim-tiny?); apt-get install vim-nox"
  exit 0
fi

mlpc=""
for c in "${MLPC:-}" "$root/target/release/mlpc" "$root/target/debug/mlpc" "$(command -v mlpc || true)"; do
  if [[ -n "$c" && -x "$c" ]]; then mlpc="$c"; break; fi
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if [[ $# -gt 0 ]]; then files=("$@"); else files=("$root"/examples/*/*.mlp); fi

# ---- the checks, run inside vim for one file -------------------------------------------------
cat > "$tmp/check.vim" <<'VIM'
let s:errors = []
let s:checked = 0
let s:file = expand('%:p')

function! s:Fail(msg) abort
  call add(s:errors, s:file . ': ' . a:msg)
endfunction

function! s:Group(lnum, col) abort
  return synIDattr(synID(a:lnum, a:col, 1), 'name')
endfunction

" The group at the start of the first match of `pat` (\zs marks the position) must be `group`.
" Returns 1 when the pattern was found, 0 when it was not (and `required` is not set).
function! s:Expect(pat, group, required) abort
  call cursor(1, 1)
  let [l, c] = searchpos(a:pat, 'cW')
  if l == 0
    if a:required
      call s:Fail('pattern not found: ' . a:pat)
    endif
    return 0
  endif
  let s:checked += 1
  let g = s:Group(l, c)
  if g !=# a:group
    call s:Fail(printf('line %d col %d (%s): expected %s, got "%s"', l, c,
          \ strpart(getline(l), c - 1, 20), a:group, g))
  endif
  return 1
endfunction

" Every match of `pat` must be `group`.
function! s:ExpectAll(pat, group) abort
  call cursor(1, 1)
  let flags = 'cW'
  while 1
    let [l, c] = searchpos(a:pat, flags)
    if l == 0 | break | endif
    let flags = 'W'
    if a:group !~# 'Comment' && strpart(getline(l), 0, c - 1) =~# '//'
      continue  " inside a comment
    endif
    let s:checked += 1
    let g = s:Group(l, c)
    if g !=# a:group
      call s:Fail(printf('line %d col %d (%s): expected %s, got "%s"', l, c,
            \ strpart(getline(l), c - 1, 20), a:group, g))
    endif
  endwhile
endfunction

" ---- filetype, syntax, options
if &filetype !=# 'mlp'
  call s:Fail('filetype is "' . &filetype . '", expected mlp')
endif
if get(b:, 'current_syntax', '') !=# 'mlp'
  call s:Fail('syntax is "' . get(b:, 'current_syntax', '') . '", expected mlp')
endif
if &l:shiftwidth != 2 || !&l:expandtab
  call s:Fail(printf('shiftwidth=%d expandtab=%d, expected 2 and 1', &l:shiftwidth, &l:expandtab))
endif
if &l:commentstring !=# '// %s'
  call s:Fail('commentstring is "' . &l:commentstring . '"')
endif
if &l:indentexpr !~# 'GetMlpIndent'
  call s:Fail('indentexpr is "' . &l:indentexpr . '"')
endif
if &l:foldmethod !=# 'syntax'
  call s:Fail('foldmethod is "' . &l:foldmethod . '"')
endif

" ---- syntax groups
" A definition keyword in column 1 is a keyword, the name after it a defined name.
let s:defkw = '^\%(pipeline\|source\|dataset\|feature\|metric\|baseline\|model\|search\|gate\|deploy\|monitor\)\s\+\h'
call s:ExpectAll(s:defkw, 'mlpDefKeyword')
call s:ExpectAll(s:defkw[:-4] . '\zs\h', 'mlpDefName')
call s:Expect('^model\>', 'mlpDefKeyword', 0)
let s:model = search('^model\>', 'nw')
if s:model
  " mlpDefKeyword -> Keyword -> Statement
  let s:final = synIDattr(synIDtrans(synID(s:model, 1, 1)), 'name')
  if s:final !=# 'Statement' || execute('hi mlpDefKeyword') !~# 'links to Keyword'
    call s:Fail('`model` in column 1 is not highlighted as a Keyword (' . s:final . ')')
  endif
endif
call s:ExpectAll('^objective\>', 'mlpDefKeyword')
call s:ExpectAll('^objective \zs\%(maximize\|minimize\)', 'mlpKeyword')
" Comments and doc comments (outside strings).
call s:ExpectAll('^\s*\zs//\%(/\)\@!', 'mlpComment')
call s:ExpectAll('^\s*\zs///', 'mlpDocComment')
call s:ExpectAll('^[^"]*\S\s\+\zs//', 'mlpComment')
" Settings keys, named arguments, calls, strings, numbers, operators.
call s:ExpectAll('^\s\+\zs\h\w*\ze = ', 'mlpSettingKey')
call s:ExpectAll('(\zs\h\w*\ze: ', 'mlpArgName')
call s:ExpectAll('^\s\+\h\w*\s=\s\zs\h\w*\ze(', 'mlpCall')
call s:ExpectAll('^[^/"]*\zs"', 'mlpString')
call s:ExpectAll('= \zs\d\+\%(\.\d\+\)\=\%(e-\=\d\+\)\=\s*\%(//.*\)\=$', 'mlpNumber')
call s:ExpectAll('\s\zs\%(->\|>=\|==\|[<>*/+]\)\ze\s', 'mlpOperator')
call s:ExpectAll('^\s\+\h[[:alnum:]_.]* \zsbeats\>', 'mlpKeyword')
call s:ExpectAll('^\s\+\zsdrift\>', 'mlpKeyword')
call s:ExpectAll('\s\zs\%(and\|or\|not\|in\)\ze\s', 'mlpOperatorWord')

" ---- folds: a line inside a block is in a fold
let s:inblock = search('^\S.*{\s*\%(//.*\)\=$', 'nw')
if s:inblock && foldlevel(s:inblock + 1) < 1
  call s:Fail(printf('line %d (inside a block) is not in a fold', s:inblock + 1))
endif

" ---- indentation: re-indenting changes nothing
let s:before = getline(1, '$')
silent normal! gg=G
let s:after = getline(1, '$')
for i in range(len(s:before))
  if s:before[i] !=# s:after[i]
    call s:Fail(printf('gg=G changed line %d: "%s" -> "%s"', i + 1, s:before[i], s:after[i]))
  endif
endfor
" ... and rebuilds every indent from a copy without any.
silent %s/^\s\+//e
silent normal! gg=G
let s:rebuilt = getline(1, '$')
for i in range(len(s:before))
  if s:before[i] !=# s:rebuilt[i]
    call s:Fail(printf('gg=G on the unindented file gave line %d: "%s", expected "%s"', i + 1,
          \ s:rebuilt[i], s:before[i]))
  endif
endfor

call writefile(s:errors, $MLP_VIM_TEST_LOG, 'a')
call writefile([s:checked], $MLP_VIM_TEST_LOG . '.done')
qall!
VIM

# ---- a fixture with every construct --------------------------------------------------------
cat > "$tmp/fixture.vim" <<'VIM'
let s:errors = []
function! s:At(lnum, col, group) abort
  let g = synIDattr(synID(a:lnum, a:col, 1), 'name')
  if g !=# a:group
    call add(s:errors, printf('fixture line %d col %d (%s): expected %s, got "%s"', a:lnum, a:col,
          \ strpart(getline(a:lnum), a:col - 1, 16), a:group, g))
  endif
endfunction
" line 1: /// Doc TODO
call s:At(1, 1, 'mlpDocComment')
call s:At(1, 12, 'mlpTodo')
" line 2: model net = mlp(hidden: [64, 32], on: true) {  // trailing
call s:At(2, 1, 'mlpDefKeyword')
call s:At(2, 7, 'mlpDefName')
call s:At(2, 11, 'mlpOperator')
call s:At(2, 13, 'mlpCall')
call s:At(2, 17, 'mlpArgName')
call s:At(2, 26, 'mlpNumber')
call s:At(2, 35, 'mlpArgName')
call s:At(2, 39, 'mlpBoolean')
call s:At(2, 45, 'mlpBrace')
call s:At(2, 48, 'mlpComment')
" line 3:   optimizer = adam(lr: 3e-4, decay: 1E+2, warmup: 5%)
call s:At(3, 3, 'mlpSettingKey')
call s:At(3, 24, 'mlpNumber')
call s:At(3, 27, 'mlpNumber')
call s:At(3, 37, 'mlpNumber')
call s:At(3, 40, 'mlpNumber')
call s:At(3, 51, 'mlpNumber')
call s:At(3, 52, 'mlpNumber')
call s:At(3, 53, 'mlpDelimiter')
" line 4:   path = "a\"b\\c" // c
call s:At(4, 10, 'mlpString')
call s:At(4, 12, 'mlpEscape')
call s:At(4, 15, 'mlpEscape')
call s:At(4, 18, 'mlpString')
call s:At(4, 20, 'mlpComment')
" line 5:   model = if x then 1 else not y
call s:At(5, 3, 'mlpSettingKey')
call s:At(5, 11, 'mlpConditional')
call s:At(5, 16, 'mlpConditional')
call s:At(5, 23, 'mlpConditional')
call s:At(5, 28, 'mlpOperatorWord')
" line 6:   schema {
" line 7:     pixels: image(1, 8, 8)
call s:At(7, 5, 'mlpColumnName')
call s:At(7, 13, 'mlpCall')
" line 8:   }
" line 9: }
call s:At(9, 1, 'mlpBrace')
" line 11: objective minimize loss
call s:At(11, 1, 'mlpDefKeyword')
call s:At(11, 11, 'mlpKeyword')
" line 12: import "x.mlp"
call s:At(12, 1, 'mlpInclude')
call s:At(12, 8, 'mlpString')
" line 14: monitor api {
" line 15:   drift psi > 0.2 -> warn
call s:At(15, 3, 'mlpKeyword')
call s:At(15, 13, 'mlpOperator')
call s:At(15, 19, 'mlpOperator')
call s:At(15, 20, 'mlpOperator')
" line 16:   acc < 0.9 over 500 labelled -> retrain
call s:At(16, 13, 'mlpKeyword')
" line 17:   m beats b on acc by 20% and x == y or z != 2nd
call s:At(17, 5, 'mlpKeyword')
call s:At(17, 13, 'mlpKeyword')
call s:At(17, 20, 'mlpKeyword')
call s:At(17, 23, 'mlpNumber')
call s:At(17, 27, 'mlpOperatorWord')
call s:At(17, 33, 'mlpOperator')
call s:At(17, 43, 'mlpOperator')
call s:At(17, 46, '')
" line 18: }
" line 20: extern baseline linear(l2: float = 0.0) -> score { tasks = [binary] }
call s:At(20, 1, 'mlpDefKeyword')
call s:At(20, 8, 'mlpExternKind')
call s:At(20, 17, 'mlpDefName')
call s:At(20, 41, 'mlpOperator')
call s:At(20, 52, 'mlpSettingKey')
" line 21: model = x   (flush left, not followed by a name: not a definition)
call s:At(21, 1, 'mlpSettingKey')
" folds
if foldlevel(3) < 1 || foldlevel(7) < 2 || foldlevel(15) < 1 || foldlevel(11) != 0
  call add(s:errors, printf('fixture folds: levels %d %d %d %d', foldlevel(3), foldlevel(7),
        \ foldlevel(15), foldlevel(11)))
endif
" comment settings: `gcc`-style plugins use commentstring; `o` continues a doc comment
call cursor(1, 1)
execute "normal! A more\<Esc>ox\<Esc>"
if getline(2) !=# '/// x'
  call add(s:errors, 'fixture: `o` after a `///` line gave "' . getline(2) . '", expected "/// x"')
endif
call writefile(s:errors, $MLP_VIM_TEST_LOG, 'a')
call writefile(['done'], $MLP_VIM_TEST_LOG . '.done')
qall!
VIM

cat > "$tmp/fixture.mlp" <<'MLP'
/// Doc TODO
model net = mlp(hidden: [64, 32], on: true) {  // trailing
  optimizer = adam(lr: 3e-4, decay: 1E+2, warmup: 5%)
  path = "a\"b\\c" // c
  model = if x then 1 else not y
  schema {
    pixels: image(1, 8, 8)
  }
}

objective minimize loss
import "x.mlp"

monitor api {
  drift psi > 0.2 -> warn
  acc < 0.9 over 500 labelled -> retrain
  m beats b on acc by 20% and x == y or z != 2nd
}

extern baseline linear(l2: float = 0.0) -> score { tasks = [binary] }
model = x
MLP

export MLP_VIM_TEST_LOG="$tmp/errors.log"
: > "$MLP_VIM_TEST_LOG"

run_vim() {  # run_vim SCRIPT FILE
  rm -f "$MLP_VIM_TEST_LOG.done"
  "$vim_bin" -Nu NONE -i NONE -es \
    --cmd "set rtp^=$here" --cmd 'syntax on' --cmd 'filetype plugin indent on' \
    -S "$1" "$2" </dev/null || { echo "$2: vim exited with status $?" >> "$MLP_VIM_TEST_LOG"; }
  # The script writes the .done file last: without it, vim stopped before the end of the checks.
  if [[ ! -s "$MLP_VIM_TEST_LOG.done" ]]; then
    echo "$2: the checks did not run to the end" >> "$MLP_VIM_TEST_LOG"
  elif [[ "$1" == */check.vim && "$(cat "$MLP_VIM_TEST_LOG.done")" -lt 5 ]]; then
    echo "$2: only $(cat "$MLP_VIM_TEST_LOG.done") syntax positions checked (expected 5 or more)" >> "$MLP_VIM_TEST_LOG"
  fi
}

status=0
run_vim "$tmp/fixture.vim" "$tmp/fixture.mlp"
if [[ -s "$MLP_VIM_TEST_LOG" ]]; then
  echo "FAIL fixture (every construct)"; sed 's/^/     /' "$MLP_VIM_TEST_LOG"; status=1
else
  echo "ok   fixture (every construct)"
fi

for f in "${files[@]}"; do
  name="${f#"$root"/}"
  if [[ ! -f "$f" ]]; then
    echo "FAIL $name: no such file"; status=1; continue
  fi
  target="$f"
  note="as is (no mlpc binary to format it)"
  if [[ -n "$mlpc" ]]; then
    # Test the formatted text, so that the indent check means "gg=G agrees with mlpc fmt".
    target="$tmp/$(basename "$f")"
    if "$mlpc" fmt - < "$f" > "$target" 2> "$tmp/fmt.err"; then
      note="formatted by mlpc fmt"
      cmp -s "$f" "$target" || note="$note; the file itself is not formatted"
    else
      cp "$f" "$target"; note="as is: mlpc fmt failed: $(head -1 "$tmp/fmt.err")"
    fi
  fi
  one="$tmp/one.log"
  : > "$one"
  MLP_VIM_TEST_LOG="$one" run_vim "$tmp/check.vim" "$target"
  if [[ -s "$one" ]]; then
    echo "FAIL $name"; sed "s|$tmp/[^:]*: ||; s|^|     |" "$one"; status=1
  else
    echo "ok   $name ($note)"
  fi
done


[[ $status -eq 0 ]] && echo "editors/vim/test.sh: all checks passed" || echo "editors/vim/test.sh: FAILED"
exit $status
