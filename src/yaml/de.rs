//! A serde `Deserializer` over composed nodes that decodes as go-yaml v3
//! decodes into Go values:
//! - into a string, a scalar gives its literal text (`version: 1.10` is
//!   `"1.10"`, never `1.1`);
//! - into a bool, `true`/`false` and YAML 1.1's `yes`/`no`/`on`/`off`/`y`/`n`
//!   (v3's compatibility rule for typed bools);
//! - into anything untyped (`serde_yaml_ng::Value`, untagged enums), the
//!   resolved scalar ([`super::resolve`]);
//! - null into a list, map or struct is an empty one, into a scalar its zero
//!   value.
//!
//! Every error carries the key path and the line and column of the node
//! that caused it.

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

use super::compose::{Node, NodeKind};
use super::error::{Error, ErrorKind, PathSegment};
use super::resolve::{Scalar, resolve};

pub(super) fn from_node<T: DeserializeOwned>(node: &Node) -> Result<T, Error> {
    T::deserialize(NodeDe { node, path: Path::Root })
}

/// The path to a node, as a linked list on the stack.
#[derive(Clone, Copy)]
enum Path<'p> {
    Root,
    Key(&'p str, &'p Path<'p>),
    Index(usize, &'p Path<'p>),
}

impl Path<'_> {
    fn segments(&self) -> Vec<PathSegment> {
        let mut out = Vec::new();
        let mut at = self;
        loop {
            match at {
                Path::Root => break,
                Path::Key(key, parent) => {
                    out.push(PathSegment::Key((*key).to_string()));
                    at = parent;
                }
                Path::Index(i, parent) => {
                    out.push(PathSegment::Index(*i));
                    at = parent;
                }
            }
        }
        out.reverse();
        out
    }
}

struct NodeDe<'n, 'p> {
    node: &'n Node,
    path: Path<'p>,
}

impl NodeDe<'_, '_> {
    /// Gives an error that has no place yet this node's place.
    fn locate(&self, mut e: Error) -> Error {
        if e.line.is_none() {
            e.line = Some(self.node.mark.line);
            e.column = Some(self.node.mark.column);
        }
        if e.path.is_empty() {
            e.path = self.path.segments();
        }
        e
    }

    fn scalar(&self) -> Result<Option<Scalar>, Error> {
        match &self.node.kind {
            NodeKind::Scalar { text, style, tag } => resolve(text, *style, tag.as_deref())
                .map(Some)
                .map_err(|m| self.locate(Error::new(ErrorKind::Message(m)))),
            _ => Ok(None),
        }
    }

    fn is_null(&self) -> Result<bool, Error> {
        Ok(matches!(self.scalar()?, Some(Scalar::Null)))
    }

    fn kind_name(&self) -> String {
        match &self.node.kind {
            NodeKind::Scalar { text, .. } => format!("`{}`", shorten(text)),
            NodeKind::Sequence(_) => "a list".into(),
            NodeKind::Mapping(_) => "a mapping".into(),
        }
    }

    fn mismatch(&self, expected: &str) -> Error {
        self.locate(Error::new(ErrorKind::Message(format!("expected {expected}, found {}", self.kind_name()))))
    }

    fn visit_number<'de, V: Visitor<'de>>(&self, visitor: V, expected: &str) -> Result<V::Value, Error> {
        match self.scalar()? {
            Some(Scalar::Int(i)) => visitor.visit_i64(i),
            Some(Scalar::Uint(u)) => visitor.visit_u64(u),
            // go-yaml v3 truncates a float decoded into an integer.
            Some(Scalar::Float(f)) if expected == "an integer" && f.is_finite() => visitor.visit_i64(f as i64),
            Some(Scalar::Float(f)) => visitor.visit_f64(f),
            Some(Scalar::Null) => visitor.visit_i64(0),
            _ => Err(self.mismatch(expected)),
        }
    }
}

fn shorten(text: &str) -> String {
    let first_line = text.lines().next().unwrap_or_default();
    if first_line.chars().count() > 40 || first_line.len() < text.len() {
        format!("{}...", first_line.chars().take(40).collect::<String>())
    } else {
        first_line.to_string()
    }
}

