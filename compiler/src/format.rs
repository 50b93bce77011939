//! The canonical formatter behind `mlpc fmt`: prints a parsed file in the one house style, keeping
//! every comment. It prints the tree, not the text, so it can only run on a file without syntax
//! errors; `parse(format(x))` equals `parse(x)` up to spans, and formatting is idempotent.
//!
//! Style: 2-space indent, one setting or statement per line, every non-empty block on several
//! lines, `key = value` with single spaces, a blank line between top-level definitions (runs of
//! imports keep the user's choice), at most one blank line kept between block items and none at a
//! block's start or end, long lines never wrapped.
//!
//! Comments live in a side table, so they are woven back in by position: each output line stands
//! for a range of the source, and a comment goes before the first line whose range starts after
//! it, or at the end of the line whose code precedes it on its source line. Expressions print on
//! one line, so comments from inside a multi-line expression have no place of their own: the first
//! ends the line, the others follow it on lines of their own.

use crate::ast::*;
use crate::diagnostic::{Diagnostic, FileId};
use crate::syntax;

const INDENT: &str = "  ";

/// Formats a whole file, or returns its syntax diagnostics when it has errors.
pub fn format(text: &str) -> Result<String, Vec<Diagnostic>> {
    let (ast, diagnostics) = syntax::parse(text, FileId(0));
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics);
    }
    Ok(format_ast(&ast, text))
}

/// Formats a parsed file; `text` is the source the tree was parsed from (for comment placement and
/// blank lines). Parts that did not parse are copied verbatim.
pub fn format_ast(ast: &Ast, text: &str) -> String {
    let mut printer = Printer {
        text,
        comments: &ast.comments,
        next_comment: 0,
        out: String::new(),
        last: Last::Start,
        keep_source_commas: false,
        dropped_comma: false,
    };
    printer.top_level(&ast.items);
    printer.out
}

/// Whether two consecutive top-level items may go without a blank line between them (they keep
/// the user's choice). A run of imports, or of one-line definitions (metrics, features,
/// baselines, the objective), reads best as one group; definitions with a block always get one.
fn may_touch(prev: &Item, next: &Item) -> bool {
    let one_line = |item: &Item| match item {
        Item::Definition(def) => def.body.is_none(),
        Item::Objective(_) => true,
        _ => false,
    };
    matches!((prev, next), (Item::Import(_), Item::Import(_))) || (one_line(prev) && one_line(next))
}

/// Whether `printed`, one top-level item as printed, parses back to `item` (doc comments aside:
/// they were printed before the item).
fn reads_back_as(printed: &str, item: &Item) -> bool {
    let (ast, diagnostics) = syntax::parse(printed, FileId(0));
    diagnostics.is_empty() && ast.items.len() == 1 && item_shape(&ast.items[0]) == item_shape(item)
}

fn item_shape(item: &Item) -> String {
    let mut item = item.clone();
    match &mut item {
        Item::Definition(Definition { doc, .. })
        | Item::Objective(Objective { doc, .. })
        | Item::Extern(Extern { doc, .. }) => *doc = None,
        Item::Import(_) | Item::Error(_) => {}
    }
    without_spans(&format!("{item:#?}"))
}

/// A rendering of the tree without spans, and of the comments as their texts alone, so two parses
/// can be compared for sameness of meaning: the formatter's tests and fuzz target use it.
#[doc(hidden)]
pub fn syntax_shape(ast: &Ast) -> String {
    let mut out = without_spans(&format!("{:#?}", ast.items));
    for comment in &ast.comments {
        out.push('\n');
        out.push_str(&comment.text);
    }
    out
}

/// Replaces every span in a `{:#?}` rendering with `Span`. A pretty-printed span spreads over
/// four lines, and string literals render their line breaks as `\n`, so no string's content can
/// pass for one.
fn without_spans(debug: &str) -> String {
    const OPEN: &str = "Span {\n";
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at]);
        let after = &rest[at + OPEN.len()..];
        match span_fields_len(after) {
            Some(len) => {
                out.push_str("Span");
                rest = &after[len..];
            }
            None => {
                out.push_str(OPEN);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The length of `start: N,\n end: N,\n }` (with indentation) at the start of `text`, if it is there.
fn span_fields_len(text: &str) -> Option<usize> {
    let mut rest = text;
    for field in ["start: ", "end: "] {
        rest = rest.trim_start_matches(' ').strip_prefix(field)?;
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        rest = rest[digits..].strip_prefix(",\n").filter(|_| digits > 0)?;
    }
    rest = rest.trim_start_matches(' ').strip_prefix('}')?;
    Some(text.len() - rest.len())
}

/// What the printer emitted last, which decides whether a blank line may come next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Last {
    /// Nothing yet, in the file or in the current block.
    Start,
    Item,
    Comment,
    /// A comment moved out of a multi-line expression onto a line of its own.
    Moved,
}

struct Printer<'a> {
    text: &'a str,
    comments: &'a [Comment],
    /// Comments before this index have been printed.
    next_comment: usize,
    out: String,
    last: Last,
    /// Keep every comma the source put between two block items (see [`Printer::top_level`]).
    keep_source_commas: bool,
    /// Whether a comma between block items was left out since this was last reset.
    dropped_comma: bool,
}

