//! Events to a tree: the first document of a text, with anchors, aliases and
//! merge keys resolved as go-yaml v3 resolves them.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::error::{Error, ErrorKind};
use super::resolve::Style;

/// Aliases are expanded into copies; this many nodes in all is the most a
/// document may expand to (a few "billion laughs" levels stop here instead
/// of exhausting memory).
const NODE_BUDGET: usize = 4_000_000;

/// A place in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mark {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// A composed YAML node.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What it holds.
    pub kind: NodeKind,
    /// Where it starts.
    pub mark: Mark,
}

/// The three kinds of YAML node.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A scalar as written, with its style and tag.
    Scalar {
        /// The text, quotes and escapes processed.
        text: String,
        /// Plain or quoted.
        style: Style,
        /// A core-schema tag suffix (`str`, `int`...), `""` for the
        /// non-specific `!`, a custom tag in full, or none.
        tag: Option<String>,
    },
    /// A sequence.
    Sequence(Vec<Node>),
    /// A mapping with merge keys applied: explicit keys in order, then the
    /// keys merged in that they did not set.
    Mapping(Vec<(Node, Node)>),
}

impl Node {
    /// The null node (an empty document).
    pub fn null() -> Node {
        Node { kind: NodeKind::Scalar { text: String::new(), style: Style::Plain, tag: None }, mark: Mark::default() }
    }

    /// The scalar's text, when this is a scalar.
    pub fn scalar_text(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// A mapping's value for a string key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Mapping(entries) => entries.iter().find(|(k, _)| k.scalar_text() == Some(key)).map(|(_, v)| v),
            _ => None,
        }
    }

    fn is_merge_key(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { text, style: Style::Plain, tag } if text == "<<"
            && matches!(tag.as_deref(), None | Some("") | Some("merge")))
    }
}

/// The first document of `text`; an empty text is the null node.
pub fn first_document(text: &str) -> Result<Node, Error> {
    let mut composer = Composer { parser: Parser::new_from_str(text), anchors: HashMap::new(), budget: NODE_BUDGET };
    loop {
        let (event, span) = composer.next()?;
        match event {
            Event::StreamStart | Event::DocumentStart(_) | Event::Nothing => continue,
            Event::StreamEnd | Event::DocumentEnd => return Ok(Node::null()),
            _ => return composer.node(event, span),
        }
    }
}

struct Composer<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Node>,
    budget: usize,
}

impl<'a> Composer<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), Error> {
        match self.parser.next_event() {
            Some(Ok(pair)) => Ok(pair),
            Some(Err(e)) => Err(Error {
                kind: ErrorKind::Syntax(e.info().to_string()),
                path: Vec::new(),
                line: Some(e.marker().line()),
                column: Some(e.marker().col() + 1),
            }),
            None => Err(Error::new(ErrorKind::Syntax("unexpected end of the document".into()))),
        }
    }

    fn spend(&mut self, nodes: usize, mark: Mark) -> Result<(), Error> {
        self.budget = self.budget.checked_sub(nodes).ok_or_else(|| {
            Error::at(
                ErrorKind::Message(format!(
                    "the document expands its aliases to more than {NODE_BUDGET} nodes; this looks like an alias bomb"
                )),
                mark,
            )
        })?;
        Ok(())
    }

    fn node(&mut self, event: Event<'a>, span: Span) -> Result<Node, Error> {
        let mark = Mark { line: span.start.line(), column: span.start.col() + 1 };
        self.spend(1, mark)?;
        let (node, anchor) = match event {
            Event::Alias(id) => {
                let target = self.anchors.get(&id).ok_or_else(|| {
                    Error::at(ErrorKind::Message("an alias refers to an anchor not defined before it".into()), mark)
                })?;
                let size = count(target);
                let node = Node { kind: target.kind.clone(), mark };
                self.spend(size, mark)?;
                return Ok(node);
            }
            Event::Scalar(text, style, anchor, tag) => {
                let style = if style == ScalarStyle::Plain { Style::Plain } else { Style::Quoted };
                let tag = tag.map(|t| {
                    if t.is_yaml_core_schema() {
                        t.suffix.clone()
                    } else if t.handle == "!" && t.suffix.is_empty() {
                        String::new()
                    } else {
                        format!("{}{}", t.handle, t.suffix)
                    }
                });
                (Node { kind: NodeKind::Scalar { text: text.into_owned(), style, tag }, mark }, anchor)
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(event, span)?);
                }
                (Node { kind: NodeKind::Sequence(items), mark }, anchor)
            }
            Event::MappingStart(anchor, _) => {
                let mut entries = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::MappingEnd) {
                        break;
                    }
                    let key = self.node(event, span)?;
                    let (event, span) = self.next()?;
                    let value = self.node(event, span)?;
                    entries.push((key, value));
                }
                (Node { kind: NodeKind::Mapping(apply_merges(entries)?), mark }, anchor)
            }
            other => {
                return Err(Error::at(ErrorKind::Syntax(format!("unexpected YAML event {other:?}")), mark));
            }
        };
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }
}

fn count(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Scalar { .. } => 1,
        NodeKind::Sequence(items) => 1 + items.iter().map(count).sum::<usize>(),
        NodeKind::Mapping(entries) => 1 + entries.iter().map(|(k, v)| count(k) + count(v)).sum::<usize>(),
    }
}

/// Refuses duplicate keys and applies `<<` as go-yaml v3 decodes it: keys
/// written in the mapping win; then each merged mapping in order adds the
/// keys not set yet (so the first of a list of merged mappings wins). A
/// merged mapping already had its own merges applied when it was composed,
/// which is what makes merges inside merged anchors work.
fn apply_merges(entries: Vec<(Node, Node)>) -> Result<Vec<(Node, Node)>, Error> {
    let mut own: Vec<(Node, Node)> = Vec::with_capacity(entries.len());
    let mut merges = Vec::new();
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    for (key, value) in entries {
        if let NodeKind::Scalar { text, .. } = &key.kind
            && let Some(first_line) = first_seen.insert(text.clone(), key.mark.line)
        {
            return Err(Error::at(ErrorKind::DuplicateKey { key: text.clone(), first_line }, key.mark));
        }
        if key.is_merge_key() {
            merges.push(value);
        } else {
            own.push((key, value));
        }
    }
    let want_map =
        |mark| Error::at(ErrorKind::Message("a merge (`<<`) needs a mapping or a list of mappings".into()), mark);
    for merge in merges {
        let sources = match merge.kind {
            NodeKind::Mapping(entries) => vec![entries],
            NodeKind::Sequence(items) => items
                .into_iter()
                .map(|item| match item.kind {
                    NodeKind::Mapping(entries) => Ok(entries),
                    _ => Err(want_map(item.mark)),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(want_map(merge.mark)),
        };
        for entries in sources {
            for (key, value) in entries {
                let taken = own.iter().any(|(k, _)| same_key(k, &key));
                if !taken {
                    own.push((key, value));
                }
            }
        }
    }
    Ok(own)
}

fn same_key(a: &Node, b: &Node) -> bool {
    match (&a.kind, &b.kind) {
        (NodeKind::Scalar { text: x, .. }, NodeKind::Scalar { text: y, .. }) => x == y,
        _ => a.kind == b.kind,
    }
}
