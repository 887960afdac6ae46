//! Telling an extractor written under another name from a schema property.
//!
//! `#[tool]` sees names, not types: `State<T>` and `RequestContext` are recognized as written,
//! but an alias (`type Db = State<Pool>`) or a renamed import (`use mcp_toolkit::State as S`)
//! looks like any parameter type and would become a schema property, failing far away with a
//! `JsonSchema` error. For each property the generated code asks the compiler, by autoref
//! specialization, whether the type is a [`FromToolCall`] extractor; if it is, the check below
//! fails at the parameter with a message saying to mark it `#[extract]`.

use std::marker::PhantomData;

use crate::tool::FromToolCall;

/// Carries a parameter's type to the check.
pub struct ParamProbe<T>(PhantomData<fn() -> T>);

impl<T> ParamProbe<T> {
    pub const fn new() -> Self {
        ParamProbe(PhantomData)
    }
}

impl<T> Clone for ParamProbe<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for ParamProbe<T> {}

impl<T> Default for ParamProbe<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The verdict for an extractor: fails [`SchemaProperty`].
pub struct TakenFromTheCall<T>(PhantomData<fn() -> T>);

/// The verdict for anything else.
pub struct SchemaParameter;

/// First choice: the type is an extractor.
pub trait ViaExtractor<T> {
    fn verdict(self) -> TakenFromTheCall<T>;
}

impl<T: FromToolCall> ViaExtractor<T> for &ParamProbe<T> {
    fn verdict(self) -> TakenFromTheCall<T> {
        TakenFromTheCall(PhantomData)
    }
}

/// Otherwise: a property.
pub trait ViaProperty {
    fn verdict(self) -> SchemaParameter;
}

impl<T> ViaProperty for ParamProbe<T> {
    fn verdict(self) -> SchemaParameter {
        SchemaParameter
    }
}

/// What a parameter that becomes a schema property must be.
#[diagnostic::on_unimplemented(
    message = "this parameter's type is taken from the call (`{Self}`), not from the tool's arguments",
    label = "mark this parameter `#[extract]`",
    note = "#[tool] recognizes `State<T>` and `RequestContext` by name; under an alias or a renamed import, mark the parameter `#[extract]`"
)]
pub trait SchemaProperty {}

impl SchemaProperty for SchemaParameter {}

/// Fails to compile when `verdict` says the parameter is an extractor.
pub fn schema_property<V: SchemaProperty>(_verdict: V) {}