impl Printer<'_> {
    fn top_level(&mut self, items: &[Item]) {
        for (n, item) in items.iter().enumerate() {
            let start = item.span().start;
            let touching = n > 0 && may_touch(&items[n - 1], item);
            // A blank line separates definitions, so comments between two of them join the next.
            self.comments_before(start, 0, !touching);
            let blank = match self.last {
                Last::Start => false,
                Last::Item => !touching || self.blank_line_before(start),
                Last::Comment => self.blank_line_before(start),
                // A moved comment is kept apart from what follows: directly above a definition
                // it would become part of that definition's doc comment.
                Last::Moved => true,
            };
            if blank {
                self.out.push('\n');
            }
            let blank_after = items.get(n + 1).is_some_and(|next| !may_touch(item, next));
            // Line breaks separate block items, and the grammar reads them as blanks. Which source
            // commas are still needed for the items to read back is mostly local (`x = a, (b)`)
            // but not always: in `c` / `over, d on t >= 1` it is the last comma that stops `c`
            // from reading `over d on` as its window. So an item whose commas were thinned out is
            // parsed back, and printed with all its source commas if it reads differently; with
            // them it has the source's very tokens.
            let (mark, next_comment, last) = (self.out.len(), self.next_comment, self.last);
            self.dropped_comma = false;
            self.item(item, blank_after);
            if self.dropped_comma && !reads_back_as(&self.out[mark..], item) {
                self.out.truncate(mark);
                (self.next_comment, self.last) = (next_comment, last);
                self.keep_source_commas = true;
                self.item(item, blank_after);
                self.keep_source_commas = false;
            }
        }
        // Comments at the end of the file keep the user's spacing from the last definition.
        self.comments_before(self.text.len(), 0, false);
    }

    /// Prints the not-yet-printed comments that start before `limit`, each on its own line.
    /// `blank_after_item` forces a blank line between a preceding item and the first comment.
    fn comments_before(&mut self, limit: usize, indent: usize, blank_after_item: bool) {
        while let Some(comment) = self.comments.get(self.next_comment).filter(|c| c.span.start < limit) {
            self.next_comment += 1;
            let blank = match self.last {
                Last::Start => false,
                Last::Item => blank_after_item || self.blank_line_before(comment.span.start),
                Last::Comment => self.blank_line_before(comment.span.start),
                Last::Moved => indent == 0 || self.blank_line_before(comment.span.start),
            };
            if blank {
                self.out.push('\n');
            }
            self.push_indent(indent);
            self.push_comment(comment);
            self.last = Last::Comment;
        }
    }

    /// True when the source has a blank line between `at` and the code or comment before it.
    fn blank_line_before(&self, at: usize) -> bool {
        let before = &self.text[..at];
        let code_end = before.trim_end_matches([' ', '\t', '\r', '\n']).len();
        code_end > 0 && before[code_end..].matches('\n').count() >= 2
    }

    /// Writes a comment and ends its line.
    fn push_comment(&mut self, comment: &Comment) {
        self.out.push_str(&comment.text);
        // The parser takes one `\r` before a line break as part of the break, so a comment that
        // really ends in `\r` (from `\r\r\n`) needs a second one to read back the same.
        if comment.text.ends_with('\r') {
            self.out.push('\r');
        }
        self.out.push('\n');
    }

    fn push_indent(&mut self, indent: usize) {
        for _ in 0..indent {
            self.out.push_str(INDENT);
        }
    }

    /// Writes one output line standing for the source code that ends at `end`, then the comments that
    /// code carries: the first ends the line, any others (from inside a multi-line expression)
    /// follow on lines of their own at `moved_indent`. Returns whether any were moved.
    /// `blank_before_moved` puts a blank line between the line and the moved comments.
    fn line(
        &mut self,
        indent: usize,
        content: &str,
        end: usize,
        moved_indent: usize,
        blank_before_moved: bool,
    ) -> bool {
        self.push_indent(indent);
        self.out.push_str(content);
        self.last = Last::Item;
        let mut moved = false;
        let mut first = true;
        while let Some(comment) = self.comments.get(self.next_comment) {
            let inside = comment.span.start < end;
            if !inside && !self.ends_line(end, comment) {
                break;
            }
            self.next_comment += 1;
            if first {
                self.out.push_str("  ");
                self.push_comment(comment);
                first = false;
                continue;
            }
            if !moved && blank_before_moved {
                self.out.push('\n');
            }
            moved = true;
            self.push_indent(moved_indent);
            self.push_comment(comment);
        }
        if first {
            self.out.push('\n');
        }
        if moved {
            self.last = Last::Moved;
        }
        moved
    }

    /// True when `comment` follows the code ending at `end` on the same source line, with at
    /// most the commas that separate block items in between.
    fn ends_line(&self, end: usize, comment: &Comment) -> bool {
        comment.span.start >= end
            && self.text[end..comment.span.start].bytes().all(|b| matches!(b, b' ' | b'\t' | b','))
    }

    /// Prints a top-level item; `blank_after` says whether a blank line will separate it from
    /// what follows (comments moved out of it then keep to that rule).
    fn item(&mut self, item: &Item, blank_after: bool) {
        match item {
            Item::Import(import) => {
                let content = format!("import {}", string_literal(&import.path.value));
                self.line(0, &content, import.span.end, 0, blank_after);
            }
            Item::Objective(objective) => {
                let mut content = format!("objective {} ", objective.direction.as_str());
                expr(&mut content, &objective.metric, self.text);
                self.line(0, &content, objective.span.end, 0, blank_after);
            }
            Item::Definition(def) => {
                let mut header = format!("{} {}", def.kind.keyword(), def.name.name);
                if let Some(value) = &def.value {
                    header.push_str(" = ");
                    expr(&mut header, value, self.text);
                }
                self.with_body(0, header, def.span, def.body.as_ref(), "", blank_after);
            }
            Item::Extern(ext) => {
                let mut header = format!("extern {} {}(", ext.kind.name, ext.name.name);
                for (n, param) in ext.params.iter().enumerate() {
                    if n > 0 {
                        header.push_str(", ");
                    }
                    header.push_str(&param.name.name);
                    header.push_str(": ");
                    type_expr(&mut header, &param.ty, self.text);
                    if let Some(default) = &param.default {
                        header.push_str(" = ");
                        expr(&mut header, default, self.text);
                    }
                }
                header.push(')');
                if let Some(returns) = &ext.returns {
                    header.push_str(" -> ");
                    type_expr(&mut header, returns, self.text);
                }
                self.with_body(0, header, ext.span, ext.body.as_ref(), "", blank_after);
            }
            Item::Error(span) => self.verbatim(*span),
        }
    }

    /// Copies a part that did not parse as it was written, comments included.
    fn verbatim(&mut self, span: crate::span::Span) {
        self.out.push_str(&self.text[span.start..span.end]);
        self.out.push('\n');
        while self.comments.get(self.next_comment).is_some_and(|c| c.span.start < span.end) {
            self.next_comment += 1;
        }
        self.last = Last::Item;
    }

    /// Prints `header`, then the block if there is one. `separator` (a comma or nothing) goes after
    /// the last code of the item.
    fn with_body(
        &mut self,
        indent: usize,
        header: String,
        span: crate::span::Span,
        body: Option<&Block>,
        separator: &str,
        blank_after: bool,
    ) {
        let Some(block) = body else {
            let content = header + separator;
            self.line(indent, &content, span.end, indent, blank_after);
            return;
        };
        let close = block.span.end - 1;
        let has_comments =
            self.comments[self.next_comment..].iter().any(|c| c.span.start > block.span.start && c.span.start < close);
        if block.items.is_empty() && !has_comments {
            let content = format!("{header} {{}}{separator}");
            self.line(indent, &content, block.span.end, indent, blank_after);
            return;
        }
        let content = header + " {";
        self.line(indent, &content, block.span.start + 1, indent + 1, false);
        self.block_items(&block.items, indent + 1, close);
        let content = format!("}}{separator}");
        self.line(indent, &content, block.span.end, indent, blank_after);
    }

    /// Prints a block's items and comments; `close` is where its `}` is.
    fn block_items(&mut self, items: &[BlockItem], indent: usize, close: usize) {
        // Comments moved out of the block's header line are already its first lines.
        if self.last != Last::Moved {
            self.last = Last::Start;
        }
        for (n, item) in items.iter().enumerate() {
            let start = item.span().start;
            self.comments_before(start, indent, false);
            if self.last != Last::Start && self.blank_line_before(start) {
                self.out.push('\n');
            }
            let separator = match items.get(n + 1) {
                Some(next) if self.comma_between(item.span().end, next.span().start) => {
                    if self.keep_source_commas || self.joins(item, next) {
                        ","
                    } else {
                        self.dropped_comma = true;
                        ""
                    }
                }
                _ => "",
            };
            self.block_item(item, indent, separator);
        }
        self.comments_before(close, indent, false);
    }

    /// Whether `next` could continue `item` if only a line break separated them: `x = a` and
    /// `(b)` would read as the call `a(b)`, `x = a` and `-b` as a subtraction, `c` and `on` as the
    /// start of `c on split > bound`. Then the comma between them stays.
    fn joins(&self, item: &BlockItem, next: &BlockItem) -> bool {
        if matches!(item, BlockItem::Nested { .. }) {
            return false;
        }
        let head = match next {
            BlockItem::Setting { key: name, .. }
            | BlockItem::Nested { name, .. }
            | BlockItem::Column { name, .. }
            | BlockItem::Beats { model: name, .. } => name.name.clone(),
            BlockItem::Rule(rule) if rule.drift => return false,
            BlockItem::Rule(rule) => {
                let mut head = String::new();
                expr(&mut head, &rule.subject, self.text);
                head
            }
        };
        let word: String = head.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        head.starts_with(['(', '-']) || ["on", "over", "by", "beats"].contains(&word.as_str())
    }

    /// True when the source has a comma between `from` and `to`, outside comments.
    fn comma_between(&self, from: usize, to: usize) -> bool {
        let mut in_comment = false;
        let bytes = &self.text.as_bytes()[from..to];
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'\n' => in_comment = false,
                b'/' if bytes.get(i + 1) == Some(&b'/') => in_comment = true,
                b',' if !in_comment => return true,
                _ => {}
            }
        }
        false
    }

    fn block_item(&mut self, item: &BlockItem, indent: usize, separator: &str) {
        let mut content = String::new();
        match item {
            BlockItem::Setting { key, value, .. } => {
                content.push_str(&key.name);
                content.push_str(" = ");
                expr(&mut content, value, self.text);
            }
            BlockItem::Nested { name, block, span } => {
                self.with_body(indent, name.name.clone(), *span, Some(block), separator, false);
                return;
            }
            BlockItem::Column { name, ty, .. } => {
                content.push_str(&name.name);
                content.push_str(": ");
                type_expr(&mut content, ty, self.text);
            }
            BlockItem::Beats { model, baseline, metric, margin, .. } => {
                content.push_str(&format!("{} beats {} on {}", model.name, baseline.name, metric.name));
                if let Some(margin) = margin {
                    content.push_str(" by ");
                    expr(&mut content, margin, self.text);
                }
            }
            BlockItem::Rule(rule) => {
                if rule.drift {
                    content.push_str("drift ");
                }
                expr(&mut content, &rule.subject, self.text);
                if let Some(on) = &rule.on {
                    content.push_str(&format!(" on {} {} ", on.split.name, on.op.as_str()));
                    expr(&mut content, &on.bound, self.text);
                }
                if let Some((count, unit)) = &rule.over {
                    content.push_str(" over ");
                    expr(&mut content, count, self.text);
                    content.push(' ');
                    content.push_str(&unit.name);
                }
                if let Some(action) = &rule.action {
                    content.push_str(" -> ");
                    expr(&mut content, action, self.text);
                }
            }
        }
        content.push_str(separator);
        self.line(indent, &content, item.span().end, indent, false);
    }
}

