" Vim/Neovim filetype detection for mlpc pipeline specs (*.mlp).
"
" Vim's own filetype.vim maps *.mlp to OCaml (camlp4 sources) with `setf`, which runs before the
" ftdetect scripts, so this overrides it with `set filetype` (see :help ftdetect).
" Set g:mlp_no_ftdetect = 1 before `filetype on` to keep the default.
if get(g:, 'mlp_no_ftdetect', 0)
  finish
endif

autocmd BufNewFile,BufRead *.mlp set filetype=mlp
