//! The reference JSON source: serde_json reads the document into a tree
//! (keys in their order, strings borrowed where they can be), and the
//! [walk](super::walk) reads the tree. It is slower than
//! [`json_fast`](super::json_fast) but names every error: serde_json names
//! what is not JSON, the walk what is not a `/query` answer. The fast path
//! hands it every document it does not take.

use std::borrow::Cow;
use std::fmt;

use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};

use super::cell::Cell;
use super::format::snippet;
use super::walk::{self, Progress, Sink, Source};
use crate::error::{DecodeError, Error};

/// Walks one JSON document.
pub(crate) fn document<K: Sink>(
    doc: &[u8],
    sink: &mut K,
    progress: &mut Progress,
) -> Result<(), Error> {
    let syntax = |e: serde_json::Error| -> Error {
        DecodeError::Malformed(format!("{e}: {}", snippet(doc))).into()
    };
    // What is not JSON is named before any tree is built.
    serde_json::from_slice::<IgnoredAny>(doc).map_err(syntax)?;
    let tree: Node<'_> = serde_json::from_slice(doc).map_err(syntax)?;
    walk::document(&mut Tree { node: &tree }, sink, progress)
}

/// A JSON value, its map entries in document order.
#[derive(Debug)]
enum Node<'a> {
    Cell(Cell<'a>),
    Seq(Vec<Node<'a>>),
    Map(Vec<(Cow<'a, str>, Node<'a>)>),
}

impl Node<'_> {
    fn describe(&self) -> String {
        match self {
            Node::Cell(cell) => cell.describe(),
            Node::Seq(_) => "an array".into(),
            Node::Map(_) => "an object".into(),
        }
    }
}

/// A cursor over the tree: the value to be read next.
struct Tree<'t, 'a> {
    node: &'t Node<'a>,
}

impl<'t, 'a: 't> Source<'t> for Tree<'t, 'a> {
    type Error = Error;
    type Mark = &'t Node<'a>;

    fn map(
        &mut self,
        mut each: impl FnMut(&mut Self, Cow<'t, str>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let Node::Map(entries) = self.node else {
            return Err(self.malformed(format!(
                "expected an object, found {}",
                self.node.describe()
            )));
        };
        for (key, value) in entries {
            self.node = value;
            each(self, Cow::Borrowed(key))?;
        }
        Ok(())
    }

    fn seq(&mut self, mut each: impl FnMut(&mut Self) -> Result<(), Error>) -> Result<(), Error> {
        let Node::Seq(values) = self.node else {
            return Err(
                self.malformed(format!("expected an array, found {}", self.node.describe()))
            );
        };
        for value in values {
            self.node = value;
            each(self)?;
        }
        Ok(())
    }

    fn cell(&mut self) -> Result<Cell<'t>, Error> {
        match self.node {
            Node::Cell(Cell::Str(s)) => Ok(Cell::Str(Cow::Borrowed(s))),
            Node::Cell(cell) => Ok(cell.clone().into_owned()),
            other => Err(self.malformed(format!("expected a value, found {}", other.describe()))),
        }
    }

    fn skip(&mut self) -> Result<(), Error> {
        Ok(())
    }

    fn mark(&self) -> &'t Node<'a> {
        self.node
    }

    fn seek(&mut self, mark: &'t Node<'a>) {
        self.node = mark;
    }

    fn malformed(&self, what: String) -> Error {
        DecodeError::Malformed(format!("JSON response: {what}")).into()
    }

    fn fail(&self, error: Error) -> Error {
        error
    }
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Cell(Cell::Null))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node<'de>, E> {
        Ok(Node::Cell(Cell::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node<'de>, E> {
        Ok(Node::Cell(Cell::Int(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node<'de>, E> {
        Ok(Node::Cell(match i64::try_from(v) {
            Ok(i) => Cell::Int(i),
            Err(_) => Cell::UInt(v),
        }))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node<'de>, E> {
        Ok(Node::Cell(Cell::Float(v)))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::Cell(Cell::Str(Cow::Borrowed(v))))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node<'de>, E> {
        Ok(Node::Cell(Cell::Str(Cow::Owned(v.to_owned()))))
    }

    fn visit_string<E>(self, v: String) -> Result<Node<'de>, E> {
        Ok(Node::Cell(Cell::Str(Cow::Owned(v))))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut values = Vec::new();
        while let Some(value) = seq.next_element()? {
            values.push(value);
        }
        Ok(Node::Seq(values))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key_seed(Key)? {
            entries.push((key, map.next_value()?));
        }
        Ok(Node::Map(entries))
    }
}

/// A map key, borrowed from the document unless it holds escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}