/// Appends an expression on one line: its canonical text (`Display` in ast.rs). Parentheses are
/// exactly the tree's `Paren` nodes: the tree came from this very token sequence, so printing it
/// in order parses back to the same tree.
fn expr(out: &mut String, e: &Expr, text: &str) {
    match &e.kind {
        // Only in trees with syntax errors, which `format` refuses; keep what was written.
        ExprKind::Error => out.push_str(text.get(e.span.start..e.span.end).unwrap_or_default()),
        _ => out.push_str(&e.to_string()),
    }
}

fn arg_list(out: &mut String, args: &[Arg], _text: &str) {
    out.push('(');
    // Writing into a String cannot fail.
    let _ = crate::ast::write_args(out, args);
    out.push(')');
}

fn type_expr(out: &mut String, ty: &TypeExpr, text: &str) {
    match ty {
        TypeExpr::Named { name, args, .. } => {
            out.push_str(&name.name);
            if let Some(args) = args {
                arg_list(out, args, text);
            }
        }
        TypeExpr::List { element, .. } => {
            out.push('[');
            type_expr(out, element, text);
            out.push(']');
        }
    }
}

/// A string literal that reads back as `value`. Other control characters stay as they are: the
/// grammar only forbids raw line breaks and has no escape for the rest.
fn string_literal(value: &str) -> String {
    format!("\"{}\"", crate::ast::escape(value))
}