macro_rules! forward_numbers {
    ($($method:ident => $expected:literal),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                self.visit_number(visitor, $expected).map_err(|e| self.locate(e))
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for NodeDe<'_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match &self.node.kind {
            NodeKind::Sequence(items) => {
                visitor.visit_seq(SeqAccess { items: items.iter(), index: 0, parent: self.path })
            }
            NodeKind::Mapping(entries) => visitor.visit_map(MapAccess { entries, next: 0, parent: self.path }),
            NodeKind::Scalar { .. } => match self.scalar()? {
                Some(Scalar::Null) => visitor.visit_unit(),
                Some(Scalar::Bool(b)) => visitor.visit_bool(b),
                Some(Scalar::Int(i)) => visitor.visit_i64(i),
                Some(Scalar::Uint(u)) => visitor.visit_u64(u),
                Some(Scalar::Float(f)) => visitor.visit_f64(f),
                Some(Scalar::Timestamp(s) | Scalar::Str(s)) => visitor.visit_string(s),
                None => unreachable_kind(),
            },
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let value = match self.scalar()? {
            Some(Scalar::Bool(b)) => b,
            Some(Scalar::Null) => false,
            Some(Scalar::Str(s)) => match s.as_str() {
                "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => true,
                "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => false,
                _ => return Err(self.mismatch("a boolean (true or false)")),
            },
            _ => return Err(self.mismatch("a boolean (true or false)")),
        };
        visitor.visit_bool(value).map_err(|e| self.locate(e))
    }

    forward_numbers! {
        deserialize_i8 => "an integer", deserialize_i16 => "an integer", deserialize_i32 => "an integer",
        deserialize_i64 => "an integer", deserialize_i128 => "an integer", deserialize_u8 => "an integer",
        deserialize_u16 => "an integer", deserialize_u32 => "an integer", deserialize_u64 => "an integer",
        deserialize_u128 => "an integer", deserialize_f32 => "a number", deserialize_f64 => "a number",
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let text = match (&self.node.kind, self.scalar()?) {
            (_, Some(Scalar::Null)) => String::new(),
            // `!!binary` is the one tag whose value is not its text.
            (NodeKind::Scalar { tag: Some(tag), .. }, Some(Scalar::Str(decoded))) if tag == "binary" => decoded,
            (NodeKind::Scalar { text, .. }, Some(_)) => text.clone(),
            _ => return Err(self.mismatch("a string")),
        };
        visitor.visit_string(text).map_err(|e| self.locate(e))
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.is_null()? {
            visitor.visit_none().map_err(|e| self.locate(e))
        } else {
            let located = NodeDe { node: self.node, path: self.path };
            visitor.visit_some(self).map_err(|e| located.locate(e))
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.is_null()? { visitor.visit_unit() } else { Err(self.mismatch("nothing (null)")) }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        let located = NodeDe { node: self.node, path: self.path };
        visitor.visit_newtype_struct(self).map_err(|e| located.locate(e))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match &self.node.kind {
            NodeKind::Sequence(items) => {
                visitor.visit_seq(SeqAccess { items: items.iter(), index: 0, parent: self.path })
            }
            _ if self.is_null()? => visitor.visit_seq(SeqAccess { items: [].iter(), index: 0, parent: self.path }),
            _ => return Err(self.mismatch("a list")),
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match &self.node.kind {
            NodeKind::Mapping(entries) => visitor.visit_map(MapAccess { entries, next: 0, parent: self.path }),
            _ if self.is_null()? => visitor.visit_map(MapAccess { entries: &[], next: 0, parent: self.path }),
            _ => return Err(self.mismatch("a mapping")),
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let result = match &self.node.kind {
            NodeKind::Scalar { text, .. } => visitor.visit_enum(text.clone().into_deserializer()),
            NodeKind::Mapping(entries) if entries.len() == 1 => {
                let (key, value) = &entries[0];
                let variant = key.scalar_text().ok_or_else(|| self.mismatch("a variant name"))?;
                visitor.visit_enum(EnumAccess { variant, value, parent: self.path })
            }
            _ => return Err(self.mismatch("a variant name or a mapping with one key")),
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

fn unreachable_kind<T>() -> Result<T, Error> {
    Err(Error::new(ErrorKind::Message("a scalar node did not resolve".into())))
}

struct SeqAccess<'n, 'p> {
    items: std::slice::Iter<'n, Node>,
    index: usize,
    parent: Path<'p>,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'_, '_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        let Some(node) = self.items.next() else { return Ok(None) };
        let index = self.index;
        self.index += 1;
        seed.deserialize(NodeDe { node, path: Path::Index(index, &self.parent) }).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapAccess<'n, 'p> {
    entries: &'n [(Node, Node)],
    next: usize,
    parent: Path<'p>,
}

impl<'de> de::MapAccess<'de> for MapAccess<'_, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some((key, _)) = self.entries.get(self.next) else { return Ok(None) };
        let text = key.scalar_text().unwrap_or("?");
        seed.deserialize(NodeDe { node: key, path: Path::Key(text, &self.parent) }).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (key, value) = &self.entries[self.next];
        self.next += 1;
        let text = key.scalar_text().unwrap_or("?");
        seed.deserialize(NodeDe { node: value, path: Path::Key(text, &self.parent) })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() - self.next)
    }
}

struct EnumAccess<'n, 'p> {
    variant: &'n str,
    value: &'n Node,
    parent: Path<'p>,
}

impl<'de, 'n, 'p> de::EnumAccess<'de> for EnumAccess<'n, 'p> {
    type Error = Error;
    type Variant = NodeDe<'n, 'p>;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self::Variant), Error> {
        let variant = seed.deserialize(self.variant.to_string().into_deserializer())?;
        // The value's path needs the variant name; the parent path is
        // enough to place it, and keeps lifetimes simple.
        Ok((variant, NodeDe { node: self.value, path: self.parent }))
    }
}

impl<'de> de::VariantAccess<'de> for NodeDe<'_, '_> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_seq(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(self, _fields: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_map(self, visitor)
    }
}
